"""The `wellstack` command: plan, review and cost, and their one-line errors."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import CDK_JSON, ROOT
from wellstack.analysis.audit import acknowledgments
from wellstack.analysis.cost import tier_fractions
from wellstack.analysis.review import RULE_PILLARS, rule_pillar
from wellstack.cli import main
from wellstack.settings import ENVIRONMENTS_KEY


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "wellstack"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    listed = {
        line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()
    }
    assert {
        "plan", "review", "cost", "acks", "bootstrap", "guard", "deploy", "destroy", "sandbox",
    } <= listed  # fmt: skip
    sandbox = subprocess.run([str(script), "sandbox", "--help"], capture_output=True, text=True)
    assert {"up", "down", "stop", "summary"} <= set(sandbox.stdout.split())


def test_the_makefile_calls_the_command():
    makefile = (ROOT / "Makefile").read_text()
    for command in ("bootstrap", "guard", "deploy", "destroy", "sandbox up", "sandbox down",
                    "sandbox stop", "acks"):  # fmt: skip
        assert f"$(WELLSTACK) {command}" in makefile, command


# --- plan ---------------------------------------------------------------------------------------


def plan_of(env: str, cdk_json: Path = ROOT / "cdk.json") -> list[dict[str, Any]]:
    result = run("plan", "--env", env, "--cdk-json", str(cdk_json), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["subnets"]


def test_plan_dev():
    rows = [
        (r["tier"], r["az"][-1], r["cidr"], r["usable"], r["used"], r["free"])
        for r in plan_of("dev")
    ]
    assert rows == [
        ("public", "a", "10.10.0.0/24", 251, 9, 242),  # NAT + 8 for the load balancer
        ("public", "c", "10.10.1.0/24", 251, 8, 243),
        ("private", "a", "10.10.4.0/24", 251, 2, 249),  # ASG max 4 over 2 AZs
        ("private", "c", "10.10.5.0/24", 251, 2, 249),
        ("isolated", "a", "10.10.8.0/24", 251, 1, 250),  # writer
        ("isolated", "c", "10.10.9.0/24", 251, 1, 250),  # reader 1
    ]


def test_plan_prod():
    rows = [(r["tier"], r["az"][-1], r["used"]) for r in plan_of("prod")]
    assert rows == [
        ("public", "a", 9), ("public", "b", 9), ("public", "c", 9),  # a NAT per AZ
        ("private", "a", 3), ("private", "b", 3), ("private", "c", 3),  # ASG max 9 over 3 AZs
        ("isolated", "a", 1), ("isolated", "b", 1), ("isolated", "c", 1),  # writer, 2 readers
    ]  # fmt: skip


def test_plan_warns_when_a_tier_runs_short(tmp_path):
    config = copy.deepcopy(CDK_JSON)
    config["context"][ENVIRONMENTS_KEY]["dev"].update(
        {"cidr": "10.0.0.0/24", "public_mask": 28, "private_mask": 28, "isolated_mask": 28,
         "app_max_capacity": 30}
    )  # fmt: skip
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps(config))
    rows = plan_of("dev", cdk_json)
    public_a = rows[0]
    assert (public_a["usable"], public_a["used"], public_a["free"]) == (11, 9, 2)
    assert "load balancer cannot scale out" in public_a["warning"]
    private = [r for r in rows if r["tier"] == "private"]
    assert all(r["free"] == -4 and r["warning"] == "short by 4 addresses" for r in private)
    human = run("plan", "--env", "dev", "--cdk-json", str(cdk_json))
    assert "short by 4 addresses" in human.output


# --- review -------------------------------------------------------------------------------------


def test_every_rule_that_fires_has_a_pillar(built_app):
    both = built_app(env="dev,prod")
    rules = {row["rule"] for row in acknowledgments(both.outdir)}
    assert rules, "no acknowledged findings found"
    unmapped = sorted(rule for rule in rules if rule_pillar(rule) is None)
    assert not unmapped, f"map these rules in wellstack.analysis.review.RULE_PILLARS: {unmapped}"
    assert set(RULE_PILLARS.values()) <= {
        "security", "reliability", "performance efficiency", "cost optimization",
        "operational excellence",
    }  # fmt: skip


def test_review_of_the_default_app(dev_app, tmp_path):
    page = tmp_path / "review.html"
    result = run("review", str(dev_app.outdir), "--json", "--html", str(page))
    assert result.exit_code == 0, result.output
    review = json.loads(result.stdout)
    pillars = review["pillars"]
    assert list(pillars) == [
        "security", "reliability", "performance efficiency", "cost optimization",
        "operational excellence", "sustainability",
    ]  # fmt: skip
    assert review["unmapped"] == []
    reliability = [f["id"] for f in pillars["reliability"]["findings"]]
    assert reliability == ["nat-per-az"]  # dev runs one NAT gateway: the honest finding
    # t3.micro on the app tier: an opportunity (Graviton), not a risk.
    assert [f["id"] for f in pillars["cost optimization"]["advice"]] == ["graviton"]
    assert not pillars["cost optimization"]["findings"]
    assert not pillars["security"]["findings"]
    acknowledged = {a["rule"] for a in pillars["security"]["acknowledged"]}
    assert "AwsSolutions-EC23" in acknowledged
    text = page.read_text()
    assert text.startswith("<!doctype html>") and "<script" not in text and "://" not in text
    assert "AwsSolutions-EC23" in text


def test_review_reports_unacknowledged_findings(tmp_path, dev_app):
    out = tmp_path / "cdk.out"
    out.mkdir()
    for file in dev_app.outdir.glob("*.json"):
        (out / file.name).write_text(file.read_text())
    (out / "validation-report.json").write_text(json.dumps({"pluginReports": [{
        "pluginName": "AwsSolutions", "violations": [{
            "ruleName": "AwsSolutions-S10", "description": "TLS not required",
            "violatingConstructs": [{"constructPath": "X/Bucket"}]}]}]}))  # fmt: skip
    review = json.loads(run("review", str(out), "--json").stdout)
    assert [f["rule"] for f in review["pillars"]["security"]["findings"]] == ["AwsSolutions-S10"]


# --- cost ---------------------------------------------------------------------------------------

SMALL = {
    "Resources": {
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
        "Eip": {"Type": "AWS::EC2::EIP", "Properties": {}},
        "Lb": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {"Scheme": "internet-facing", "Subnets": ["a", "b"]},
        },
        "Lt": {
            "Type": "AWS::EC2::LaunchTemplate",
            "Properties": {
                "LaunchTemplateData": {
                    "InstanceType": "t3.micro",
                    "BlockDeviceMappings": [{"Ebs": {"VolumeSize": 10}}],
                }
            },
        },
        "Asg": {
            "Type": "AWS::AutoScaling::AutoScalingGroup",
            "Properties": {
                "MinSize": "1",
                "MaxSize": "4",
                "DesiredCapacity": "2",
                "LaunchTemplate": {"LaunchTemplateId": {"Ref": "Lt"}},
            },
        },
        "Db": {"Type": "AWS::RDS::DBCluster", "Properties": {"ManageMasterUserPassword": True}},
        "W": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": "db.r6g.large"}},
        "R": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": "db.r6g.large"}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "Tiering",
                            "Transitions": [
                                {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
                                {"StorageClass": "GLACIER", "TransitionInDays": 90},
                            ],
                        }
                    ]
                }
            },
        },
    }
}


def write_app(folder: Path, template: Any, region: str = "us-east-1") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Small.template.json").write_text(
        template if isinstance(template, str) else json.dumps(template)
    )
    (folder / "manifest.json").write_text(json.dumps({"artifacts": {"Small": {
        "type": "aws:cloudformation:stack", "environment": f"aws://unknown-account/{region}",
        "properties": {"templateFile": "Small.template.json"}}}}))  # fmt: skip
    return folder


def test_cost_of_a_small_hand_checked_template(tmp_path):
    out = write_app(tmp_path / "small", SMALL)
    result = run("cost", str(out), "--json")
    assert result.exit_code == 0, result.output
    estimate = json.loads(result.stdout)
    lines = {line["item"]: line["monthly_usd"] for line in estimate["lines"]}
    assert lines == {
        "NAT gateways": 32.85,  # 730 h x 0.045
        "NAT data processing": 4.5,  # 100 GB x 0.045
        "Public IPv4 addresses": 10.95,  # (1 EIP + 2 ALB subnets) x 730 h x 0.005
        "Application Load Balancers": 16.43,  # 730 x 0.0225 = 16.425
        "Load balancer capacity units": 5.84,  # 1 LCU x 730 x 0.008
        "EC2 t3.micro": 15.18,  # 2 x 730 x 0.0104
        "EBS gp3 root volumes": 1.6,  # 2 x 10 GB x 0.08
        "Aurora db.r6g.large": 379.6,  # 2 x 730 x 0.26
        "Aurora storage": 2.0,  # 20 GB x 0.10
        "KMS keys": 1.0,
        "Secrets Manager secrets": 0.4,  # the RDS-managed master secret
        "CloudWatch Logs ingestion": 2.5,  # 5 GB x 0.50
        "CloudWatch Logs storage": 0.15,  # 5 GB x 30/30 months x 0.03
        "S3 STANDARD": 0.19,  # 100 GB x 30/365 x 0.023
        "S3 STANDARD_IA": 0.21,  # 100 GB x 60/365 x 0.0125
        "S3 GLACIER": 0.27,  # 100 GB x 275/365 x 0.0036
    }
    assert estimate["total_monthly_usd"] == round(sum(lines.values()), 2) == 473.67
    assert estimate["region"] == "us-east-1"
    assert estimate["assumptions"]["nat_gb"] == 100
    assert all("aws.amazon.com" in source for source in estimate["price_sources"].values())


def test_cost_assumptions_are_flags(tmp_path):
    out = write_app(tmp_path / "small", SMALL)
    estimate = json.loads(run("cost", str(out), "--json", "--nat-gb", "1000").stdout)
    lines = {line["item"]: line["monthly_usd"] for line in estimate["lines"]}
    assert lines["NAT data processing"] == 45.0


def test_cost_compare(tmp_path):
    base = write_app(tmp_path / "base", SMALL)
    bigger = copy.deepcopy(SMALL)
    bigger["Resources"]["Nat2"] = {"Type": "AWS::EC2::NatGateway", "Properties": {}}
    other = write_app(tmp_path / "other", bigger)
    result = json.loads(run("cost", str(base), "--compare", str(other), "--json").stdout)
    changed = {row["item"]: row["difference_usd"] for row in result["difference"]
               if row["difference_usd"]}  # fmt: skip
    assert changed == {"NAT gateways": 32.85}
    human = run("cost", str(base), "--compare", str(other))
    assert "730 -> 1460 NAT gateway-hours" in human.output


def test_cost_of_dev_vs_prod(built_app):
    dev, prod = built_app(), built_app(env="prod")
    result = json.loads(
        run("cost", str(dev.outdir), "--compare", str(prod.outdir), "--json").stdout
    )
    assert result["other"]["total_monthly_usd"] > result["base"]["total_monthly_usd"]
    changed = {row["item"] for row in result["difference"] if row["difference_usd"]}
    assert {"NAT gateways", "Aurora db.r6g.large", "EC2 m7g.large"} <= changed


def test_tier_fractions():
    assert tier_fractions([("STANDARD_IA", 30), ("GLACIER", 90)], 365) == {
        "STANDARD": 30 / 365,
        "STANDARD_IA": 60 / 365,
        "GLACIER": 275 / 365,
    }
    assert tier_fractions([("GLACIER", 90)], 60) == {"STANDARD": 1.0}


# --- bad input: one line on stderr, exit code 2 -------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ("cost", "{missing}"), "is not a synthesized cloud assembly"),
        ("small", ("cost", "{out}", "--region", "mars-1"), "no prices for region 'mars-1'"),
        ("broken", ("cost", "{out}"), "is not valid JSON"),
        ("broken", ("review", "{out}"), "is not valid JSON"),
        (None, ("review", "{missing}"), "is not a synthesized cloud assembly"),
        (None, ("plan", "--env", "qa"), "unknown environment 'qa'"),
        (None, ("plan", "--cdk-json", "{missing}"), "not found"),
        ("small", ("deploy", "--assembly", "{out}"), "expected the stacks of environment 'dev'"),
        ("small", ("sandbox", "up", "--env", "prod", "--assembly", "{out}"), "environment 'prod'"),
        ("broken", ("deploy", "--sandbox", "--assembly", "{out}"), "is not valid JSON"),
        (None, ("deploy", "--assembly", "{missing}"), "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, setup, args, message):
    out = tmp_path / "cdk.out"
    if setup == "small":
        write_app(out, SMALL)
    elif setup == "broken":
        write_app(out, "{not json")
    args = tuple(a.format(out=out, missing=tmp_path / "nothing") for a in args)
    script = Path(sys.executable).parent / "wellstack"
    result = subprocess.run([str(script), *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


# --- deploy-side commands: the environment and the emulator, one line each -----------------------


def run_errors(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    "command",
    [
        ("sandbox", "up"),
        ("sandbox", "down"),
        ("sandbox", "summary"),
        ("guard",),
        ("guard", "--sandbox"),
        ("deploy",),
        ("deploy", "--sandbox"),
        ("destroy",),
        ("bootstrap",),
    ],
)
def test_unknown_environment_lists_the_known_ones(command):
    result = run_errors(*command, "--env", "nope")
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "unknown environment 'nope'" in result.stderr
    assert "defines dev, prod" in result.stderr
    assert result.stdout == ""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "command",
    [("sandbox", "down"), ("sandbox", "summary"), ("guard", "--sandbox"), ("destroy", "--sandbox")],
)
def test_emulator_not_running_says_how_to_start_it(command):
    """No server on the port: one line with the next step, before anything else is printed
    (no "what a destroy keeps" list, no botocore traceback)."""
    result = run_errors(*command, "--port", str(free_port()))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "the sandbox emulator is not running on port" in result.stderr
    assert "make sandbox" in result.stderr
    assert result.stdout == ""


def test_a_stale_pid_file_points_at_the_log(tmp_path):
    from wellstack.emulator.server import Emulator, EmulatorError

    emulator = Emulator(free_port(), tmp_path)
    emulator.pid_file.write_text("999999")  # a process that does not exist
    with pytest.raises(EmulatorError, match=r"it stopped; its log is .*moto\.log"):
        emulator.require_running()
    assert not emulator.pid_file.exists()


def test_a_port_another_process_holds_asks_for_another(tmp_path):
    import socket

    from wellstack.emulator.server import Emulator, EmulatorError

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        emulator = Emulator(holder.getsockname()[1], tmp_path)
        with pytest.raises(EmulatorError, match=r"is taken by another process.*SANDBOX_PORT"):
            emulator.start(timeout=5)
