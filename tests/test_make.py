"""`make test` runs every test; `make test FAST=1`, asked for on the command line, is the only way
to leave the slowest checks out (``make -n`` prints the command without running it)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

import pytest

from tests.conftest import ROOT

FAST_MARKERS = ("typecheck", "cli", "integration")


def make_test(*make_args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """``make -n test`` as started from a shell (not inheriting this suite's own ``make``)."""
    inherited = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "FAST")
    shell = {name: value for name, value in os.environ.items() if name not in inherited}
    return subprocess.run(
        ["make", "-n", "test", *make_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**shell, **environment},
        timeout=60,
    )


def pytest_arguments(*make_args: str, **environment: str) -> list[str]:
    """The arguments `make test` would give pytest (after ``-m pytest``)."""
    result = make_test(*make_args, **environment)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if " -m pytest" in line)
    words = shlex.split(line)
    return words[words.index("pytest") + 1 :]


@pytest.mark.parametrize(
    ("make_args", "environment"),
    [((), {}), (("FAST=0",), {}), (("FAST=",), {}), ((), {"FAST": "1"})],
    ids=["plain", "FAST=0", "FAST empty", "FAST in the environment"],
)
def test_make_test_selects_every_test(make_args, environment):
    assert "-m" not in pytest_arguments(*make_args, **environment)


def test_fast_on_the_command_line_leaves_out_the_slow_markers():
    arguments = pytest_arguments("FAST=1")
    expression = arguments[arguments.index("-m") + 1]
    assert expression == " and ".join(f"not {marker}" for marker in FAST_MARKERS)


@pytest.mark.parametrize("value", ["yes", "true", "2"])
def test_any_other_fast_is_refused_naming_it(value):
    result = make_test(f"FAST={value}")
    assert result.returncode != 0
    assert f"FAST={value}: FAST=1 is the local loop" in result.stderr


def test_each_left_out_marker_is_registered_and_marks_tests():
    registered = (ROOT / "pyproject.toml").read_text()
    sources = "\n".join(path.read_text() for path in (ROOT / "tests").rglob("test_*.py"))
    for marker in FAST_MARKERS:
        assert f'"{marker}: ' in registered, marker
        assert re.search(rf"pytest\.mark\.{marker}\b", sources), marker
