"""nat="regional": one regional NAT gateway (AvailabilityMode regional) in the VPC, in Network,
the cdk.json settings, plan, the AZ drill, cost, review and the sandbox's build."""

from __future__ import annotations

import copy
from typing import Any

import aws_cdk as cdk
import pytest

from tests.conftest import CDK_JSON
from wellstack.analysis.cost import Assumptions, estimate_assembly
from wellstack.analysis.failure import fail_az
from wellstack.analysis.plan import environment_plan
from wellstack.analysis.review import run_checks
from wellstack.analysis.template import Assembly, ref, resources, subnets
from wellstack.constructs import Network
from wellstack.emulator.adapt import emulator_settings
from wellstack.errors import WellstackError
from wellstack.settings import ENVIRONMENTS_KEY, parse_environment

AZS = ["ap-northeast-2a", "ap-northeast-2c"]
ENV = cdk.Environment(region="ap-northeast-2")


@pytest.fixture(scope="module")
def regional() -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "Regional", env=ENV)
    network = Network(stack, "Net", availability_zones=AZS, nat="regional", flow_logs=False)
    template = cdk.assertions.Template.from_stack(stack).to_json()
    return {"network": network, "template": template}


def test_one_regional_gateway_in_the_vpc_serves_every_private_subnet(regional):
    template = regional["template"]
    ((gateway_id, gateway),) = resources(template, "AWS::EC2::NatGateway").items()
    props = gateway["Properties"]
    assert props["AvailabilityMode"] == "regional" and "SubnetId" not in props
    assert ref(props["VpcId"]) in resources(template, "AWS::EC2::VPC")
    assert not resources(template, "AWS::EC2::EIP")  # automatic mode: AWS allocates them
    (exposed,) = regional["network"].nat_gateways
    assert cdk.Stack.of(exposed).resolve(exposed.logical_id) == gateway_id
    tiers = subnets(template)
    routes = [r["Properties"] for r in resources(template, "AWS::EC2::Route").values()]
    to_nat = [r for r in routes if "NatGatewayId" in r]
    assert len(to_nat) == len(AZS)  # each private subnet's 0.0.0.0/0
    assert all(r["NatGatewayId"]["Fn::GetAtt"][0] == gateway_id for r in to_nat)
    # The public tier stays: the internet gateway the regional NAT needs, the load balancer.
    assert sum(1 for s in tiers.values() if s["tier"] == "public") == len(AZS)


def test_no_nat64_through_a_regional_gateway():
    stack = cdk.Stack(cdk.App(), "Dns64", env=ENV)
    with pytest.raises(WellstackError) as caught:
        Network(stack, "Net", availability_zones=AZS, nat="regional", ipv6=True, dns64=True)
    (problem,) = [p for p in caught.value.details if p.prop == "dns64"]
    assert problem.code == "conflict" and problem.props == ("dns64", "nat")


def settings(**keys: Any) -> Any:
    raw = copy.deepcopy(CDK_JSON["context"][ENVIRONMENTS_KEY]["dev"])
    raw.update(keys)
    return parse_environment("dev", raw)


def test_settings_plan_and_the_az_drill():
    chosen = settings(nat="regional")
    assert chosen.nat == "regional"
    with pytest.raises(WellstackError) as caught:
        settings(nat="regional", ipv6=True, dns64=True)
    assert ("conflict", "dns64") in caught.value.codes()
    # No address of a public subnet goes to NAT: the gateway lives in the VPC.
    plan = environment_plan(chosen)
    assert not any("nat gateway" in line.uses for line in plan)
    assert any("nat gateway" in line.uses for line in environment_plan(settings(nat="single")))
    for az in chosen.availability_zones:
        (nat,) = [o for o in fail_az(chosen, az) if o.tier == "nat"]
        assert nat.verdict == "ok" and "regional NAT gateway" in nat.detail
    (single,) = [o for o in fail_az(settings(nat="single"), AZS[0]) if o.tier == "nat"]
    assert single.verdict == "down"


def test_cost_bills_the_gateway_per_active_az_and_review_passes_it(regional):
    assembly = Assembly.from_templates(
        {"Regional": regional["template"]}, {"Regional": "ap-northeast-2"}
    )
    lines = {line.item: line for line in estimate_assembly(assembly, None, Assumptions()).lines}
    assert lines["Regional NAT gateway"].quantity == len(AZS) * 730
    assert "NAT gateways" not in lines  # no zonal gateway (a line of 0 is left out)
    assert lines["NAT data processing"].quantity > 0
    (check,) = [c for c in run_checks(assembly) if c.id == "nat-per-az"]
    assert check.status == "pass" and "regional NAT gateway" in check.detail


def test_the_sandbox_deploys_a_zonal_gateway_instead():
    """moto 5.2.5 puts every NAT gateway in a subnet (KeyError 'SubnetId' on a regional one)."""
    adapted = emulator_settings(settings(nat="regional", dr_nat="regional"))
    assert (adapted.nat, adapted.dr_nat) == ("single", "single")
    assert emulator_settings(settings(nat="per_az")).nat == "per_az"
