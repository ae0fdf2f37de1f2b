"""IPv6 dual stack and private connectivity (issue 19): the stable IPv6 plan, ``::/0`` per tier,
the egress-only gateway, the dual-stack load balancer, interface endpoints and a private tier
without NAT; the combinations that are refused; the settings keys; and the whole app in those
shapes (cdk-nag, cfn-lint, reach, review, cost, plan)."""

from __future__ import annotations

import copy
import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from click.testing import CliRunner

from tests.conftest import CDK_JSON
from tests.test_app import cfn_lint
from wellstack.cli import main
from wellstack.compliance import apply_packs
from wellstack.constructs import AppTier, Network, TierSecurityGroups
from wellstack.constructs.network import ENDPOINTS_ONLY_DEFAULT, INTERFACE_ENDPOINTS
from wellstack.errors import WellstackError
from wellstack.settings import ENVIRONMENTS_KEY, parse_environment
from wellstack.subnets import plan_subnets

REGION = "ap-northeast-2"
AZS = ["ap-northeast-2a", "ap-northeast-2c"]
ENV = cdk.Environment(account="111122223333", region=REGION)


def synth(build) -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    build(stack)
    apply_packs(app, ["NIST80053R5"])  # a finding fails the synth
    return app.synth().get_stack_by_name("S").template


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def subnets(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(tier, AZ) -> the subnet's properties."""
    found = {}
    for subnet in of_type(template, "AWS::EC2::Subnet").values():
        props = subnet["Properties"]
        tier = next(t["Value"] for t in props["Tags"] if t["Key"] == "aws-cdk:subnet-name")
        found[(tier.lower(), props["AvailabilityZone"])] = props
    return found


def ipv6_slot(props: dict[str, Any]) -> int:
    """The n of ``Fn::Select [n, Fn::Cidr [the VPC's /56, 256, 64]]``."""
    index, (cidr,) = (
        props["Ipv6CidrBlock"]["Fn::Select"][0],
        [props["Ipv6CidrBlock"]["Fn::Select"][1]["Fn::Cidr"]],
    )
    assert cidr[1:] == [256, "64"]
    return index


def routes_by_table(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_table: dict[str, list[dict[str, Any]]] = {}
    for route in of_type(template, "AWS::EC2::Route").values():
        by_table.setdefault(route["Properties"]["RouteTableId"]["Ref"], []).append(
            route["Properties"]
        )
    return by_table


def default_routes(template: dict[str, Any]) -> dict[str, dict[str, str]]:
    """subnet logical id -> {"0.0.0.0/0" or "::/0": the target's property name}."""
    tables = routes_by_table(template)
    found: dict[str, dict[str, str]] = {}
    for assoc in of_type(template, "AWS::EC2::SubnetRouteTableAssociation").values():
        props = assoc["Properties"]
        subnet = props["SubnetId"]["Ref"]
        found[subnet] = {}
        for route in tables.get(props["RouteTableId"]["Ref"], []):
            destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
            target = next(k for k in route if k.endswith("Id") and k != "RouteTableId")
            found[subnet][destination] = target
    return found


def subnet_ids(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    ids = {}
    for key, subnet in of_type(template, "AWS::EC2::Subnet").items():
        props = subnet["Properties"]
        tier = next(t["Value"] for t in props["Tags"] if t["Key"] == "aws-cdk:subnet-name")
        ids[(tier.lower(), props["AvailabilityZone"])] = key
    return ids


# --- the IPv6 plan and its routes -------------------------------------------------------------


def test_ipv6_block_and_a_slot_per_subnet():
    network: list[Network] = []
    template = synth(lambda s: network.append(Network(s, "Net", availability_zones=AZS, ipv6=True)))
    (block,) = of_type(template, "AWS::EC2::VPCCidrBlock").values()
    assert block["Properties"]["AmazonProvidedIpv6CidrBlock"] is True
    # public slots 0-1, private 4-5, isolated 8-9 (reserved_azs=4 per tier)
    expected = {
        (tier, az): base + index
        for tier, base in (("public", 0), ("private", 4), ("isolated", 8))
        for index, az in enumerate(AZS)
    }
    assert {k: ipv6_slot(p) for k, p in subnets(template).items()} == expected
    assert {(r.tier, r.az): r.ipv6_slot for r in network[0].subnet_plan} == expected
    assert {(r.tier, r.az): r["ipv6_cidr"] for r in network[0].subnet_plan}[
        ("private", AZS[1])
    ] == "<the /56>:05::/64"
    # Every subnet waits for the block (its /64 is carved from it).
    for key in subnet_ids(template).values():
        assert "NetVpcIpv6Cidr" in " ".join(template["Resources"][key].get("DependsOn", []))


def test_adding_an_az_or_nat_moves_no_ipv6_block():
    def slots(**props: Any) -> dict[tuple[str, str], int]:
        template = synth(lambda s: Network(s, "Net", ipv6=True, **props))
        return {k: ipv6_slot(p) for k, p in subnets(template).items()}

    two = slots(availability_zones=AZS, nat="none")
    three = slots(availability_zones=[*AZS, "ap-northeast-2b"], nat="single")
    assert {k: v for k, v in three.items() if k in two} == two
    assert three[("private", "ap-northeast-2b")] == 6
    rows = plan_subnets("10.0.0.0/16", AZS, masks={"public": 24, "private": 24,
                        "isolated": 24}, reserved_azs=8, ipv6=True)  # fmt: skip
    assert [r.ipv6_slot for r in rows] == [0, 1, 8, 9, 16, 17]


def test_routes_per_tier_and_the_egress_only_gateway():
    template = synth(lambda s: Network(s, "Net", availability_zones=AZS, ipv6=True, nat="single"))
    (eigw,) = of_type(template, "AWS::EC2::EgressOnlyInternetGateway")
    routes = default_routes(template)
    for (tier, _), key in subnet_ids(template).items():
        expected = {
            "public": {"0.0.0.0/0": "GatewayId", "::/0": "GatewayId"},
            "private": {"0.0.0.0/0": "NatGatewayId", "::/0": "EgressOnlyInternetGatewayId"},
            "isolated": {},
        }[tier]
        assert routes[key] == expected, (tier, key)
    for route in of_type(template, "AWS::EC2::Route").values():
        if "EgressOnlyInternetGatewayId" in route["Properties"]:
            assert route["Properties"]["EgressOnlyInternetGatewayId"] == {
                "Fn::GetAtt": [eigw, "Id"]
            }
    auto = {k: p["AssignIpv6AddressOnCreation"] for k, p in subnets(template).items()}
    assert auto == {k: k[0] == "private" for k in auto}
    assert not any(p.get("EnableDns64") for p in subnets(template).values())


def test_dns64_adds_nat64_on_the_private_tier_only():
    template = synth(
        lambda s: Network(s, "Net", availability_zones=AZS, ipv6=True, nat="per_az", dns64=True)
    )
    nat64 = [r["Properties"] for r in of_type(template, "AWS::EC2::Route").values()
             if r["Properties"].get("DestinationIpv6CidrBlock") == "64:ff9b::/96"]  # fmt: skip
    assert len(nat64) == 2 and all("NatGatewayId" in r for r in nat64)
    assert {k: bool(p.get("EnableDns64")) for k, p in subnets(template).items()} == {
        k: k[0] == "private" for k in subnets(template)
    }


# --- a private tier without NAT, interface endpoints ------------------------------------------


def test_endpoints_only_private_tier_has_no_route_out():
    template = synth(
        lambda s: Network(s, "Net", availability_zones=AZS, ipv6=True, nat="endpoints_only")
    )
    assert not of_type(template, "AWS::EC2::NatGateway")
    assert not of_type(template, "AWS::EC2::EgressOnlyInternetGateway")
    routes = default_routes(template)
    for (tier, _), key in subnet_ids(template).items():
        if tier != "public":
            assert routes[key] == {}, (tier, key)
    endpoints = of_type(template, "AWS::EC2::VPCEndpoint").values()
    interface = [e["Properties"] for e in endpoints if e["Properties"].get("VpcEndpointType")
                 == "Interface"]  # fmt: skip
    assert sorted(e["ServiceName"].rsplit(".", 1)[-1] for e in interface) == sorted(
        ENDPOINTS_ONLY_DEFAULT
    )
    private = {subnet_ids(template)[("private", az)] for az in AZS}
    for endpoint in interface:
        assert endpoint["PrivateDnsEnabled"] is True
        assert {s["Ref"] for s in endpoint["SubnetIds"]} == private


def test_endpoint_group_admits_443_from_the_vpc_only():
    template = synth(
        lambda s: Network(
            s, "Net", availability_zones=AZS, cidr="10.7.0.0/16",
            interface_endpoints=["ssm", "kms"], interface_endpoint_tier="isolated",
        )
    )  # fmt: skip
    (group,) = [g["Properties"] for k, g in of_type(template, "AWS::EC2::SecurityGroup").items()
                if k.startswith("NetEndpointSecurityGroup")]  # fmt: skip
    assert group["SecurityGroupIngress"] == [
        {"CidrIp": "10.7.0.0/16", "Description": "HTTPS from the VPC", "FromPort": 443,
         "IpProtocol": "tcp", "ToPort": 443}
    ]  # fmt: skip
    assert [r["CidrIp"] for r in group["SecurityGroupEgress"]] == ["255.255.255.255/32"]  # none
    isolated = {subnet_ids(template)[("isolated", az)] for az in AZS}
    endpoints = [e["Properties"] for e in of_type(template, "AWS::EC2::VPCEndpoint").values()
                 if e["Properties"].get("VpcEndpointType") == "Interface"]  # fmt: skip
    assert len(endpoints) == 2
    assert all({s["Ref"] for s in e["SubnetIds"]} == isolated for e in endpoints)


# --- the dual-stack app tier ------------------------------------------------------------------


def dual_stack_app(stack: cdk.Stack, certificate: bool = False) -> None:
    network = Network(stack, "Net", availability_zones=AZS, ipv6=True)
    groups = TierSecurityGroups(stack, "Groups", vpc=network.vpc, web_ingress_ipv6_cidr="::/0")
    cert = (
        acm.Certificate.from_certificate_arn(
            stack, "Cert", f"arn:aws:acm:{REGION}:111122223333:certificate/0e9f1c2a-1111-2222-3333"
            "-444455556666",
        )
        if certificate
        else None
    )  # fmt: skip
    AppTier(stack, "App", vpc=network.vpc, security_groups=groups, ip_address_type="dualstack",
            certificate=cert)  # fmt: skip


@pytest.mark.parametrize("certificate", [False, True])
def test_dual_stack_load_balancer_and_ipv6_only_on_the_web_group(certificate):
    template = synth(lambda s: dual_stack_app(s, certificate))
    (lb,) = of_type(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert lb["Properties"]["IpAddressType"] == "dualstack"
    groups = of_type(template, "AWS::EC2::SecurityGroup")

    def ingress(prefix: str) -> list[dict[str, Any]]:
        (props,) = [g["Properties"] for k, g in groups.items() if k.startswith(prefix)]
        return props.get("SecurityGroupIngress", [])

    web = {(r.get("CidrIp") or r.get("CidrIpv6"), r["FromPort"]) for r in ingress("GroupsWeb")}
    ports = [80, 443] if certificate else [80]
    assert web == {(cidr, p) for cidr in ("0.0.0.0/0", "::/0") for p in ports}
    for tier in ("GroupsApp", "GroupsDatabase"):
        assert all("CidrIp" not in r and "CidrIpv6" not in r for r in ingress(tier))
    standalone = of_type(template, "AWS::EC2::SecurityGroupIngress").values()
    assert all("CidrIpv6" not in r["Properties"] for r in standalone)
    # The app group may leave over IPv6 for HTTPS only (the egress-only gateway).
    (app,) = [g["Properties"] for k, g in groups.items() if k.startswith("GroupsApp")]
    app_egress = [r for r in app["SecurityGroupEgress"] if "CidrIpv6" in r]
    assert [(r["CidrIpv6"], r["FromPort"]) for r in app_egress] == [("::/0", 443)]
    # WAF, access logs and health checks are still there.
    assert of_type(template, "AWS::WAFv2::WebACLAssociation")
    attributes = {a["Key"]: a["Value"] for a in lb["Properties"]["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    (group,) = of_type(template, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert group["Properties"]["HealthCheckPath"] == "/health"


def test_dual_stack_default_groups_open_ipv6():
    def build(stack: cdk.Stack) -> None:
        network = Network(stack, "Net", availability_zones=AZS, ipv6=True)
        AppTier(stack, "App", vpc=network.vpc, ip_address_type="dualstack")

    template = synth(build)
    web = [g["Properties"] for k, g in of_type(template, "AWS::EC2::SecurityGroup").items()
           if k.startswith("AppSecurityGroupsWeb")]  # fmt: skip
    assert {r.get("CidrIpv6") for r in web[0]["SecurityGroupIngress"]} == {None, "::/0"}


# --- what cannot combine ----------------------------------------------------------------------


def _ipv4_network(stack: cdk.Stack) -> Network:
    return Network(stack, "Net", availability_zones=AZS)


BAD = [
    (lambda s: Network(s, "N", availability_zones=AZS, dns64=True), ["dns64", "ipv6"]),
    (lambda s: Network(s, "N", availability_zones=AZS, ipv6=True, nat="none", dns64=True),
     ["dns64", "NAT64", "'none'"]),
    (lambda s: Network(s, "N", availability_zones=AZS, nat="endpoints_only",
                       gateway_endpoints=False), ["endpoints_only", "gateway_endpoints"]),
    (lambda s: Network(s, "N", availability_zones=AZS, interface_endpoints=["ssm", "s3"]),
     ["interface_endpoints", "'s3'", "secretsmanager"]),
    (lambda s: Network(s, "N", availability_zones=AZS, interface_endpoints="ssm"),
     ["interface_endpoints", "list"]),
    (lambda s: Network(s, "N", availability_zones=AZS, interface_endpoints=["kms", "kms"]),
     ["interface_endpoints", "'kms'", "more than once"]),
    (lambda s: Network(s, "N", availability_zones=AZS, nat="none", interface_endpoints=["ssm"]),
     ["interface_endpoint_tier", "'isolated'"]),
    (lambda s: Network(s, "N", availability_zones=AZS, interface_endpoint_tier="public"),
     ["interface_endpoint_tier", "'public'"]),
    (lambda s: Network(s, "N", availability_zones=AZS, ipv6="yes"), ["ipv6", "'yes'"]),
    (lambda s: TierSecurityGroups(s, "G", vpc=_ipv4_network(s).vpc, web_ingress_ipv6_cidr="::/0"),
     ["web_ingress_ipv6_cidr", "Network(ipv6=True)"]),
    (lambda s: TierSecurityGroups(s, "G", vpc=Network(s, "N", availability_zones=AZS,
                                  ipv6=True).vpc, web_ingress_ipv6_cidr="0.0.0.0/0"),
     ["web_ingress_ipv6_cidr", "IPv6"]),
    (lambda s: AppTier(s, "A", vpc=_ipv4_network(s).vpc, ip_address_type="dualstack"),
     ["ip_address_type", "Network(ipv6=True)"]),
    (lambda s: AppTier(s, "A", vpc=_ipv4_network(s).vpc, ip_address_type="ipv6"),
     ["ip_address_type", "'dualstack'"]),
    (lambda s: AppTier(s, "A", vpc=(n := Network(s, "N", availability_zones=AZS, ipv6=True)).vpc,
                       security_groups=TierSecurityGroups(s, "G", vpc=n.vpc),
                       ip_address_type="dualstack"), ["ip_address_type", "web_ingress_ipv6_cidr"]),
]  # fmt: skip


@pytest.mark.parametrize(("build", "words"), BAD)
def test_bad_combinations_are_clear_errors(build, words):
    stack = cdk.Stack(cdk.App(), "S", env=ENV)
    with pytest.raises(WellstackError) as caught:
        build(stack)
    message = str(caught.value)
    assert all(word in message for word in words), message
    assert "jsii" not in message.lower()


def test_unknown_endpoint_lists_every_allowed_name():
    stack = cdk.Stack(cdk.App(), "S", env=ENV)
    with pytest.raises(WellstackError) as caught:
        Network(stack, "N", availability_zones=AZS, interface_endpoints=["ssn"])
    assert all(name in str(caught.value) for name in INTERFACE_ENDPOINTS)


# --- settings ---------------------------------------------------------------------------------

BASE = {"region": REGION, "availability_zones": AZS}


def test_settings_keys():
    settings = parse_environment(
        "edge", {**BASE, "ipv6": True, "nat": "endpoints_only", "interface_endpoints": ["ssm"],
                 "interface_endpoint_tier": "isolated"},
    )  # fmt: skip
    assert (settings.ipv6, settings.nat, settings.interface_endpoints) == (
        True, "endpoints_only", ("ssm",),
    )  # fmt: skip
    assert settings.interface_endpoint_tier == "isolated"
    assert parse_environment("dev", BASE).ipv6 is False  # IPv4 unless asked


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"ipv6": "true"}, ["'ipv6'", "True or False"]),
        ({"dns64": True}, ["'dns64'", "ipv6"]),
        ({"dns64": True, "ipv6": True, "nat": "none"}, ["'dns64'", "nat 'none'"]),
        ({"interface_endpoints": ["ssm", "ec3"]}, ["'interface_endpoints'", "'ec3'", "sts"]),
        ({"interface_endpoints": "ssm"}, ["'interface_endpoints'", "list"]),
        ({"interface_endpoints": ["ssm"], "nat": "none"}, ["'interface_endpoint_tier'", "private"]),
        ({"interface_endpoint_tier": "public"}, ["'interface_endpoint_tier'", "'public'"]),
        ({"nat": "nat64"}, ["'nat'", "'endpoints_only'"]),
    ],
)
def test_bad_settings_name_the_key(change, words):
    with pytest.raises(WellstackError) as caught:
        parse_environment("edge", {**BASE, **change})
    assert all(word in str(caught.value) for word in words), str(caught.value)


# --- the whole app ----------------------------------------------------------------------------


def environments(**dev: Any) -> dict[str, Any]:
    environments = copy.deepcopy(CDK_JSON["context"][ENVIRONMENTS_KEY])
    environments["dev"].update(dev)
    return {ENVIRONMENTS_KEY: environments}


@pytest.fixture(scope="module")
def private_app(built_app):
    """dev, dual stack, without NAT: synthesized with AwsSolutions, NIST 800-53 R5 and Control
    Tower's checks (a finding fails the synth)."""
    return built_app(
        packs="NIST80053R5,ControlTower", **environments(ipv6=True, nat="endpoints_only")
    )


def test_private_app_is_clean_and_reach_holds(private_app):
    result = cfn_lint(private_app.template_files)
    assert not [line for line in result.stdout.splitlines() if ":E" in line], result.stdout
    reach = CliRunner().invoke(main, ["reach", str(private_app.outdir), "--json"])
    assert reach.exit_code == 0, reach.output
    network = private_app.template("DevNetwork")
    assert not any(
        r["Properties"].get("DestinationCidrBlock") == "0.0.0.0/0"
        and "NatGatewayId" in r["Properties"]
        for r in of_type(network, "AWS::EC2::Route").values()
    )
    (lb,) = of_type(private_app.template("DevApp"), "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert (
        of_type(private_app.template("DevApp"), "AWS::ElasticLoadBalancingV2::LoadBalancer")[lb][
            "Properties"
        ]["IpAddressType"]
        == "dualstack"
    )


def test_reach_catches_an_ipv6_route_out_of_the_private_tier(private_app, tmp_path):
    broken = tmp_path / "cdk.out"
    broken.mkdir()
    for path in private_app.outdir.iterdir():
        if path.is_file():
            (broken / path.name).write_text(path.read_text())
    network = json.loads((broken / "DevNetwork.template.json").read_text())
    table = next(k for k in network["Resources"] if k.startswith("NetworkVpcPrivateSubnet1Route"))
    network["Resources"]["Escape"] = {
        "Type": "AWS::EC2::Route",
        "Properties": {"RouteTableId": {"Ref": table}, "DestinationIpv6CidrBlock": "::/0",
                       "GatewayId": {"Ref": next(k for k in network["Resources"]
                                                 if k.startswith("NetworkVpcIGW"))}},
    }  # fmt: skip
    (broken / "DevNetwork.template.json").write_text(json.dumps(network))
    result = CliRunner().invoke(main, ["reach", str(broken), "--json"])
    assert result.exit_code == 1
    intents = {v["intent"] for v in json.loads(result.output)["violations"]}
    assert "private-egress-via-nat" in intents


def test_review_says_the_app_works_without_internet(private_app, built_app):
    def checks(outdir: Any) -> dict[str, tuple[str, str]]:
        result = CliRunner().invoke(main, ["review", str(outdir), "--json"])
        pillars = json.loads(result.output)["pillars"]
        kinds = ("passed", "findings", "advice", "unknown")
        return {c["id"]: (c["status"], c["detail"]) for p in pillars.values()
                for kind in kinds for c in p.get(kind, [])}  # fmt: skip

    private = checks(private_app.outdir)
    assert private["private-no-internet"][0] == "pass"
    assert private["endpoints-cover-app"][0] == "pass"
    assert "package repositories" in private["endpoints-cover-app"][1]
    assert private["interface-endpoints"][0] == "pass"
    default = checks(built_app().outdir)
    assert "private-no-internet" not in default and "interface-endpoints" not in default
    # Drop the CloudFormation endpoint: the boot's health signal has no way out.
    lean = built_app(**environments(nat="endpoints_only", interface_endpoints=["ssm"]))
    status, detail = checks(lean.outdir)["endpoints-cover-app"]
    assert status == "finding" and "ssmmessages" in detail and "cloudformation" in detail


def test_cost_compares_nat_with_endpoints(private_app, built_app):
    result = CliRunner().invoke(
        main, ["cost", str(built_app().outdir), "--compare", str(private_app.outdir), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = {row["item"]: row for row in json.loads(result.output)["difference"]}
    azs = len(CDK_JSON["context"][ENVIRONMENTS_KEY]["dev"]["availability_zones"])
    hours = len(ENDPOINTS_ONLY_DEFAULT) * azs * 730
    assert rows["Interface endpoints"]["other_quantity"] == hours
    assert rows["NAT gateways"]["other_usd"] == 0 and rows["NAT gateways"]["base_usd"] > 0
    assert rows["NAT data processing"]["other_usd"] == 0


def test_plan_shows_the_ipv6_slots(tmp_path):
    data = copy.deepcopy(CDK_JSON)
    data["context"][ENVIRONMENTS_KEY]["dev"].update(ipv6=True)
    (tmp_path / "cdk.json").write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["plan", "--cdk-json", str(tmp_path / "cdk.json"),
                                       "--json"])  # fmt: skip
    rows = json.loads(result.output)["subnets"]
    assert [(r["tier"], r["ipv6_slot"]) for r in rows][:2] == [("public", 0), ("public", 1)]
    assert rows[2]["ipv6_cidr"] == "<the /56>:04::/64"
    text = CliRunner().invoke(main, ["plan", "--cdk-json", str(tmp_path / "cdk.json")]).output
    assert "IPv6 /64" in text and "slot 05 is 2600:1f18:abc:de05::/64" in text


def test_every_new_configuration_is_cfn_lint_clean(tmp_path):
    """Each shape of this issue in a stack of its own, one app, both nag packs (a finding fails
    the synth), then cfn-lint over all the templates."""
    app = cdk.App(outdir=str(tmp_path))
    shapes = {
        "Ipv6Single": lambda s: Network(s, "Net", availability_zones=AZS, ipv6=True),
        "Ipv6PerAzDns64": lambda s: Network(s, "Net", availability_zones=AZS, ipv6=True,
                                            nat="per_az", dns64=True),
        "EndpointsOnly": lambda s: Network(s, "Net", availability_zones=AZS,
                                           nat="endpoints_only"),
        "IsolatedEndpoints": lambda s: Network(s, "Net", availability_zones=AZS, nat="none",
                                               interface_endpoints=["kms", "sts"],
                                               interface_endpoint_tier="isolated"),
        "DualStackTls": lambda s: dual_stack_app(s, certificate=True),
    }  # fmt: skip
    for name, build in shapes.items():
        build(cdk.Stack(app, name, env=ENV))
    apply_packs(app, ["NIST80053R5"])
    app.synth()
    files = sorted(tmp_path.glob("*.template.json"))
    assert len(files) == len(shapes)
    result = cfn_lint(files)
    assert not [line for line in result.stdout.splitlines() if ":E" in line], result.stdout
