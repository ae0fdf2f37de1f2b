"""The house rules (issue 29): one-way imports (import-linter's contracts in pyproject.toml,
docs/architecture.md), a CDK-free core and analysis, every limit and shared default defined once
(wellstack/limits.py), and the settings refusing exactly what the constructs refuse."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from tests.conftest import CDK_JSON, ROOT
from wellstack import limits
from wellstack.constructs import AppTier, AuroraCluster, Network
from wellstack.errors import WellstackError
from wellstack.settings import ENVIRONMENTS_KEY, parse_environment

PACKAGE = ROOT / "wellstack"


def test_the_import_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "5 kept, 0 broken" in result.stdout


def test_the_contracts_can_break(tmp_path):
    """The same contracts over a copy of the package where analysis imports a construct."""
    copy = tmp_path / "wellstack"
    subprocess.run(["cp", "-r", str(PACKAGE), str(copy)], check=True)
    plan = copy / "analysis" / "plan.py"
    plan.write_text(plan.read_text() + "\nfrom wellstack.constructs.network import Network\n")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache",
         "--config", str(ROOT / "pyproject.toml")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode != 0
    assert "wellstack.analysis.plan -> wellstack.constructs.network" in result.stdout


def test_the_analysis_tools_run_without_the_cdk(dev_app):
    """``wellstack review``/``cost``/``reach``/``check`` on an assembly, in a Python where
    aws_cdk, constructs, jsii and cdk_nag cannot be imported."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('aws_cdk', 'constructs', 'jsii', 'cdk_nag'):\n"
        "            raise ModuleNotFoundError(name, name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from wellstack.analysis import constraints, cost, diff, plan, reach, review\n"
        "from wellstack.analysis.template import Assembly\n"
        "import wellstack.settings, wellstack.limits, wellstack.catalog\n"
        "a = Assembly.load(sys.argv[1])\n"
        "review.review(sys.argv[1]); cost.estimate(sys.argv[1]); reach.analyse(a)\n"
        "print(len(constraints.check(a).violations))\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(dev_app.outdir)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "0"


def _module_constants() -> dict[str, list[str]]:
    """UPPER_CASE names assigned at module level, by name -> the modules that assign them."""
    found: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            targets = (
                node.targets if isinstance(node, ast.Assign)
                else [node.target] if isinstance(node, ast.AnnAssign) else []
            )  # fmt: skip
            for target in targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                for name in names:
                    if isinstance(name, ast.Name) and name.id.isupper() and len(name.id) > 1:
                        found.setdefault(name.id, []).append(str(path.relative_to(ROOT)))
    return found


def test_no_constant_is_defined_twice():
    twice = {name: where for name, where in _module_constants().items() if len(where) > 1}
    assert twice == {}


def _literal_ranges() -> list[str]:
    """Calls that check a value against two literal bounds (``problems.integer(p, v, 1, 35)``,
    ``number(..., 0, 256)``) anywhere but limits.py: a range belongs in limits.py."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "limits.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("integer", "number"):
                continue
            bounds = node.args[2:4]
            if len(bounds) == 2 and all(isinstance(b, ast.Constant) for b in bounds):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_ranges_are_defined_in_limits_only():
    assert _literal_ranges() == []


def test_every_range_names_its_source():
    ranges = [v for v in vars(limits).values() if isinstance(v, limits.Range)]
    assert len(ranges) >= 15
    assert all(r.source and (r.high is None or r.low <= r.high) for r in ranges)


# --- settings and constructs refuse the same values ----------------------------------------------

BASE = CDK_JSON["context"][ENVIRONMENTS_KEY]["dev"]


def _settings_accept(key: str, value: Any) -> bool:
    # The construct side builds the app tier with min_capacity=0 (see CASES): so do the settings.
    try:
        parse_environment("dev", {**BASE, "app_min_capacity": 0, "app_max_capacity": 4, key: value})
    except WellstackError as error:
        assert key in str(error)
        return False
    return True


@pytest.fixture(scope="module")
def network() -> Network:
    stack = cdk.Stack(cdk.App(), "Limits", env=cdk.Environment(region="ap-northeast-2"))
    return Network(stack, "Net", availability_zones=["ap-northeast-2a", "ap-northeast-2c"])


def _construct_accepts(build: Any) -> bool:
    try:
        build()
    except WellstackError:
        return False
    return True


CASES = {
    # cdk.json key: (the Range, a builder of the construct with the prop set to a value)
    "db_readers": (limits.AURORA_READERS, lambda net, v, n: AuroraCluster(
        net, f"Db{n}", vpc=net.vpc, readers=v)),
    "db_backup_retention_days": (limits.BACKUP_RETENTION_DAYS, lambda net, v, n: AuroraCluster(
        net, f"Db{n}", vpc=net.vpc, backup_retention_days=v)),
    "app_min_capacity": (limits.MIN_CAPACITY, lambda net, v, n: AppTier(
        net, f"Web{n}", vpc=net.vpc, min_capacity=v, max_capacity=4)),
    "app_max_capacity": (limits.MAX_CAPACITY, lambda net, v, n: AppTier(
        net, f"Web{n}", vpc=net.vpc, min_capacity=0, max_capacity=v)),
}  # fmt: skip


@pytest.mark.parametrize("key", list(CASES))
def test_settings_and_constructs_refuse_the_same_values(network, key):
    bounds, build = CASES[key]
    values = [bounds.low - 1, bounds.low]
    if bounds.high is not None:
        values += [bounds.high, bounds.high + 1]
    for index, value in enumerate(values):
        by_settings = _settings_accept(key, value)
        by_construct = _construct_accepts(
            lambda value=value, index=index: build(network, value, f"{index}{value}")
        )
        assert by_settings == by_construct == (value in bounds), (key, value)
