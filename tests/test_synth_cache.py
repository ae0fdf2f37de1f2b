"""The tests' synth cache stays bounded: each session drops all but the most recently used
entries, sparing any used within the grace period (another session may be copying it). What
fills it, a worker's synthesis process, serves one configuration after another and is replaced
after a failure, which names its cause."""

from __future__ import annotations

import os
import sys
import time

import pytest

from tests.conftest import Synthesizer, prune_synth_cache


def test_prune_keeps_the_most_recently_used_and_the_recent(tmp_path):
    now = time.time()
    ages_h = {f"entry{index}": index for index in range(10)}  # entry0 used just now
    for name, age in ages_h.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text("{}")
        os.utime(tmp_path / name, (now - age * 3600, now - age * 3600))
    (tmp_path / "not-an-entry.txt").write_text("")

    gone = prune_synth_cache(tmp_path, keep=4, grace_s=5.5 * 3600)

    assert sorted(path.name for path in gone) == ["entry6", "entry7", "entry8", "entry9"]
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == [f"entry{index}" for index in range(6)] + ["not-an-entry.txt"]
    assert prune_synth_cache(tmp_path / "missing", keep=4, grace_s=0) == []


def python(script: str) -> tuple[str, ...]:
    return (sys.executable, "-c", script)


SERVES = python("import sys\nfor line in sys.stdin: print('{\"ok\": true}', flush=True)")
REFUSES = python('import sys\nsys.stdin.readline()\nprint(\'{"error": "no such stack"}\')')


def test_one_process_serves_one_configuration_after_another(tmp_path):
    synthesizer = Synthesizer(SERVES)
    synthesizer.synthesize({"env": "dev"}, tmp_path)
    assert synthesizer.process
    first = synthesizer.process.pid
    synthesizer.synthesize({"env": "prod"}, tmp_path)
    assert synthesizer.process.pid == first
    synthesizer.close()


def test_a_failure_names_its_cause_and_the_next_request_gets_a_new_process(tmp_path):
    synthesizer = Synthesizer(REFUSES)
    with pytest.raises(RuntimeError, match=r"synthesis failed \(prod\):\nno such stack"):
        synthesizer.synthesize({"env": "prod"}, tmp_path)
    assert synthesizer.process is None
    with pytest.raises(RuntimeError, match="no such stack"):
        synthesizer.synthesize({"env": "dev"}, tmp_path)


@pytest.mark.parametrize(
    ("script", "said"),
    [("import sys\nsys.stderr.write('kernel died')\nsys.exit(3)", "kernel died"),
     ("import sys, time\nsys.stderr.write('stuck')\nsys.stderr.flush()\ntime.sleep(60)", "stuck")],
    ids=["exits", "hangs"],
)  # fmt: skip
def test_no_answer_shows_what_the_process_wrote(tmp_path, script, said):
    synthesizer = Synthesizer(python(script), timeout_s=1)
    with pytest.raises(RuntimeError, match=f"no answer; its stderr:\n{said}"):
        synthesizer.synthesize({"env": "dev"}, tmp_path)
    assert synthesizer.process is None
