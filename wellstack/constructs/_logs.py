"""Where the tiers keep logs: CloudWatch log groups encrypted with a customer-managed key, and
private buckets that AWS services deliver logs into."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from wellstack.compliance import acknowledge
from wellstack.constructs._checks import log_retention

REPLICATION_REASON = (
    "Cross-region replication is a disaster-recovery choice left to the caller (it needs a "
    "bucket in another region and doubles storage cost); versioning and RETAIN protect the "
    "data in this region"
)


def logs_key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    """A rotating KMS key that CloudWatch Logs may use for this account's log groups."""
    stack = cdk.Stack.of(scope)
    key = kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsUse",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
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
    )
    return key


def encrypted_log_group(
    scope: Construct,
    construct_id: str,
    *,
    retention_days: int,
    key: kms.IKey | kms.Key,
    log_group_name: str | None = None,
) -> logs.LogGroup:
    """A log group kept ``retention_days`` (validated by the caller), encrypted, RETAINed."""
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=log_group_name,
        retention=log_retention(retention_days),
        encryption_key=key,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )


def log_bucket(
    scope: Construct, construct_id: str, *, retention_days: int, delivered_by: str
) -> s3.Bucket:
    """A private, versioned, TLS-only bucket for logs that ``delivered_by`` (an AWS service)
    writes, kept ``retention_days`` (Standard-IA after 30 days when kept longer than 60), and
    RETAINed. SSE-S3: S3 server access logging and Elastic Load Balancing deliver only to
    SSE-S3 buckets, not SSE-KMS. The findings that follow from being the end of the log chain
    are acknowledged on the bucket."""
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        versioned=True,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireLogs",
                enabled=True,
                transitions=[
                    s3.Transition(
                        storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                        transition_after=cdk.Duration.days(30),
                    )
                ]
                if retention_days > 60
                else None,
                expiration=cdk.Duration.days(retention_days),
                noncurrent_version_expiration=cdk.Duration.days(30),
                abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
            )
        ],
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    end_of_chain = (
        f"This bucket receives {delivered_by} logs; logging it into another bucket would only "
        "move the question (and into itself would loop)"
    )
    acknowledge(
        bucket,
        {
            "AwsSolutions-S1": end_of_chain,
            "NIST.800.53.R5-S3BucketLoggingEnabled": end_of_chain,
            "NIST.800.53.R5-S3DefaultEncryptionKMS": (
                f"{delivered_by} delivers logs only to buckets encrypted with SSE-S3 (AES-256), "
                "not SSE-KMS"
            ),
            "NIST.800.53.R5-S3BucketReplicationEnabled": REPLICATION_REASON,
        },
    )
    return bucket
