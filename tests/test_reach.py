"""`wellstack reach`: the default app holds every intent (dev and prod), and each broadening made
through an escape hatch — a raw security-group rule, an ACL entry, a route — is caught, naming
the path and the rule that opens it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from click.testing import CliRunner

from tests.conftest import CDK_JSON, project_context
from wellstack.analysis.reach import (
    ReachReport,
    Violation,
    analyse,
    intersect,
    show,
    subtract,
    union,
)
from wellstack.analysis.template import Assembly
from wellstack.cli import main
from wellstack.settings import ENVIRONMENTS_KEY, parse_environments
from wellstack.stacks import ThreeTierStacks, add_three_tier


def matrix(result: ReachReport, dr: bool = False) -> dict[tuple[str, str], str]:
    """The primary region's matrix by role (``dr``: the DR region's components instead)."""
    roles = {c.name: c.role for c in result.components if ("Dr" in c.name.split("/")[0]) == dr}
    roles["internet"] = "internet"
    return {
        (roles[m.source], roles[m.destination]): m.tcp
        for m in result.matrix
        if m.source in roles and m.destination in roles
    }


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_default_app_holds_every_intent(built_app, env):
    result = analyse(Assembly.load(built_app(env=env).outdir))
    assert result.violations == []
    if env == "prod":  # the DR region: the same chain, and nothing crosses the regions
        dr = matrix(result, dr=True)
        assert (dr[("internet", "web")], dr[("web", "app")], dr[("app", "database")]) == (
            "80", "80", "3306",
        )  # fmt: skip
        assert (dr[("internet", "app")], dr[("internet", "database")]) == ("-", "-")
        crossing = {
            m.tcp
            for m in result.matrix
            if m.source != "internet"
            and m.destination != "internet"
            and ("Dr" in m.source.split("/")[0]) != ("Dr" in m.destination.split("/")[0])
        }
        assert crossing == {"-"}  # fmt: skip
    assert matrix(result) == {
        ("internet", "web"): "80",
        ("internet", "app"): "-",
        ("internet", "database"): "-",
        ("web", "app"): "80",
        ("web", "database"): "-",
        ("web", "internet"): "-",
        ("app", "web"): "-",
        ("app", "database"): "3306",
        ("app", "internet"): "443",
        ("database", "web"): "-",
        ("database", "app"): "-",
        ("database", "internet"): "-",
    }


def broadened(tmp_path: Path, change: Callable[[ThreeTierStacks], None], **dev: Any) -> Assembly:
    """The dev environment (no compliance packs: they would refuse the broadening) with
    ``change`` applied through an escape hatch."""
    environments = json.loads(json.dumps(CDK_JSON["context"][ENVIRONMENTS_KEY]))
    environments["dev"].update(dev)
    settings = parse_environments(environments)["dev"]
    app = cdk.App(context=project_context(), outdir=str(tmp_path))
    stacks = add_three_tier(app, settings, prefix="Dev")
    change(stacks)
    app.synth()
    return Assembly.load(tmp_path)


def violations(assembly: Assembly) -> list[Violation]:
    return analyse(assembly).violations


def test_a_raw_rule_from_anywhere_to_the_database_port(tmp_path):
    def open_database(stacks: ThreeTierStacks) -> None:
        ec2.CfnSecurityGroupIngress(
            stacks.data, "OpenDatabase",
            group_id=stacks.network.security_groups.database.security_group_id,
            ip_protocol="tcp", from_port=3306, to_port=3306, cidr_ip="0.0.0.0/0",
        )  # fmt: skip

    (found,) = violations(broadened(tmp_path, open_database))
    assert found.intent == "only-app-database"
    assert (found.source, found.ports) == ("internet", "3306")
    assert found.destination.startswith("DevData/Database")
    assert list(found.rules) == [
        "DevData/OpenDatabase (SecurityGroupIngress): ingress tcp 3306 from 0.0.0.0/0"
    ]


def test_ssh_to_the_app_tier_through_a_standalone_rule(tmp_path):
    def open_ssh(stacks: ThreeTierStacks) -> None:
        ec2.CfnSecurityGroupIngress(
            stacks.app, "Ssh", group_id=stacks.network.security_groups.app.security_group_id,
            ip_protocol="tcp", from_port=22, to_port=22, cidr_ip="203.0.113.0/24",
        )  # fmt: skip

    (found,) = violations(broadened(tmp_path, open_ssh))
    assert (found.intent, found.source, found.ports) == (
        "app-admits-only-web", "internet", "22",
    )  # fmt: skip
    assert "DevApp/Ssh (SecurityGroupIngress)" in found.rules[0]


def test_an_extra_port_on_the_load_balancer(tmp_path):
    def open_8080(stacks: ThreeTierStacks) -> None:
        stacks.network.security_groups.web.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(8080))

    (found,) = violations(broadened(tmp_path, open_8080))
    assert (found.intent, found.source, found.ports) == (
        "internet-only-web", "internet", "8080",
    )  # fmt: skip


def test_an_acl_allow_all_on_the_isolated_tier(tmp_path):
    def allow_all(stacks: ThreeTierStacks) -> None:
        acl = stacks.network.network.isolated_acl
        assert acl is not None
        ec2.CfnNetworkAclEntry(
            acl, "AllowAll", network_acl_id=acl.network_acl_id, rule_number=1,
            protocol=-1, rule_action="allow", egress=False, cidr_block="0.0.0.0/0",
        )  # fmt: skip

    assert violations(broadened(tmp_path / "strict", lambda s: None, strict_acls=True)) == []
    found = violations(broadened(tmp_path / "open", allow_all, strict_acls=True))
    assert found, "an allow-all ACL entry must be caught"
    assert {v.intent for v in found} == {"only-app-database"}
    sources = {v.source.split("/")[-1][:18] for v in found}
    assert "internet" in sources and any(s.startswith("NetworkVpcPublic") for s in sources)
    assert all("ACL rule 1 allows tcp all from 0.0.0.0/0" in v.rules[0] for v in found)


def test_a_default_route_added_to_an_isolated_subnet(tmp_path):
    def route_out(stacks: ThreeTierStacks) -> None:
        vpc = stacks.network.network.vpc
        subnet = vpc.isolated_subnets[0]
        ec2.CfnRoute(
            stacks.network, "Leak", route_table_id=subnet.route_table.route_table_id,
            destination_cidr_block="0.0.0.0/0", gateway_id=vpc.internet_gateway_id,
        )  # fmt: skip

    (found,) = violations(broadened(tmp_path, route_out))
    assert found.intent == "isolated-no-route-out"
    assert "IsolatedSubnet1" in found.source
    assert list(found.rules) == ["DevNetwork/Leak (igw)"]


def test_the_command_exits_1_naming_the_path(tmp_path):
    def open_database(stacks: ThreeTierStacks) -> None:
        ec2.CfnSecurityGroupIngress(
            stacks.data, "OpenDatabase",
            group_id=stacks.network.security_groups.database.security_group_id,
            ip_protocol="tcp", from_port=0, to_port=65535, cidr_ip="10.0.0.0/8",
        )  # fmt: skip

    broadened(tmp_path, open_database)
    result = CliRunner().invoke(main, ["reach", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "violation: only-app-database: 10.0.0.0/8 -> DevData/Database" in result.stderr
    assert "on tcp all (opened by DevData/OpenDatabase" in result.stderr
    as_json = CliRunner().invoke(main, ["reach", str(tmp_path), "--json"])
    assert as_json.exit_code == 1
    found = {(v["source"], v["ports"]) for v in json.loads(as_json.stdout)["violations"]}
    # The rule itself (any address in 10/8, every port), and the path it opens today: the app
    # tier's HTTPS egress to 0.0.0.0/0 now reaches the database on 443.
    assert found == {("10.0.0.0/8", "all"), ("DevApp/WebInstancesASG09F72588", "443")}


def test_port_arithmetic():
    assert union(((1, 5),), ((4, 9),), ((11, 12),)) == ((1, 9), (11, 12))
    assert intersect(((0, 65535),), ((80, 80), (443, 443))) == ((80, 80), (443, 443))
    assert subtract(((0, 100),), ((10, 20),)) == ((0, 9), (21, 100))
    assert show(((0, 65535),)) == "all" and show(()) == "-" and show(((22, 23),)) == "22-23"


# --- Network(reachability_paths=True) ---------------------------------------------------------


@pytest.mark.parametrize(("nat", "private_expect"), [("single", "reachable"), ("none", None)])
def test_reachability_paths_carry_the_expected_answer(nat, private_expect):
    from wellstack.constructs import Network

    app = cdk.App()
    stack = cdk.Stack(app, "S", env=cdk.Environment(region="ap-northeast-2"))
    network = Network(
        stack, "Net", availability_zones=["ap-northeast-2a", "ap-northeast-2c"], nat=nat,
        reachability_paths=True,
    )  # fmt: skip
    template = app.synth().get_stack_by_name("S").template
    paths = {
        next(t["Value"] for t in r["Properties"]["Tags"] if t["Key"] == "Name"): (
            next(t["Value"] for t in r["Properties"]["Tags"] if t["Key"] == "wellstack:expect"),
            r["Properties"],
        )
        for r in template["Resources"].values()
        if r["Type"] == "AWS::EC2::NetworkInsightsPath"
    }
    expected = {
        "wellstack IsolatedToInternet": "unreachable",
        "wellstack InternetToIsolated": "unreachable",
    }
    if private_expect:
        expected |= {"wellstack PrivateToInternet": private_expect,
                     "wellstack InternetToPrivate": "unreachable"}  # fmt: skip
    assert {name: expect for name, (expect, _) in paths.items()} == expected
    assert len(network.reachability_paths) == len(expected)
    (gateway,) = [
        k for k, r in template["Resources"].items() if r["Type"] == "AWS::EC2::InternetGateway"
    ]
    _, isolated_out = paths["wellstack IsolatedToInternet"]
    assert isolated_out["Destination"] == {"Ref": gateway}
    assert isolated_out["Protocol"] == "tcp" and isolated_out["DestinationPort"] == 443
    probe = template["Resources"][isolated_out["Source"]["Ref"]]
    assert probe["Type"] == "AWS::EC2::NetworkInterface"
    assert "Isolated" in probe["Properties"]["SubnetId"]["Ref"]


def test_no_reachability_paths_by_default():
    from wellstack.constructs import Network

    app = cdk.App()
    stack = cdk.Stack(app, "S", env=cdk.Environment(region="ap-northeast-2"))
    network = Network(stack, "Net", availability_zones=["ap-northeast-2a", "ap-northeast-2c"])
    template = app.synth().get_stack_by_name("S").template
    assert network.reachability_paths == []
    assert not [r for r in template["Resources"].values()
                if r["Type"] == "AWS::EC2::NetworkInsightsPath"]  # fmt: skip
