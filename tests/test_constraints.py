"""The AwsConstraints rule pack (issue 28): each rule catches the defect it is about on a template
that has it (and stays quiet on the fixed shape), the pack is clean on the default app, runs at
synth like cdk-nag (a violation fails, an acknowledgment on the owning construct passes), and
``wellstack check`` reads any assembly."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from click.testing import CliRunner

from tests.conftest import project_context
from wellstack.analysis.constraints import PACK, all_rules, check, evaluate
from wellstack.analysis.policy import Request, allows
from wellstack.analysis.template import Assembly
from wellstack.cli import main
from wellstack.compliance import acknowledge, apply_packs

REGION, ACCOUNT = "ap-northeast-2", "111122223333"


def assembly(resources: dict[str, Any], **more: dict[str, Any]) -> Assembly:
    """One stack ``S`` (``more``: other stacks) in a concrete account and region."""
    templates = {"S": {"Resources": resources}, **{k: {"Resources": v} for k, v in more.items()}}
    names = list(templates)
    return Assembly.from_templates(
        templates, dict.fromkeys(names, REGION), dict.fromkeys(names, ACCOUNT)
    )


def found(resources: dict[str, Any], rule: str, **more: dict[str, Any]) -> list[str]:
    """``logical id: message`` of every violation of ``rule``."""
    return [f"{v.logical_id}: {v.message}" for v in evaluate(assembly(resources, **more), [rule])]


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


# --- RDS ---------------------------------------------------------------------------------------

CLUSTER = {
    "Type": "AWS::RDS::DBCluster",
    "Properties": {"Engine": "aurora-mysql", "DBClusterIdentifier": "orders",
                   "ManageMasterUserPassword": True, "MasterUsername": "dbadmin"},
}  # fmt: skip
GLOBAL = {
    "Type": "AWS::RDS::GlobalCluster",
    "Properties": {"GlobalClusterIdentifier": "g",
                   "SourceDBClusterIdentifier": "arn:aws:rds:ap-northeast-2:1:cluster:orders"},
}  # fmt: skip


def test_rds1_managed_password_on_a_global_primary_by_arn_or_reference():
    assert found({"Db": CLUSTER, "Global": GLOBAL}, "RDS1") == [
        "Db: ManageMasterUserPassword is true on the primary of global cluster S/Global: RDS "
        "refuses it, the global cluster fails to create and the stack rolls back"
    ]
    by_ref = copy.deepcopy(GLOBAL)
    by_ref["Properties"]["SourceDBClusterIdentifier"] = ref("Db")
    assert len(found({"Db": CLUSTER, "Global": by_ref}, "RDS1")) == 1
    generated = copy.deepcopy(CLUSTER)
    del generated["Properties"]["ManageMasterUserPassword"]
    generated["Properties"]["MasterUserPassword"] = "{{resolve:secretsmanager:s}}"
    assert found({"Db": generated, "Global": GLOBAL}, "RDS1") == []
    assert found({"Db": CLUSTER}, "RDS1") == []  # no global database: RDS manages it fine


def test_rds2_managed_password_on_a_blue_green_source():
    deployment = {"Type": "AWS::RDS::Deployment",
                  "Properties": {"BlueGreenDeploymentName": "up", "Source": ref("Db")}}  # fmt: skip
    assert len(found({"Db": CLUSTER, "Up": deployment}, "RDS2")) == 1
    assert found({"Db": CLUSTER}, "RDS2") == []


def test_rds3_backtrack_and_rds4_burstable_class_in_a_global_database():
    cluster = copy.deepcopy(CLUSTER)
    cluster["Properties"]["BacktrackWindow"] = 86400
    instance = {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {"DBClusterIdentifier": ref("Db"), "DBInstanceClass": "db.t4g.medium"},
    }
    resources = {"Db": cluster, "Global": GLOBAL, "Writer": instance}
    assert found(resources, "RDS3") == ["Db: BacktrackWindow is 86400 s on the primary of global "
                                        "cluster S/Global"]  # fmt: skip
    assert [m.split(":")[0] for m in found(resources, "RDS4")] == ["Writer"]
    alone = {"Db": cluster, "Writer": instance}
    assert found(alone, "RDS3") == [] and found(alone, "RDS4") == []


def test_rds5_performance_insights_on_a_class_without_it():
    instance = {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {"DBInstanceClass": "db.t3.medium", "EnablePerformanceInsights": True},
    }
    assert len(found({"I": instance}, "RDS5")) == 1
    instance["Properties"]["DBInstanceClass"] = "db.t4g.medium"
    assert found({"I": instance}, "RDS5") == []


def test_rds6_credentials_on_a_secondary():
    secondary = {
        "Type": "AWS::RDS::DBCluster",
        "Properties": {"GlobalClusterIdentifier": "g", "MasterUsername": "dbadmin"},
    }
    assert [m.split(":")[0] for m in found({"Sec": secondary}, "RDS6")] == ["Sec"]
    del secondary["Properties"]["MasterUsername"]
    assert found({"Sec": secondary}, "RDS6") == []


# --- SNS: every publisher let in by the topic policy and the key ---------------------------------


def alarm(topic: Any = None) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {"AlarmActions": [topic or ref("Topic")],
                       "OKActions": [topic or ref("Topic")],
                       "Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Period": 300,
                       "EvaluationPeriods": 1, "Threshold": 1,
                       "ComparisonOperator": "GreaterThanThreshold", "Statistic": "Average"},
    }  # fmt: skip


def statement(service: str, action: str = "sns:Publish", **condition: Any) -> dict[str, Any]:
    found_ = {"Effect": "Allow", "Principal": {"Service": service}, "Action": action,
              "Resource": "*"}  # fmt: skip
    if condition:
        found_["Condition"] = condition
    return found_


TLS_ONLY = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sns:Publish", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}  # fmt: skip


def topic_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::SNS::TopicPolicy",
            "Properties": {"Topics": [ref("Topic")],
                           "PolicyDocument": {"Version": "2012-10-17",
                                              "Statement": list(statements)}}}  # fmt: skip


TOPIC = {"Type": "AWS::SNS::Topic", "Properties": {}}


def test_sns1_a_topic_policy_without_cloudwatch_drops_every_alarm():
    events_only = {
        "Topic": TOPIC,
        "Alarm": alarm(),
        "Policy": topic_policy(TLS_ONLY, statement("events.amazonaws.com")),
    }
    (message,) = found(events_only, "SNS1")
    assert message.startswith(
        "Policy: topic S/Topic's policy does not allow "
        "cloudwatch.amazonaws.com sns:Publish, so alarm S/Alarm cannot"
    )
    fixed = {**events_only, "Policy": topic_policy(
        TLS_ONLY, statement("events.amazonaws.com"),
        statement("cloudwatch.amazonaws.com",
                  ArnLike={"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"}),
    )}  # fmt: skip
    assert found(fixed, "SNS1") == []
    # No topic policy at all: SNS's default lets the account's own services publish.
    assert found({"Topic": TOPIC, "Alarm": alarm()}, "SNS1") == []
    # A condition the alarm cannot meet (another account's alarms) is no allow.
    other = {**events_only, "Policy": topic_policy(statement(
        "cloudwatch.amazonaws.com", ArnLike={"aws:SourceArn": "arn:aws:cloudwatch:*:999:alarm:*"}
    ))}  # fmt: skip
    assert len(found(other, "SNS1")) == 1
    # An explicit deny of the publisher wins over the allow.
    denied = {**fixed, "Policy": topic_policy(
        statement("cloudwatch.amazonaws.com"),
        {"Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": "*"},
    )}  # fmt: skip
    assert len(found(denied, "SNS1")) == 1


def test_sns1_covers_eventbridge_rules_and_backup_notifications():
    rule = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventPattern": {"source": ["aws.backup"]},
            "Targets": [{"Arn": ref("Topic"), "Id": "t"}],
        },
    }
    vault = {
        "Type": "AWS::Backup::BackupVault",
        "Properties": {
            "BackupVaultName": "v",
            "Notifications": {
                "SNSTopicArn": ref("Topic"),
                "BackupVaultEvents": ["BACKUP_JOB_COMPLETED"],
            },
        },
    }
    alarms_only = topic_policy(statement("cloudwatch.amazonaws.com"))
    messages = found({"Topic": TOPIC, "Rule": rule, "Vault": vault, "Policy": alarms_only}, "SNS1")
    assert sorted(m.split(" sns:Publish")[0] for m in messages) == [
        "Policy: topic S/Topic's policy does not allow backup.amazonaws.com",
        "Policy: topic S/Topic's policy does not allow events.amazonaws.com",
    ]  # fmt: skip


def key(*statements: dict[str, Any]) -> dict[str, Any]:
    root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*", "Resource": "*"}  # fmt: skip
    return {"Type": "AWS::KMS::Key",
            "Properties": {"KeyPolicy": {"Statement": [root, *statements]}}}  # fmt: skip


def test_sns2_the_topic_key_must_let_the_publisher_use_it():
    encrypted = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
    }
    resources = {"Topic": encrypted, "Alarm": alarm(), "Key": key()}
    (message,) = found(resources, "SNS2")
    assert message.startswith("Key: the key of topic S/Topic does not let cloudwatch.amazonaws.com")
    good = key(statement("cloudwatch.amazonaws.com", ["kms:Decrypt", "kms:GenerateDataKey*"]))
    assert found({**resources, "Key": good}, "SNS2") == []
    half = key(statement("cloudwatch.amazonaws.com", "kms:Decrypt"))
    assert len(found({**resources, "Key": half}, "SNS2")) == 1
    managed = {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}}
    (message,) = found({"Topic": managed, "Alarm": alarm()}, "SNS2")
    assert "AWS-managed key alias/aws/sns" in message
    # A key outside the app: its policy cannot be read offline, so nothing is claimed.
    outside = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"KmsMasterKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1"},
    }
    assert found({"Topic": outside, "Alarm": alarm()}, "SNS2") == []


def test_policy_reading_is_conservative_about_what_it_cannot_evaluate():
    request = Request(
        "cloudwatch.amazonaws.com",
        "sns:Publish",
        {"aws:sourcearn": "arn:*:cloudwatch:r:*:alarm:*", "aws:securetransport": "true"},
    )
    unknown_key = {
        "Statement": [
            statement("cloudwatch.amazonaws.com", StringEquals={"aws:PrincipalOrgID": "o-1"})
        ]
    }
    assert allows(unknown_key, request) is False  # the request carries no such key: a miss
    deploy_time = {"Statement": [statement(
        "cloudwatch.amazonaws.com",
        ArnLike={"aws:SourceArn": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":x"]]}},
    )]}  # fmt: skip
    assert allows(deploy_time, request) is True  # known only at deploy: not held against it
    wildcard_action = {"Statement": [statement("cloudwatch.amazonaws.com", "SNS:*")]}
    assert allows(wildcard_action, request) is True
    not_action = {"Statement": [{"Effect": "Allow", "Principal": "*", "NotAction": "sns:Publish",
                                 "Resource": "*"}]}  # fmt: skip
    assert allows(not_action, request) is False


# --- EventBridge -------------------------------------------------------------------------------


def backup_rule(detail_types: list[str], detail: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::Events::Rule",
            "Properties": {"EventPattern": {"source": ["aws.backup"], "detail-type": detail_types,
                                            "detail": detail}}}  # fmt: skip


def test_evt1_copy_job_events_carry_no_vault_name():
    before = backup_rule(["Backup Job State Change", "Copy Job State Change"],
                         {"state": ["FAILED"], "backupVaultName": ["v"]})  # fmt: skip
    assert found({"R": before}, "EVT1") == [
        "R: 'Copy Job State Change' events carry no detail.backupVaultName: the rule never "
        "matches them"
    ]
    copies = backup_rule(["Copy Job State Change"],
                         {"state": ["FAILED"], "sourceBackupVaultArn": ["arn"]})  # fmt: skip
    assert found({"R": copies}, "EVT1") == []
    restores = backup_rule(["Restore Job State Change"], {"state": ["FAILED"]})
    (message,) = found({"R": restores}, "EVT1")
    assert "carry no detail.state" in message
    # A field the table does not know is never held against a pattern.
    assert found({"R": backup_rule(["Copy Job State Change"], {"somethingNew": ["x"]})},
                 "EVT1") == []  # fmt: skip


def test_evt2_an_sns_target_with_a_role():
    rule = {
        "Type": "AWS::Events::Rule",
        "Properties": {"Targets": [{"Arn": ref("Topic"), "Id": "t", "RoleArn": "arn:r"}]},
    }
    assert len(found({"Topic": TOPIC, "R": rule}, "EVT2")) == 1
    del rule["Properties"]["Targets"][0]["RoleArn"]
    assert found({"Topic": TOPIC, "R": rule}, "EVT2") == []


# --- alarms ------------------------------------------------------------------------------------


def test_cw_limits_and_periods():
    many = alarm()
    many["Properties"]["AlarmActions"] = [f"arn:aws:sns:{REGION}:{ACCOUNT}:t{i}" for i in range(6)]
    assert len(found({"A": many}, "CW1")) == 1
    long = alarm()
    long["Properties"].update(Period=300, EvaluationPeriods=300)  # 25 hours
    assert len(found({"A": long}, "CW3")) == 1
    short = alarm()
    short["Properties"]["Period"] = 10
    assert len(found({"A": short}, "CW4")) == 1
    custom = copy.deepcopy(short)
    custom["Properties"]["Namespace"] = "MyApp"  # a high-resolution custom metric may be fine
    assert found({"A": custom}, "CW4") == []


# --- Auto Scaling signals ------------------------------------------------------------------------


def signalling_group(user_data: str, depends_on: list[str] | None = None) -> dict[str, Any]:
    group = {
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": {"MinSize": "2", "MaxSize": "4",
                       "LaunchTemplate": {"LaunchTemplateId": ref("Template"), "Version": "1"}},
        "CreationPolicy": {"ResourceSignal": {"Count": 2, "Timeout": "PT15M"}},
        "UpdatePolicy": {"AutoScalingRollingUpdate": {"WaitOnResourceSignals": True,
                                                      "MinInstancesInService": 2}},
    }  # fmt: skip
    if depends_on:
        group["DependsOn"] = depends_on
    return {
        "Group": group,
        "Template": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "IamInstanceProfile": {"Arn": {"Fn::GetAtt": ["Profile", "Arn"]}},
            "UserData": {"Fn::Base64": user_data}}}},
        "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [ref("Role")]}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
        "Signal": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "Roles": [ref("Role")],
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "Resource": "*",
                                              "Action": "cloudformation:SignalResource"}]}}},
    }  # fmt: skip


SIGNAL = "aws cloudformation signal-resource --stack-name s --logical-resource-id Group"
AT_THE_END = f"#!/bin/bash\nset -euo pipefail\ndnf install -y nginx\n{SIGNAL} --status SUCCESS\n"
TRAPPED = (
    f"#!/bin/bash\nfunction exitTrap(){{\nexitCode=$?\n{SIGNAL} --status FAILURE\n}}\n"
    f"trap exitTrap EXIT\nset -euo pipefail\ndnf install -y nginx\n{SIGNAL} --status SUCCESS\n"
)


def test_as1_a_boot_that_exits_before_signalling():
    (message,) = found(signalling_group(AT_THE_END, ["Signal"]), "AS1")
    assert "signals only at the end" in message
    assert found(signalling_group(TRAPPED, ["Signal"]), "AS1") == []
    inline = TRAPPED.replace("trap exitTrap EXIT", f"trap '{SIGNAL} --status FAILURE' ERR")
    assert found(signalling_group(inline, ["Signal"]), "AS1") == []
    (message,) = found(signalling_group("#!/bin/bash\necho hi\n", ["Signal"]), "AS1")
    assert "never sends one" in message


def test_as2_the_group_waits_for_the_policy_that_lets_it_signal():
    (message,) = found(signalling_group(TRAPPED), "AS2")
    assert message.startswith("Group: the instances' permission to signal (Signal)")
    assert found(signalling_group(TRAPPED, ["Signal"]), "AS2") == []
    # Through another resource it depends on, too.
    chained = signalling_group(TRAPPED)
    chained["Role"]["DependsOn"] = "Signal"
    assert found(chained, "AS2") == []


def test_as3_as4_signal_count_and_instances_kept_in_service():
    group = signalling_group(TRAPPED, ["Signal"])
    group["Group"]["CreationPolicy"]["ResourceSignal"]["Count"] = 3
    assert len(found(group, "AS3")) == 1
    group["Group"]["UpdatePolicy"]["AutoScalingRollingUpdate"]["MinInstancesInService"] = 4
    assert len(found(group, "AS4")) == 1


# --- offline synthesis -------------------------------------------------------------------------


def test_syn1_reads_the_lookups_the_manifest_lists():
    target = assembly({"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {}}})
    target.missing = [{"key": f"availability-zones:account={ACCOUNT}:region={REGION}",
                       "provider": "availability-zones",
                       "props": {"account": ACCOUNT, "region": REGION}}]  # fmt: skip
    (violation,) = evaluate(target, ["SYN1"])
    assert violation.logical_id == "Vpc" and "fails without credentials" in violation.message


# --- the pack at synth, and wellstack check ------------------------------------------------------


def test_every_rule_cites_its_aws_page():
    for rule in all_rules().values():
        assert rule.url.startswith(("https://docs.aws.amazon.com/", "https://repost.aws/")), rule
        assert rule.outcome in ("refused", "ignored") and rule.source and rule.title


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_default_app_is_clean(built_app, env):
    report = check(Assembly.load(built_app(env=env).outdir))
    assert report.violations == () and report.acknowledged == ()
    assert report.rules == len(all_rules())


def _app_with_an_unnotifiable_alarm() -> tuple[cdk.App, cdk.Stack, sns.Topic]:
    """An alarm topic with a topic policy that leaves CloudWatch out (what Monitoring had)."""
    app = cdk.App(context=project_context())
    stack = cdk.Stack(app, "Alarms", env=cdk.Environment(region=REGION))
    key_ = kms.Key(stack, "Key", enable_key_rotation=True)
    key_.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],  # pyright: ignore[reportArgumentType]
        actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"],
    ))  # fmt: skip
    topic = sns.Topic(stack, "Topic", master_key=key_, enforce_ssl=True)  # pyright: ignore[reportArgumentType]
    from aws_cdk import aws_cloudwatch as cw
    from aws_cdk import aws_cloudwatch_actions as actions

    alarm_ = cw.Alarm(
        stack, "Cpu", threshold=1, evaluation_periods=1,
        metric=cw.Metric(namespace="AWS/EC2", metric_name="CPUUtilization"),
    )  # fmt: skip
    alarm_.add_alarm_action(actions.SnsAction(topic))  # pyright: ignore[reportArgumentType]
    return app, stack, topic


def test_a_violation_fails_the_synth_and_an_acknowledgment_on_its_owner_passes():
    app, _, _ = _app_with_an_unnotifiable_alarm()
    apply_packs(app, [])
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((Path(app.outdir) / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] if p["pluginName"] == PACK
             for v in p["violations"]}  # fmt: skip
    assert rules == {"SNS1"}

    app, _, topic = _app_with_an_unnotifiable_alarm()
    acknowledge(topic, {f"{PACK}::SNS1": "a test: this topic's policy is managed elsewhere"})
    apply_packs(app, [])
    app.synth()  # passes


def test_wellstack_check_reads_any_assembly(tmp_path):
    app, _, topic = _app_with_an_unnotifiable_alarm()
    acknowledge(topic, {f"{PACK}::SNS1": "checked elsewhere"})
    out = app.synth().directory  # no packs: what `cdk synth` of someone else's app writes
    result = CliRunner().invoke(main, ["check", out, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["violations"] == []
    ((row),) = report["acknowledged"]
    assert row["rule"] == "AwsConstraints::SNS1" and row["reason"] == "checked elsewhere"

    app, _, _ = _app_with_an_unnotifiable_alarm()
    out = app.synth().directory
    result = CliRunner().invoke(main, ["check", out])
    assert result.exit_code == 1
    assert "AwsConstraints::SNS1" in result.stdout and "Alarms/Topic/Policy" in result.stdout
    missing = CliRunner().invoke(main, ["check", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "no manifest.json" in missing.output


def test_a_consumer_group_signalling_from_its_own_user_data_is_checked():
    """The rule reads what any Auto Scaling group's user data does, not only AppTier's."""
    app = cdk.App(context=project_context())
    stack = cdk.Stack(app, "Own", env=cdk.Environment(region=REGION))
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=[f"{REGION}a", f"{REGION}b"], nat_gateways=1)
    data = ec2.UserData.for_linux()
    data.add_commands("set -e", "dnf install -y nginx", f"{SIGNAL} --status SUCCESS")
    autoscaling.AutoScalingGroup(
        stack, "Group", vpc=vpc, user_data=data, instance_type=ec2.InstanceType("t3.micro"),
        machine_image=ec2.MachineImage.latest_amazon_linux2023(),
        signals=autoscaling.Signals.wait_for_min_capacity(),
    )  # fmt: skip
    out = app.synth().directory
    rules = {v.rule for v in evaluate(Assembly.load(out), ["AS1"])}
    assert rules == {"AS1"}


# --- the second batch: logs, edge, storage, keys, backups, RDS, updates, endpoints ----------


def test_log1_a_log_group_key_without_cloudwatch_logs():
    group = {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": "/app", "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
    }
    assert [m.split(":")[0] for m in found({"Logs": group, "Key": key()}, "LOG1")] == ["Key"]
    logs = statement(f"logs.{REGION}.amazonaws.com",
                     ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"],
                     ArnLike={"kms:EncryptionContext:aws:logs:arn":
                              f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"})  # fmt: skip
    assert found({"Logs": group, "Key": key(logs)}, "LOG1") == []
    elsewhere = statement("logs.us-east-1.amazonaws.com", "kms:*")
    assert len(found({"Logs": group, "Key": key(elsewhere)}, "LOG1")) == 1


def test_log2_fl1_names_and_flow_log_roles():
    group = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "aws/app"}}
    assert len(found({"Logs": group}, "LOG2")) == 1
    group["Properties"]["LogGroupName"] = "/aws/app"
    assert found({"Logs": group}, "LOG2") == []
    flow = {"Type": "AWS::EC2::FlowLog",
            "Properties": {"ResourceId": "vpc-1", "ResourceType": "VPC", "TrafficType": "ALL",
                           "LogGroupName": "/flow"}}  # fmt: skip
    assert len(found({"Flow": flow}, "FL1")) == 1
    flow["Properties"]["DeliverLogsPermissionArn"] = {"Fn::GetAtt": ["Role", "Arn"]}
    assert found({"Flow": flow}, "FL1") == []
    flow["Properties"] = {"LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::b"}
    assert found({"Flow": flow}, "FL1") == []


def test_log3_more_resource_policies_than_a_region_holds():
    """Eleven tiers' WAF log policies in one account and Region: the eleventh is refused; the
    same eleven split over two Regions, or a log group's own policy, are not counted together."""

    def policy(index: int, **more: Any) -> dict[str, Any]:
        properties = {"PolicyName": f"p{index}", "PolicyDocument": "{}", **more}
        return {"Type": "AWS::Logs::ResourcePolicy", "Properties": properties}

    ten = {f"P{i}": policy(i) for i in range(10)}
    assert found(ten, "LOG3") == []
    (eleventh,) = found(ten, "LOG3", T={"P10": policy(10)})
    assert eleventh.startswith("P10:") and "11 CloudWatch Logs resource policies" in eleventh
    assert "account 111122223333, Region ap-northeast-2" in eleventh
    own = {"P10": policy(10, ResourceArn="arn:aws:logs:ap-northeast-2:1:log-group:g")}
    assert found(ten, "LOG3", T=own) == []
    split = Assembly.from_templates(
        {"S": {"Resources": ten}, "T": {"Resources": {"P10": policy(10)}}},
        {"S": REGION, "T": "us-east-1"},
        dict.fromkeys("ST", ACCOUNT),
    )
    assert evaluate(split, ["LOG3"]) == []


def test_elb1_access_logs_to_a_kms_bucket():
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms"}}]}}}  # fmt: skip
    lb = {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Properties": {
            "LoadBalancerAttributes": [
                {"Key": "access_logs.s3.enabled", "Value": "true"},
                {"Key": "access_logs.s3.bucket", "Value": ref("Logs")},
            ]
        },
    }
    assert len(found({"Lb": lb, "Logs": bucket}, "ELB1")) == 1
    default = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    default["ServerSideEncryptionByDefault"]["SSEAlgorithm"] = "AES256"
    assert found({"Lb": lb, "Logs": bucket}, "ELB1") == []


def test_waf_names_scope_and_associations():
    logging = {
        "Type": "AWS::WAFv2::LoggingConfiguration",
        "Properties": {
            "ResourceArn": "arn",
            "LogDestinationConfigs": [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:my-waf-logs"],
        },
    }
    assert len(found({"L": logging}, "WAF1")) == 1
    logging["Properties"]["LogDestinationConfigs"] = [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:aws-waf-logs-edge"
    ]
    assert found({"L": logging}, "WAF1") == []
    acl = {"Type": "AWS::WAFv2::WebACL", "Properties": {"Scope": "CLOUDFRONT"}}
    assert len(found({"Acl": acl}, "WAF2")) == 1  # the test stacks are in Seoul
    association = {
        "Type": "AWS::WAFv2::WebACLAssociation",
        "Properties": {"ResourceArn": ref("Lb"), "WebACLArn": {"Fn::GetAtt": ["Acl", "Arn"]}},
    }
    lb = {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {}}
    assert len(found({"Acl": acl, "A": association, "Lb": lb}, "WAF3")) == 1
    acl["Properties"]["Scope"] = "REGIONAL"
    assert found({"Acl": acl, "A": association, "Lb": lb}, "WAF3") == []


def bucket_with(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::S3::Bucket", "Properties": props}


def test_s3_lifecycle_replication_and_logging_rules():
    early = bucket_with(LifecycleConfiguration={"Rules": [{"Id": "Tiering", "Status": "Enabled",
        "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 7}]}]})  # fmt: skip
    assert len(found({"B": early}, "S3L1")) == 1
    early["Properties"]["LifecycleConfiguration"]["Rules"][0]["Transitions"][0][
        "TransitionInDays"
    ] = 30
    assert found({"B": early}, "S3L1") == []
    replica = bucket_with(BucketName="replica")
    source = bucket_with(
        VersioningConfiguration={"Status": "Enabled"},
        BucketEncryption={"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
        ReplicationConfiguration={"Role": "r", "Rules": [
            {"Id": "All", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::replica"}}]},
    )  # fmt: skip
    assert [m.split(",")[0] for m in found({"S": source, "R": replica}, "S3R1")] == [
        "S: replicates to S/R"
    ]
    (message,) = found({"S": source, "R": replica}, "S3R2")
    assert "does not opt in to SSE-KMS objects" in message
    locked = bucket_with(ObjectLockEnabled=True)
    logged = bucket_with(LoggingConfiguration={"DestinationBucketName": ref("Locked")})
    assert len(found({"Locked": locked, "Logged": logged}, "S3A1")) == 1


def test_kms1_bak1_policy_statements_and_backup_windows():
    broken = key({"Sid": "NoResource", "Effect": "Allow", "Principal": "*", "Action": "kms:*"})
    assert len(found({"K": broken}, "KMS1")) == 1
    assert found({"K": key()}, "KMS1") == []
    plan = {
        "Type": "AWS::Backup::BackupPlan",
        "Properties": {
            "BackupPlan": {
                "BackupPlanName": "p",
                "BackupPlanRule": [
                    {
                        "RuleName": "Daily",
                        "TargetBackupVault": "v",
                        "StartWindowMinutes": 30,
                        "Lifecycle": {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 60},
                    }
                ],
            }
        },
    }
    assert len(found({"P": plan}, "BAK1")) == 2


def test_rds7_rds8_rds9():
    instance = {"Type": "AWS::RDS::DBInstance", "Properties": {"MonitoringInterval": 60}}
    assert len(found({"I": instance}, "RDS7")) == 1
    cluster = copy.deepcopy(CLUSTER)
    cluster["Properties"].update(EnableCloudwatchLogsExports=["error", "general", "audit"],
                                 DBClusterParameterGroupName=ref("Params"))  # fmt: skip
    params = {
        "Type": "AWS::RDS::DBClusterParameterGroup",
        "Properties": {"Family": "aurora-mysql8.0", "Parameters": {"general_log": "1"}},
    }
    (message,) = found({"Db": cluster, "Params": params}, "RDS8")
    assert (
        "exports the audit log but its parameter group leaves server_audit_logging off" in message
    )
    member = {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {"DBClusterIdentifier": ref("Db"), "DBInstanceClass": "db.r6g.large"},
    }
    assert len(found({"Db": CLUSTER, "Global": GLOBAL, "W": member}, "RDS9")) == 1
    member["Properties"]["AutoMinorVersionUpgrade"] = False
    assert found({"Db": CLUSTER, "Global": GLOBAL, "W": member}, "RDS9") == []


def test_as5_update_policies_cloudformation_refuses():
    group = signalling_group(TRAPPED, ["Signal"])
    rolling = group["Group"]["UpdatePolicy"]["AutoScalingRollingUpdate"]
    rolling["PauseTime"] = "PT2H"
    group["Group"]["UpdatePolicy"]["AutoScalingInstanceRefresh"] = {"Strategy": "Rolling"}
    messages = found(group, "AS5")
    assert len(messages) == 2 and any("together" in m for m in messages)


def test_as6_instance_refresh_preferences():
    group = signalling_group(TRAPPED, ["Signal"])
    policy = group["Group"]["UpdatePolicy"]
    del policy["AutoScalingRollingUpdate"]
    alarm = {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Threshold": 1}}
    preferences = {
        "MinHealthyPercentage": 100, "MaxHealthyPercentage": 200,
        "CheckpointPercentages": [50, 100],
        "AlarmSpecification": {"Alarms": [ref("Gate")]},
    }  # fmt: skip
    policy["AutoScalingInstanceRefresh"] = {"Strategy": "Rolling", "Preferences": preferences}
    assert found({**group, "Gate": alarm}, "AS6") == []
    preferences.update(MinHealthyPercentage=90, CheckpointPercentages=[100, 50])
    preferences["AlarmSpecification"] = {"Alarms": [ref("Signal")]}
    messages = found({**group, "Gate": alarm}, "AS6")
    assert len(messages) == 3, messages
    assert any("200 - MinHealthyPercentage 90 is 110" in m for m in messages)
    assert any("not ascending" in m for m in messages)
    assert any("not an alarm" in m for m in messages)


def test_vpc1_private_dns_without_dns_hostnames():
    vpc = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}
    endpoint = {
        "Type": "AWS::EC2::VPCEndpoint",
        "Properties": {
            "VpcId": ref("Vpc"),
            "VpcEndpointType": "Interface",
            "ServiceName": "com.amazonaws.x.ssm",
            "PrivateDnsEnabled": True,
        },
    }
    (message,) = found({"Vpc": vpc, "E": endpoint}, "VPC1")
    assert "EnableDnsHostnames off" in message
    vpc["Properties"].update(EnableDnsHostnames=True, EnableDnsSupport=True)
    assert found({"Vpc": vpc, "E": endpoint}, "VPC1") == []
