"""checkov, an independent policy scanner, over every configuration the design says is clean —
dev and prod, the private dual-stack app, the pipeline stack — in one run (checkov takes about
4 s to start): nothing fails, and each configuration passes many checks (so a template checkov
could not read does not pass by having no checks). Its acknowledgments (``checkov: skip``) are
written by ``wellstack.compliance.acknowledge``; tests/test_operations.py checks their reasons."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, new_shapes_context
from tests.test_pipeline import PIPELINE
from tests.test_pipeline import environments as pipeline_environments
from tests.test_private_connectivity import environments as private_environments
from wellstack.pipeline_settings import PIPELINE_KEY
from wellstack.settings import ENVIRONMENTS_KEY

CHECKOV = ROOT / ".venv" / "checkov" / "bin" / "checkov"
STRICT = "NIST80053R5,ControlTower"


def configurations() -> dict[str, tuple[dict[str, Any], Callable[[Path], bool], int]]:
    """name -> (context, which templates, at least how many passed checks)."""
    return {
        "dev and prod": ({"env": "dev,prod"}, lambda path: True, 200),
        "private dual stack": (
            {"packs": STRICT, **private_environments(ipv6=True, nat="endpoints_only")},
            lambda path: True,
            100,
        ),
        "edge, proxy, regional NAT": (new_shapes_context(), lambda path: True, 150),
        "pipeline": (
            {"packs": STRICT, ENVIRONMENTS_KEY: pipeline_environments(), PIPELINE_KEY: PIPELINE},
            lambda path: not path.name.startswith(("Dev", "Prod")),
            100,
        ),
    }


def checkov(files: list[Path]) -> list[dict[str, Any]]:
    """One checkov run over ``files``: its passed and failed checks (with ``file_abs_path``)."""
    assert CHECKOV.exists(), "make test installs checkov into .venv/checkov"
    result = subprocess.run(
        [str(CHECKOV), "--framework", "cloudformation", "--compact", "-o", "json",
         *(arg for path in files for arg in ("-f", str(path)))],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


@pytest.fixture(scope="module")
def scanned(built_app) -> dict[str, dict[str, Any]]:
    files: dict[str, list[Path]] = {}
    for name, (context, which, _) in configurations().items():
        app = built_app(**context)
        files[name] = [p.resolve() for p in app.template_files if which(p)]
    reports = checkov([path for paths in files.values() for path in paths])
    checks = [
        (outcome, check)
        for report in reports
        for outcome in ("passed_checks", "failed_checks")
        for check in report["results"][outcome]
    ]
    result = {}
    for name, paths in files.items():
        mine = [(o, c) for o, c in checks if Path(c["file_abs_path"]).resolve() in paths]
        result[name] = {
            "files": paths,
            "failed": [(c["check_id"], c["resource"]) for o, c in mine if o == "failed_checks"],
            "passed": sum(o == "passed_checks" for o, _ in mine),
        }
    return result


@pytest.mark.parametrize("name", list(configurations()))
def test_checkov_reports_nothing(scanned, name):
    found = scanned[name]
    assert found["files"], name
    assert found["failed"] == []
    assert found["passed"] > configurations()[name][2], found["passed"]
