"""The public API is typed for a checker: pyright (basic mode) finds no error in the package or
the examples, catches misused choices and unknown keyword arguments, and rates the package's
type completeness at 95 % or more."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.typecheck

PYRIGHT = ROOT / "node_modules" / ".bin" / "pyright"
MISUSE = ROOT / "tests" / "typing_cases" / "misuse.py"


def pyright(*args: str) -> dict:
    env = {
        **os.environ,
        # conftest put the real Node binary first; this virtualenv's scripts after it
        "PATH": f"{os.environ['PATH']}{os.pathsep}{Path(sys.executable).parent}",
        "PYTHONPATH": str(ROOT),  # --verifytypes cannot follow the editable install's hook
    }
    result = subprocess.run(
        [str(PYRIGHT), "--outputjson", "--pythonpath", sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return json.loads(result.stdout)


def test_package_and_examples_are_clean_and_misuse_is_caught():
    report = pyright("wellstack", "examples", str(MISUSE))
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    outside = [d for d in errors if d["file"] != str(MISUSE)]
    assert not outside, "\n".join(
        f"{d['file']}:{d['range']['start']['line'] + 1} {d['message']}" for d in outside
    )
    expected = {
        index + 1
        for index, line in enumerate(MISUSE.read_text().splitlines())
        if "# expect" in line
    }
    flagged = {d["range"]["start"]["line"] + 1 for d in errors}
    assert flagged == expected, (sorted(flagged), sorted(expected))


def test_type_completeness_is_at_least_95_percent():
    report = pyright("--verifytypes", "wellstack", "--ignoreexternal")
    score = report["typeCompleteness"]["completenessScore"]
    assert score >= 0.95, f"type completeness {score:.1%}"
