"""Day 2: alarms that notify an encrypted topic and a dashboard, logs that hold what they claim,
updates that keep capacity, unique names across environments, Control Tower and checkov."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from tests.conftest import project_context
from wellstack.analysis.template import flat, ref, resources
from wellstack.compliance import apply_packs
from wellstack.constructs import (
    AppTier,
    AuroraCluster,
    Monitoring,
    Network,
    TierSecurityGroups,
)

ENV = cdk.Environment(region="ap-northeast-2")
AZS = ["ap-northeast-2a", "ap-northeast-2c"]


@pytest.fixture(scope="module")
def dev_prod(built_app):
    return built_app(env="dev,prod")


def alarms_by_name(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Alarms keyed by their construct id (``...Monitoring/WebTarget5xx/Resource``)."""
    return {
        alarm["Metadata"]["aws:cdk:path"].split("/")[-2]: alarm["Properties"]
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
    }


# --- monitoring ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "nats", "minimum"), [("Dev", 1, 2), ("Prod", 3, 3)])
def test_every_tier_has_its_alarms(dev_prod, env, nats, minimum):
    alarms = alarms_by_name(dev_prod.template(f"{env}App"))
    expected = {
        "WebLoadBalancer5xx", "WebTarget5xx", "WebTargetLatencyP99", "WebUnhealthyHosts",
        "WebNoHealthyHosts", "WebInServiceBelowMinimum", "WebInstanceCpu",
        "DatabaseWriterCpu", "DatabaseFreeableMemory", "DatabaseConnections",
        "DatabaseReaderCpu", "DatabaseReplicaLag", "DatabaseDeadlocks", "AssetsBucket5xx",
        # The instance refresh's gates (AppTier's own; they notify nobody).
        "RefreshGateErrors", "RefreshGateUnhealthy",
    } | {f"NetworkNat{i}{rule}" for i in range(1, nats + 1)
         for rule in ("NatPortAllocationErrors", "NatPacketsDropped")}  # fmt: skip
    assert set(alarms) == expected
    assert alarms["WebInServiceBelowMinimum"]["Threshold"] == minimum


def test_thresholds_and_missing_data(dev_prod):
    dev = alarms_by_name(dev_prod.template("DevApp"))
    prod = alarms_by_name(dev_prod.template("ProdApp"))
    rate = dev["WebLoadBalancer5xx"]
    assert (rate["Threshold"], rate["EvaluationPeriods"], rate["DatapointsToAlarm"]) == (5, 5, 3)
    assert "100 * part / whole" in json.dumps(rate["Metrics"])
    assert rate["TreatMissingData"] == "notBreaching"  # no requests, no errors: not an alarm
    down = dev["WebNoHealthyHosts"]
    assert down["ComparisonOperator"] == "LessThanThreshold" and down["Threshold"] == 1
    assert down["TreatMissingData"] == "breaching"  # silence from the target group is an outage
    assert dev["WebTargetLatencyP99"]["ExtendedStatistic"] == "p99"
    assert dev["WebTargetLatencyP99"]["Threshold"] == 2
    # Database: 10% of the class's memory, 80% of its default max_connections.
    assert dev["DatabaseFreeableMemory"]["Threshold"] == pytest.approx(
        0.1 * 4 * 2**30
    )  # t4g.medium
    assert prod["DatabaseFreeableMemory"]["Threshold"] == pytest.approx(
        0.1 * 16 * 2**30
    )  # r6g.large
    assert dev["DatabaseConnections"]["Threshold"] == pytest.approx(72)  # 80% of 90
    assert prod["DatabaseConnections"]["Threshold"] == pytest.approx(800)  # 80% of 1000
    assert dev["DatabaseWriterCpu"]["Threshold"] == 80
    assert dev["DatabaseReplicaLag"]["Threshold"] == 1000
    dimensions = {d["Name"]: d["Value"] for d in dev["DatabaseWriterCpu"]["Dimensions"]}
    (cluster,) = resources(dev_prod.template("DevData"), "AWS::RDS::DBCluster").values()
    assert dimensions == {
        "DBClusterIdentifier": cluster["Properties"]["DBClusterIdentifier"],
        "Role": "WRITER",
    }


def test_alarms_notify_the_encrypted_tls_only_topic(dev_prod):
    app = dev_prod.template("DevApp")
    ((topic_id, topic),) = resources(app, "AWS::SNS::Topic").items()
    assert "KmsMasterKeyId" in topic["Properties"]
    gates = refresh_gates(app)
    assert len(gates) == 2
    for alarm_id, alarm in resources(app, "AWS::CloudWatch::Alarm").items():
        if alarm_id in gates:  # read by CloudFormation during an instance refresh
            assert "AlarmActions" not in alarm["Properties"]
            continue
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["OKActions"] == [{"Ref": topic_id}]
    (policy,) = resources(app, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    # The topic policy replaces SNS's default one: CloudWatch must be allowed by name, for
    # this account's alarms (AWS Knowledge Center, cloudwatch-receive-sns-for-alarm-trigger).
    (allow,) = [
        s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert allow["Effect"] == "Allow" and allow["Action"] == "sns:Publish"
    assert flat(allow["Condition"]["ArnLike"]["aws:SourceArn"]).endswith(":alarm:*")
    assert ":cloudwatch:ap-northeast-2:" in flat(allow["Condition"]["ArnLike"]["aws:SourceArn"])
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    (dashboard,) = resources(app, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "wellstack-dev"
    rules = {r["Properties"]["EventPattern"]["detail-type"][0]: r["Properties"]
             for r in resources(app, "AWS::Events::Rule").values()}  # fmt: skip
    assert set(rules) == {"Backup Job State Change", "Copy Job State Change"}
    for rule in rules.values():
        assert rule["EventPattern"]["source"] == ["aws.backup"]
        assert rule["Targets"][0]["Arn"] == {"Ref": topic_id}
    # Each detail-type on the fields its events carry (AWS Backup Developer Guide, "Monitoring
    # AWS Backup events using Amazon EventBridge"): copy jobs name vaults by ARN only.
    backup = rules["Backup Job State Change"]["EventPattern"]["detail"]
    assert set(backup) == {"state", "backupVaultName"}
    copy = rules["Copy Job State Change"]["EventPattern"]["detail"]
    assert set(copy) == {"state", "sourceBackupVaultArn"} and copy["state"] == ["FAILED", "PARTIAL"]
    (vault,) = resources(dev_prod.template("DevData"), "AWS::Backup::BackupVault").values()
    (arn,) = copy["sourceBackupVaultArn"]
    assert flat(arn).endswith(f":backup-vault:{vault['Properties']['BackupVaultName']}")
    assert ":backup:ap-northeast-2:" in flat(arn)


def test_monitoring_from_a_consumer_app_with_its_own_topic():
    app = cdk.App(context=project_context())
    stack = cdk.Stack(app, "Consumer", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, nat="per_az", flow_logs=False)
    sgs = TierSecurityGroups(stack, "Sgs", vpc=net.vpc, db_port=5432)  # PostgreSQL's port
    web = AppTier(stack, "Shop", vpc=net.vpc, security_groups=sgs, min_capacity=1)
    db = AuroraCluster(stack, "Orders", vpc=net.vpc, engine="postgresql", readers=0,
                       instance_type="t4g.medium", security_group=sgs.database)  # fmt: skip
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    topic = sns.Topic(stack, "Pager", master_key=key, enforce_ssl=True)  # pyright: ignore[reportArgumentType]
    mon = Monitoring(stack, "Ops", topic=topic, alarm_email="oncall@example.com")
    names = [a.node.id for a in mon.watch_app_tier(web)]
    names += [a.node.id for a in mon.watch_database(db)]
    names += [a.node.id for a in mon.watch_network(net)]
    assert mon.topic is topic and mon.topic_key is None
    assert "OrdersDeadlocks" not in names and "OrdersReplicaLag" not in names  # PG, no reader
    assert len([n for n in names if n.startswith("NetNat")]) == 4  # two NATs, two alarms each
    apply_packs(app, ["NIST80053R5"])
    template = app.synth().get_stack_by_name("Consumer").template
    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == "oncall@example.com"
    (topic_id,) = resources(template, "AWS::SNS::Topic")
    gates = refresh_gates(template)
    for alarm_id, alarm in resources(template, "AWS::CloudWatch::Alarm").items():
        if alarm_id not in gates:
            assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"alarm_email": "not-an-address"}, r"alarm_email must be an email address"),
        ({"topic": "arn:aws:sns:ap-northeast-2:111122223333:t"}, r"topic must be an SNS topic"),
        ({"dashboard_name": "has spaces"}, r"dashboard_name must be a dashboard name"),
    ],
)
def test_monitoring_validation(props, message):
    stack = cdk.Stack(cdk.App(), "V", env=ENV)
    with pytest.raises(ValueError, match=message):
        Monitoring(stack, "Mon", **props)


def test_watching_the_wrong_thing_is_a_clear_error():
    stack = cdk.Stack(cdk.App(), "V", env=ENV)
    mon = Monitoring(stack, "Mon")
    with pytest.raises(
        ValueError,
        match=r"V/Mon: watch_database needs an AuroraCluster or an AuroraSecondaryCluster, "
        r"got 'db'",
    ):
        mon.watch_database("db")  # pyright: ignore[reportArgumentType]


# --- logs that hold data -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def engines() -> dict[str, dict[str, Any]]:
    app = cdk.App(context=project_context())
    out = {}
    for engine in ("mysql", "postgresql"):
        stack = cdk.Stack(app, f"Logs{engine.capitalize()}", env=ENV)
        net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
        AuroraCluster(stack, "Db", vpc=net.vpc, engine=engine, readers=1, log_retention_days=90,
                      instance_type="t4g.medium" if engine == "mysql" else "t3.medium")  # fmt: skip
        out[engine] = stack
    apply_packs(app, ["NIST80053R5"])
    assembly = app.synth()
    return {e: assembly.get_stack_by_name(s.stack_name).template for e, s in out.items()}


def test_mysql_logs_are_switched_on_for_what_is_exported(engines):
    template = engines["mysql"]
    (cluster,) = resources(template, "AWS::RDS::DBCluster").values()
    assert cluster["Properties"]["EnableCloudwatchLogsExports"] == [
        "audit", "error", "general", "slowquery",
    ]  # fmt: skip
    (group,) = resources(template, "AWS::RDS::DBClusterParameterGroup").values()
    parameters = group["Properties"]["Parameters"]
    assert parameters["server_audit_logging"] == "1"
    assert parameters["server_audit_events"] == "CONNECT,QUERY_DCL,QUERY_DDL"
    assert parameters["slow_query_log"] == "1" and parameters["long_query_time"] == "1"
    assert parameters["general_log"] == "1" and parameters["log_output"] == "FILE"
    assert parameters["require_secure_transport"] == "ON"


def test_postgresql_logs_slow_queries_and_ddl(engines):
    (group,) = resources(engines["postgresql"], "AWS::RDS::DBClusterParameterGroup").values()
    parameters = group["Properties"]["Parameters"]
    assert parameters["log_min_duration_statement"] == "1000"
    assert parameters["log_statement"] == "ddl"
    assert parameters["rds.force_ssl"] == "1"


@pytest.mark.parametrize(("engine", "logs"), [("mysql", 4), ("postgresql", 1)])
def test_the_stack_creates_the_rds_log_groups(engines, engine, logs):
    template = engines[engine]
    (cluster,) = resources(template, "AWS::RDS::DBCluster").values()
    identifier = cluster["Properties"]["DBClusterIdentifier"]
    groups = resources(template, "AWS::Logs::LogGroup")
    names = {g["Properties"]["LogGroupName"] for g in groups.values()}
    exported = cluster["Properties"]["EnableCloudwatchLogsExports"]
    assert len(exported) == logs
    assert names == {f"/aws/rds/cluster/{identifier}/{log}" for log in exported}
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == 90
        assert "KmsKeyId" in group["Properties"]
        assert group["DeletionPolicy"] == "Retain"
    # The cluster waits for its log groups: RDS would otherwise create them itself first.
    assert set(groups) <= set(cluster["DependsOn"])
    assert identifier == identifier.lower() and len(identifier) <= 63


def test_auto_minor_upgrades_off_on_the_lts_release(engines):
    for instance in resources(engines["mysql"], "AWS::RDS::DBInstance").values():
        assert instance["Properties"]["AutoMinorVersionUpgrade"] is False  # 3.10 LTS
    for instance in resources(engines["postgresql"], "AWS::RDS::DBInstance").values():
        assert instance["Properties"]["AutoMinorVersionUpgrade"] is True


def test_performance_insights_where_aurora_supports_it(engines):
    mysql = [i["Properties"] for i in resources(engines["mysql"], "AWS::RDS::DBInstance").values()]
    assert all(p["EnablePerformanceInsights"] is True for p in mysql)  # db.t4g.medium
    pg = [
        i["Properties"] for i in resources(engines["postgresql"], "AWS::RDS::DBInstance").values()
    ]
    assert all(p["EnablePerformanceInsights"] is False for p in pg)  # db.t3.medium


def test_keys_let_only_aws_services_create_grants(dev_prod):
    for stack in ("DevNetwork", "DevData", "DevApp"):
        for key in resources(dev_prod.template(stack), "AWS::KMS::Key").values():
            statements = key["Properties"]["KeyPolicy"]["Statement"]
            assert {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {
                    "BoolIfExists": {
                        "kms:GrantIsForAWSResource": "false",
                        "aws:PrincipalIsAWSService": "false",
                    }
                },
                "Sid": "DenyGrantsExceptForAwsServices",
            } in statements


def test_waf_logs_through_their_own_resource_policy(dev_prod):
    app = dev_prod.template("DevApp")
    (policy,) = resources(app, "AWS::Logs::ResourcePolicy").values()
    document = json.loads(json.dumps(policy["Properties"]["PolicyDocument"]))
    assert "delivery.logs.amazonaws.com" in json.dumps(document)
    (logging,) = resources(app, "AWS::WAFv2::LoggingConfiguration").values()
    assert any(d.startswith("WebWafLogPolicy") for d in logging["DependsOn"])


# --- updates that keep capacity ------------------------------------------------------------------


def refresh_gates(template: dict[str, Any]) -> set[str]:
    """The alarms named by the app tier's instance refresh (logical ids)."""
    return {k for k in resources(template, "AWS::CloudWatch::Alarm") if "RefreshGate" in k}


def test_instances_signal_and_updates_wait_for_them(dev_prod):
    app = dev_prod.template("DevApp")
    ((group_id, group),) = resources(app, "AWS::AutoScaling::AutoScalingGroup").items()
    # Creation waits for the signals; an update is an instance refresh, which AWS runs on health
    # checks and warm-up (it does not support cfn-signal), gated by the tier's two alarms.
    assert group["CreationPolicy"]["ResourceSignal"] == {"Count": 2, "Timeout": "PT15M"}
    assert set(group["UpdatePolicy"]) == {
        "AutoScalingInstanceRefresh",
        "AutoScalingScheduledAction",
    }
    refresh = group["UpdatePolicy"]["AutoScalingInstanceRefresh"]
    assert refresh["Strategy"] == "Rolling"
    preferences = refresh["Preferences"]
    assert (preferences["MinHealthyPercentage"], preferences["MaxHealthyPercentage"]) == (100, 200)
    assert preferences["BakeTime"] == 600 and preferences["CheckpointPercentages"] == [50, 100]
    assert set(refresh_gates(app)) == {ref(a) for a in preferences["AlarmSpecification"]["Alarms"]}
    (template,) = resources(app, "AWS::EC2::LaunchTemplate").values()
    script = json.dumps(template["Properties"]["LaunchTemplateData"]["UserData"])
    assert "aws cloudformation signal-resource" in script
    assert f"--logical-resource-id {group_id}" in script
    assert "http://127.0.0.1:80/health" in script
    signal = [
        p["Properties"] for p in resources(app, "AWS::IAM::ManagedPolicy").values()
        if "cloudformation:SignalResource" in json.dumps(p["Properties"]["PolicyDocument"])
    ]  # fmt: skip
    assert signal[0]["PolicyDocument"]["Statement"][0]["Resource"] == {"Ref": "AWS::StackId"}
    assert not resources(app, "AWS::IAM::Policy"), "an inline policy crept in"


# --- names unique per account -------------------------------------------------------------------

NAME_PROPERTIES = (
    "BucketName", "BackupPlanName", "BackupVaultName", "LogGroupName", "DashboardName",
    "TopicName", "RoleName", "ManagedPolicyName", "DBClusterIdentifier", "PolicyName",
    "LoadBalancerName", "Name", "AutoScalingGroupName",
)  # fmt: skip


def _names(template: dict[str, Any]) -> list[str]:
    found = []
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        values = [properties.get(key) for key in NAME_PROPERTIES]
        plan = properties.get("BackupPlan", {})
        values.append(plan.get("BackupPlanName") if isinstance(plan, dict) else None)
        found += [v for v in values if isinstance(v, str)]
    return found


def test_two_environments_in_one_account_share_no_name(dev_prod):
    dev = [n for s in ("DevNetwork", "DevData", "DevApp") for n in _names(dev_prod.template(s))]
    prod = [n for s in ("ProdNetwork", "ProdData", "ProdApp") for n in _names(dev_prod.template(s))]
    assert dev and prod
    assert not set(dev) & set(prod)
    assert len(dev) == len(set(dev))


# --- Control Tower and checkov -------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_control_tower_pack_is_clean(built_app, env):
    built = built_app(env=env, packs="NIST80053R5,ControlTower")
    report = json.loads((built.outdir / "validation-report.json").read_text())
    assert all(not plugin["violations"] for plugin in report.get("pluginReports", []))
    rules = {
        row["id"]
        for template in built.template_files
        for resource in json.loads(template.read_text())["Resources"].values()
        for row in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    assert any(rule.startswith("CloudFormation-Validate::s3_") for rule in rules)


def test_a_control_tower_finding_fails_the_synth():
    """The pack is a real gate: an unacknowledged finding stops synthesis."""
    app = cdk.App(context=project_context())
    stack = cdk.Stack(app, "Loose", env=ENV)
    kms.Key(stack, "PlainKey", enable_key_rotation=True)  # no CT.KMS.PR.3 statement
    apply_packs(app, ["ControlTower"])
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def test_every_checkov_skip_carries_the_reason_of_an_acknowledgment(dev_prod):
    skips = 0
    for template in Path(dev_prod.outdir).glob("*.template.json"):
        for resource in json.loads(template.read_text())["Resources"].values():
            metadata = resource.get("Metadata", {})
            reasons = {
                r["reason"] for r in metadata.get("cdk_nag", {}).get("rules_to_suppress", [])
            }
            for skip in metadata.get("checkov", {}).get("skip", []):
                skips += 1
                assert skip["comment"] in reasons, (skip, sorted(reasons))
    assert skips >= 8
