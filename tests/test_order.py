"""The order test files run in: longest first by recorded durations (tests/_order.py)."""

from __future__ import annotations

import json

from tests import _order
from tests.conftest import ROOT


def test_longest_first_unknown_files_before_all():
    durations = {"a.py": 1.0, "b.py": 30.0, "c.py": 5.0}
    paths = ["a.py", "a.py", "new.py", "c.py", "b.py", "other_new.py"]
    assert _order.order(paths, durations) == ["new.py", "other_new.py", "b.py", "c.py", "a.py"]


def test_a_run_updates_what_it_measured_and_keeps_the_rest():
    known = {"a.py": 1.0, "b.py": 30.0}
    assert _order.merged(known, {"b.py": 12.345, "n.py": 2}) == {
        "a.py": 1.0, "b.py": 12.35, "n.py": 2,
    }  # fmt: skip


def test_the_committed_baseline_names_existing_test_files():
    baseline = json.loads(_order.BASELINE.read_text())
    assert len(baseline) >= 20
    assert all((ROOT / path).is_file() and path.startswith("tests/") for path in baseline)
    assert all(isinstance(seconds, int | float) and seconds >= 0 for seconds in baseline.values())
