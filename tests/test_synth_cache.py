"""The tests' synth cache stays bounded: each session drops all but the most recently used
entries, sparing any used within the grace period (another session may be copying it)."""

from __future__ import annotations

import os
import time

from tests.conftest import prune_synth_cache


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
