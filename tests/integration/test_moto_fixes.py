"""Every moto fix of the sandbox, reproduced: each MOTO_FIXES entry's minimal reproduction runs
against plain moto (``python -m moto.server``), where it must still show the gap — otherwise
moto fixed it and our fix should go — and against the sandbox's server
(``python -m wellstack.emulator.moto_server``), where it must not."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import botocore.parsers
import pytest

from wellstack.emulator.moto_fixes import MOTO_FIXES
from wellstack.emulator.server import Emulator

pytestmark = pytest.mark.integration

REGION = "us-east-1"
AMI = "ami-03cf127a"  # one of the AMIs moto ships


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Api:
    """boto3 clients for one server."""

    def __init__(self, port: int) -> None:
        self.port = port

    def __call__(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=f"http://localhost:{self.port}",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def plain_moto(log: Path) -> Iterator[Api]:
    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://localhost:{port}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield Api(port)
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Api]]:
    folder = tmp_path_factory.mktemp("moto")
    fixed = Emulator(free_port(), folder)
    fixed.start()
    plain = plain_moto(folder / "plain.log")
    try:
        yield {"plain": next(plain), "fixed": Api(fixed.port)}
    finally:
        plain.close()
        fixed.stop()


def template(resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> str:
    return json.dumps({"Resources": resources, "Outputs": outputs or {}})


def vpc(cidr: str) -> dict[str, Any]:
    return {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}}


def subnet(cidr: str, zone: str = "us-east-1a") -> dict[str, Any]:
    return {
        "Type": "AWS::EC2::Subnet",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr, "AvailabilityZone": zone},
    }


def create(api: Api, name: str, body: str) -> bool:
    """True when the stack was created."""
    try:
        api("cloudformation").create_stack(StackName=name, TemplateBody=body)
    except (botocore.exceptions.ClientError, botocore.parsers.ResponseParserError):
        return False  # moto answers some failures with a body the query protocol cannot read
    status = api("cloudformation").describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    return status == "CREATE_COMPLETE"


def vpcs_with(api: Api, cidr: str) -> list[str]:
    found = api("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": [cidr]}])["Vpcs"]
    return [v["VpcId"] for v in found]


# Each reproduction returns True when the server shows moto's gap.


def elb_full_names(api: Api) -> bool:
    body = template(
        {
            "Vpc": vpc("10.1.0.0/16"),
            "A": subnet("10.1.0.0/24"),
            "B": subnet("10.1.1.0/24", "us-east-1b"),
            "LB": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {"Subnets": [{"Ref": "A"}, {"Ref": "B"}]},
            },
            "TG": {
                "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                "Properties": {"Port": 80, "Protocol": "HTTP", "VpcId": {"Ref": "Vpc"}},
            },
        },
        {
            "LB": {"Value": {"Fn::GetAtt": ["LB", "LoadBalancerFullName"]}},
            "TG": {"Value": {"Fn::GetAtt": ["TG", "TargetGroupFullName"]}},
        },
    )
    if not create(api, "ElbNames", body):
        return True
    stack = api("cloudformation").describe_stacks(StackName="ElbNames")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return not (
        outputs.get("LB", "").startswith("app/")
        and outputs.get("TG", "").startswith("targetgroup/")
    )


def exports_follow_updates(api: Api) -> bool:
    export = {"Value": {"Ref": "Vpc"}, "Export": {"Name": "first"}}
    assert create(api, "Exporter", template({"Vpc": vpc("10.2.0.0/16")}, {"X": export}))
    second = {"Value": {"Ref": "Vpc"}, "Export": {"Name": "second"}}
    api("cloudformation").update_stack(
        StackName="Exporter",
        TemplateBody=template({"Vpc": vpc("10.2.0.0/16")}, {"X": export, "Y": second}),
    )
    names = {e["Name"] for e in api("cloudformation").list_exports()["Exports"]}
    return "second" not in names


def _nat_network(target: str) -> str:
    resources = {"Vpc": vpc("10.3.0.0/16"), "Subnet": subnet("10.3.0.0/24")}
    for name in ("A", "B"):
        resources[f"Eip{name}"] = {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}}
        resources[f"Nat{name}"] = {
            "Type": "AWS::EC2::NatGateway",
            "Properties": {
                "SubnetId": {"Ref": "Subnet"},
                "AllocationId": {"Fn::GetAtt": [f"Eip{name}", "AllocationId"]},
            },
        }
    resources["Table"] = {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}}
    resources["Default"] = {
        "Type": "AWS::EC2::Route",
        "Properties": {
            "RouteTableId": {"Ref": "Table"},
            "DestinationCidrBlock": "0.0.0.0/0",
            "NatGatewayId": {"Ref": target},
        },
    }
    return template(resources, {"B": {"Value": {"Ref": "NatB"}}})


def replace_or_modify(api: Api) -> bool:
    assert create(api, "Routes", _nat_network("NatA"))
    api("cloudformation").update_stack(StackName="Routes", TemplateBody=_nat_network("NatB"))
    stack = api("cloudformation").describe_stacks(StackName="Routes")["Stacks"][0]
    nat_b = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["B"]
    (vpc_id,) = vpcs_with(api, "10.3.0.0/16")
    tables = api("ec2").describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    targets = {
        route.get("NatGatewayId")
        for table in tables["RouteTables"]
        for route in table["Routes"]
        if route.get("DestinationCidrBlock") == "0.0.0.0/0"
    }
    return targets != {nat_b}


def _routed_network(cidr: str) -> dict[str, Any]:
    return {
        "Vpc": vpc(f"{cidr}.0.0/16"),
        "Subnet": subnet(f"{cidr}.0.0/24"),
        "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Association": {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"RouteTableId": {"Ref": "Table"}, "SubnetId": {"Ref": "Subnet"}},
        },
        "Igw": {"Type": "AWS::EC2::InternetGateway"},
        "Attachment": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}},
        },
        "Default": {
            "Type": "AWS::EC2::Route",
            "DependsOn": "Attachment",
            "Properties": {
                "RouteTableId": {"Ref": "Table"},
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": {"Ref": "Igw"},
            },
        },
    }


def delete_what_moto_cannot(api: Api) -> bool:
    resources = _routed_network("10.4")
    resources["Role"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        },
    }
    resources["Policy"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "Roles": [{"Ref": "Role"}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            },
        },
    }
    assert create(api, "Deletable", template(resources))
    try:
        api("cloudformation").delete_stack(StackName="Deletable")
    except botocore.exceptions.ClientError:
        return True
    return bool(vpcs_with(api, "10.4.0.0/16"))


def real_associations(api: Api) -> bool:
    assert create(api, "Associated", template(_routed_network("10.5")))
    (subnet_id,) = [
        s["SubnetId"]
        for s in api("ec2").describe_subnets()["Subnets"]
        if s["CidrBlock"] == "10.5.0.0/24"
    ]
    tables = api("ec2").describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["RouteTables"]
    return not tables


def _scaled(instance_type: str) -> str:
    return template(
        {
            "Template": {
                "Type": "AWS::EC2::LaunchTemplate",
                "Properties": {
                    "LaunchTemplateData": {"ImageId": AMI, "InstanceType": instance_type}
                },
            },
            "Group": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "MinSize": "1",
                    "MaxSize": "1",
                    "AvailabilityZones": ["us-east-1a"],
                    "LaunchTemplate": {
                        "LaunchTemplateId": {"Ref": "Template"},
                        "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]},
                    },
                },
            },
        }
    )


def dependents_follow(api: Api) -> bool:
    assert create(api, "Scaled", _scaled("t3.micro"))
    api("cloudformation").update_stack(StackName="Scaled", TemplateBody=_scaled("t3.small"))
    groups = api("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    (group,) = [g for g in groups if g["AutoScalingGroupName"].startswith("Scaled")]
    return group["LaunchTemplate"]["Version"] != "2"


def _exporting(cidr: str, name: str) -> str:
    return template({"Vpc": vpc(cidr)}, {"Id": {"Value": {"Ref": "Vpc"}, "Export": {"Name": name}}})


def deleted_stays_deleted(api: Api) -> bool:
    assert create(api, "Deleted", _exporting("10.6.0.0/16", "deleted-vpc"))
    stack_id = api("cloudformation").describe_stacks(StackName="Deleted")["Stacks"][0]["StackId"]
    api("cloudformation").delete_stack(StackName="Deleted")
    api("cloudformation").describe_stacks(StackName=stack_id)  # what the CDK CLI polls
    return bool(vpcs_with(api, "10.6.0.0/16"))


def failed_delete_keeps_stack(api: Api) -> bool:
    assert create(api, "Stuck", _exporting("10.7.0.0/16", "stuck-vpc"))
    (vpc_id,) = vpcs_with(api, "10.7.0.0/16")
    api("ec2").create_subnet(VpcId=vpc_id, CidrBlock="10.7.9.0/24")  # outside the stack
    with pytest.raises(botocore.exceptions.ClientError):
        api("cloudformation").delete_stack(StackName="Stuck")
    listed = {
        s["StackName"]: s["StackStatus"] for s in api("cloudformation").describe_stacks()["Stacks"]
    }
    exports = {e["Name"] for e in api("cloudformation").list_exports()["Exports"]}
    return listed.get("Stuck") != "DELETE_FAILED" or "stuck-vpc" not in exports


def adopt_kept_log_groups(api: Api) -> bool:
    body = template(
        {
            "Logs": {
                "Type": "AWS::Logs::LogGroup",
                "DeletionPolicy": "Retain",
                "Properties": {"LogGroupName": "/wellstack/kept"},
            }
        }
    )
    assert create(api, "Kept", body)
    api("cloudformation").delete_stack(StackName="Kept")
    return not create(api, "KeptAgain", body)


REPRODUCTIONS: dict[str, Callable[[Api], bool]] = {
    "elb-full-names": elb_full_names,
    "exports-follow-updates": exports_follow_updates,
    "replace-or-modify": replace_or_modify,
    "delete-what-moto-cannot": delete_what_moto_cannot,
    "real-associations": real_associations,
    "dependents-follow": dependents_follow,
    "deleted-stays-deleted": deleted_stays_deleted,
    "failed-delete-keeps-stack": failed_delete_keeps_stack,
    "adopt-kept-log-groups": adopt_kept_log_groups,
}


def test_every_fix_has_a_reproduction():
    assert [fix.key for fix in MOTO_FIXES] == list(REPRODUCTIONS)


@pytest.mark.parametrize("key", list(REPRODUCTIONS))
def test_plain_moto_shows_the_gap_and_the_sandbox_does_not(servers, key):
    reproduce = REPRODUCTIONS[key]
    assert reproduce(servers["plain"]), f"moto no longer shows {key!r}: drop that fix"
    assert not reproduce(servers["fixed"]), f"the sandbox's server still shows {key!r}"
