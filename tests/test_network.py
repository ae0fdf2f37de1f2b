"""Network and TierSecurityGroups: routing per NAT strategy, stable subnet plan, the SG chain,
and every validation rule."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from tests.conftest import project_context, synth_with_packs
from wellstack.analysis.template import (
    default_route_targets,
    egress_rules,
    ingress_rules,
    resources,
    subnets,
)
from wellstack.constructs import Network, TierSecurityGroups, plan_subnets

AZS3 = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
ENV = cdk.Environment(region="ap-northeast-2")

CONFIGS: dict[str, dict[str, Any]] = {
    "single": {"nat": "single", "availability_zones": AZS3[:2]},
    "single3": {"nat": "single", "availability_zones": AZS3},
    "per_az": {"nat": "per_az", "availability_zones": AZS3},
    "none": {"nat": "none", "availability_zones": AZS3[:2]},
    "masks": {
        "availability_zones": AZS3[:2],
        "public_mask": 26,
        "private_mask": 22,
        "isolated_mask": 24,
    },
    "strict": {"availability_zones": AZS3[:2], "strict_acls": True},
    "bare": {"availability_zones": AZS3[:2], "flow_logs": False, "gateway_endpoints": False},
}


@pytest.fixture(scope="session")
def network_templates() -> dict[str, dict[str, Any]]:
    """Every configuration in one app (one synth), with cdk-nag on."""
    app = cdk.App(context=project_context())
    entries = {}
    for name, props in CONFIGS.items():
        stack = cdk.Stack(app, f"Net{name.replace('_', '')}", env=ENV)
        net = Network(stack, "Net", **props)
        TierSecurityGroups(stack, "Sgs", vpc=net.vpc)
        entries[name] = {"stack": stack, "net": net}
    return synth_with_packs(app, entries)


def template_of(network_templates, name: str) -> dict[str, Any]:
    return network_templates[name]["template"].to_json()


@pytest.mark.parametrize(
    ("name", "azs", "tiers", "nats"),
    [("single", 2, 3, 1), ("single3", 3, 3, 1), ("per_az", 3, 3, 3), ("none", 2, 2, 0)],
)
def test_counts_per_nat_strategy(network_templates, name, azs, tiers, nats):
    template = network_templates[name]["template"]
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.resource_count_is("AWS::EC2::Subnet", azs * tiers)
    template.resource_count_is("AWS::EC2::RouteTable", azs * tiers)
    template.resource_count_is("AWS::EC2::NatGateway", nats)
    template.resource_count_is("AWS::EC2::EIP", nats)
    template.resource_count_is("AWS::EC2::InternetGateway", 1)


@pytest.mark.parametrize("name", ["single", "single3", "per_az", "none"])
def test_default_routes(network_templates, name):
    template = template_of(network_templates, name)
    subnet_info = subnets(template)
    targets = default_route_targets(template)
    assert set(targets) == set(subnet_info)
    public_ids = [sid for sid, s in subnet_info.items() if s["tier"] == "public"]
    first_public = min(public_ids, key=lambda sid: subnet_info[sid]["az"])
    for subnet_id, info in subnet_info.items():
        target = targets[subnet_id]
        if info["tier"] == "public":
            assert target is not None and target[0] == "igw", (subnet_id, target)
        elif info["tier"] == "isolated":
            assert target is None, f"isolated subnet {subnet_id} has a default route {target}"
        else:
            assert info["tier"] == "private"
            assert target is not None and target[0] == "nat", (subnet_id, target)
            nat_az = subnet_info[target[1]]["az"]
            if name == "per_az":
                assert nat_az == info["az"], "per_az: a private subnet must use its own AZ's NAT"
            else:
                assert target[1] == first_public
    if name == "none":
        assert not [s for s in subnet_info.values() if s["tier"] == "private"]


def test_stable_allocation_when_an_az_is_added(network_templates):
    two = subnets(template_of(network_templates, "single"))
    three = subnets(template_of(network_templates, "single3"))
    assert len(three) == len(two) + 3
    for logical_id, info in two.items():
        assert three[logical_id] == info, f"{logical_id} moved when a third AZ was added"


def test_stable_allocation_when_nat_is_added(network_templates):
    """nat="none" reserves the private block: turning NAT on later moves no subnet."""
    none = subnets(template_of(network_templates, "none"))
    single = subnets(template_of(network_templates, "single"))
    for logical_id, info in none.items():
        assert single[logical_id] == info


def test_planned_cidrs_in_the_template(network_templates):
    cidrs = {
        (s["tier"], s["az"]): s["cidr"]
        for s in subnets(template_of(network_templates, "masks")).values()
    }
    assert cidrs == {
        ("public", "ap-northeast-2a"): "10.0.0.0/26",
        ("public", "ap-northeast-2b"): "10.0.0.64/26",
        ("private", "ap-northeast-2a"): "10.0.16.0/22",
        ("private", "ap-northeast-2b"): "10.0.20.0/22",
        ("isolated", "ap-northeast-2a"): "10.0.32.0/24",
        ("isolated", "ap-northeast-2b"): "10.0.33.0/24",
    }


def test_subnet_plan_numbers(network_templates):
    plan = network_templates["masks"]["net"].subnet_plan
    rows = [(r.tier, r.az, r.cidr, r.usable_ips) for r in plan]
    assert rows == [
        ("public", "ap-northeast-2a", "10.0.0.0/26", 59),
        ("public", "ap-northeast-2b", "10.0.0.64/26", 59),
        ("private", "ap-northeast-2a", "10.0.16.0/22", 1019),
        ("private", "ap-northeast-2b", "10.0.20.0/22", 1019),
        ("isolated", "ap-northeast-2a", "10.0.32.0/24", 251),
        ("isolated", "ap-northeast-2b", "10.0.33.0/24", 251),
    ]
    assert plan[0].as_dict() == {
        "tier": "public",
        "az": "ap-northeast-2a",
        "cidr": "10.0.0.0/26",
        "mask": 26,
        "addresses": 64,
        "usable_ips": 59,
    }


def test_subnet_plan_rows_read_like_mappings_too(network_templates):
    row = network_templates["single"]["net"].subnet_plan[0]
    assert (row["tier"], row["cidr"], row["usable_ips"]) == (row.tier, row.cidr, 251)
    assert dict(row) == row.as_dict()
    with pytest.raises(KeyError):
        row["vpc"]


def test_subnet_plan_of_the_smallest_subnets():
    plan = plan_subnets(
        "10.0.0.0/24",
        ["a", "b"],
        masks={"public": 28, "private": 28, "isolated": 28},
        reserved_azs=4,
    )
    assert [r.cidr for r in plan] == [
        "10.0.0.0/28",
        "10.0.0.16/28",
        "10.0.0.64/28",
        "10.0.0.80/28",
        "10.0.0.128/28",
        "10.0.0.144/28",
    ]
    assert {r.usable_ips for r in plan} == {11}


def test_flow_logs_and_gateway_endpoints(network_templates):
    template = network_templates["single"]["template"]
    template.has_resource_properties(
        "AWS::EC2::FlowLog", {"TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"}
    )
    template.has_resource("AWS::Logs::LogGroup", {"DeletionPolicy": "Retain"})
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})
    endpoints = resources(template.to_json(), "AWS::EC2::VPCEndpoint")
    services = sorted(str(e["Properties"]["ServiceName"]) for e in endpoints.values())
    assert len(endpoints) == 2 and "dynamodb" in services[0] and "s3" in services[1]
    for endpoint in endpoints.values():
        assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"
    template.resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_flow_logs_and_endpoints_can_be_turned_off(network_templates):
    template = network_templates["bare"]["template"]
    template.resource_count_is("AWS::EC2::FlowLog", 0)
    template.resource_count_is("AWS::EC2::VPCEndpoint", 0)


def test_public_subnets_do_not_assign_public_ips(network_templates):
    template = template_of(network_templates, "single")
    for subnet in resources(template, "AWS::EC2::Subnet").values():
        assert subnet["Properties"].get("MapPublicIpOnLaunch") is not True


def test_strict_acls_guard_the_isolated_tier(network_templates):
    template = template_of(network_templates, "strict")
    acls = resources(template, "AWS::EC2::NetworkAcl")
    assert len(acls) == 1
    entries = [e["Properties"] for e in resources(template, "AWS::EC2::NetworkAclEntry").values()]
    private = sorted(s["cidr"] for s in subnets(template).values() if s["tier"] == "private")
    inbound = sorted((e["CidrBlock"], e["PortRange"]["From"]) for e in entries if not e["Egress"])
    outbound = sorted(
        (e["CidrBlock"], e["PortRange"]["From"], e["PortRange"]["To"])
        for e in entries
        if e["Egress"]
    )
    assert inbound == [(cidr, 3306) for cidr in private]
    assert outbound == [(cidr, 1024, 65535) for cidr in private]
    assert all(e["Protocol"] == 6 and e["RuleAction"] == "allow" for e in entries)
    isolated = {sid for sid, s in subnets(template).items() if s["tier"] == "isolated"}
    associated = {
        a["Properties"]["SubnetId"]["Ref"]
        for a in resources(template, "AWS::EC2::SubnetNetworkAclAssociation").values()
    }
    assert associated == isolated


def _groups(template: dict[str, Any]) -> dict[str, str]:
    """'web' / 'app' / 'database' -> logical id, from the construct path in the logical id."""
    found = {}
    for logical_id in resources(template, "AWS::EC2::SecurityGroup"):
        for name, prefix in (("web", "SgsWeb"), ("app", "SgsApp"), ("database", "SgsDatabase")):
            if logical_id.startswith(prefix):
                found[name] = logical_id
    return found


def test_security_group_chain(network_templates):
    template = template_of(network_templates, "single")
    groups = _groups(template)
    web, app, db = groups["web"], groups["app"], groups["database"]

    def ports(rule):
        return (rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"))

    web_in = ingress_rules(template, web)
    assert [(r.get("CidrIp"), ports(r)) for r in web_in] == [("0.0.0.0/0", ("tcp", 80, 80))]
    app_in = ingress_rules(template, app)
    assert [(r["SourceSecurityGroupId"]["Fn::GetAtt"][0], ports(r)) for r in app_in] == [
        (web, ("tcp", 80, 80))
    ]
    db_in = ingress_rules(template, db)
    assert [(r["SourceSecurityGroupId"]["Fn::GetAtt"][0], ports(r)) for r in db_in] == [
        (app, ("tcp", 3306, 3306))
    ]
    assert not any("CidrIp" in r or "CidrIpv6" in r for r in db_in)
    # Database: no real outbound rule (CDK's placeholder that matches no traffic).
    assert [r.get("CidrIp") for r in egress_rules(template, db)] == ["255.255.255.255/32"]
    web_out = egress_rules(template, web)
    assert [(r["DestinationSecurityGroupId"]["Fn::GetAtt"][0], ports(r)) for r in web_out] == [
        (app, ("tcp", 80, 80))
    ]


def test_no_group_opens_ssh(network_templates):
    for entry in network_templates.values():
        template = entry["template"].to_json()
        for group_id in _groups(template).values():
            for rule in ingress_rules(template, group_id):
                assert not (rule.get("FromPort", 0) <= 22 <= rule.get("ToPort", -1)), rule


def test_web_ingress_cidr_and_ports_are_configurable():
    app = cdk.App(context=project_context())
    stack = cdk.Stack(app, "Custom", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS3[:2], flow_logs=False)
    TierSecurityGroups(
        stack, "Sgs", vpc=net.vpc, web_port=8080, db_port=5432, web_ingress_cidr="203.0.113.0/24"
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "SecurityGroupIngress": [
                Match.object_like({"CidrIp": "203.0.113.0/24", "FromPort": 8080, "ToPort": 8080})
            ]
        },
    )
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress", {"FromPort": 5432, "ToPort": 5432}
    )


# --- validation: every rule raises a ValueError that names the prop and the value -------------


def _network(**props: Any) -> Network:
    stack = cdk.Stack(cdk.App(), "V", env=ENV)
    props.setdefault("availability_zones", AZS3[:2])
    return Network(stack, "Net", **props)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"cidr": "10.0.0.0/33"}, r"cidr must be an IPv4 CIDR block .*'10\.0\.0\.0/33'"),
        ({"cidr": "10.0.0.1/16"}, r"cidr must be an IPv4 CIDR block .*host bits"),
        ({"cidr": 42}, r"cidr must be an IPv4 CIDR block such as '10\.0\.0\.0/16', got 42"),
        ({"cidr": "8.8.0.0/16"}, r"cidr must be a private \(RFC 1918\).*8\.8\.0\.0/16"),
        ({"cidr": "10.0.0.0/8"}, r"cidr must be a /16 to /28 block.*10\.0\.0\.0/8"),
        ({"cidr": "10.0.0.0/29"}, r"cidr must be a /16 to /28 block.*10\.0\.0\.0/29"),
        (
            {"cidr": "10.0.0.0/22"},
            r"cidr 10\.0\.0\.0/22 holds 1024 addresses but the subnet plan needs 3072.*/20",
        ),
        (
            {"nat": "two"},
            r"nat must be one of 'none', 'single', 'per_az', 'regional', 'endpoints_only', "
            r"got 'two'",
        ),
        ({"availability_zones": ["ap-northeast-2a"]}, r"at least 2 AZs.*ap-northeast-2a"),
        ({"availability_zones": "ap-northeast-2a"}, r"availability_zones must be a list"),
        ({"availability_zones": ["ap-northeast-2a"] * 2}, r"lists an AZ twice"),
        (
            {"availability_zones": [f"ap-northeast-2{z}" for z in "abc"], "reserved_azs": 2},
            r"has 3 AZs but reserved_azs is 2",
        ),
        (  # Seoul has four AZs, a to d
            {"availability_zones": ["ap-northeast-2a", "ap-northeast-2e"]},
            r"availability_zones must name AZs that exist: 'ap-northeast-2e' is not an "
            r"availability zone of "
            r"ap-northeast-2 \(it has ap-northeast-2a, ap-northeast-2b, ap-northeast-2c, "
            r"ap-northeast-2d\)",
        ),
        ({"max_azs": 2}, r"give availability_zones or max_azs, not both"),
        ({"availability_zones": None, "max_azs": 1}, r"max_azs must be between 2 and 4.*got 1"),
        ({"public_mask": 29}, r"public_mask must be between 16 and 28.*got 29"),
        ({"private_mask": 15}, r"private_mask must be between 16 and 28.*got 15"),
        ({"isolated_mask": True}, r"isolated_mask must be an integer, got True"),
        ({"cidr": "10.0.0.0/20", "public_mask": 18}, r"public_mask /18 is larger than"),
        ({"reserved_azs": 1}, r"reserved_azs must be between 2 and 8.*got 1"),
        ({"flow_log_retention_days": 31}, r"flow_log_retention_days must be one of .*got 31"),
        ({"db_port": 0}, r"db_port must be between 1 and 65535.*got 0"),
    ],
)
def test_network_validation(props, message):
    with pytest.raises(ValueError, match=message):
        _network(**props)


def test_network_with_max_azs_uses_the_stack_azs():
    stack = cdk.Stack(cdk.App(), "Agnostic")  # no env: AZs resolve at deploy time, offline
    net = Network(stack, "Net", max_azs=2)
    assert len(net.availability_zones) == 2
    assert len(net.subnet_plan) == 6
    Template.from_stack(stack).resource_count_is("AWS::EC2::Subnet", 6)


def test_max_azs_beyond_what_the_stack_knows_is_a_clear_error():
    stack = cdk.Stack(cdk.App(), "Agnostic")
    with pytest.raises(ValueError, match=r"max_azs is 3 but the stack knows only 2 AZs"):
        Network(stack, "Net", max_azs=3)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"web_port": 0}, r"web_port must be between 1 and 65535.*got 0"),
        ({"web_port": "80"}, r"web_port must be an integer, got '80'"),
        ({"db_port": 70000}, r"db_port must be between 1 and 65535.*got 70000"),
        ({"web_port": 3306}, r"web_port and db_port must differ.*3306"),
        (
            {"web_ingress_cidr": "203.0.113.9"},
            r"web_ingress_cidr must be a CIDR block written address/prefix",
        ),
        (
            {"web_ingress_cidr": "1.2.3.4/16"},
            r"web_ingress_cidr must be a CIDR block.*1\.2\.3\.4/16",
        ),
        ({"web_ingress_cidr": "internet"}, r"web_ingress_cidr must be a CIDR block.*'internet'"),
    ],
)
def test_security_group_validation(props, message):
    stack = cdk.Stack(cdk.App(), "V", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS3[:2], flow_logs=False)
    with pytest.raises(ValueError, match=message):
        TierSecurityGroups(stack, "Sgs", vpc=net.vpc, **props)


#: Shapes whose subnets CDK's own allocator can lay out as the plan does (equal masks, spare
#: slots a multiple of the AZ count), and shapes that go through PlannedIpAddresses instead.
LAYOUTS = {
    "2 AZs of 4 slots": {"availability_zones": AZS3[:2]},
    "2 AZs of 8 slots, /26": {
        "availability_zones": AZS3[:2], "reserved_azs": 8, "public_mask": 26,
        "private_mask": 26, "isolated_mask": 26,
    },
    "no private tier": {"availability_zones": AZS3[:2], "nat": "none"},
    "4 AZs of 4 slots": {
        "availability_zones": [*AZS3, "ap-northeast-2d"], "cidr": "10.7.0.0/16", "nat": "per_az",
    },
    "3 AZs (the plan's callback)": {"availability_zones": AZS3, "reserved_azs": 4},
    "unequal masks (the plan's callback)": {
        "availability_zones": AZS3[:2], "public_mask": 26, "private_mask": 22,
    },
}  # fmt: skip


def test_every_layout_puts_subnets_where_the_plan_says():
    """Both ways of handing CDK the addresses give the plan's CIDRs, subnet by subnet."""
    app = cdk.App(context=project_context())
    built = {}
    for index, (name, props) in enumerate(LAYOUTS.items()):
        stack = cdk.Stack(app, f"Layout{index}", env=ENV)
        built[name] = (stack, Network(stack, "Net", **props))
    for name, (stack, net) in built.items():
        template = Template.from_stack(stack).to_json()
        found = {(s["tier"], s["az"]): s["cidr"] for s in subnets(template).values()}
        planned = {(row.tier, row.az): row.cidr for row in net.subnet_plan}
        assert found == planned, name


def test_cdk_allocator_groups_cover_every_slot():
    """The native layout's groups: each tier in use, then spare groups filling its slots; an
    absent tier is all spares; shapes it cannot express fall back (None)."""
    from wellstack.constructs.network import _native_layout

    even = {"public": 24, "private": 24, "isolated": 24}
    assert _native_layout("single", even, 4, 2) == [
        ("public", ""), ("public", "Spare1"), ("private", ""), ("private", "Spare1"),
        ("isolated", ""), ("isolated", "Spare1"),
    ]  # fmt: skip
    assert _native_layout("none", even, 4, 2) == [
        ("public", ""), ("public", "Spare1"), ("private", "Spare1"), ("private", "Spare2"),
        ("isolated", ""), ("isolated", "Spare1"),
    ]  # fmt: skip
    assert _native_layout("single", even, 4, 3) is None
    assert _native_layout("single", {**even, "private": 22}, 4, 2) is None


def test_a_layout_cdk_moved_is_refused(monkeypatch):
    """Should CDK's allocator ever put a subnet elsewhere than the plan (here: the spare groups
    left out), Network stops with an error instead of moving subnets."""
    from wellstack.constructs import network
    from wellstack.errors import WellstackError

    monkeypatch.setattr(
        network, "_native_layout", lambda nat, masks, reserved, azs: [
            ("public", ""), ("private", ""), ("isolated", "")]
    )  # fmt: skip
    stack = cdk.Stack(cdk.App(), "Moved", env=ENV)
    with pytest.raises(WellstackError, match="the plan says"):
        Network(stack, "Net", availability_zones=AZS3[:2])
