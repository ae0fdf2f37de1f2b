"""A DR region that serves (issue 31): ProdDrApp in Tokyo (the app tier at dr_app_capacity, its
ALB, alarms, the secret replica's access), Route 53 failover records with a health check on the
primary, the runbooks (`wellstack failover`/`failback`), the region drill (`plan
--fail-region`) and review's DR posture; bad settings and props as clear errors."""

from __future__ import annotations

import copy
import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CDK_JSON
from wellstack.analysis.dr import fail_region, posture, runbook
from wellstack.analysis.review import run_checks
from wellstack.analysis.template import Assembly, flat
from wellstack.cli import main
from wellstack.constructs.failover import FailoverRecords
from wellstack.errors import WellstackError
from wellstack.settings import ENVIRONMENTS_KEY, parse_environment

SEOUL, TOKYO = "ap-northeast-2", "ap-northeast-1"
PROD = CDK_JSON["context"][ENVIRONMENTS_KEY]["prod"]


@pytest.fixture(scope="module")
def prod(built_app):
    return built_app(env="prod")


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


# --- the DR app tier ----------------------------------------------------------------------------


def test_prod_dr_app_serves_from_tokyo_at_dr_app_capacity(prod):
    manifest = json.loads((prod.outdir / "manifest.json").read_text())
    artifact = manifest["artifacts"]["ProdDrApp"]
    assert artifact["environment"].endswith(f"/{TOKYO}")
    assert {"ProdDrNetwork", "ProdDrData", "ProdData", "ProdApp"} <= set(artifact["dependencies"])
    template = prod.template("ProdDrApp")
    (group,) = resources(template, "AWS::AutoScaling::AutoScalingGroup").values()
    assert group["Properties"]["MinSize"] == str(PROD["dr_app_capacity"]) == "0"
    assert group["Properties"]["MaxSize"] == str(PROD["app_max_capacity"])
    assert group["Properties"]["AvailabilityZones"] == PROD["dr_availability_zones"]
    (lb,) = resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert lb["Properties"]["Scheme"] == "internet-facing"
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    # The primary tier's alarms, by name, to a topic of this stack.
    primary = resources(prod.template("ProdApp"), "AWS::CloudWatch::Alarm")
    rules = {"LoadBalancer5xx", "Target5xx", "NoHealthyHosts", "InServiceBelowMinimum"}
    for rule in rules:
        assert any(rule in k for k in alarms) and any(rule in k for k in primary), rule
    topics = set(resources(template, "AWS::SNS::Topic"))
    notifying = [a for k, a in alarms.items() if any(rule in k for rule in rules)]
    assert len(notifying) == len(rules)
    for alarm in notifying:  # (the instance refresh's gate alarms notify nobody, as in ProdApp)
        assert {flat(a) for a in alarm["Properties"]["AlarmActions"]} <= {
            flat({"Ref": t}) for t in topics
        }


def test_a_pilot_light_is_not_an_alarm_until_the_group_wants_hosts(prod):
    """With the group at 0, NoHealthyHosts counts healthy hosts only while the group's desired
    capacity is above 0; the primary (min 3) alarms on the healthy count itself."""
    (dr,) = [a for k, a in resources(prod.template("ProdDrApp"), "AWS::CloudWatch::Alarm").items()
             if "NoHealthyHosts" in k]  # fmt: skip
    expressions = [m.get("Expression") for m in dr["Properties"]["Metrics"]]
    assert "IF(FILL(desired, 0) > 0, FILL(healthy, 0), 1)" in expressions
    app_alarms = resources(prod.template("ProdApp"), "AWS::CloudWatch::Alarm")
    (primary,) = [a for k, a in app_alarms.items()
                  if "NoHealthyHosts" in k]  # fmt: skip
    assert primary["Properties"]["MetricName"] == "HealthyHostCount"


def test_the_dr_app_reads_the_secret_replica_in_its_region(prod):
    template = prod.template("ProdDrApp")
    (policy,) = [p for p in resources(template, "AWS::IAM::ManagedPolicy").values()
                 if "secret" in p["Properties"]["Description"]]  # fmt: skip
    read, decrypt = policy["Properties"]["PolicyDocument"]["Statement"]
    (secret,) = resources(prod.template("ProdData"), "AWS::SecretsManager::Secret").values()
    name = secret["Properties"]["Name"]
    assert flat(read["Resource"]).endswith(f":secret:{name}-??????")
    assert f"secretsmanager:{TOKYO}:" in flat(read["Resource"])
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == (
        f"secretsmanager.{TOKYO}.amazonaws.com"
    )
    assert "ProdDrNetwork" in json.dumps(decrypt["Resource"])  # the replica's key
    # The secret replicates to Tokyo, where this stack reads it.
    assert [r["Region"] for r in secret["Properties"]["ReplicaRegions"]] == [TOKYO]
    outputs = template["Outputs"]
    assert {"DatabaseEndpoint", "ReaderEndpoint", "DatabaseSecretName"} <= set(outputs)
    assert outputs["DatabaseSecretName"]["Value"] == name


# --- the traffic switch -------------------------------------------------------------------------


def test_failover_records_answer_the_primary_while_its_health_check_passes(prod):
    app, dr = prod.template("ProdApp"), prod.template("ProdDrApp")
    (check,) = resources(app, "AWS::Route53::HealthCheck").values()
    config = check["Properties"]["HealthCheckConfig"]
    assert (config["Type"], config["ResourcePath"], config["Port"]) == ("HTTP", "/health", 80)
    (lb_id,) = resources(app, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert config["FullyQualifiedDomainName"] == {"Fn::GetAtt": [lb_id, "DNSName"]}
    (primary,) = resources(app, "AWS::Route53::RecordSet").values()
    (secondary,) = resources(dr, "AWS::Route53::RecordSet").values()
    for record, role in ((primary, "PRIMARY"), (secondary, "SECONDARY")):
        props = record["Properties"]
        assert props["Failover"] == role
        assert props["Name"] == PROD["dr_domain_name"] + "."
        assert props["HostedZoneId"] == PROD["dr_hosted_zone_id"]
        assert props["AliasTarget"]["EvaluateTargetHealth"] is True
    assert primary["Properties"]["HealthCheckId"] == {"Ref": next(iter(resources(
        app, "AWS::Route53::HealthCheck")))}  # fmt: skip
    assert "HealthCheckId" not in secondary["Properties"]
    assert primary["Properties"]["SetIdentifier"] != secondary["Properties"]["SetIdentifier"]
    (dr_lb,) = resources(dr, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert dr_lb in json.dumps(secondary["Properties"]["AliasTarget"])


def _dr_checks(templates: dict[str, Any], regions: dict[str, str]) -> dict[str, Any]:
    assembly = Assembly.from_templates(templates, regions)
    return {c.id: c for c in run_checks(assembly) if c.id == "dr-posture"}


def test_review_names_the_posture(prod, built_app):
    assembly = Assembly.load(prod.outdir)
    templates = copy.deepcopy(assembly.templates)
    (check,) = _dr_checks(templates, assembly.regions).values()
    assert check.status == "pass" and check.detail.startswith(f"pilot light in {TOKYO}")
    for group in resources(templates["ProdDrApp"], "AWS::AutoScaling::AutoScalingGroup").values():
        group["Properties"]["MinSize"] = "2"
    (check,) = _dr_checks(templates, assembly.regions).values()
    assert check.detail.startswith("warm standby") and "2 instance(s)" in check.detail
    for record in resources(templates["ProdDrApp"], "AWS::Route53::RecordSet"):
        del templates["ProdDrApp"]["Resources"][record]
    (check,) = _dr_checks(templates, assembly.regions).values()
    assert check.status == "advice" and "DNS moves by hand" in check.detail
    del templates["ProdDrApp"]
    (check,) = _dr_checks(templates, assembly.regions).values()
    assert check.status == "advice" and check.detail.startswith("backup-restore")
    assert not _dr_checks(Assembly.load(built_app().outdir).templates, {})  # dev: no DR


# --- the runbooks -------------------------------------------------------------------------------


def test_failover_plan_lists_the_steps_and_what_they_act_on():
    result = run("failover", "--env", "prod", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["posture"] == "pilot-light"
    steps = data["steps"]
    assert [s["key"] for s in steps] == ["scale-dr-app", "promote-database", "shift-traffic"]
    assert steps[0]["parameters"] == {"min": PROD["app_min_capacity"],
                                      "desired": PROD["app_min_capacity"]}  # fmt: skip
    assert steps[0]["targets"] == [f"ProdDrApp: AWS::AutoScaling::AutoScalingGroup ({TOKYO})"]
    assert "FailoverGlobalCluster (AllowDataLoss=true)" in steps[1]["action"]
    assert f"ProdData: wellstack-prod-global ({SEOUL})" in steps[1]["targets"]
    assert steps[2]["parameters"] == {"inverted": True}
    assert f"ProdApp: AWS::Route53::HealthCheck ({SEOUL})" in steps[2]["targets"]
    planned = json.loads(run("failover", "--env", "prod", "--switchover", "--json").output)
    assert planned["steps"][1]["action"] == "rds:SwitchoverGlobalCluster"
    text = run("failover", "--env", "prod")
    assert "nothing was changed" in text.output and "UpdateHealthCheck" in text.output


def test_failback_reverses_the_failover():
    data = json.loads(run("failback", "--env", "prod", "--json").output)
    keys = [s["key"] for s in data["steps"]]
    assert keys == ["check-primary-member", "promote-primary", "shift-traffic", "scale-dr-app"]
    assert data["steps"][2]["parameters"] == {"inverted": False}
    assert data["steps"][3]["parameters"]["desired"] == PROD["dr_app_capacity"]


def test_without_a_domain_traffic_is_a_manual_step():
    raw = {k: v for k, v in PROD.items() if k not in ("dr_domain_name", "dr_hosted_zone_id")}
    steps = runbook(parse_environment("prod", raw), "failover")
    assert steps[-1].action == "manual" and "LoadBalancerUrl" in steps[-1].check


@pytest.mark.parametrize(
    "args",
    [
        ("failover", "--env", "dev"),
        ("failover", "--env", "nope"),
        ("failover", "--env", "prod", "--wait", "-1"),
        ("failback", "--env", "prod", "--bogus"),
    ],
)
def test_bad_runbook_input_is_one_line_and_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_execute_without_credentials_is_one_line_and_exit_2(monkeypatch, tmp_path):
    for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = run("failover", "--env", "prod", "--execute")
    assert result.exit_code == 2, result.output
    assert "no usable AWS credentials" in result.output
    assert len(result.output.strip().splitlines()) == 1


# --- the region drill ---------------------------------------------------------------------------


def test_fail_region_prints_rto_and_rpo_per_tier(prod):
    result = run("plan", "--env", "prod", "--fail-region", SEOUL, "--json",
                 "--cdk-out", str(prod.outdir))  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    tiers = {t["tier"]: t for t in data["tiers"]}
    assert set(tiers) == {"network", "database", "app tier", "assets", "backups", "traffic"}
    assert all(t["survives"] for t in tiers.values())
    assert tiers["database"]["rpo_seconds"] == 1
    assert tiers["assets"]["rpo_seconds"] == 15 * 60
    # Pilot light: the traffic moves after the instances serve and the health check fails.
    assert tiers["traffic"]["rto_seconds"] > tiers["app tier"]["rto_seconds"] > 0
    assert data["dr_monthly_usd"]["total_usd"] > 100
    assert {"ProdDrApp", "ProdDrData", "ProdDrNetwork"} == set(data["dr_monthly_usd"]["stacks"])


def test_a_warm_standby_serves_at_once_and_no_dr_loses_every_tier():
    warm = parse_environment("prod", {**PROD, "dr_app_capacity": 2})
    assert posture(warm) == "warm-standby"
    (app,) = [t for t in fail_region(warm, SEOUL) if t.tier == "app tier"]
    assert app.rto_seconds == 0
    dev = run("plan", "--env", "dev", "--fail-region", SEOUL, "--json")
    assert dev.exit_code == 1
    assert not any(t["survives"] for t in json.loads(dev.output)["tiers"])
    wrong = run("plan", "--env", "prod", "--fail-region", TOKYO)
    assert wrong.exit_code == 2 and "not environment 'prod''s primary region" in wrong.output


# --- bad settings and props ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"dr_app_capacity": 10}, ("'dr_app_capacity'", "must not exceed app_max_capacity (9)")),
        ({"dr_app_capacity": -1}, ("'dr_app_capacity'", "-1")),
        ({"dr_app_capacity": "2"}, ("'dr_app_capacity'", "integer")),
        ({"dr_switch": "arc"}, ("'dr_switch'",)),  # not a key (see docs/dr.md, ARC)
        ({"dr_domain_name": "app_example"}, ("'dr_domain_name'", "a DNS name")),
        ({"dr_hosted_zone_id": "/hostedzone/Z1"}, ("'dr_hosted_zone_id'", "hosted zone id")),
        ({"dr_hosted_zone_id": None}, ("'dr_hosted_zone_id'", "is required with dr_domain_name")),
        ({"edge": "cloudfront"}, ("'dr_domain_name'", "not supported with edge 'cloudfront'")),
        ({"dr_region": None, "dr_availability_zones": None, "dr_cidr": None},
         ("'dr_domain_name'", "needs dr_region")),
    ],
)  # fmt: skip
def test_bad_switch_settings_name_the_key(change, words):
    raw = {k: v for k, v in {**PROD, **change}.items() if v is not None}
    with pytest.raises(WellstackError) as caught:
        parse_environment("prod", raw)
    for word in words:
        assert word in str(caught.value), str(caught.value)


def alb(region: str = SEOUL) -> tuple[cdk.Stack, elbv2.ApplicationLoadBalancer]:
    stack = cdk.Stack(cdk.App(), "S", env=cdk.Environment(region=region))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=[f"{region}a", f"{region}c"])
    return stack, elbv2.ApplicationLoadBalancer(stack, "Lb", vpc=vpc, internet_facing=True)


GOOD = {"domain_name": "app.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"}


@pytest.mark.parametrize(
    ("props", "words"),
    [
        ({"domain_name": "example"}, ("domain_name", "'example'")),
        ({"hosted_zone_id": "z123"}, ("hosted_zone_id", "'z123'")),
        ({"role": "tertiary"}, ("role", "'primary', 'secondary'")),
        ({"health_check_path": "health"}, ("health_check_path", "'/'")),
        ({"health_check_port": 0}, ("health_check_port", "0")),
        ({"load_balancer": "my-alb"}, ("load_balancer", "IApplicationLoadBalancer")),
    ],
)
def test_bad_failover_props_are_clear_errors(props, words):
    stack, lb = alb()
    with pytest.raises(WellstackError) as caught:
        FailoverRecords(stack, "F", **{"load_balancer": lb, "role": "primary", **GOOD, **props})
    assert isinstance(caught.value, ValueError)
    for word in words:
        assert word in str(caught.value), str(caught.value)


def test_an_aaaa_record_needs_a_dual_stack_load_balancer():
    """An AAAA alias to an IPv4-only load balancer would deploy and answer IPv6 clients with no
    address: refused, naming both props; a dual-stack load balancer gets its AAAA record."""
    stack, lb = alb()
    with pytest.raises(WellstackError) as caught:
        FailoverRecords(stack, "F", load_balancer=lb, role="primary", ipv6=True, **GOOD)
    assert {("ipv6", "load_balancer")} == {(d.prop, *d.also) for d in caught.value.details}
    assert "IPv4-only" in str(caught.value)
    stack = cdk.Stack(cdk.App(), "D", env=cdk.Environment(region=SEOUL))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=[f"{SEOUL}a", f"{SEOUL}c"],
                  ip_protocol=ec2.IpProtocol.DUAL_STACK)  # fmt: skip
    dual = elbv2.ApplicationLoadBalancer(
        stack, "Lb", vpc=vpc, internet_facing=True, ip_address_type=elbv2.IpAddressType.DUAL_STACK
    )
    records = FailoverRecords(stack, "F", load_balancer=dual, role="primary", ipv6=True, **GOOD)
    assert [r.node.id for r in records.records] == ["A", "Aaaa"]


@settings(max_examples=25, deadline=None)
@given(
    domain=st.one_of(st.text(max_size=30), st.integers(), st.none()),
    zone=st.one_of(st.text(max_size=12), st.integers()),
)
def test_any_failover_input_is_built_or_refused_by_prop(domain, zone):
    stack, lb = alb()
    try:
        FailoverRecords(stack, "F", load_balancer=lb, role="secondary", domain_name=domain,
                        hosted_zone_id=zone)  # fmt: skip
    except WellstackError as err:
        props = {p for d in err.details for p in d.props}
        assert props and props <= {"domain_name", "hosted_zone_id"}, str(err)


def test_aws_constraints_catch_a_failover_that_cannot_fail_over(prod):
    """R53-1: a PRIMARY record with neither a health check nor EvaluateTargetHealth; R53-2: a
    health check on an internal load balancer (Route 53's checkers cannot reach it)."""
    from wellstack.analysis.constraints import evaluate

    assembly = Assembly.load(prod.outdir)
    templates = copy.deepcopy(assembly.templates)

    def found() -> set[str]:
        mutated = Assembly.from_templates(templates, assembly.regions)
        return {v.rule for v in evaluate(mutated, ["R53-1", "R53-2"])}

    assert found() == set()
    (record,) = resources(templates["ProdApp"], "AWS::Route53::RecordSet").values()
    del record["Properties"]["HealthCheckId"]
    assert found() == set()  # EvaluateTargetHealth still fails it over
    record["Properties"]["AliasTarget"]["EvaluateTargetHealth"] = False
    assert found() == {"R53-1"}
    (lb,) = resources(templates["ProdApp"], "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    lb["Properties"]["Scheme"] = "internal"
    assert found() == {"R53-1", "R53-2"}


def test_the_sandbox_refuses_an_assembly_whose_records_name_another_zone(prod):
    """moto picks its own zone ids: an assembly synthesized before (``sandbox up --assembly``)
    with cdk.json's zone would fail halfway through the deploy (NoSuchHostedZone)."""
    from wellstack.emulator.sandbox import _require_zone
    from wellstack.emulator.server import EmulatorError

    with pytest.raises(EmulatorError, match="without --assembly"):
        _require_zone(prod.outdir, "SANDBOXZONE1")
    _require_zone(prod.outdir, PROD["dr_hosted_zone_id"])  # the zone it names: deployable
