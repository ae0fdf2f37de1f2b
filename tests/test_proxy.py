"""AuroraCluster(proxy=True): an RDS Proxy with IAM authentication on both legs and TLS, the app
chained to the proxy and the proxy to the cluster; its alarms; reach sees app -> proxy ->
database and never app -> database."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from tests.conftest import new_shapes_context
from wellstack.analysis.reach import analyse
from wellstack.analysis.template import Assembly, flat, resources
from wellstack.constructs import (
    AppTier,
    AuroraCluster,
    Monitoring,
    Network,
    TierSecurityGroups,
)
from wellstack.errors import WellstackError

AZS = ["ap-northeast-2a", "ap-northeast-2c"]
ENV = cdk.Environment(region="ap-northeast-2")


def build(engine: str = "mysql", readers: int = 1) -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "Db", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
    port = 3306 if engine == "mysql" else 5432
    groups = TierSecurityGroups(stack, "Sgs", vpc=net.vpc, db_port=port)
    db = AuroraCluster(stack, "Db", vpc=net.vpc, engine=engine, readers=readers,
                       security_group=groups.database, proxy=True)  # fmt: skip
    monitoring = Monitoring(stack, "Ops")
    alarms = monitoring.watch_database(db)
    template = cdk.assertions.Template.from_stack(stack).to_json()
    return {"db": db, "groups": groups, "template": template, "alarms": alarms, "stack": stack}


@pytest.fixture(scope="module")
def mysql() -> dict[str, Any]:
    return build()


def test_iam_on_both_legs_and_tls(mysql):
    template = mysql["template"]
    ((proxy_id, proxy),) = resources(template, "AWS::RDS::DBProxy").items()
    props = proxy["Properties"]
    assert props["DefaultAuthScheme"] == "IAM_AUTH" and "Auth" not in props  # no secret
    assert props["RequireTLS"] is True and props["EngineFamily"] == "MYSQL"
    assert props["DebugLogging"] is False
    # The proxy's role may sign in as the proxy user, on this cluster only.
    role = template["Resources"][props["RoleArn"]["Fn::GetAtt"][0]]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "rds.amazonaws.com"
    }
    (policy,) = [
        p["Properties"] for p in resources(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": props["RoleArn"]["Fn::GetAtt"][0]} in p["Properties"].get("Roles", [])
    ]  # fmt: skip
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "rds-db:connect"
    arn = flat(statement["Resource"])
    assert ":rds-db:ap-northeast-2:" in arn and arn.endswith("/app")
    assert "DBClusterResourceId" in json.dumps(statement["Resource"])
    (targets,) = resources(template, "AWS::RDS::DBProxyTargetGroup").values()
    (cluster_id,) = resources(template, "AWS::RDS::DBCluster")
    assert targets["Properties"]["DBClusterIdentifiers"] == [{"Ref": cluster_id}]
    assert targets["Properties"]["DBProxyName"] == {"Ref": proxy_id}
    assert "Tags" not in targets["Properties"]  # the resource takes none
    (endpoint,) = resources(template, "AWS::RDS::DBProxyEndpoint").values()
    assert endpoint["Properties"]["TargetRole"] == "READ_ONLY"
    assert mysql["db"].proxy_read_only_endpoint is not None


def test_the_app_reaches_the_proxy_and_only_the_proxy_the_cluster(mysql):
    template, db, groups = mysql["template"], mysql["db"], mysql["groups"]
    stack = mysql["stack"]
    tier_database = stack.resolve(groups.database.security_group_id)
    (proxy,) = resources(template, "AWS::RDS::DBProxy").values()
    assert proxy["Properties"]["VpcSecurityGroupIds"] == [tier_database]
    (cluster,) = resources(template, "AWS::RDS::DBCluster").values()
    (cluster_group,) = cluster["Properties"]["VpcSecurityGroupIds"]
    assert cluster_group != tier_database
    into_cluster = [
        r["Properties"] for r in resources(template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == cluster_group
    ]  # fmt: skip
    sources = {json.dumps(r["SourceSecurityGroupId"]) for r in into_cluster}
    rotation = (
        {json.dumps(stack.resolve(db.rotation_security_group.security_group_id))}
        if (db.rotation_security_group)
        else set()
    )
    assert sources == {json.dumps(tier_database)} | rotation
    assert all((r["FromPort"], r["ToPort"]) == (3306, 3306) for r in into_cluster)
    (egress,) = [
        r["Properties"] for r in resources(template, "AWS::EC2::SecurityGroupEgress").values()
        if r["Properties"]["GroupId"] == tier_database
    ]  # fmt: skip
    assert egress["DestinationSecurityGroupId"] == cluster_group and egress["FromPort"] == 3306
    assert [stack.resolve(g.security_group_id) for g in db.connections.security_groups] == [
        tier_database
    ]


def test_postgresql_without_readers_has_no_read_only_endpoint():
    built = build("postgresql", readers=0)
    (proxy,) = resources(built["template"], "AWS::RDS::DBProxy").values()
    assert proxy["Properties"]["EngineFamily"] == "POSTGRESQL"
    assert not resources(built["template"], "AWS::RDS::DBProxyEndpoint")
    assert built["db"].proxy_read_only_endpoint is None


def test_proxy_alarms(mysql):
    names = {a.node.id for a in mysql["alarms"]}
    assert {"DbProxyAvailability", "DbProxyTargetConnectFailures",
            "DbProxyClientAuthFailures"} <= names  # fmt: skip
    alarms = {k: a["Properties"] for k, a in resources(mysql["template"],
              "AWS::CloudWatch::Alarm").items()}  # fmt: skip
    (availability,) = [a for k, a in alarms.items() if k.startswith("OpsDbProxyAvailability")]
    dimensions = {d["Name"]: d["Value"] for d in availability["Dimensions"]}
    # AvailabilityPercentage exists only per target group and role.
    assert set(dimensions) == {"ProxyName", "TargetGroup", "TargetRole"}
    assert availability["ComparisonOperator"] == "LessThanThreshold"
    assert availability["TreatMissingData"] == "notBreaching"


def test_grant_connect_signs_in_to_the_proxy_from_another_stack():
    stack = cdk.Stack(cdk.App(), "Db", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
    db = AuroraCluster(stack, "Db", vpc=net.vpc, readers=0, proxy=True)
    other = cdk.Stack(stack.node.root, "App", env=ENV)
    role = iam.Role(other, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))  # pyright: ignore[reportArgumentType]
    policy = db.grant_connect(role)
    assert policy is not None and cdk.Stack.of(policy) is stack  # next to the proxy
    template = cdk.assertions.Template.from_stack(stack).to_json()
    (connect,) = [
        p["Properties"] for k, p in resources(template, "AWS::IAM::ManagedPolicy").items()
        if k.startswith("DbConnectApp")
    ]  # fmt: skip
    resource = connect["PolicyDocument"]["Statement"][0]["Resource"]
    assert "DBProxyArn" in json.dumps(resource) and flat(resource).endswith("/app")
    with pytest.raises(WellstackError, match="db_user must be a database user name"):
        db.grant_connect(role, db_user="no-dashes")


@pytest.mark.parametrize(
    ("props", "code", "prop"),
    [
        ({"port": 3307}, "conflict", "port"),
        ({"serverless_v2": True, "min_capacity": 0}, "conflict", "min_capacity"),
        ({"proxy_user": "rdsadmin"}, "conflict", "proxy_user"),
        ({"proxy_user": "dbadmin"}, "conflict", "proxy_user"),  # the master user
        ({"proxy_user": "bad-name"}, "format", "proxy_user"),
        ({"proxy": "yes"}, "type", "proxy"),
        ({"proxy": False, "proxy_user": "reporting"}, "conflict", "proxy_user"),
    ],
)
def test_refused(props, code, prop):
    stack = cdk.Stack(cdk.App(), "Bad", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
    with pytest.raises(WellstackError) as caught:
        AuroraCluster(stack, "Db", vpc=net.vpc, readers=0, **{"proxy": True, **props})
    assert (code, prop) in caught.value.codes(), caught.value.codes()


def test_reach_through_the_proxy(built_app):
    """The default app with db_proxy (and CloudFront and a regional NAT: one synthesis)."""
    result = analyse(Assembly.load(built_app(**new_shapes_context()).outdir))
    assert result.violations == []
    roles = {c.name: c.role for c in result.components}
    cells = {(roles.get(m.source, m.source), roles.get(m.destination, m.destination)): m.tcp
             for m in result.matrix}  # fmt: skip
    assert cells[("app", "proxy")] == "3306"
    assert cells[("proxy", "database")] == "3306"
    assert cells[("app", "database")] == "-"
    assert cells[("internet", "proxy")] == "-" and cells[("web", "proxy")] == "-"


def test_reach_finds_a_proxy_that_cannot_reach_its_cluster(tmp_path):
    """The cluster's group without the proxy's ingress: app-reaches-database names the proxy
    -> database leg."""
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Db", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
    groups = TierSecurityGroups(stack, "Sgs", vpc=net.vpc)
    AppTier(stack, "Web", vpc=net.vpc, security_groups=groups)
    db = AuroraCluster(stack, "Db", vpc=net.vpc, readers=0, security_group=groups.database,
                       proxy=True)  # fmt: skip
    db.node.try_remove_child("ProxyIngress")
    app.synth()
    result = analyse(Assembly.load(tmp_path))
    (violation,) = [v for v in result.violations if v.intent == "app-reaches-database"]
    assert "Proxy" in violation.source and "DbDb" in violation.destination.replace("/", "")
    assert "admits it" in violation.rules[0]
