"""AuroraCluster: shapes (engines, readers, serverless v2, autoscaling), the secure defaults in
the template, the port chain, and every validation rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template

from tests.conftest import project_context, synth_with_packs
from wellstack.analysis.template import ingress_rules, ref, resources
from wellstack.constructs import AuroraCluster, Network, TierSecurityGroups
from wellstack.constructs.database import validate_windows

AZS = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
ENV = cdk.Environment(region="ap-northeast-2")


def _groups(stack: cdk.Stack, db_port: int = 3306) -> tuple[Network, TierSecurityGroups]:
    net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
    return net, TierSecurityGroups(stack, "Sgs", vpc=net.vpc, db_port=db_port)


def _chained(db_port: int = 3306, **props: Any) -> Builder:
    """A cluster in the tier groups' database group."""

    def build(stack: cdk.Stack) -> tuple[AuroraCluster, TierSecurityGroups]:
        net, sgs = _groups(stack, db_port)
        return AuroraCluster(stack, "Db", vpc=net.vpc, security_group=sgs.database, **props), sgs

    return build


def _own_group(stack: cdk.Stack) -> tuple[AuroraCluster, TierSecurityGroups]:
    """A cluster with a group of its own on port 3307, opened to the app tier through
    ``connections``."""
    net, sgs = _groups(stack)
    db = AuroraCluster(stack, "Db", vpc=net.vpc, readers=0, port=3307, backtrack_window_hours=0)
    db.connections.allow_default_port_from(sgs.app, "From the app tier")
    return db, sgs


Builder = Callable[[cdk.Stack], tuple[AuroraCluster, TierSecurityGroups]]

#: One builder per configuration.
CONFIGS: dict[str, Builder] = {
    "mysql": _chained(readers=1),
    "postgres": _chained(5432, engine="postgresql", readers=0, instance_type="db.r7g.large"),
    "max": _chained(readers=15, reader_instance_type="r6g.xlarge"),
    "serverless": _chained(serverless_v2=True, readers=3, min_capacity=0.5, max_capacity=8),
    "autoscaling": _chained(readers=1, reader_autoscaling=(1, 3), reader_autoscaling_cpu=60),
    "own_group": _own_group,
}


@pytest.fixture(scope="session")
def clusters() -> dict[str, dict[str, Any]]:
    app = cdk.App(context=project_context())
    out = {}
    for name, build in CONFIGS.items():
        stack = cdk.Stack(app, f"Db{name.replace('_', '').capitalize()}", env=ENV)
        db, sgs = build(stack)
        out[name] = {"stack": stack, "db": db, "sgs": sgs}
    return synth_with_packs(app, out)


def cluster_props(entry: dict[str, Any]) -> dict[str, Any]:
    (cluster,) = resources(entry["json"], "AWS::RDS::DBCluster").values()
    return cluster


def instances(entry: dict[str, Any]) -> list[dict[str, Any]]:
    found = resources(entry["json"], "AWS::RDS::DBInstance")
    return [found[k]["Properties"] for k in sorted(found)]


@pytest.mark.parametrize(("name", "count"), [("mysql", 2), ("postgres", 1), ("max", 16)])
def test_writer_plus_readers(clusters, name, count):
    clusters[name]["template"].resource_count_is("AWS::RDS::DBInstance", count)


def test_engines_are_pinned(clusters):
    mysql = cluster_props(clusters["mysql"])["Properties"]
    assert mysql["Engine"] == "aurora-mysql"
    assert mysql["EngineVersion"] == "8.0.mysql_aurora.3.10.4"
    assert mysql["Port"] == 3306
    postgres = cluster_props(clusters["postgres"])["Properties"]
    assert postgres["Engine"] == "aurora-postgresql"
    assert postgres["EngineVersion"] == "17.7"
    assert postgres["Port"] == 5432
    assert {i["DBInstanceClass"] for i in instances(clusters["postgres"])} == {"db.r7g.large"}


def test_failover_priorities_and_az_spread(clusters):
    entry = clusters["max"]
    by_id = resources(entry["json"], "AWS::RDS::DBInstance")
    writer = next(v["Properties"] for k, v in by_id.items() if k.startswith("DbWriter"))
    assert writer["PromotionTier"] == 0 and writer["DBInstanceClass"] == "db.r6g.large"
    readers = {
        int(k.removeprefix("DbReader")[:-8]): v["Properties"]
        for k, v in by_id.items()
        if k.startswith("DbReader")
    }
    assert sorted(readers) == list(range(1, 16))
    assert [readers[i]["PromotionTier"] for i in (1, 2, 3)] == [1, 2, 3]
    assert readers[15]["PromotionTier"] == 15
    assert {r["DBInstanceClass"] for r in readers.values()} == {"db.r6g.xlarge"}
    assert writer["AvailabilityZone"] == AZS[0]
    assert readers[1]["AvailabilityZone"] != writer["AvailabilityZone"]
    assert {readers[i]["AvailabilityZone"] for i in (1, 2, 3)} == set(AZS)


def test_secure_defaults(clusters):
    entry = clusters["mysql"]
    cluster = cluster_props(entry)
    props = cluster["Properties"]
    assert cluster["DeletionPolicy"] == "Snapshot"
    assert cluster["UpdateReplacePolicy"] == "Snapshot"
    assert props["StorageEncrypted"] is True
    key_id = ref(props["KmsKeyId"])
    key = entry["json"]["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    assert props["DeletionProtection"] is True
    assert props["BackupRetentionPeriod"] == 7
    assert props["CopyTagsToSnapshot"] is True
    assert props["EnableIAMDatabaseAuthentication"] is True
    assert props["EnableCloudwatchLogsExports"] == ["audit", "error", "general", "slowquery"]
    assert props["BacktrackWindow"] == 24 * 3600
    # Credentials: generated, stored and rotated by RDS in Secrets Manager, under the CMK.
    assert props["ManageMasterUserPassword"] is True
    assert ref(props["MasterUserSecret"]["KmsKeyId"]) == key_id
    assert "MasterUserPassword" not in props
    # TLS required through the cluster parameter group.
    group = entry["json"]["Resources"][ref(props["DBClusterParameterGroupName"])]
    assert group["Properties"]["Parameters"]["require_secure_transport"] == "ON"
    for instance in instances(entry):
        assert instance["MonitoringInterval"] == 60
        assert instance["PubliclyAccessible"] is False
    # The subnet group holds the isolated subnets only.
    (subnet_group,) = resources(entry["json"], "AWS::RDS::DBSubnetGroup").values()
    subnet_ids = [ref(s) for s in subnet_group["Properties"]["SubnetIds"]]
    assert len(subnet_ids) == 3 and all(s.startswith("NetVpcIsolated") for s in subnet_ids)


def test_postgres_tls_and_logs(clusters):
    entry = clusters["postgres"]
    props = cluster_props(entry)["Properties"]
    group = entry["json"]["Resources"][ref(props["DBClusterParameterGroupName"])]
    parameters = group["Properties"]["Parameters"]
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["log_min_duration_statement"] == "1000"
    assert props["EnableCloudwatchLogsExports"] == ["postgresql"]
    assert "BacktrackWindow" not in props
    # r7g supports Performance Insights: on, encrypted with the cluster's key.
    (instance,) = instances(entry)
    assert instance["EnablePerformanceInsights"] is True
    assert ref(instance["PerformanceInsightsKMSKeyId"]) == ref(props["KmsKeyId"])


def test_backup_plan(clusters):
    template = clusters["mysql"]["template"]
    template.has_resource_properties(
        "AWS::Backup::BackupPlan",
        {
            "BackupPlan": {
                "BackupPlanRule": [Match.object_like({"Lifecycle": {"DeleteAfterDays": 35}})]
            }
        },
    )
    template.has_resource("AWS::Backup::BackupVault", {"DeletionPolicy": "Retain"})
    template.resource_count_is("AWS::Backup::BackupSelection", 1)


def test_serverless_v2(clusters):
    entry = clusters["serverless"]
    props = cluster_props(entry)["Properties"]
    assert props["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 8}
    assert {i["DBInstanceClass"] for i in instances(entry)} == {"db.serverless"}
    assert "BacktrackWindow" not in props
    assert len(instances(entry)) == 4


def test_reader_autoscaling(clusters):
    template = clusters["autoscaling"]["template"]
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "ScalableDimension": "rds:cluster:ReadReplicaCount",
            "ServiceNamespace": "rds",
            "MinCapacity": 1,
            "MaxCapacity": 3,
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "RDSReaderAverageCPUUtilization"
                    },
                    "TargetValue": 60,
                }
            ),
        },
    )


def test_database_accepts_its_port_from_the_app_group_only(clusters):
    for name in ("mysql", "postgres", "own_group"):
        entry = clusters[name]
        db_groups = [ref(g) for g in cluster_props(entry)["Properties"]["VpcSecurityGroupIds"]]
        assert len(db_groups) == 1
        rules = ingress_rules(entry["json"], db_groups[0])
        app_group = next(
            k for k in resources(entry["json"], "AWS::EC2::SecurityGroup") if k.startswith("SgsApp")
        )
        port = cluster_props(entry)["Properties"]["Port"]
        assert [(ref(r["SourceSecurityGroupId"]), r["FromPort"], r["ToPort"]) for r in rules] == [
            (app_group, port, port)
        ], name
        assert not any("CidrIp" in r for r in rules)


def test_connections_default_port(clusters):
    db = clusters["own_group"]["db"]
    assert db.connections.default_port.to_rule_json() == {
        "ipProtocol": "tcp", "fromPort": 3307, "toPort": 3307,
    }  # fmt: skip
    assert db.port == 3307


# --- validation --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vpc_factory():
    def make(**net_props: Any) -> tuple[cdk.Stack, ec2.IVpc]:
        stack = cdk.Stack(cdk.App(), "V", env=ENV)
        net_props.setdefault("availability_zones", AZS[:2])
        net = Network(stack, "Net", flow_logs=False, **net_props)
        return stack, net.vpc

    return make


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"readers": 16}, r"readers must be between 0 and 15 \(Aurora's limit\), got 16"),
        ({"readers": -1}, r"readers must be between 0 and 15 .*got -1"),
        ({"readers": 1.5}, r"readers must be an integer, got 1\.5"),
        ({"engine": "oracle"}, r"engine must be one of 'mysql', 'postgresql', got 'oracle'"),
        (
            {"instance_type": "large"},
            r"instance_type must be an Aurora DB instance class .*'large'",
        ),
        ({"instance_type": "t3.micro"}, r"instance_type is too small .*Aurora.*got 't3\.micro'"),
        (
            {"reader_instance_type": "db.t4g.small"},
            r"reader_instance_type is too small.*t4g\.small",
        ),
        (
            {"engine_version": "8.0.32"},
            r"engine_version for mysql must be an Aurora MySQL 3 version",
        ),
        (
            {"engine": "postgresql", "engine_version": "17"},
            r"engine_version for postgresql must be an Aurora PostgreSQL version .*got '17'",
        ),
        (
            {"serverless_v2": True, "min_capacity": 0.3},
            r"min_capacity must be between 0 and 256 Aurora Serverless v2 ACUs in steps of 0\.5"
            r".*0\.3",
        ),
        (
            {"serverless_v2": True, "max_capacity": 300},
            r"max_capacity must be between 1 and 256 Aurora Serverless v2 ACUs.*got 300",
        ),
        (
            {"serverless_v2": True, "min_capacity": 8, "max_capacity": 4},
            r"min_capacity \(8\) must not exceed max_capacity \(4\)",
        ),
        (
            {"serverless_v2": True, "max_capacity": "4"},
            r"max_capacity must be a number of Aurora Serverless v2 ACUs",
        ),
        ({"reader_autoscaling": (3, 1)}, r"reader_autoscaling must satisfy 0 <= min <= max"),
        ({"reader_autoscaling": 3}, r"reader_autoscaling must be a \(min, max\) pair"),
        (
            {"readers": 10, "reader_autoscaling": (1, 6)},
            r"readers \(10\) plus reader_autoscaling max \(6\) is 16; Aurora allows at most 15",
        ),
        (
            {"reader_autoscaling": (1, 2), "reader_autoscaling_cpu": 95},
            r"reader_autoscaling_cpu must be between 10 and 90",
        ),
        ({"port": 0}, r"port must be between 1150 and 65535 \(RDS's range for Aurora\), got 0"),
        ({"backup_retention_days": 0}, r"backup_retention_days must be between 1 and 35.*got 0"),
        ({"backup_retention_days": 36}, r"backup_retention_days must be between 1 and 35.*got 36"),
        (
            {"engine": "postgresql", "backtrack_window_hours": 24},
            r"backtrack_window_hours=24: Backtrack exists only for Aurora MySQL",
        ),
        (
            {"serverless_v2": True, "backtrack_window_hours": 24},
            r"backtrack_window_hours=24: .*not with serverless_v2=True",
        ),
        ({"backtrack_window_hours": 73}, r"backtrack_window_hours must be between 0 and 72"),
        ({"monitoring_interval_seconds": 45}, r"monitoring_interval_seconds must be one of"),
        ({"preferred_backup_window": "3am"}, r"preferred_backup_window must be 'hh24:mi-hh24:mi'"),
        (
            {"preferred_maintenance_window": "sunday 3am"},
            r"preferred_maintenance_window must be 'ddd:hh24:mi-ddd:hh24:mi'",
        ),
        (
            {"preferred_backup_window": "17:00-17:15"},
            r"preferred_backup_window must last at least 30 minutes",
        ),
        (
            {
                "preferred_backup_window": "18:00-19:00",
                "preferred_maintenance_window": "sun:18:30-sun:19:30",
            },
            r"preferred_backup_window '18:00-19:00' overlaps preferred_maintenance_window",
        ),
    ],
)
def test_validation(vpc_factory, props, message):
    stack, vpc = vpc_factory()
    with pytest.raises(ValueError, match=message):
        AuroraCluster(stack, "Db", vpc=vpc, **props)


def test_needs_isolated_subnets(vpc_factory):
    stack = cdk.Stack(cdk.App(), "V", env=ENV)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        availability_zones=AZS[:2],
        subnet_configuration=[
            ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC)
        ],
        nat_gateways=0,
    )
    with pytest.raises(ValueError, match=r"the cluster needs PRIVATE_ISOLATED subnets in at least"):
        AuroraCluster(stack, "Db", vpc=vpc)


@pytest.mark.parametrize(
    ("backup", "maintenance", "ok"),
    [
        ("23:30-00:30", "mon:00:00-mon:00:45", False),  # wraps midnight into Monday
        ("23:30-00:30", "mon:01:00-mon:01:45", True),
        ("17:00-18:00", "sun:18:00-sun:19:00", True),  # touching is not overlapping
        ("01:00-02:00", "sun:23:30-mon:01:30", False),  # wraps the day
        ("10:00-11:00", "sat:23:00-sun:00:30", True),
    ],
)
def test_window_overlap(backup, maintenance, ok):
    if ok:
        validate_windows(backup, maintenance)
    else:
        with pytest.raises(ValueError, match="overlaps"):
            validate_windows(backup, maintenance)


def test_engine_version_strings(vpc_factory):
    stack, vpc = vpc_factory()
    AuroraCluster(stack, "My", vpc=vpc, engine_version="3.8.2")
    AuroraCluster(stack, "Pg", vpc=vpc, engine="postgresql", engine_version="16.9")
    template = Template.from_stack(stack).to_json()
    versions = sorted(
        c["Properties"]["EngineVersion"]
        for c in resources(template, "AWS::RDS::DBCluster").values()
    )
    # Aurora MySQL writes its minor version with two digits: 3.08.2, not 3.8.2.
    assert versions == ["16.9", "8.0.mysql_aurora.3.08.2"]
