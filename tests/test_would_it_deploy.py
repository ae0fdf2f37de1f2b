"""Would it deploy, and would it work (issue 28)? What AWS refuses or silently drops, fixed in the
library: a global database's primary gets a generated, replicated, rotated secret; the alarm
topic lets CloudWatch publish; copy-job failures match their rule; the DR region has alarms;
explicit AZs keep synthesis offline with accounts set; a failed boot signals at once; and the
mistakes that used to pass silently are errors naming their props."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from tests.conftest import CDK_JSON, ROOT
from wellstack.analysis.template import Assembly, flat
from wellstack.constructs import (
    AppTier,
    AuroraCluster,
    AuroraSecondaryCluster,
    Monitoring,
    Network,
    SecretReplica,
    TieredBucket,
    TierSecurityGroups,
)
from wellstack.settings import ENVIRONMENTS_KEY, parse_environment

SEOUL, TOKYO = "ap-northeast-2", "ap-northeast-1"


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def prod(built_app):
    return built_app(env="prod")


# --- 1. a global database's primary: a secret the stack generates ---------------------------------


def test_the_global_primary_reads_a_generated_replicated_rotated_secret(prod):
    data = prod.template("ProdData")
    (cluster,) = resources(data, "AWS::RDS::DBCluster").values()
    props = cluster["Properties"]
    assert "ManageMasterUserPassword" not in props or props["ManageMasterUserPassword"] is False
    ((secret_id, secret),) = resources(data, "AWS::SecretsManager::Secret").items()
    assert flat(props["MasterUserPassword"]) == (
        f"{{{{resolve:secretsmanager:<{secret_id}>:SecretString:password::}}}}"
    )
    assert secret["Properties"]["KmsKeyId"] == props["KmsKeyId"]  # the cluster's own key
    excluded = secret["Properties"]["GenerateSecretString"]["ExcludeCharacters"]
    assert all(c in excluded for c in '/"@ ')  # RDS refuses / " @ in a master password
    (replica,) = secret["Properties"]["ReplicaRegions"]
    assert replica["Region"] == TOKYO
    aliases = [
        a["Properties"]["AliasName"]
        for a in resources(prod.template("ProdDrNetwork"), "AWS::KMS::Alias").values()
    ]
    assert flat(replica["KmsKeyId"]).endswith(
        f":{TOKYO}:<AWS::AccountId>:alias/wellstack/prod/secret-dr"
    )
    assert "alias/wellstack/prod/secret-dr" in aliases  # created in Tokyo, deployed first
    (rotation,) = resources(data, "AWS::SecretsManager::RotationSchedule").values()
    hosted = rotation["Properties"]["HostedRotationLambda"]
    assert hosted["RotationType"] == "MySQLSingleUser"
    assert rotation["Properties"]["RotationRules"]["ScheduleExpression"] == "rate(30 days)"
    assert data["Transform"].startswith("AWS::SecretsManager-")
    # The rotation reaches the database on its port, through a rule in this stack.
    (ingress,) = [
        r["Properties"]
        for r in resources(data, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"].get("Description") == "Secret rotation (single user)"
    ]
    assert ingress["FromPort"] == ingress["ToPort"] == 3306
    assert ingress["SourceSecurityGroupId"] == hosted["VpcSecurityGroupIds"]


def test_dev_keeps_the_password_rds_manages(built_app):
    (cluster,) = resources(built_app().template("DevData"), "AWS::RDS::DBCluster").values()
    assert cluster["Properties"]["ManageMasterUserPassword"] is True
    assert not resources(built_app().template("DevData"), "AWS::SecretsManager::Secret")


def stack(region: str = SEOUL, account: str | None = None, app: cdk.App | None = None,
          name: str = "V") -> cdk.Stack:  # fmt: skip
    return cdk.Stack(app or cdk.App(), name, env=cdk.Environment(account=account, region=region))


def network(scope: cdk.Stack, **props: Any) -> Network:
    region = scope.region
    azs = [f"{region}a", f"{region}c"] if region == TOKYO else [f"{region}a", f"{region}b"]
    return Network(scope, "Net", availability_zones=azs, **props)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"global_cluster_identifier": "g", "master_password": "rds_managed"},
         r"master_password='rds_managed' cannot be combined with global_cluster_identifier: RDS "
         r"does not support managed master passwords for a cluster in an Aurora global database"),
        ({"master_password": "vault"},
         r"master_password must be one of 'rds_managed', 'generated', got 'vault'"),
        ({"secret_replicas": [SecretReplica(TOKYO)]},
         r"secret_replicas needs master_password='generated'"),
        ({"master_password": "generated", "secret_replicas": [SecretReplica(SEOUL)]},
         r"secret_replicas\[0\].region must be another region than the cluster's"),
        ({"master_password": "generated", "secret_replicas": "ap-northeast-1"},
         r"secret_replicas must be a list of wellstack.constructs.SecretReplica"),
        ({"master_password": "generated",
          "secret_replicas": [SecretReplica(TOKYO, kms_key_alias="key/1")]},
         r"secret_replicas\[0\].kms_key_alias must be a KMS alias"),
        ({"master_password": "generated", "rotation_days": 1001},
         r"rotation_days must be between 0 and 1000"),
        ({"rotation_days": 30}, r"rotation_days=30 applies to a generated secret"),
    ],
)  # fmt: skip
def test_master_password_props_are_checked(props, message):
    scope = stack()
    with pytest.raises(ValueError, match=message):
        AuroraCluster(scope, "Db", vpc=network(scope).vpc, **props)


def test_a_generated_secret_without_egress_for_its_rotation_is_refused():
    scope = stack()
    vpc = network(scope, nat="none").vpc
    with pytest.raises(ValueError, match=r"rotation runs in the VPC's private subnets with egress"):
        AuroraCluster(scope, "Db", vpc=vpc, master_password="generated")
    AuroraCluster(scope, "Ok", vpc=vpc, master_password="generated", rotation_days=0)


# --- 2. and 3. the alarm topic: CloudWatch may publish; a topic the app does not own warns --------


def test_a_topic_from_elsewhere_gets_a_warning_naming_the_grants():
    scope = stack()
    imported = sns.Topic.from_topic_arn(scope, "Pager", f"arn:aws:sns:{SEOUL}:111122223333:pager")
    Monitoring(scope, "Ops", topic=imported)
    (warning,) = [w for w in _warnings(scope) if "wellstack:topic-publishers" in w]
    assert "must allow Service cloudwatch.amazonaws.com sns:Publish" in warning
    assert "kms:Decrypt and kms:GenerateDataKey*" in warning


def _warnings(scope: cdk.Stack) -> list[str]:
    from aws_cdk.assertions import Annotations, Match

    found = Annotations.from_stack(scope).find_warning("*", Match.any_value())
    return [str(w.entry.data) for w in found]


def test_a_topic_of_the_app_gets_the_publishers_added():
    scope = stack()
    key = kms.Key(scope, "Key", enable_key_rotation=True)
    topic = sns.Topic(scope, "Pager", master_key=key, enforce_ssl=True)  # pyright: ignore[reportArgumentType]
    Monitoring(scope, "Ops", topic=topic)
    from aws_cdk.assertions import Template

    template = Template.from_stack(scope).to_json()
    (policy,) = resources(template, "AWS::SNS::TopicPolicy").values()
    principals = [s.get("Principal") for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    assert {"Service": "cloudwatch.amazonaws.com"} in principals
    (key_resource,) = resources(template, "AWS::KMS::Key").values()
    assert any(s.get("Sid") == "AlarmAndEventPublishers"
               for s in key_resource["Properties"]["KeyPolicy"]["Statement"])  # fmt: skip
    assert not [w for w in _warnings(scope) if "topic-publishers" in w]


# --- 4. the DR region is watched ---------------------------------------------------------------


def test_the_dr_region_has_replication_alarms_on_a_topic_of_its_own(prod):
    dr = prod.template("ProdDrData")
    alarms = {a["Properties"].get("MetricName"): a["Properties"]
              for a in resources(dr, "AWS::CloudWatch::Alarm").values()}  # fmt: skip
    assert {"AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag", "CPUUtilization",
            "FreeableMemory"} <= set(alarms)  # fmt: skip
    rpo = alarms["AuroraGlobalDBRPOLag"]
    (secondary,) = resources(dr, "AWS::RDS::DBCluster").values()
    assert rpo["Dimensions"] == [
        {"Name": "DBClusterIdentifier", "Value": secondary["Properties"]["DBClusterIdentifier"]}
    ]
    assert rpo["TreatMissingData"] == "breaching"  # silence: no recovery point
    (topic_id,) = resources(dr, "AWS::SNS::Topic")
    assert rpo["AlarmActions"] == [{"Ref": topic_id}]
    assert "AuroraGlobalDBRPOLag" in (ROOT / "docs" / "dr.md").read_text()


def test_watch_database_takes_a_secondary_and_a_headless_one_has_only_the_lag_alarms():
    app = cdk.App()
    primary_stack = stack(app=app, name="P")
    AuroraCluster(
        primary_stack, "Db", vpc=network(primary_stack).vpc, global_cluster_identifier="g"
    )
    dr = stack(TOKYO, app=app, name="D")
    secondary = AuroraSecondaryCluster(
        dr, "Db", vpc=network(dr, cidr="10.9.0.0/16").vpc, global_cluster_identifier="g", readers=0
    )
    names = [a.node.id for a in Monitoring(dr, "Ops").watch_database(secondary)]
    assert names == ["DbGlobalReplicationLag", "DbGlobalRpoLag"]


# --- 5. offline synthesis with accounts ----------------------------------------------------------


def test_explicit_azs_in_an_env_specific_stack_need_no_lookup():
    app = cdk.App()
    scope = stack(account="111122223333", app=app)
    network(scope)
    assert not missing_lookups(app)


def missing_lookups(app: cdk.App) -> list[dict[str, Any]]:
    """The context lookups the synthesized app left for the CLI (the manifest's ``missing``)."""
    manifest = json.loads((Path(app.synth().directory) / "manifest.json").read_text())
    return manifest.get("missing", [])


def test_a_network_after_other_constructs_warns_how_to_stay_offline():
    app = cdk.App()
    scope = stack(account="111122223333", app=app)
    s3.Bucket(scope, "First")
    network(scope)
    (missing,) = missing_lookups(app)
    assert missing["key"] == f"availability-zones:account=111122223333:region={SEOUL}"
    (warning,) = [w for w in _warnings(scope) if "wellstack:az-lookup" in w]
    assert "Create the Network first" in warning and missing["key"] in warning


CLEAN_AWS_ENV = {
    "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "CDK_DISABLE_CLI_TELEMETRY": "true",
}  # fmt: skip

CONSUMER_APP = """
import aws_cdk as cdk
from wellstack.app import build, new_app
from wellstack.constructs import Network

app = new_app()
plain = cdk.Stack(app, "Consumer", env=cdk.Environment(account="111122223333",
                                                        region="ap-northeast-2"))
Network(plain, "Net", availability_zones=["ap-northeast-2a", "ap-northeast-2b"])
build(app)  # the default app's prod, with an account on both regions
app.synth()
"""


@pytest.mark.cli
def test_real_cdk_synth_with_accounts_and_no_credentials(tmp_path):
    """The real CLI, no credentials anywhere: a consumer's plain stack with an account and
    explicit AZs, and the default app's prod (six stacks, two regions) with its account set."""
    from tests.test_app import run_cdk

    context = copy.deepcopy(CDK_JSON["context"])
    context["env"] = "prod"
    context[ENVIRONMENTS_KEY]["prod"]["account"] = "111122223333"
    (tmp_path / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py",
                                                   "context": context}))  # fmt: skip
    (tmp_path / "app.py").write_text(CONSUMER_APP)
    env_backup = {k: os.environ.get(k) for k in [*CLEAN_AWS_ENV, "AWS_ACCESS_KEY_ID"]}
    os.environ.update(CLEAN_AWS_ENV)
    os.environ.pop("AWS_ACCESS_KEY_ID", None)
    try:
        result = run_cdk("synth", "--quiet", "--no-lookups", "-o", str(tmp_path / "out"),
                         cwd=tmp_path)  # fmt: skip
    finally:
        for k, v in env_backup.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert result.returncode == 0, result.stdout + result.stderr
    out = Assembly.load(tmp_path / "out")
    assert {"Consumer", "ProdNetwork", "ProdDrNetwork", "ProdData", "ProdDrData",
            "ProdApp", "ProdDrApp"} <= set(out.templates)  # fmt: skip
    assert not out.missing


# --- 6. a failed boot signals at once ------------------------------------------------------------


def test_the_boot_signals_failure_from_an_exit_trap_and_the_group_waits_for_its_policy(prod):
    app = prod.template("ProdApp")
    ((group_id, group),) = resources(app, "AWS::AutoScaling::AutoScalingGroup").items()
    (policy_id,) = [k for k, p in resources(app, "AWS::IAM::ManagedPolicy").items()
                    if "cloudformation:SignalResource" in json.dumps(p)]  # fmt: skip
    assert policy_id in group["DependsOn"]
    (template,) = resources(app, "AWS::EC2::LaunchTemplate").values()
    script = flat(template["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"])
    trap, body = script.index("trap exitTrap EXIT"), script.index("function exitTrap(){")
    assert body < trap < script.index("set -euo pipefail")  # before anything can fail
    handler = script[body:trap]
    assert "--status FAILURE" in handler and f"--logical-resource-id {group_id}" in handler
    assert "WELLSTACK_SIGNALLED" in handler and "set +eu" in handler
    assert script.count("for attempt in $(seq 1 5)") == 2  # the signal is retried, both ways


def test_the_exit_trap_really_signals_once(tmp_path):
    """Run the generated boot script's signalling under bash with stand-ins for curl and aws:
    a failing command sends FAILURE once; a healthy boot sends SUCCESS once and nothing more."""
    from wellstack.constructs.compute import signal_commands, signal_on_exit_commands

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "signals"
    (bin_dir / "aws").write_text(f'#!/bin/bash\necho "$@" >> {log}\n')
    (bin_dir / "curl").write_text("#!/bin/bash\necho i-123\n")
    (bin_dir / "sleep").write_text("#!/bin/bash\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)

    def boot(*commands: str) -> list[str]:
        data = ec2.UserData.for_linux()
        data.add_commands("set -euo pipefail", *commands)
        data.add_commands(*signal_commands(80, "/health", "S", "Group", SEOUL))
        data.add_on_exit_commands(*signal_on_exit_commands("S", "Group", SEOUL))
        script = tmp_path / "boot.sh"
        script.write_text(data.render())
        log.unlink(missing_ok=True)
        path = f"{bin_dir}:/usr/bin:/bin"
        subprocess.run(["bash", str(script)], env={**os.environ, "PATH": path},
                       capture_output=True, timeout=30)  # fmt: skip
        return [line.split("--status ")[1] for line in log.read_text().splitlines()]

    assert boot("false  # a failed package install") == ["FAILURE"]
    assert boot("true") == ["SUCCESS"]


def test_custom_user_data_is_refused_clearly():
    scope = stack()
    net = network(scope)
    with pytest.raises(ValueError, match=r"user_data must be Linux user data"):
        AppTier(scope, "Web", vpc=net.vpc, user_data=ec2.UserData.custom("#!/bin/sh"))


# --- 8. mistakes that used to pass silently ------------------------------------------------------


def test_a_mysql_tier_group_in_front_of_postgresql_names_both_props():
    scope = stack()
    net = network(scope, strict_acls=True)
    sgs = TierSecurityGroups(scope, "Sgs", vpc=net.vpc)
    with pytest.raises(ValueError) as caught:
        AuroraCluster(scope, "Db", vpc=net.vpc, engine="postgresql", security_group=sgs.database)
    text = str(caught.value)
    assert ("security_group admits port 3306 (TierSecurityGroups(db_port=3306) at V/Sgs) but the "
            "cluster listens on port 5432 (engine='postgresql')") in text  # fmt: skip
    assert ("vpc's isolated tier admits only port 3306 (Network(strict_acls=True, db_port=3306) "
            "at V/Net)") in text  # fmt: skip
    AuroraCluster(scope, "Fine", vpc=net.vpc, engine="postgresql", port=3306,
                  security_group=sgs.database)  # fmt: skip


def test_a_secondary_that_does_not_match_its_primary():
    app = cdk.App()
    seoul = stack(app=app, name="P")
    AuroraCluster(seoul, "Db", vpc=network(seoul).vpc, global_cluster_identifier="orders")
    tokyo = stack(TOKYO, app=app, name="D")
    same_cidr = network(tokyo)  # 10.0.0.0/16, as the primary's
    with pytest.raises(ValueError) as caught:
        AuroraSecondaryCluster(tokyo, "Db", vpc=same_cidr.vpc, global_cluster_identifier="orders",
                               engine="postgresql")  # fmt: skip
    text = str(caught.value)
    assert "engine='postgresql' differs from the primary of global database 'orders' (P/Db)" in text
    assert "vpc's CIDR 10.0.0.0/16 (D/Net) overlaps 10.0.0.0/16, the VPC of the primary" in text


def test_a_primary_built_after_a_mismatched_secondary_is_refused_too():
    app = cdk.App()
    tokyo = stack(TOKYO, app=app, name="D")
    AuroraSecondaryCluster(tokyo, "Db", vpc=network(tokyo, cidr="10.1.0.0/16").vpc,
                           global_cluster_identifier="orders", engine="postgresql")  # fmt: skip
    seoul = stack(app=app, name="P")
    with pytest.raises(
        ValueError,
        match=r"global_cluster_identifier 'orders': its secondary D/Db does not match: "
        r"engine='postgresql'",
    ):
        AuroraCluster(seoul, "Db", vpc=network(seoul).vpc, global_cluster_identifier="orders")


def test_every_problem_of_the_call_at_once():
    scope = stack()
    with pytest.raises(ValueError) as caught:
        AuroraCluster(scope, "Db", vpc=network(scope).vpc, readers=16, instance_type="t4g.medium",
                      global_cluster_identifier="g")  # fmt: skip
    assert "readers must be between 0 and 15" in str(caught.value)
    assert "instance_type 't4g.medium' cannot run in an Aurora global database" in str(caught.value)


def test_an_az_the_region_does_not_have():
    with pytest.raises(ValueError, match=r"'ap-northeast-2e' is not an availability zone of "):
        Network(stack(), "Net", availability_zones=["ap-northeast-2a", "ap-northeast-2e"])


def test_settings_report_an_overlapping_dr_cidr_next_to_another_bad_key():
    raw = dict(CDK_JSON["context"][ENVIRONMENTS_KEY]["prod"], nat="double",
               dr_cidr=CDK_JSON["context"][ENVIRONMENTS_KEY]["prod"]["cidr"])  # fmt: skip
    with pytest.raises(ValueError) as caught:
        parse_environment("prod", raw)
    problems = caught.value.problems  # type: ignore[attr-defined]
    assert any("key 'nat':" in p for p in problems)
    assert any("key 'dr_cidr': 10.20.0.0/16 overlaps cidr 10.20.0.0/16" in p for p in problems)


# --- 9. smaller ----------------------------------------------------------------------------------


def test_the_command_without_its_extra_says_what_to_install():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'click':\n"
        "            raise ModuleNotFoundError(name, name='click')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from wellstack.cli import main\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code, "review"], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "wellstack: error: the wellstack command needs its extra (click is not installed): "
        "pip install 'wellstack[cli]'"
    )


def test_a_refusal_describes_a_cdk_value():
    with pytest.raises(ValueError) as caught:
        TieredBucket(
            stack(),
            "B",
            bucket_props={"block_public_access": s3.BlockPublicAccess(block_public_acls=False)},
        )
    assert "object at 0x" not in str(caught.value)
    assert "bucket_props['block_public_access']=BlockPublicAccess(block_public_acls=False" in str(
        caught.value
    )


def test_two_buckets_share_one_log_bucket_in_a_plain_app():
    """No feature flags (a plain ``cdk.App()``): CDK would fall back to a log-delivery ACL that
    the bucket-owner-enforced logs bucket refuses, and jsii failed the construct."""
    app = cdk.App()
    scope = stack(app=app)
    first = TieredBucket(scope, "A")
    TieredBucket(scope, "B", access_logs_bucket=first.access_logs_bucket)
    TieredBucket(scope, "C", access_logs_bucket=first.access_logs_bucket)
    template = app.synth().get_stack_by_name("V").template
    logging = [b["Properties"]["LoggingConfiguration"]
               for b in resources(template, "AWS::S3::Bucket").values()
               if "LoggingConfiguration" in b["Properties"]]  # fmt: skip
    prefixes = [c["LogFilePrefix"] for c in logging]
    assert len(prefixes) == len(set(prefixes)) == 3  # A, B and C, each under a prefix of its own
    sids = [s.get("Sid") for p in resources(template, "AWS::S3::BucketPolicy").values()
            for s in p["Properties"]["PolicyDocument"]["Statement"]]  # fmt: skip
    delivery = [sid for sid in sids if sid and sid.startswith("S3ServerAccessLogs")]
    assert len(delivery) == len(set(delivery)) == 3


def test_the_license_ships():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License") and "Version 2.0, January 2004" in text
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text()


# --- 7. tools that judge what they check, per stack and per resource ------------------------------


def templates_of(app: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    assembly = Assembly.load(app.outdir)
    return copy.deepcopy(assembly.templates), assembly.regions, assembly.accounts


def rows(assembly: Assembly, check_id: str) -> list[tuple[str, str, str]]:
    from wellstack.analysis.review import run_checks

    return [(c.title, c.status, c.detail) for c in run_checks(assembly) if c.id == check_id]


def test_review_judges_waf_per_load_balancer(built_app):
    templates, regions, accounts = templates_of(built_app())
    app = templates["DevApp"]["Resources"]
    ((lb_id, lb),) = resources(
        templates["DevApp"], "AWS::ElasticLoadBalancingV2::LoadBalancer"
    ).items()
    app["SecondLoadBalancer"] = copy.deepcopy(lb)
    found = rows(Assembly.from_templates(templates, regions, accounts), "waf")
    (association,) = resources(templates["DevApp"], "AWS::WAFv2::WebACLAssociation")
    assert found == [
        (f"DevApp/{lb_id}: a WAF web ACL screens internet traffic", "pass",
         f"web ACL association {association}"),
        ("DevApp/SecondLoadBalancer: a WAF web ACL screens internet traffic", "finding",
         "no web ACL is associated with this load balancer"),
    ]  # fmt: skip


def test_review_judges_alarms_per_stack_and_their_topics(prod):
    templates, regions, accounts = templates_of(prod)
    dr = templates["ProdDrData"]["Resources"]
    for logical_id in [k for k, r in dr.items() if r["Type"] == "AWS::CloudWatch::Alarm"]:
        del dr[logical_id]
    (cluster_id,) = resources(templates["ProdDrData"], "AWS::RDS::DBCluster")
    found = rows(Assembly.from_templates(templates, regions, accounts), "alarms")
    assert ("ProdDrData: alarms watch every tier (load balancer, instances, database, NAT)",
            "finding", f"0 of 1 resource(s) watched; nothing watches database cluster "
            f"{cluster_id}") in found  # fmt: skip
    by_stack = {title.split(":")[0]: status for title, status, _ in found}
    assert by_stack == {
        "ProdApp": "pass",
        "ProdData": "pass",
        "ProdNetwork": "pass",
        "ProdDrData": "finding",
        "ProdDrNetwork": "finding",
        "ProdDrApp": "pass",
    }  # its NAT, too

    templates, regions, accounts = templates_of(prod)
    (policy,) = resources(templates["ProdApp"], "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    statements[:] = [s for s in statements if s.get("Sid") != "CloudWatchAlarmsPublish"]
    notify = dict((title.split(":")[0], (status, detail)) for title, status, detail in rows(
        Assembly.from_templates(templates, regions, accounts), "alarms-notify"))  # fmt: skip
    status, detail = notify["ProdApp"]
    assert status == "finding" and "policy does not allow cloudwatch.amazonaws.com" in detail
    assert notify["ProdDrData"][0] == "pass"  # the DR region's topic is judged on its own


def test_review_calls_an_alarm_to_a_topic_outside_the_app_unknown(built_app):
    templates, regions, accounts = templates_of(built_app())
    external = f"arn:aws:sns:{SEOUL}:111122223333:pager"
    for alarm in resources(templates["DevApp"], "AWS::CloudWatch::Alarm").values():
        alarm["Properties"]["AlarmActions"] = [external]
    ((_, status, detail),) = rows(Assembly.from_templates(templates, regions, accounts),
                                  "alarms-notify")  # fmt: skip
    assert status == "unknown"
    assert detail.startswith(f"16 of 16 alarm(s): notifies through {external}, outside this app")

    # A topic of the app whose key is not: the key's policy cannot be read, so not a pass either.
    templates, regions, accounts = templates_of(built_app())
    for topic in resources(templates["DevApp"], "AWS::SNS::Topic").values():
        topic["Properties"]["KmsMasterKeyId"] = f"arn:aws:kms:{SEOUL}:111122223333:key/1"
    ((_, status, detail),) = rows(Assembly.from_templates(templates, regions, accounts),
                                  "alarms-notify")  # fmt: skip
    assert status == "unknown" and "notifies through the key of topic DevApp/" in detail


def test_review_finds_a_dr_cluster_nothing_backs_up(prod):
    templates, regions, accounts = templates_of(prod)
    (plan,) = resources(templates["ProdData"], "AWS::Backup::BackupPlan").values()
    for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]:
        rule.pop("CopyActions", None)
    (cluster_id,) = resources(templates["ProdDrData"], "AWS::RDS::DBCluster")
    found = rows(Assembly.from_templates(templates, regions, accounts), "backup-plan")
    assert (f"ProdDrData/{cluster_id}: an AWS Backup plan covers the database", "finding",
            "a global database's secondary in ap-northeast-1: no plan copies the primary's "
            "recovery points to this region, and nothing backs it up") in found  # fmt: skip


def test_reach_requires_the_app_tier_to_reach_the_database(built_app):
    from wellstack.analysis.reach import analyse

    templates, regions, accounts = templates_of(built_app())
    network = templates["DevNetwork"]["Resources"]
    for logical_id, rule in list(network.items()):
        if (
            rule["Type"] == "AWS::EC2::SecurityGroupEgress"
            and rule["Properties"]["FromPort"] == 3306
        ):
            del network[logical_id]
    result = analyse(Assembly.from_templates(templates, regions, accounts))
    (violation,) = result.violations
    assert violation.intent == "app-reaches-database" and violation.ports == "3306"
    assert violation.source.startswith("DevApp/") and violation.destination.startswith("DevData/")
    (reason,) = violation.rules
    assert reason.startswith("no egress rule of DevNetwork/SecurityGroupsApp")
    assert reason.endswith("allows tcp 3306 to it")


def test_cost_and_diff_show_an_unpriced_item_as_unpriced(built_app, prod):
    from click.testing import CliRunner

    from wellstack.cli import main

    environments = copy.deepcopy(CDK_JSON["context"][ENVIRONMENTS_KEY])
    environments["prod"]["app_instance_type"] = "m7g.xlarge"  # not in the price table
    bigger = built_app(env="prod", **{ENVIRONMENTS_KEY: environments})
    result = CliRunner().invoke(main, ["cost", str(prod.outdir), "--compare", str(bigger.outdir),
                                       "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    by_item = {row["item"]: row for row in report["difference"]}
    new = by_item["EC2 m7g.xlarge"]
    assert new["other_usd"] is None and new["difference_usd"] is None and new["unpriced"]
    assert by_item["EC2 m7g.large"]["difference_usd"] < 0  # the old instances go, priced
    assert report["other"]["complete"] is False and report["other"]["unpriced"] == [
        "EC2 m7g.xlarge"
    ]
    table = CliRunner().invoke(main, ["cost", str(prod.outdir), "--compare", str(bigger.outdir)])
    assert "unpriced" in table.stdout and "total of the priced items" in table.stdout
    assert "incomplete: after leaves out EC2 m7g.xlarge" in table.stdout
    diff = CliRunner().invoke(main, ["diff", str(prod.outdir), str(bigger.outdir)])
    assert "| EC2 m7g.xlarge | 0.00 | unpriced | unpriced |" in diff.stdout
    assert "incomplete, see below" in diff.stdout


def test_review_knows_every_rule_wellstack_acknowledges():
    """Every rule id the package acknowledges anywhere (cdk-nag's, Control Tower's, CDK's
    validation's, its own pack's) maps to a pillar, read from the source: a new acknowledgment
    of an unmapped rule fails here, not as "without a pillar" in a review."""
    import ast

    from wellstack.analysis.review import rule_pillar

    ids: set[str] = set()
    for path in (ROOT / "wellstack").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.split("[", 1)[0]
                if text.startswith(("AwsSolutions-", "NIST.800.53.R5-", "CloudFormation-Validate::",
                                    "AwsConstraints::")) and " " not in text and not \
                        text.endswith("::"):  # fmt: skip
                    ids.add(text)
            if (
                isinstance(node, ast.BinOp)
                and isinstance(node.left, ast.Name)
                and node.left.id == "CONTROL_TOWER"
                and isinstance(node.right, ast.Constant)
            ):
                ids.add(f"CloudFormation-Validate::{node.right.value}")
    assert len(ids) > 40  # the scan finds them
    assert sorted(i for i in ids if rule_pillar(i) is None) == []


def test_prod_is_cfn_lint_clean(prod):
    """The new shapes (generated secret with its rotation transform, the DR region's alarms,
    the rotation's security group) pass AWS's linter too."""
    from tests.test_app import cfn_lint

    result = cfn_lint(prod.template_files)
    errors = [line for line in result.stdout.splitlines() if ":E" in line]
    assert not errors, "\n".join(errors)
