"""Issue 19 in the emulator: a dual-stack environment with a private tier without NAT
(``nat: endpoints_only``) deployed with the real CDK CLI into moto's server, then checked
**through the AWS API**: the interface endpoints exist with private DNS in the private subnets
behind their own group, the private route tables have no default route, no NAT gateway exists.
The emulator build is IPv4 only (listed in ``EMULATOR_DIFFERENCES``)."""

from __future__ import annotations

import pytest

from tests.integration.test_sandbox import Project, the_vpc
from wellstack.constructs.network import ENDPOINTS_ONLY_DEFAULT
from wellstack.emulator.sandbox import down

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    project = Project(tmp_path_factory.mktemp("private"))
    project.change(nat="endpoints_only", ipv6=True)
    try:
        yield project
    finally:
        project.emulator.stop()


def test_endpoints_only_deploys_without_nat(project):
    assert project.up() == 0
    vpc = the_vpc(project.read_back())
    ec2 = project.client("ec2")
    assert ec2.describe_nat_gateways()["NatGateways"] == []
    private = {s["id"] for s in vpc["subnets"] if s["tier"] == "private"}
    assert len(private) == len(project.settings.availability_zones)
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["id"]]}])
    for table in tables["RouteTables"]:
        if {a.get("SubnetId") for a in table["Associations"]} & private:
            outbound = [r for r in table["Routes"]
                        if r.get("DestinationCidrBlock") == "0.0.0.0/0"
                        or r.get("DestinationIpv6CidrBlock") == "::/0"]  # fmt: skip
            assert outbound == [], table["RouteTableId"]

    interface = [e for e in vpc["endpoints"] if e["type"] == "Interface"]
    assert sorted(e["service"] for e in interface) == sorted(ENDPOINTS_ONLY_DEFAULT)
    assert all(e["private_dns"] and set(e["subnets"]) == private for e in interface)
    (group,) = {g for e in interface for g in e["security_groups"]}
    rules = vpc["security_groups"][group]["ingress"]
    assert rules == [{"port": 443, "protocol": "tcp", "from": [project.settings.cidr]}]
    assert {e["service"] for e in vpc["endpoints"] if e["type"] == "Gateway"} == {"s3", "dynamodb"}


def test_it_is_destroyed(project):
    code, left = down(project.emulator, project.settings, project.out)
    assert (code, left) == (0, [])
