"""Where the tiers keep logs: CloudWatch log groups encrypted with a customer-managed key, and
private buckets that AWS services deliver logs into."""

from __future__ import annotations

import weakref

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from wellstack.compliance import CHECKOV, CONTROL_TOWER, acknowledge, same_reason
from wellstack.constructs import _cache as cached
from wellstack.constructs.checks import l1, log_retention
from wellstack.constructs.keys import customer_key

#: Control Tower (CT.CLOUDWATCH.PR.2) asks log groups to keep a year; shorter is a choice.
A_YEAR = 365

REPLICATION_REASON = (
    "Cross-region replication is a disaster-recovery choice left to the caller (it needs a "
    "bucket in another region and doubles storage cost); versioning and RETAIN protect the "
    "data in this region"
)


def logs_key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    """A rotating KMS key that CloudWatch Logs may use for this account's log groups."""
    key = customer_key(scope, construct_id, description)
    allow_cloudwatch_logs(key)
    return key


def allow_cloudwatch_logs(key: kms.Key) -> None:
    """Let CloudWatch Logs use ``key`` for this account's log groups in the stack's region (the
    key-policy statement of "Encrypt log data in CloudWatch Logs using AWS KMS")."""
    key.add_to_resource_policy(cloudwatch_logs_statement(cached.stack_of(key)))


def cloudwatch_logs_statement(stack: cdk.Stack) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="CloudWatchLogsUse",
        principals=[cached.service_principal(f"logs.{cached.region(stack)}.amazonaws.com")],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
        actions=[
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        ],
        resources=["*"],
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name="*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            }
        },
    )


def encrypted_log_group(
    scope: Construct,
    construct_id: str,
    *,
    retention_days: int,
    key: kms.IKey | kms.Key,
    log_group_name: str | None = None,
    retention_setting: str = "log_retention_days",
) -> logs.LogGroup:
    """A log group kept ``retention_days`` (validated by the caller), encrypted, RETAINed. Less
    than a year is acknowledged for Control Tower with the setting that chose it."""
    group = logs.LogGroup(
        scope,
        construct_id,
        log_group_name=log_group_name,
        retention=log_retention(retention_days),
        encryption_key=key,  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    if retention_days < A_YEAR:
        acknowledge(
            group,
            {
                CONTROL_TOWER + "cloudwatch_log_group_retention_period_check": (
                    f"{retention_setting}={retention_days} was chosen (a shorter-lived "
                    f"environment); production settings keep {A_YEAR} days or more"
                )
            },
        )
    return group


def log_bucket(
    scope: Construct,
    construct_id: str,
    *,
    retention_days: int,
    delivered_by: str,
    acls: bool = False,
) -> s3.Bucket:
    """A private, versioned, TLS-only bucket for logs that ``delivered_by`` (an AWS service)
    writes, kept ``retention_days`` (Standard-IA after 30 days when kept longer than 60), and
    RETAINed. SSE-S3: S3 server access logging and Elastic Load Balancing deliver only to
    SSE-S3 buckets, not SSE-KMS. The findings that follow from being the end of the log chain
    are acknowledged on the bucket. ``acls``: object ACLs on (Object Ownership ObjectWriter),
    which CloudFront's standard logging needs (CloudFront Developer Guide, "Configure standard
    logging (legacy)": the bucket must have ACLs enabled)."""
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.OBJECT_WRITER
        if acls
        else s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        versioned=True,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireLogs",
                enabled=True,
                transitions=[
                    s3.Transition(
                        storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                        transition_after=cached.days(30),
                    )
                ]
                if retention_days > 60
                else None,
                expiration=cached.days(retention_days),
                noncurrent_version_expiration=cached.days(30),
                abort_incomplete_multipart_upload_after=cached.days(7),
            )
        ],
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    send_events_to_eventbridge(bucket)
    end_of_chain = (
        f"This bucket receives {delivered_by} logs; logging it into another bucket would only "
        "move the question (and into itself would loop)"
    )
    sse_s3 = (
        f"{delivered_by} delivers logs only to buckets encrypted with SSE-S3 (AES-256), not SSE-KMS"
    )
    acknowledge(
        bucket,
        same_reason(
            end_of_chain,
            "AwsSolutions-S1",
            "NIST.800.53.R5-S3BucketLoggingEnabled",
            CONTROL_TOWER + "s3_bucket_logging_enabled_check",
            CHECKOV + "CKV_AWS_18",
        )
        | same_reason(
            sse_s3,
            "NIST.800.53.R5-S3DefaultEncryptionKMS",
            CONTROL_TOWER + "s3_bucket_default_encryption_kms_check",
        )
        | {
            "NIST.800.53.R5-S3BucketReplicationEnabled": REPLICATION_REASON,
            CONTROL_TOWER + "s3_bucket_object_lock_enabled_check": (
                f"Logs expire after {retention_days} days by the lifecycle rule; S3 Object Lock "
                "would keep expired log objects past that (and their cost); versioning and "
                "RETAIN protect them until then"
            ),
        },
    )
    return bucket


def rds_cluster_log_groups(
    scope: Construct,
    *,
    cluster_identifier: str,
    exports: list[str],
    retention_days: int,
    key: kms.IKey | kms.Key,
) -> dict[str, logs.LogGroup]:
    """The log groups an Aurora cluster exports to, created before the cluster under the names
    RDS writes to (``/aws/rds/cluster/<cluster id>/<log type>``), encrypted and expiring: RDS
    would otherwise create them itself, unencrypted and kept forever."""
    return {
        log_type: encrypted_log_group(
            scope,
            f"Log{log_type.capitalize()}",
            retention_days=retention_days,
            key=key,
            log_group_name=f"/aws/rds/cluster/{cluster_identifier}/{log_type}",
        )
        for log_type in exports
    }


#: How many buckets log into each logs bucket so far (each delivery statement needs a Sid of its
#: own: a bucket policy refuses two statements with one Sid).
_DELIVERIES: weakref.WeakKeyDictionary[s3.IBucket, int] = weakref.WeakKeyDictionary()


def deliver_access_logs(bucket: s3.IBucket, logs_bucket: s3.IBucket, log_prefix: str) -> bool:
    """S3 server access logs of ``bucket`` into ``logs_bucket`` under ``log_prefix``, wired at
    the L1 level with a delivery policy of our own: the result is the same whatever
    ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`` says in the consumer's cdk.json (without
    it CDK would switch to a log-delivery ACL, which a bucket-owner-enforced bucket rejects, and
    jsii fails the construct). Several buckets may log into one logs bucket, each under its own
    prefix. False when the logs bucket's policy is not this app's to change (an imported
    bucket): its owner must allow ``logging.s3.amazonaws.com`` to put objects there."""
    l1(bucket, s3.CfnBucket).logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=logs_bucket.bucket_name, log_file_prefix=log_prefix
    )
    count = _DELIVERIES.get(logs_bucket, 0)
    _DELIVERIES[logs_bucket] = count + 1
    sid = (
        "S3ServerAccessLogsPolicy"
        if count == 0
        else f"S3ServerAccessLogs{cdk.Names.unique_id(bucket)}"
    )
    return logs_bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid=sid,
            principals=[cached.service_principal("logging.s3.amazonaws.com")],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
            actions=["s3:PutObject"],
            resources=[logs_bucket.arn_for_objects(f"{log_prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": cached.account(logs_bucket)},
            },
        )
    ).statement_added


def send_events_to_eventbridge(bucket: s3.Bucket) -> None:
    """S3 event notifications to Amazon EventBridge, set on the CloudFormation resource (CDK's
    ``event_bridge_enabled`` goes through a Lambda-backed custom resource instead). AWS service
    events on the default event bus cost nothing until a rule matches them."""
    resource = cached.default_child(bucket)
    if isinstance(resource, s3.CfnBucket):
        resource.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True
            )
        )
