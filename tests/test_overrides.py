"""Overrides and bring-your-own: ``xxx_props`` merged over wellstack's defaults, refused (naming
the key) when they would weaken a protection or bypass a wellstack keyword; conflicting props
refused instead of ignored; every problem of one call reported together, with the path."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_wafv2 as wafv2

from tests.conftest import project_context, synth_with_packs
from wellstack.analysis.template import resources
from wellstack.constructs import (
    AppTier,
    AuroraCluster,
    Network,
    TieredBucket,
    TierSecurityGroups,
    WellstackError,
)

AZS = ["ap-northeast-2a", "ap-northeast-2c"]
ENV = cdk.Environment(region="ap-northeast-2")
EXTRA_RULE = wafv2.CfnWebACL.RuleProperty(
    name="BlockAdmin",
    priority=10,
    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
    statement=wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH",
            search_string="/admin",
            text_transformations=[
                wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
            ],
        )
    ),
    visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name="BlockAdmin", sampled_requests_enabled=True
    ),
)


@pytest.fixture(scope="module")
def overridden() -> dict[str, Any]:
    """Every construct with overrides, in one app synthesized once with cdk-nag on."""
    app = cdk.App(context=project_context())
    stack = cdk.Stack(app, "Overridden", env=ENV)
    net = Network(
        stack, "Net", availability_zones=AZS, flow_logs=False, vpc_props={"vpc_name": "shared"}
    )
    sgs = TierSecurityGroups(stack, "Sgs", vpc=net.vpc)
    TieredBucket(stack, "Archive", bucket_props={"bucket_name": "team-archive"})
    AuroraCluster(
        stack,
        "Db",
        vpc=net.vpc,
        readers=0,
        security_group=sgs.database,
        master_username="orders_admin",
        parameters={"innodb_print_all_deadlocks": "1"},
        cluster_props={"cluster_identifier": "orders", "default_database_name": "orders"},
    )
    AppTier(
        stack,
        "Web",
        vpc=net.vpc,
        security_groups=sgs,
        load_balancer_props={"idle_timeout": cdk.Duration.seconds(120)},
        auto_scaling_group_props={"default_instance_warmup": cdk.Duration.seconds(90)},
        launch_template_props={"instance_metadata_tags": True},
        health_check_props={"interval": cdk.Duration.seconds(30), "healthy_threshold_count": 3},
        waf_rules=[EXTRA_RULE],
        access_log_retention_days=90,
    )
    entries = synth_with_packs(app, {"stack": {"stack": stack}})
    return entries["stack"]["json"]


def test_bucket_name_through_bucket_props(overridden):
    names = [
        b["Properties"].get("BucketName") for b in resources(overridden, "AWS::S3::Bucket").values()
    ]
    assert "team-archive" in names


def test_cluster_identifier_username_and_parameters(overridden):
    (cluster,) = resources(overridden, "AWS::RDS::DBCluster").values()
    props = cluster["Properties"]
    assert props["DBClusterIdentifier"] == "orders"
    assert props["MasterUsername"] == "orders_admin"
    assert props["DatabaseName"] == "orders"
    # Still encrypted, protected, TLS required: the overrides added, they did not replace.
    assert props["StorageEncrypted"] is True and props["DeletionProtection"] is True
    (group,) = resources(overridden, "AWS::RDS::DBClusterParameterGroup").values()
    parameters = group["Properties"]["Parameters"]
    assert parameters["innodb_print_all_deadlocks"] == "1"  # added
    assert parameters["require_secure_transport"] == "ON"  # kept
    assert parameters["server_audit_logging"] == "1"  # kept


def test_load_balancer_idle_timeout_and_health_check(overridden):
    (lb,) = resources(overridden, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    attributes = {a["Key"]: a["Value"] for a in lb["Properties"]["LoadBalancerAttributes"]}
    assert attributes["idle_timeout.timeout_seconds"] == "120"
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    (group,) = resources(overridden, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert group["Properties"]["HealthCheckIntervalSeconds"] == 30
    assert group["Properties"]["HealthyThresholdCount"] == 3
    assert group["Properties"]["HealthCheckPath"] == "/health"  # wellstack's default kept


def test_extra_waf_rule_after_the_managed_groups(overridden):
    (acl,) = resources(overridden, "AWS::WAFv2::WebACL").values()
    rules = [(r["Name"], r["Priority"]) for r in acl["Properties"]["Rules"]]
    assert rules == [
        ("AWSManagedRulesCommonRuleSet", 0),
        ("AWSManagedRulesKnownBadInputsRuleSet", 1),
        ("AWSManagedRulesAmazonIpReputationList", 2),
        ("BlockAdmin", 10),
    ]


def test_launch_template_and_group_overrides(overridden):
    (template,) = resources(overridden, "AWS::EC2::LaunchTemplate").values()
    options = template["Properties"]["LaunchTemplateData"]["MetadataOptions"]
    assert options["InstanceMetadataTags"] == "enabled"
    assert options["HttpTokens"] == "required"  # IMDSv2 kept
    (group,) = resources(overridden, "AWS::AutoScaling::AutoScalingGroup").values()
    assert group["Properties"]["DefaultInstanceWarmup"] == 90


def test_vpc_props(overridden):
    (vpc,) = resources(overridden, "AWS::EC2::VPC").values()
    assert {"Key": "Name", "Value": "shared"} in vpc["Properties"]["Tags"]


# --- refusals -------------------------------------------------------------------------------------


@pytest.fixture
def stack_and_vpc():
    app = cdk.App(context=project_context())
    stack = cdk.Stack(app, "V", env=ENV)
    net = Network(stack, "Net", availability_zones=AZS, flow_logs=False)
    return stack, net.vpc


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda s, v: TieredBucket(
                s, "B", bucket_props={"encryption": s3.BucketEncryption.UNENCRYPTED}
            ),
            r"bucket_props\['encryption'\]=.*would switch off encryption",
        ),
        (
            lambda s, v: TieredBucket(
                s, "B", bucket_props={"block_public_access": s3.BlockPublicAccess.BLOCK_ACLS}
            ),
            r"bucket_props\['block_public_access'\].*would open the bucket to public access",
        ),
        (
            lambda s, v: TieredBucket(s, "B", bucket_props={"enforce_ssl": False}),
            r"bucket_props\['enforce_ssl'\]=False would allow requests without TLS",
        ),
        (
            lambda s, v: TieredBucket(
                s, "B", bucket_props={"removal_policy": cdk.RemovalPolicy.DESTROY}
            ),
            r"bucket_props\['removal_policy'\].*would delete the bucket",
        ),
        (
            lambda s, v: TieredBucket(s, "B", bucket_props={"versioned": False}),
            r"bucket_props\['versioned'\] is set by wellstack; use the versioned keyword",
        ),
        (
            lambda s, v: TieredBucket(s, "B", bucket_props={"encryption_key": kms.Key(s, "K")}),
            r"use the encryption_key keyword instead",
        ),
        (
            lambda s, v: TieredBucket(s, "B", bucket_props={"bucket_nmae": "x"}),
            r"bucket_props\['bucket_nmae'\] is not a keyword argument of Bucket; did you mean "
            r"'bucket_name'",
        ),
        (
            lambda s, v: TieredBucket(s, "B", bucket_props={"bucket_name": "Not_A_Bucket"}),
            r"bucket_props\['bucket_name'\] must be an S3 bucket name",
        ),
        (
            lambda s, v: TieredBucket(s, "B", bucket_props={"bucket_name": 7}),
            r"bucket_props\['bucket_name'\] must be str, got 7",
        ),
        (
            lambda s, v: TieredBucket(s, "B", bucket_props=["bucket_name"]),
            r"bucket_props must be a mapping of keyword arguments",
        ),
        (
            lambda s, v: AuroraCluster(s, "Db", vpc=v, cluster_props={"storage_encrypted": False}),
            r"cluster_props\['storage_encrypted'\]=False would store the data unencrypted",
        ),
        (
            lambda s, v: AuroraCluster(
                s, "Db", vpc=v, cluster_props={"deletion_protection": False}
            ),
            r"cluster_props\['deletion_protection'\] is set by wellstack; use the "
            r"deletion_protection keyword",
        ),
        (
            lambda s, v: AuroraCluster(
                s, "Db", vpc=v, cluster_props={"cluster_identifier": "2fast--"}
            ),
            r"cluster_props\['cluster_identifier'\] must be a DB cluster identifier",
        ),
        (
            lambda s, v: AuroraCluster(
                s, "Db", vpc=v, parameters={"require_secure_transport": "OFF"}
            ),
            r"parameters\['require_secure_transport'\]='OFF' would allow connections without TLS",
        ),
        (
            lambda s, v: AuroraCluster(s, "Db", vpc=v, master_username="rdsadmin"),
            r"master_username 'rdsadmin' is reserved by RDS",
        ),
        (
            lambda s, v: AppTier(s, "Web", vpc=v, launch_template_props={"require_imdsv2": False}),
            r"launch_template_props\['require_imdsv2'\]=False would allow IMDSv1",
        ),
        (
            lambda s, v: AppTier(s, "Web", vpc=v, launch_template_props={"key_name": "my-ssh-key"}),
            r"launch_template_props\['key_name'\]='my-ssh-key' would add an SSH key pair",
        ),
        (
            lambda s, v: AppTier(
                s, "Web", vpc=v, load_balancer_props={"drop_invalid_header_fields": False}
            ),
            r"load_balancer_props\['drop_invalid_header_fields'\]=False would forward",
        ),
        (
            lambda s, v: AppTier(
                s,
                "Web",
                vpc=v,
                auto_scaling_group_props={
                    "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
                },
            ),
            r"auto_scaling_group_props\['vpc_subnets'\].*would put the instances in public",
        ),
        (
            lambda s, v: AppTier(
                s, "Web", vpc=v, load_balancer_props={"idle_timeout": cdk.Duration.hours(2)}
            ),
            r"load_balancer_props\['idle_timeout'\] must be between 1 and 4000 seconds",
        ),
        (
            lambda s, v: AppTier(s, "Web", vpc=v, health_check_props={"path": "/other"}),
            r"health_check_props\['path'\] is set by wellstack; use the health_check_path",
        ),
        (
            lambda s, v: AppTier(s, "Web", vpc=v, waf_rules=[{"name": "Mine", "priority": 1}]),
            r"waf_rules\[0\] priority 1 is taken by the managed rule groups \(0-2\); use 3",
        ),
        (
            lambda s, v: Network(s, "Net2", availability_zones=AZS, vpc_props={"max_azs": 3}),
            r"vpc_props\['max_azs'\] is set by wellstack; use the max_azs keyword",
        ),
        (
            lambda s, v: Network(
                s, "Net2", availability_zones=AZS, vpc_props={"enable_dns_support": False}
            ),
            r"vpc_props\['enable_dns_support'\]=False would turn off the VPC's DNS",
        ),
    ],
)
def test_refused_overrides_name_the_key(stack_and_vpc, build, message):
    stack, vpc = stack_and_vpc
    with pytest.raises(ValueError, match=message):
        build(stack, vpc)


def test_a_conflicting_web_port_is_refused_not_ignored(stack_and_vpc):
    stack, vpc = stack_and_vpc
    groups = TierSecurityGroups(stack, "Sgs", vpc=vpc, web_port=8000)
    with pytest.raises(ValueError, match=r"web_port=8080 conflicts with security_groups, which "
                       r"open web port 8000"):  # fmt: skip
        AppTier(stack, "Web", vpc=vpc, security_groups=groups, web_port=8080)
    # The same port, or none, is fine: the tier follows the groups.
    tier = AppTier(stack, "Web2", vpc=vpc, security_groups=groups)
    assert tier.web_port == 8000


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda s, v: AuroraCluster(s, "Db", vpc=v, min_capacity=2),
            r"min_capacity sets Serverless v2 capacity \(ACUs\) and needs serverless_v2=True",
        ),
        (
            lambda s, v: AuroraCluster(s, "Db", vpc=v, reader_autoscaling_cpu=50),
            r"reader_autoscaling_cpu=50 needs reader_autoscaling",
        ),
        (
            lambda s, v: AuroraCluster(
                s, "Db", vpc=v, serverless_v2=True, reader_instance_type="r6g.large"
            ),
            r"reader_instance_type='r6g.large' does not apply with serverless_v2=True",
        ),
        (
            lambda s, v: TieredBucket(s, "B", object_lock_mode="compliance"),
            r"object_lock_mode='compliance' needs object_lock_days",
        ),
        (
            lambda s, v: Network(
                s, "Net2", availability_zones=AZS, flow_logs=False, flow_log_retention_days=90
            ),
            r"flow_log_retention_days and flow_log_encryption_key apply only with flow_logs=True",
        ),
        (
            lambda s, v: AppTier(s, "Web", vpc=v, tls_port=8443),
            r"tls_port=8443 applies only with a certificate",
        ),
        (
            lambda s, v: AppTier(s, "Web", vpc=v, waf=False, log_retention_days=90),
            r"log_retention_days apply only with waf=True",
        ),
        (
            lambda s, v: AppTier(
                s,
                "Web",
                vpc=v,
                access_logs_bucket=s3.Bucket.from_bucket_name(s, "L", "logs"),
                access_log_retention_days=30,
            ),
            r"access_log_retention_days applies only to the log bucket AppTier creates",
        ),
    ],
)
def test_conflicting_props_are_refused(stack_and_vpc, build, message):
    stack, vpc = stack_and_vpc
    with pytest.raises(ValueError, match=message):
        build(stack, vpc)


def test_every_problem_of_one_call_with_the_construct_path(stack_and_vpc):
    stack, vpc = stack_and_vpc
    with pytest.raises(WellstackError) as raised:
        AuroraCluster(stack, "Db", vpc=vpc, readers=16, port=80, backup_retention_days=0)
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.path == "V/Db"
    assert len(error.problems) == 3
    assert str(error).startswith("V/Db: readers must be between 0 and 15")
    assert "port must be between 1150 and 65535" in str(error)
    assert "backup_retention_days must be between 1 and 35" in str(error)


def test_existing_objects_keep_working(stack_and_vpc):
    """Bring your own key, log bucket and certificate."""
    from aws_cdk import aws_certificatemanager as acm

    stack, vpc = stack_and_vpc
    key = kms.Key(stack, "Mine", enable_key_rotation=True)
    logs = s3.Bucket.from_bucket_name(stack, "Logs", "central-logs")
    bucket = TieredBucket(stack, "B", encryption_key=key, access_logs_bucket=logs)
    assert bucket.access_logs_bucket is logs
    certificate = acm.Certificate.from_certificate_arn(
        stack, "Cert", "arn:aws:acm:ap-northeast-2:111122223333:certificate/abc"
    )
    tier = AppTier(stack, "Web", vpc=vpc, certificate=certificate, access_logs_bucket=logs)
    assert tier.https_listener is not None
    assert isinstance(tier.https_listener, elbv2.ApplicationListener)
