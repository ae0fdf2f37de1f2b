"""The docs: a short README, generated blocks that match the code, every Python sample runs as
written, links resolve, and the API reference builds from the docstrings without a warning."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SAMPLE = re.compile(r"```python\n(.*?)```", re.S)


def generator():
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "_generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_is_short():
    assert len((ROOT / "README.md").read_bytes()) <= 12 * 1024


def test_generated_blocks_match_the_code():
    """`make docs` rewrites them; here nothing may differ."""
    assert generator().stale_blocks() == []


def test_every_construct_has_its_tables():
    """Every public construct class (a ``Construct`` in ``wellstack.constructs.__all__``) has
    its props and attributes tables."""
    import constructs as cdk_constructs

    from wellstack import constructs

    text = (ROOT / "docs" / "constructs.md").read_text()
    public = [
        name for name in constructs.__all__
        if isinstance(kind := getattr(constructs, name), type)
        and issubclass(kind, cdk_constructs.Construct)
    ]  # fmt: skip
    assert len(public) >= 7, public
    for name in public:
        assert f"<!-- props:{name} -->\n| prop |" in text, name
        assert f"<!-- attributes:{name} -->\n| attribute |" in text, name


def test_acknowledgments_block_matches_the_default_app(dev_app):
    """Generated from the synthesized templates: `make acks` after `make synth`."""
    from wellstack.analysis.audit import acknowledgments_markdown

    text = (ROOT / "docs" / "compliance.md").read_text()
    block = text.split("<!-- acknowledgments -->\n")[1].split("<!-- /acknowledgments -->")[0]
    assert block == acknowledgments_markdown(dev_app.outdir)


def test_relative_links_resolve():
    for document in DOCUMENTS:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", document.read_text()):
            assert (document.parent / target).exists(), f"{document.name}: {target}"


RUNNER = """
import json, sys, traceback
results = []
for name, code in json.load(sys.stdin):
    try:
        exec(compile(code, name, "exec"), {"__name__": "__main__"})
        results.append([name, None])
    except BaseException:
        results.append([name, traceback.format_exc(limit=3)])
print("RESULTS" + json.dumps(results))
"""


def test_every_python_sample_runs_as_written(tmp_path):
    samples = [
        (f"{document.relative_to(ROOT)}#{index + 1}", code)
        for document in DOCUMENTS
        for index, code in enumerate(SAMPLE.findall(document.read_text()))
    ]
    assert len(samples) >= 8
    result = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps(samples),
        cwd=tmp_path,  # samples that synthesize write their cdk.out here
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULTS"))
    failures = {name: error for name, error in json.loads(line[7:]) if error}
    assert not failures, "\n\n".join(f"{name}:\n{error}" for name, error in failures.items())


@pytest.mark.cli
def test_api_reference_builds_without_warnings(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pdoc"), "-o", str(tmp_path), "-d",
         "restructuredtext", "wellstack"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PDOC_ALLOW_EXEC": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warn")]
    assert not warnings, "\n".join(warnings)
    for page in ("constructs.html", "stacks.html", "settings.html", "errors.html"):
        assert (tmp_path / "wellstack" / page).exists(), page
    assert "AuroraCluster" in (tmp_path / "wellstack" / "constructs.html").read_text()
