"""Every reproducer of the bad-input campaign (issue 16), as a consumer calls the library: each
must be a ``ValueError`` (``WellstackError``) naming the prop — or the environment and cdk.json
key — the value, and what is allowed; never a jsii stack trace, a Python error naming nothing,
or a template AWS would reject at deploy time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3

from wellstack.constructs import (
    AppTier,
    AuroraCluster,
    Network,
    TieredBucket,
    TierSecurityGroups,
)
from wellstack.errors import WellstackError
from wellstack.settings import parse_environment

REGION = "ap-northeast-2"
AZS = ["ap-northeast-2a", "ap-northeast-2c"]


def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "S", env=cdk.Environment(region=REGION))


def network(scope: cdk.Stack) -> Network:
    return Network(scope, "Net", availability_zones=AZS, flow_logs=False)


def app_tier(**props: Any) -> None:
    scope = stack()
    net = network(scope)
    groups = TierSecurityGroups(scope, "Sg", vpc=net.vpc)
    AppTier(scope, "App", **{"vpc": net.vpc, "security_groups": groups, **props})


def aurora(**props: Any) -> None:
    scope = stack()
    AuroraCluster(scope, "Db", **{"vpc": network(scope).vpc, "readers": 0, **props})


def bucket(**props: Any) -> None:
    TieredBucket(stack(), "B", **props)


def net(**props: Any) -> None:
    Network(stack(), "N", **{"availability_zones": AZS, **props})


def security_groups(**props: Any) -> None:
    scope = stack()
    TierSecurityGroups(scope, "Sg", **{"vpc": network(scope).vpc, **props})


MINIMAL = {"region": REGION, "availability_zones": AZS}


def settings(name: str = "dev", **keys: Any) -> None:
    parse_environment(name, {**MINIMAL, **keys})


#: (id, call, words the message must contain)
REPRODUCERS: list[tuple[str, Callable[[], None], tuple[str, ...]]] = [
    # jsii stack traces before
    ("malformed instance type", lambda: app_tier(instance_type="zz.large"),
     ("instance_type", "'zz.large'")),
    ("netmask ingress cidr", lambda: security_groups(web_ingress_cidr="0.0.0.0/0.0.0.0"),
     ("web_ingress_cidr", "0.0.0.0/0.0.0.0")),
    ("string vpc", lambda: app_tier(vpc="vpc-123"), ("vpc", "'vpc-123'", "IVpc")),
    ("int security group", lambda: aurora(security_group=7), ("security_group", "ISecurityGroup")),
    ("string encryption key", lambda: aurora(encryption_key="arn:aws:kms:x"),
     ("encryption_key", "IKey")),
    ("string bucket key", lambda: bucket(encryption_key="alias/x"), ("encryption_key", "IKey")),
    ("string certificate", lambda: app_tier(certificate="arn:aws:acm:x"),
     ("certificate", "ICertificate")),
    ("string log bucket", lambda: app_tier(access_logs_bucket="logs"),
     ("access_logs_bucket", "IBucket")),
    ("bool monitoring interval", lambda: aurora(monitoring_interval_seconds=True),
     ("monitoring_interval_seconds", "True")),
    # Python errors that named nothing
    ("vpc None", lambda: app_tier(vpc=None), ("vpc", "None")),
    ("aurora vpc None", lambda: aurora(vpc=None), ("vpc", "None")),
    ("security groups vpc None", lambda: security_groups(vpc=None), ("vpc", "None")),
    ("security_groups string", lambda: app_tier(security_groups="sg-123"),
     ("security_groups", "'sg-123'", "TierSecurityGroups")),
    ("int tag key", lambda: settings(tags={1: "x"}), ("environment 'dev'", "tags", "1")),
    ("list storage class", lambda: bucket(transitions=[(["GLACIER"], 90)]),
     ("transitions[0]", "storage class")),
    ("int engine version", lambda: aurora(engine_version=17), ("engine_version", "17")),
    ("bad noncurrent storage class", lambda: bucket(noncurrent_transitions=[("TAPE", 30)]),
     ("noncurrent_transitions[0]", "'TAPE'")),
    # invalid input accepted before
    ("AZ of another region", lambda: net(availability_zones=["us-east-1a", "us-east-1b"]),
     ("availability_zones", "us-east-1a", REGION)),
    ("AZ with spaces", lambda: net(availability_zones=[" ap-northeast-2a", "ap-northeast-2c"]),
     ("availability_zones", "' ap-northeast-2a'")),
    ("AZ with newline", lambda: net(availability_zones=["ap-northeast-2a\n", "ap-northeast-2c"]),
     ("availability_zones",)),
    ("AZ twice in two cases",
     lambda: net(availability_zones=["ap-northeast-2a", "AP-NORTHEAST-2A"]),
     ("availability_zones",)),
    ("aurora port below 1150", lambda: aurora(port=1000), ("port", "1000", "1150")),
    ("backup window newline", lambda: aurora(preferred_backup_window="03:00-04:00\n"),
     ("preferred_backup_window",)),
    ("maintenance window newline",
     lambda: aurora(preferred_maintenance_window="sun:05:00-sun:06:00\n"),
     ("preferred_maintenance_window",)),
    ("health path newline", lambda: app_tier(health_check_path="/health\n"),
     ("health_check_path",)),
    ("account newline", lambda: settings(account="123456789012\n"), ("account",)),
    ("account non-ASCII digits", lambda: settings(account="١٢٣٤٥٦٧٨٩٠١٢"), ("account",)),
    ("region newline", lambda: settings(region="ap-northeast-2\n"), ("region",)),
    ("environment name newline", lambda: settings("dev\n"), ("environment",)),
    ("netmask VPC cidr", lambda: net(cidr="10.0.0.0/255.255.0.0"), ("cidr", "255.255.0.0")),
    ("day count beyond S3's limit", lambda: bucket(expiration_days=2**64),
     ("expiration_days", str(2**64))),
    ("aws: tag key", lambda: settings(tags={"aws:owner": "x"}), ("tags", "aws:")),
    ("long tag value", lambda: settings(tags={"owner": "x" * 257}), ("tags", "256")),
    ("string false for a bool", lambda: net(flow_logs="false"), ("flow_logs", "'false'")),
    ("aurora m5 class", lambda: aurora(instance_type="m5.large"), ("instance_type", "m5.large")),
    ("db. prefix class", lambda: aurora(instance_type="db.serverless"),
     ("instance_type", "db.serverless")),
    ("unknown engine version", lambda: aurora(engine_version="3.99.99"),
     ("engine_version", "3.99.99")),
    # environment keys, at parse time, under their cdk.json names
    ("db_readers 16", lambda: settings(db_readers=16), ("environment 'dev'", "db_readers", "16")),
    ("log_retention_days 7.5", lambda: settings(log_retention_days=7.5),
     ("environment 'dev'", "log_retention_days")),
    ("log_retention_days 8", lambda: settings(log_retention_days=8),
     ("environment 'dev'", "log_retention_days", "8")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "words"), [(c, w) for _, c, w in REPRODUCERS], ids=[i for i, _, _ in REPRODUCERS]
)
def test_reproducer_is_a_clear_error(call, words):
    with pytest.raises(WellstackError) as caught:
        call()
    message = str(caught.value)
    for word in words:
        assert word in message, message
    assert "jsii" not in message and "Traceback" not in message
    # The problem is about the prop (or cdk.json key) the reproducer names first: its code and
    # prop say so, not only its words.
    prop = next((w for w in words if not w.startswith("environment '")), "").split("[")[0]
    props = {p.split("[")[0] for problem in caught.value.details for p in problem.props}
    assert prop in props or prop == "environment", caught.value.codes()


def test_fixed_size_app_tier_has_no_scaling_policy():
    """min == max: nothing to scale, so no target-tracking policy (cfn-lint E3712 before)."""
    scope = stack()
    vpc = network(scope)
    groups = TierSecurityGroups(scope, "Sg", vpc=vpc.vpc)
    AppTier(scope, "App", vpc=vpc.vpc, security_groups=groups, min_capacity=2, max_capacity=2)
    template = cdk.assertions.Template.from_stack(scope).to_json()
    types = {r["Type"] for r in template["Resources"].values()}
    assert "AWS::AutoScaling::ScalingPolicy" not in types


OPT_OUTS: dict[str, tuple[Callable[[cdk.Stack], Any], str]] = {
    "deletion_protection": (
        lambda scope: AuroraCluster(
            scope, "Db", vpc=network(scope).vpc, readers=0, deletion_protection=False
        ),
        "deletion_protection=False",
    ),
    "backup_plan": (
        lambda scope: AuroraCluster(
            scope, "Db", vpc=network(scope).vpc, readers=0, backup_plan=False
        ),
        "backup_plan=False",
    ),
    "monitoring": (
        lambda scope: AuroraCluster(
            scope, "Db", vpc=network(scope).vpc, readers=0, monitoring_interval_seconds=0
        ),
        "monitoring_interval_seconds=0",
    ),
    "versioned": (lambda scope: TieredBucket(scope, "B", versioned=False), "versioned=False"),
}


@pytest.mark.parametrize("opt_out", list(OPT_OUTS))
def test_an_explicit_opt_out_is_acknowledged_on_its_construct(opt_out):
    """Under every pack (AwsSolutions, NIST 800-53 R5, Control Tower as errors), an opt-out
    synthesizes, and each finding it causes is acknowledged with the prop that chose it."""
    from wellstack.compliance import apply_packs

    build, choice = OPT_OUTS[opt_out]
    app = cdk.App(context={"@aws-cdk/core:validateAgainstDefaultRules": True})
    scope = cdk.Stack(app, "S", env=cdk.Environment(region=REGION))
    build(scope)
    apply_packs(app, ["NIST80053R5", "ControlTower"])
    app.synth()  # an unacknowledged finding fails this synth
    template = cdk.assertions.Template.from_stack(scope).to_json()
    reasons = [
        suppression["reason"]
        for resource in template["Resources"].values()
        for suppression in resource.get("Metadata", {})
        .get("cdk_nag", {})
        .get("rules_to_suppress", [])
    ]
    assert any(choice in reason for reason in reasons), reasons


def test_an_existing_vpc_of_another_type_is_named():
    with pytest.raises(WellstackError, match=r"vpc .*IVpc"):
        app_tier(vpc=s3.Bucket)
    assert ec2  # the module the types come from


# --- the command ------------------------------------------------------------------------------


def command(*args: str) -> Any:
    from click.testing import CliRunner

    from wellstack.cli import main

    return CliRunner().invoke(main, list(args))


@pytest.fixture
def small(tmp_path):
    from tests.test_cli import SMALL, write_app

    def write(change: Callable[[dict[str, Any]], None] | None = None) -> str:
        import copy

        template = copy.deepcopy(SMALL)
        if change:
            change(template["Resources"])
        return str(write_app(tmp_path / "app", template))

    return write


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--nat-gb", "-5", ("--nat-gb", "'-5'", "from 0 to")),
        ("--s3-age-days", "-1", ("--s3-age-days", "-1")),
        ("--alb-lcu", "nan", ("--alb-lcu", "'nan'")),
        ("--alb-lcu", "1e306", ("--alb-lcu", "from 0 to 1e+09")),
    ],
)
def test_cost_flags_out_of_range_are_one_line(small, flag, value, words):
    result = command("cost", small(), "--json", flag, value)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert all(word in result.stderr for word in words), result.stderr


#: (change to the template, the commands that read what changed, words of the one line)
MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], tuple[str, ...], tuple[str, ...]]] = {
    "resource a string": (
        lambda r: r.update(Bad="oops"),
        ("cost", "review"),
        ("Small.template.json", "resource Bad", "'oops'"),
    ),
    "MinSize abc": (
        lambda r: r["Asg"]["Properties"].update(MinSize="abc", DesiredCapacity=None),
        ("cost", "review"),
        ("Small.template.json", "resource Asg", "MinSize", "'abc'"),
    ),
    "mappings a bool": (
        lambda r: r["Lt"]["Properties"]["LaunchTemplateData"].update(BlockDeviceMappings=True),
        ("cost", "review"),
        ("resource Lt", "LaunchTemplateData.BlockDeviceMappings must be a list"),
    ),
    "transition day x": (
        lambda r: r["Bucket"]["Properties"]["LifecycleConfiguration"]["Rules"][0]["Transitions"][
            0
        ].update(TransitionInDays="x"),
        ("cost",),
        ("resource Bucket", "TransitionInDays must be a number", "'x'"),
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("verb", ["cost", "review"])
def test_malformed_templates_are_one_line_naming_file_and_resource(small, verb, case):
    change, readers, words = MALFORMED[case]
    result = command(verb, small(change), "--json")
    if verb not in readers:  # the command never reads the malformed value: it works
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert all(word in result.stderr for word in words), result.stderr


@pytest.mark.parametrize(
    "instance_type", ["x99.huge", {"Ref": "InstanceTypeParameter"}, None], ids=str
)
def test_review_says_unknown_for_what_it_cannot_judge(small, instance_type):
    def change(resources: dict[str, Any]) -> None:
        data = resources["Lt"]["Properties"]["LaunchTemplateData"]
        if instance_type is None:
            resources["Lt"]["Properties"] = {}
        else:
            data["InstanceType"] = instance_type

    import json as json_

    result = command("review", small(change), "--json")
    assert result.exit_code == 0, result.output
    checks = {
        check["id"]: check["status"]
        for pillar in json_.loads(result.stdout)["pillars"].values()
        for kind in ("passed", "findings", "unknown")
        for check in pillar[kind]
    }
    assert checks["instance-generation"] == "unknown"
    assert checks["graviton"] == "unknown"
    if instance_type is None:
        assert checks["imdsv2"] == "unknown"
