"""The sandbox's lifecycle for real: the dev environment deployed with the real CDK CLI into
moto's server on a free loopback port, changed, guarded, destroyed and created again — each step
checked **through the AWS API** (boto3 against the emulator), not through our templates.

create -> add an AZ -> NAT per AZ (with a new instance type and one more reader) -> a construct
id rename that the data guard refuses -> destroy -> create again -> `wellstack guard --sandbox`.
The tests run in file order and share one emulator and one project folder (a copy of cdk.json
that each step edits). What moto accepts without modelling it is listed in
``wellstack.emulator.summary.NOT_MODELLED`` and left to the template tests.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CDK_JSON, ROOT, synthesized_build
from wellstack.deploy.flow import GUARD_REFUSED
from wellstack.emulator.sandbox import down, emulator_build, up
from wellstack.emulator.server import Emulator
from wellstack.emulator.summary import leftovers, summary
from wellstack.limits import DEFAULT_RESERVED_AZS
from wellstack.settings import ENVIRONMENTS_KEY, EnvironmentSettings, parse_environments
from wellstack.subnets import plan_subnets, tiers_for

pytestmark = pytest.mark.integration

REGION = "ap-northeast-2"
THIRD_AZ = "ap-northeast-2b"
#: A CDK app that renames the assets bucket's construct id (Assets -> StaticAssets), as a
#: refactoring would: the bucket's logical id changes, so a deploy would delete it.
RENAMING_APP = """
import wellstack.stacks.data_stack as data_stack
from wellstack.constructs import TieredBucket


class Renamed(TieredBucket):
    def __init__(self, scope, construct_id, **props):
        renamed = "StaticAssets" if construct_id == "Assets" else construct_id
        super().__init__(scope, renamed, **props)


data_stack.TieredBucket = Renamed
from wellstack.emulator.app import main

main()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Project:
    """A copy of the repository's cdk.json that the steps edit, and the emulator."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cdk_json = folder / "cdk.json"
        self.cdk_json.write_text(json.dumps(CDK_JSON, indent=2))
        (folder / "renaming_app.py").write_text(RENAMING_APP)
        self.emulator = Emulator(free_port(), folder / ".sandbox")
        self.out = folder / "cdk.out"
        self.seen: dict[str, Any] = {}

    def change(self, **dev: Any) -> None:
        data = json.loads(self.cdk_json.read_text())
        data["context"][ENVIRONMENTS_KEY]["dev"].update(dev)
        self.cdk_json.write_text(json.dumps(data, indent=2))

    @property
    def settings(self) -> EnvironmentSettings:
        context = json.loads(self.cdk_json.read_text())["context"]
        return parse_environments(context[ENVIRONMENTS_KEY])["dev"]

    def up(self, app: str | None = None, synthesize: bool = False) -> int:
        """``sandbox up`` of the folder's cdk.json. ``synthesize``: the command synthesizes, as
        ``make sandbox`` does; otherwise it deploys (``--assembly``) what the same synthesis
        wrote, kept in the tests' synth cache while nothing it reads changes."""
        build = emulator_build(self.settings, self.folder, app)
        if synthesize:
            return up(self.emulator, self.settings, self.out, build=build)
        self.emulator.start()  # the CLI's synth asks the emulator for the default account
        env = self.emulator.target(REGION).cli_environment()
        shutil.rmtree(self.out, ignore_errors=True)
        shutil.copytree(synthesized_build(build, env), self.out)
        return up(self.emulator, self.settings, self.out, build=build, synthesized=True)

    def read_back(self) -> dict[str, Any]:
        return summary(self.emulator, REGION)

    def client(self, service: str) -> Any:
        return self.emulator.target(REGION).client(service, REGION)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    project = Project(tmp_path_factory.mktemp("project"))
    try:
        yield project
    finally:
        project.emulator.stop()


def the_vpc(info: dict[str, Any]) -> dict[str, Any]:
    (vpc,) = info["vpcs"]
    return vpc


def planned(settings: EnvironmentSettings) -> list[dict[str, str]]:
    rows = plan_subnets(
        settings.cidr,
        settings.availability_zones,
        masks=settings.subnet_masks,
        reserved_azs=DEFAULT_RESERVED_AZS,
        tiers=tiers_for(settings.nat),
    )
    return sorted(({"tier": r.tier, "az": r.az, "cidr": r.cidr} for r in rows),
                  key=lambda s: (s["tier"], s["az"]))  # fmt: skip


def subnet_ids(vpc: dict[str, Any]) -> dict[str, str]:
    return {s["id"]: s["cidr"] for s in vpc["subnets"]}


def test_create(project):
    assert project.up(synthesize=True) == 0
    info = project.read_back()
    assert {name: s["status"] for name, s in info["stacks"].items()} == {
        "DevNetwork": "CREATE_COMPLETE",
        "DevData": "CREATE_COMPLETE",
        "DevApp": "CREATE_COMPLETE",
    }
    url = info["stacks"]["DevApp"]["outputs"]["LoadBalancerUrl"]
    assert url.startswith("http://") and url.endswith(".elb.amazonaws.com")
    vpc = the_vpc(info)
    assert vpc["cidr"] == project.settings.cidr
    assert [{k: s[k] for k in ("tier", "az", "cidr")} for s in vpc["subnets"]] == planned(
        project.settings
    )
    (nat,) = vpc["nat_gateways"]  # dev: nat "single"
    routes = {s["tier"]: set() for s in vpc["subnets"]}
    for subnet in vpc["subnets"]:
        routes[subnet["tier"]].add((subnet["default_route"] or "none")[:4])
    assert routes == {"public": {"igw-"}, "private": {"nat-"}, "isolated": {"none"}}
    assert {s["default_route"] for s in vpc["subnets"] if s["tier"] == "private"} == {nat["id"]}
    project.seen["subnets"] = subnet_ids(vpc)


def test_security_group_chain(project):
    groups = the_vpc(project.read_back())["security_groups"]
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


def test_add_an_availability_zone(project):
    """A third AZ at the end: every existing subnet keeps its id and CIDR, the new ones are
    where the plan puts them, and the app tier and load balancer span all three."""
    project.change(availability_zones=[*project.settings.availability_zones, THIRD_AZ])
    assert project.up() == 0
    vpc = the_vpc(project.read_back())
    assert project.seen["subnets"].items() <= subnet_ids(vpc).items()
    assert [{k: s[k] for k in ("tier", "az", "cidr")} for s in vpc["subnets"]] == planned(
        project.settings
    )
    new = [s for s in vpc["subnets"] if s["az"] == THIRD_AZ]
    assert sorted(s["tier"] for s in new) == ["isolated", "private", "public"]
    (group,) = project.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert len(group["VPCZoneIdentifier"].split(",")) == 3
    (balancer,) = project.client("elbv2").describe_load_balancers()["LoadBalancers"]
    assert {zone["ZoneName"] for zone in balancer["AvailabilityZones"]} == set(
        project.settings.availability_zones
    )
    project.seen["subnets"] = subnet_ids(vpc)


def test_nat_per_az_new_instance_type_and_reader(project):
    """NAT per AZ: each private subnet's default route goes to the NAT gateway in its own AZ
    (read from DescribeRouteTables and DescribeNatGateways). In the same update the app's
    instance type changes and the cluster gets a second reader."""
    readers_before = len(project.client("rds").describe_db_instances()["DBInstances"])
    project.change(nat="per_az", app_instance_type="t3.small", db_readers=2)
    assert project.up() == 0
    vpc = the_vpc(project.read_back())
    assert subnet_ids(vpc) == project.seen["subnets"]
    assert len(vpc["nat_gateways"]) == 3
    nat_zone = {nat["id"]: nat["az"] for nat in vpc["nat_gateways"]}
    private = [s for s in vpc["subnets"] if s["tier"] == "private"]
    assert len(private) == 3
    for subnet in private:
        assert nat_zone[subnet["default_route"]] == subnet["az"], subnet
    (group,) = project.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert {instance["InstanceType"] for instance in group["Instances"]} == {"t3.small"}
    template = group["LaunchTemplate"]
    (version,) = project.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=template["LaunchTemplateId"], Versions=[template["Version"]]
    )["LaunchTemplateVersions"]
    assert version["LaunchTemplateData"]["InstanceType"] == "t3.small"
    instances = project.client("rds").describe_db_instances()["DBInstances"]
    assert len(instances) == readers_before + 1


def test_the_guard_refuses_a_construct_id_rename(project, capsys):
    buckets_before = {b["Name"] for b in project.client("s3").list_buckets()["Buckets"]}
    resources = project.client("cloudformation").describe_stack_resources(StackName="DevData")
    (assets,) = [
        r["PhysicalResourceId"]
        for r in resources["StackResources"]
        if r.get("LogicalResourceId", "").startswith("Assets")
        and r["ResourceType"] == "AWS::S3::Bucket" and "AccessLogs" not in r["LogicalResourceId"]
    ]  # fmt: skip
    code = project.up(app=f"{sys.executable} renaming_app.py")  # run in the project folder
    assert code == GUARD_REFUSED
    stderr = capsys.readouterr().err
    assert f"(AWS::S3::Bucket {assets}) would be deleted" in stderr
    assert "orphans it" in stderr and "new, empty bucket" in stderr
    assert "refusing to deploy" in stderr
    # Nothing was deployed: the bucket is still there and still the stack's.
    assert {b["Name"] for b in project.client("s3").list_buckets()["Buckets"]} == buckets_before
    stack = project.client("cloudformation").describe_stacks(StackName="DevData")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"


def test_destroy_leaves_the_emulator_clean_and_keeps_the_data(project):
    s3 = project.client("s3")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    ours = {name for name in buckets if name.startswith(("devdata-", "devapp-"))}
    assert len(ours) == 3  # assets, its access logs, the load balancer's logs
    code, left = down(project.emulator, project.settings, project.out,
                      build=emulator_build(project.settings, project.folder))  # fmt: skip
    assert (code, left) == (0, [])
    stacks = project.client("cloudformation").describe_stacks()["Stacks"]
    assert [s["StackName"] for s in stacks] == ["CDKToolkit"]
    ec2 = project.client("ec2")
    assert [v["IsDefault"] for v in ec2.describe_vpcs()["Vpcs"]] == [True]
    assert not ec2.describe_addresses()["Addresses"]
    assert not project.client("elbv2").describe_load_balancers()["LoadBalancers"]
    assert ours <= {b["Name"] for b in s3.list_buckets()["Buckets"]}  # RETAINed


def test_leftovers_are_read_back(project):
    """What `sandbox down` reports when a destroy did not finish: a VPC nobody removed."""
    ec2 = project.client("ec2")
    stray = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    try:
        assert leftovers(project.emulator, REGION) == [
            f"VPC {stray} 10.99.0.0/16 with 0 subnet(s), 0 NAT gateway(s), 1 security group(s)"
        ]
    finally:
        ec2.delete_vpc(VpcId=stray)
    assert leftovers(project.emulator, REGION) == []


def test_create_again(project):
    """After a destroy the environment comes back: new VPC, new buckets, the kept log groups
    adopted (see MOTO_FIXES), the subnet plan the same. Through the command a user runs, with an
    assembly synthesized before (``--assembly``)."""
    build = emulator_build(project.settings, project.folder)
    assembly = synthesized_build(build, project.emulator.target(REGION).cli_environment())
    result = subprocess.run(
        [
            *(sys.executable, "-m", "wellstack", "sandbox", "up", "--env", "dev"),
            *("--port", str(project.emulator.port), "--cdk-json", str(project.cdk_json)),
            *("--assembly", str(assembly)),
        ],
        cwd=project.folder,  # its .sandbox/ knows the running emulator
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no stateful resource would be replaced or deleted" in result.stdout
    info = project.read_back()
    assert {s["status"] for s in info["stacks"].values()} == {"CREATE_COMPLETE"}
    vpc = the_vpc(info)
    assert [{k: s[k] for k in ("tier", "az", "cidr")} for s in vpc["subnets"]] == planned(
        project.settings
    )
    assert not subnet_ids(vpc).keys() & project.seen["subnets"].keys()


def test_guard_command_against_the_sandbox(project, tmp_path):
    """`make guard SANDBOX=1` end to end: preflight against the emulator, a real synth, the
    deployed templates read back through CloudFormation, no finding."""
    result = subprocess.run(
        [
            *(sys.executable, "-m", "wellstack", "guard", "--env", "dev", "--sandbox"),
            *("--port", str(project.emulator.port), "--out", str(tmp_path / "out")),
            *("--cdk-json", str(project.cdk_json)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "target: the local sandbox" in result.stderr
    assert "no stateful resource would be replaced or deleted" in result.stdout
