"""`wellstack diff BEFORE AFTER`: dev against prod, and the default app against one with a renamed
bucket, an opened port and a changed engine — each change reported, in Markdown and JSON, and
the --fail-on gates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from click.testing import CliRunner

from tests.conftest import CDK_JSON, project_context
from wellstack.analysis.diff import diff, stack_pairs, to_markdown
from wellstack.analysis.template import Assembly
from wellstack.cli import main
from wellstack.settings import ENVIRONMENTS_KEY, parse_environments
from wellstack.stacks import add_three_tier


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_dev_against_prod(built_app):
    dev, prod = built_app(), built_app(env="prod")
    result = run("diff", str(dev.outdir), str(prod.outdir), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["stacks"]["paired"] == [
        ["DevApp", "ProdApp"], ["DevData", "ProdData"], ["DevNetwork", "ProdNetwork"],
    ]  # fmt: skip
    cost = {line["item"]: line for line in report["cost"]["lines"]}
    assert cost["NAT gateways"]["other_quantity"] == 3 * cost["NAT gateways"]["base_quantity"]
    assert cost["Aurora db.r6g.large"]["base_usd"] == 0 and "Aurora db.t4g.medium" in cost
    assert report["cost"]["difference_usd"] > 0
    changed = {c["id"]: (c["before"], c["after"]) for c in report["checks"]}
    assert changed["nat-per-az"] == ("finding", "pass")
    assert changed["graviton"] == ("advice", "pass")
    # The same rules under other names (CDK names a rule after both groups) are no change; what
    # opens is the DR region's tier groups (prod has a DR region, dev has none) and the rotation
    # of prod's generated database secret (a global database's primary cannot use RDS's).
    assert report["rules"]["closed"] == []
    rotation = [r for r in report["rules"]["opened"] if "RotationSecurityGroup" in r["rule"]]
    assert {(r["rule"].split(" ", 2)[1], r["tcp"]) for r in rotation} == {
        ("egress", "443"), ("egress", "3306"), ("ingress", "3306"),
    }  # fmt: skip
    others = [r for r in report["rules"]["opened"] if r not in rotation]
    assert others and all(r["rule"].startswith("ProdDrNetwork/") for r in others), others
    assert report["reachability"]["matrix"] == []
    removed = {a["rule"] for a in report["acknowledgments"]["removed"]}
    assert "NIST.800.53.R5-ELBDeletionProtectionEnabled" in removed  # prod keeps protection on
    # The DR region's opened rules are a broadening (a reviewer should see them).
    assert report["flags"] == {"risk": True, "findings": False, "broadening": True}


def changed_app(tmp_path: Path) -> Path:
    """dev with the assets bucket's construct id renamed, port 22 opened on the app tier and
    the engine changed to PostgreSQL (no compliance packs: they would refuse the port)."""
    import wellstack.stacks.data_stack as data_stack
    from wellstack.constructs import TieredBucket

    class Renamed(TieredBucket):
        def __init__(self, scope: Any, construct_id: str, **props: Any) -> None:
            super().__init__(scope, "StaticAssets" if construct_id == "Assets" else construct_id,
                             **props)  # fmt: skip

    environments = json.loads(json.dumps(CDK_JSON["context"][ENVIRONMENTS_KEY]))
    environments["dev"]["db_engine"] = "postgresql"
    settings = parse_environments(environments)["dev"]
    app = cdk.App(context=project_context(), outdir=str(tmp_path))
    original, data_stack.TieredBucket = data_stack.TieredBucket, Renamed  # type: ignore[misc]
    try:
        stacks = add_three_tier(app, settings, prefix="Dev")
    finally:
        data_stack.TieredBucket = original  # type: ignore[misc]
    stacks.network.security_groups.app.add_ingress_rule(
        ec2.Peer.ipv4("203.0.113.0/24"), ec2.Port.tcp(22), "SSH from the office"
    )
    app.synth()
    return tmp_path


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return changed_app(tmp_path_factory.mktemp("changed"))


def test_a_rename_an_opened_port_and_a_new_engine(built_app, changed):
    before = built_app()
    report = diff(Assembly.load(before.outdir), Assembly.load(changed))
    at_risk = {(f.logical_id[:14], f.action) for f in report.data_at_risk}
    assert ("Assets0A240B9C", "delete") in at_risk  # the renamed bucket
    assert ("DatabaseF44359", "replace") in at_risk  # Engine cannot change in place
    engine = next(f for f in report.data_at_risk if f.logical_id.startswith("DatabaseF4"))
    assert "Engine" in engine.reason and "final snapshot" in engine.consequence
    app, database = (
        "DevNetwork/SecurityGroupsApp30A4AF97",
        "DevNetwork/SecurityGroupsDatabase03711F2A",
    )
    # PostgreSQL listens on 5432: the chain moves from 3306; and SSH opens on the app tier.
    assert {(r.rule, r.tcp) for r in report.rules.opened} == {
        (f"{app} ingress from 203.0.113.0/24", "22"),
        (f"{app} egress to {database}", "5432"),
        (f"{database} ingress from {app}", "5432"),
    }
    assert {(r.rule, r.tcp) for r in report.rules.closed} == {
        (f"{app} egress to {database}", "3306"),
        (f"{database} ingress from {app}", "3306"),
    }
    assert {(c.path, c.before, c.after) for c in report.reachability.matrix} == {
        ("app -> database", "3306", "5432")
    }
    new = report.reachability.violations.added
    assert [(v.intent, v.ports) for v in new] == [("app-admits-only-web", "22")]
    assert [(c.id, c.before, c.after) for c in report.checks] == [("no-ssh", "pass", "finding")]
    assert report.gates() == {"risk": True, "findings": True, "broadening": True}
    cost = {line.item: line for line in report.cost.lines}
    # PostgreSQL exports one log (postgresql) where MySQL exports four: less ingestion.
    assert set(cost) == {
        "CloudWatch Logs ingestion",
        "CloudWatch Logs storage",
        "CloudWatch alarms",
    }
    assert (cost["CloudWatch Logs ingestion"].difference_usd or 0) < 0
    markdown = to_markdown(report, "main", "pr-42")
    assert markdown.startswith("## wellstack diff: `main` → `pr-42`")
    assert "**Data at risk:** " in markdown and "**Flags:** risk, findings, broadening" in markdown
    assert f"| opened | {app} ingress from 203.0.113.0/24 | 22 |" in markdown
    assert "New violation: **app-admits-only-web** internet → DevApp/WebInstancesASG" in markdown


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [(None, 0), ("findings", 1), ("risk", 1), ("broadening", 1), ("risk,findings", 1)],
)
def test_fail_on_gates(built_app, changed, fail_on, code):
    args = ["diff", str(built_app().outdir), str(changed)]
    result = run(*args, *(["--fail-on", fail_on] if fail_on else []))
    assert result.exit_code == code, result.output
    if code:
        assert "diff: failing on" in result.stderr


def test_fail_on_names_the_gates(built_app):
    out = str(built_app().outdir)
    result = run("diff", out, out, "--fail-on", "risk,typo")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "'typo': choose from risk, findings, broadening" in (
        result.stderr
    )


def test_an_app_against_itself_is_no_change(built_app, tmp_path):
    out = str(built_app().outdir)
    result = run("diff", out, out, "--output", str(tmp_path / "report.md"))
    assert result.exit_code == 0
    assert result.stdout.endswith("No change.\n")
    assert (tmp_path / "report.md").read_text() == result.stdout


def test_stacks_pair_by_name_then_without_the_environment():
    def assembly(*names: str) -> Assembly:
        return Assembly.from_templates({n: {"Resources": {}} for n in names})

    assert stack_pairs(assembly("DevApp", "Shared"), assembly("ProdApp", "Shared")) == {
        "Shared": "Shared",
        "DevApp": "ProdApp",
    }
    assert stack_pairs(assembly("DevApp"), assembly("ProdApp", "QaApp")) == {}


def _cluster_app(tmp_path: Path, version: str, **props: Any) -> Assembly:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Data", env=cdk.Environment(region="ap-northeast-2"))
    from wellstack.constructs import AuroraCluster, Network

    net = Network(stack, "Net", availability_zones=["ap-northeast-2a", "ap-northeast-2c"],
                  flow_logs=False)  # fmt: skip
    AuroraCluster(stack, "Db", vpc=net.vpc, engine="postgresql", engine_version=version,
                  readers=0, **props)  # fmt: skip
    app.synth()
    return Assembly.load(tmp_path)


def test_an_engine_upgrade_is_shown_with_what_it_costs(tmp_path):
    """PostgreSQL 16 -> 17: nothing replaced (the data guard), but an in-place major upgrade is
    downtime; the report says so and points at Blue/Green."""
    before = _cluster_app(tmp_path / "16", "16.8")
    after = _cluster_app(tmp_path / "17", "17.7")
    report = diff(before, after)
    assert report.data_at_risk == []
    (change,) = report.engines
    assert (change.before, change.after, change.major) == ("16.8", "17.7", True)
    assert "Blue/Green" in change.note and "unavailable" in change.note
    markdown = to_markdown(report)
    assert "### Engine versions" in markdown and "| 16.8 → 17.7 | major |" in markdown
    minor = diff(before, _cluster_app(tmp_path / "169", "16.9")).engines
    assert [(c.major, "zero-downtime patching" in c.note) for c in minor] == [(False, True)]


def test_a_global_member_s_major_upgrade_goes_through_the_global_cluster(tmp_path):
    props = {"global_cluster_identifier": "orders", "instance_type": "r6g.large"}
    report = diff(_cluster_app(tmp_path / "16", "16.8", **props),
                  _cluster_app(tmp_path / "17", "17.7", **props))  # fmt: skip
    notes = {c.logical_id[:6]: c.note for c in report.engines if c.major}
    assert any("AWS::RDS::GlobalCluster" in n for n in notes.values()), notes
