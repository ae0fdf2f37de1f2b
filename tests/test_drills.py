"""`wellstack plan --fail-az`: the verdicts, with exact numbers, for single vs per-AZ NAT, no vs
two readers, a minimum of 1 vs 2 instances; and `wellstack review --fail-on findings`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import CDK_JSON
from wellstack.analysis.failure import fail_az, spread
from wellstack.cli import main
from wellstack.errors import WellstackError
from wellstack.settings import ENVIRONMENTS_KEY, parse_environment

AZS = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]


def settings(**keys: Any):
    base = {"region": "ap-northeast-2", "availability_zones": AZS[:2], "nat": "single",
            "db_readers": 1, "app_min_capacity": 2, "app_max_capacity": 4}  # fmt: skip
    return parse_environment("drill", {**base, **keys})


def outcome(tiers, name: str):
    (found,) = [t for t in tiers if t.tier == name]
    return found


def test_single_nat_in_the_failed_az_takes_egress():
    nat = outcome(fail_az(settings(nat="single"), "ap-northeast-2a"), "nat")
    assert nat.verdict == "down"
    assert "the private subnets in ap-northeast-2b lose internet egress" in nat.detail
    assert nat.fix == '"nat": "per_az"'
    other = outcome(fail_az(settings(nat="single"), "ap-northeast-2b"), "nat")
    assert other.verdict == "ok" and "through the gateway in ap-northeast-2a" in other.detail


def test_per_az_nat_survives():
    nat = outcome(fail_az(settings(nat="per_az"), "ap-northeast-2a"), "nat")
    assert nat.verdict == "ok" and nat.fix is None
    assert "keep egress through their own AZ's gateway" in nat.detail


def test_no_reader_loses_the_writer():
    database = outcome(fail_az(settings(db_readers=0), "ap-northeast-2a"), "database")
    assert database.verdict == "down"
    assert "no reader is elsewhere (0 reader(s)): writer lost until" in database.detail
    assert database.fix == '"db_readers": 1 (a failover target in another AZ)'


def test_two_readers_fail_over_to_the_best_promotion_tier():
    drill = settings(db_readers=2, availability_zones=AZS)
    database = outcome(fail_az(drill, "ap-northeast-2a"), "database")
    assert database.verdict == "degraded"
    assert "promotes the reader in ap-northeast-2b (promotion tier 1)" in database.detail
    assert "1 reader(s) remain" in database.detail
    # Losing a reader's AZ leaves the writer alone.
    reader_az = outcome(fail_az(drill, "ap-northeast-2c"), "database")
    assert reader_az.verdict == "degraded"
    assert "writer in ap-northeast-2a is unaffected; 1 reader(s) in ap-northeast-2c" in (
        reader_az.detail
    )


def test_min_one_instance_is_an_outage():
    app = outcome(fail_az(settings(app_min_capacity=1), "ap-northeast-2a"), "app")
    assert app.verdict == "down"
    assert app.detail.startswith("0 of 1 instance(s) left against a minimum of 1")
    assert "launches 1 replacement(s)" in app.detail and "after ~45 s" in app.detail
    assert app.fix == '"app_min_capacity": 2 (at least one instance per AZ)'
    # The instance ran in the first AZ: losing the second changes nothing.
    assert outcome(fail_az(settings(app_min_capacity=1), "ap-northeast-2b"), "app").verdict == "ok"


def test_min_two_instances_keep_serving():
    app = outcome(fail_az(settings(app_min_capacity=2), "ap-northeast-2a"), "app")
    assert app.verdict == "degraded"
    assert app.detail.startswith("1 of 2 instance(s) left against a minimum of 2: 1 lost")
    assert app.fix is None


def test_spread_follows_auto_scaling():
    assert spread(1, 2) == [1, 0]
    assert spread(5, 3) == [2, 2, 1]
    assert spread(0, 3) == [0, 0, 0]


def test_an_az_outside_the_environment_is_an_error():
    with pytest.raises(WellstackError, match=r"--fail-az 'us-east-1a' is not an AZ"):
        fail_az(settings(), "us-east-1a")


def test_the_command_exits_1_when_a_tier_is_down():
    result = CliRunner().invoke(main, ["plan", "--env", "dev", "--fail-az", "ap-northeast-2a",
                                       "--json"])  # fmt: skip
    data = json.loads(result.stdout)
    dev = CDK_JSON["context"][ENVIRONMENTS_KEY]["dev"]
    assert dev["nat"] == "single"
    assert result.exit_code == 1 and data["survives"] is False
    assert {t["tier"]: t["verdict"] for t in data["tiers"]}["nat"] == "down"
    prod = CliRunner().invoke(main, ["plan", "--env", "prod", "--fail-az", "ap-northeast-2a"])
    assert prod.exit_code == 0, prod.output


# --- review --fail-on findings ----------------------------------------------------------------


def test_review_fails_on_the_single_nat_and_passes_when_fixed(built_app):
    dev = CliRunner().invoke(main, ["review", str(built_app().outdir), "--fail-on", "findings"])
    assert dev.exit_code == 1
    assert "review: 1 finding(s)" in dev.stderr
    environments = json.loads(json.dumps(CDK_JSON["context"][ENVIRONMENTS_KEY]))
    environments["dev"]["nat"] = "per_az"
    fixed = built_app(**{ENVIRONMENTS_KEY: environments})
    result = CliRunner().invoke(main, ["review", str(fixed.outdir), "--fail-on", "findings"])
    assert result.exit_code == 0, result.output


def test_review_has_six_pillars_and_an_html_summary(built_app, tmp_path):
    page = tmp_path / "review.html"
    result = CliRunner().invoke(main, ["review", str(built_app().outdir), "--json",
                                       "--html", str(page)])  # fmt: skip
    data = json.loads(result.stdout)
    assert list(data["pillars"]) == [
        "security", "reliability", "performance efficiency", "cost optimization",
        "operational excellence", "sustainability",
    ]  # fmt: skip
    assert data["pillars"]["sustainability"]["passed"]
    text = page.read_text()
    reliability = text.index("<h2 id='reliability'>")
    finding = text.index("<td class=fail>finding</td>")
    assert text.index("<th>pillar</th>") < reliability < finding  # the summary comes first
    assert finding < text.index("<details>", reliability)  # findings before the folded rows
    assert "acknowledged finding(s), each with its reason</summary>" in text
    assert f"Assembly <code>{built_app().outdir}</code>, synthesized 20" in text
