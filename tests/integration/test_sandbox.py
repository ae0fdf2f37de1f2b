"""The deploy path for real: the default environment deployed with the real CDK CLI (bootstrap,
deploy, destroy) into moto's AWS API emulator on a free loopback port, then checked **through the
AWS API**.

What moto accepts without modelling it, and is therefore left to the template assertions of the
other test modules rather than pretended here: the Aurora cluster (AWS::RDS::DBCluster), bucket
lifecycle rules, bucket policies, WAF, AWS Backup, security-group egress resources, and the
subnet route-table associations in EC2's DescribeRouteTables (moto keeps them only in
CloudFormation, which is where the summary reads them).
"""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import CDK_JSON, ROOT
from wellstack.emulator.sandbox import down, up
from wellstack.emulator.server import Emulator
from wellstack.emulator.summary import summary
from wellstack.settings import ENVIRONMENTS_KEY, parse_environments
from wellstack.subnets import DEFAULT_RESERVED_AZS, plan_subnets

pytestmark = pytest.mark.integration

SETTINGS = parse_environments(CDK_JSON["context"][ENVIRONMENTS_KEY])["dev"]
REGION = SETTINGS.region


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory):
    emulator = Emulator(free_port(), tmp_path_factory.mktemp("sandbox"))
    out = emulator.state_dir / "cdk.out"
    try:
        assert up(emulator, SETTINGS, out) == 0
        yield {"emulator": emulator, "info": summary(emulator, REGION), "out": out}
    finally:
        emulator.stop()


def network(info: dict[str, Any]) -> dict[str, Any]:
    (vpc,) = info["vpcs"]
    return vpc


def test_stacks_deployed_with_outputs(sandbox):
    stacks = sandbox["info"]["stacks"]
    assert {name: s["status"] for name, s in stacks.items()} == {
        "DevNetwork": "CREATE_COMPLETE",
        "DevData": "CREATE_COMPLETE",
        "DevApp": "CREATE_COMPLETE",
    }
    url = stacks["DevApp"]["outputs"]["LoadBalancerUrl"]
    assert url.startswith("http://") and url.endswith(".elb.amazonaws.com")


def test_vpc_and_subnets_as_planned(sandbox):
    vpc = network(sandbox["info"])
    assert vpc["cidr"] == SETTINGS.cidr
    planned = plan_subnets(
        SETTINGS.cidr,
        SETTINGS.availability_zones,
        masks=SETTINGS.subnet_masks,
        reserved_azs=DEFAULT_RESERVED_AZS,
    )
    expected = sorted(({"tier": r.tier, "az": r.az, "cidr": r.cidr} for r in planned),
                      key=lambda s: (s["tier"], s["az"]))  # fmt: skip
    assert vpc["subnets"] == expected


def test_routes_per_tier(sandbox):
    vpc = network(sandbox["info"])
    assert vpc["default_routes"] == {"isolated": ["none"], "private": ["nat"], "public": ["igw"]}
    assert vpc["nat_gateways"] == 1  # dev: nat="single"


def test_security_group_chain(sandbox):
    groups = network(sandbox["info"])["security_groups"]
    by_role = {}
    for group_id, group in groups.items():
        for role in ("Web", "App", "Database"):
            if f"SecurityGroups{role}" in group["name"]:
                by_role[role.lower()] = (group_id, group["ingress"])
    web_id, web = by_role["web"]
    app_id, app = by_role["app"]
    _, database = by_role["database"]
    assert web == [{"port": 80, "protocol": "tcp", "from": ["0.0.0.0/0"]}]
    assert app == [{"port": 80, "protocol": "tcp", "from": [web_id]}]
    assert database == [{"port": 3306, "protocol": "tcp", "from": [app_id]}]


def test_load_balancer_and_auto_scaling_group(sandbox):
    info = sandbox["info"]
    (lb,) = info["load_balancers"]
    assert lb["scheme"] == "internet-facing"
    (group,) = info["auto_scaling_groups"]
    assert (group["min"], group["max"]) == (SETTINGS.app_min_capacity, SETTINGS.app_max_capacity)
    assert len(group["subnets"]) == len(SETTINGS.availability_zones)


def test_make_guard_against_the_deployed_stacks(sandbox, tmp_path):
    """`make guard` end to end: preflight (credentials, account, bootstrap) against the emulator,
    a real synth, the deployed templates read back through CloudFormation, no finding."""
    env = sandbox["emulator"].target(REGION).cli_environment()
    result = subprocess.run(
        [
            *(sys.executable, "-m", "wellstack", "guard", "--env", "dev", "--sandbox"),
            *("--port", str(sandbox["emulator"].port), "--out", str(tmp_path)),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no stateful resource would be replaced or deleted" in result.stdout


def test_destroy_removes_the_stacks_and_keeps_the_data(sandbox):
    """Runs last (file order). moto deletes a VPC before its subnets and refuses, so the network
    stack's VPC may outlive the destroy in the emulator; CloudFormation orders deletes and does
    not have that problem. Everything else is asserted."""
    emulator = sandbox["emulator"]
    s3 = emulator.target(REGION).client("s3", REGION)
    before = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    down(emulator, SETTINGS, sandbox["out"])
    cloudformation = emulator.target(REGION).client("cloudformation", REGION)
    remaining = {s["StackName"] for s in cloudformation.describe_stacks()["Stacks"]}
    assert not remaining & {"DevApp", "DevData"}
    assert (
        not emulator.target(REGION)
        .client("elbv2", REGION)
        .describe_load_balancers()["LoadBalancers"]
    )
    autoscaling = emulator.target(REGION).client("autoscaling", REGION)
    assert not autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    # Retained: every bucket (assets, its access logs, the ALB's logs) and the KMS keys.
    after = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    ours = {name for name in before if name.startswith(("devdata-", "devapp-"))}
    assert len(ours) == 3 and ours <= after
    keys = emulator.target(REGION).client("kms", REGION).list_keys()["Keys"]
    assert len(keys) >= 3
