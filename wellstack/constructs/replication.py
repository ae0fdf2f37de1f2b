"""S3 cross-region replication for a :class:`~wellstack.constructs.TieredBucket`
(``replicate_to=Replication(...)``).

The destination is named, not referenced: its bucket name and KMS alias are strings known when
both stacks are synthesized, so no Lambda-backed cross-region reference is needed. S3 refuses a
replication configuration whose destination does not exist yet, so the destination's stack
deploys first (wellstack's ``{Env}DrNetwork`` does).

The rule replicates every object (filter: the whole bucket), delete markers too (a delete on the
primary hides the object on the replica as well, and undoing it undoes both); deleting a *version*
permanently is never replicated, so a permanent delete on one side cannot reach the other. Objects
encrypted with the source bucket's KMS key are replicated and re-encrypted with the destination's
key. With ``time_control``, S3 Replication Time Control replicates 99.99 % of new objects within
15 minutes (billed per GB) and publishes replication metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from wellstack.compliance import acknowledge
from wellstack.constructs import _cache as cached
from wellstack.constructs.checks import Problems, l1
from wellstack.limits import BUCKET_NAME
from wellstack.validation import REGION

_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"


@dataclass(frozen=True)
class Replication:
    """Where a :class:`~wellstack.constructs.TieredBucket` replicates to.

    :param bucket_name: the destination bucket (versioned; in ``region``; created by the DR
        stack, which deploys first).
    :param region: the destination's region, another one than the source's.
    :param kms_key_alias: ``alias/...`` of the destination's KMS key in ``region`` (replicas are
        encrypted with it). Default: the destination bucket's own default encryption (SSE-S3).
    :param time_control: S3 Replication Time Control (15-minute SLA, metrics). Default off.
    """

    bucket_name: str
    region: str
    kms_key_alias: str | None = None
    time_control: bool = False


def check_replication(
    problems: Problems, value: Any, *, versioned: Any, object_lock_days: Any, region: str
) -> None:
    if value is None:
        return
    if not isinstance(value, Replication):
        problems.add(
            f"replicate_to must be a wellstack.constructs.Replication(bucket_name, region, ...), "
            f"got {value!r}"
        )
        return
    problems.text(
        "replicate_to.bucket_name", value.bucket_name, BUCKET_NAME, "an S3 bucket name (3-63 "
        "lowercase letters, digits, dots or hyphens)",
    )  # fmt: skip
    if problems.text("replicate_to.region", value.region, REGION, "an AWS region name"):
        problems.check(
            cdk.Token.is_unresolved(region) or value.region != region,
            f"replicate_to.region must be another region than the bucket's ({region!r}): "
            f"cross-region replication",
        )
    if value.kms_key_alias is not None:
        problems.text(
            "replicate_to.kms_key_alias", value.kms_key_alias, _ALIAS, "a KMS alias, 'alias/NAME'"
        )
    problems.flag("replicate_to.time_control", value.time_control)
    if versioned is False:
        problems.add("replicate_to needs versioned=True (S3 replicates object versions)")
    if object_lock_days is not None:
        problems.add(
            "replicate_to with object_lock_days: the destination would need S3 Object Lock too; "
            "wellstack's replica buckets have none"
        )


def configure_replication(
    owner: Construct,
    source: s3.Bucket,
    source_key: kms.IKey | kms.Key | None,
    replication: Replication,
) -> iam.Role:
    """The replication role of ``source`` (under ``owner``; least privilege: read versions
    here, write replicas there) and the bucket's ``ReplicationConfiguration``."""
    stack = cached.stack_of(owner)
    destination = f"arn:{stack.partition}:s3:::{replication.bucket_name}"
    # Both sides (S3 User Guide, "Setting up permissions for live replication" and "Replicating
    # objects created with server-side encryption (SSE-KMS)"): the role trusts s3.amazonaws.com,
    # reads versions here and writes replicas there; in one account the destination bucket
    # needs no policy for it. The keys' policies delegate to the account (customer_key), so the
    # role's kms:Decrypt here and kms:Encrypt there (through S3 only) are enough.
    role = iam.Role(
        owner,
        "ReplicationRole",
        assumed_by=cached.service_principal("s3.amazonaws.com"),  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
        description=f"S3 replication to {replication.bucket_name} ({replication.region})",
    )
    statements = [
        iam.PolicyStatement(
            actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
            resources=[source.bucket_arn],
        ),
        iam.PolicyStatement(
            actions=[
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
            ],
            resources=[source.arn_for_objects("*")],
        ),
        iam.PolicyStatement(
            actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            resources=[f"{destination}/*"],
        ),
    ]
    if source_key is not None:
        statements.append(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[source_key.key_arn],
                conditions={"StringLike": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
            )
        )
    if replication.kms_key_alias is not None:
        statements.append(
            iam.PolicyStatement(
                actions=["kms:Encrypt", "kms:GenerateDataKey"],
                resources=[f"arn:{stack.partition}:kms:{replication.region}:{stack.account}:key/*"],
                conditions={
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": replication.kms_key_alias},
                    "StringLike": {"kms:ViaService": f"s3.{replication.region}.amazonaws.com"},
                },
            )
        )
    policy = iam.ManagedPolicy(
        owner,
        "ReplicationPolicy",
        statements=statements,
        roles=[role],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
    )
    wildcards = {
        source.arn_for_objects("*"): (
            "S3 replication reads every object version of the source bucket (S3's documented "
            "replication permissions); the statement names this bucket only"
        ),
        f"{destination}/*": (
            "S3 replication writes replicas of any key into the destination bucket; the "
            "statement names that bucket only"
        ),
    }
    if replication.kms_key_alias is not None:
        wildcards[f"arn:{stack.partition}:kms:{replication.region}:{stack.account}:key/*"] = (
            "The destination key is named by its alias (a cross-region value known at synth): "
            "the statement is limited to keys carrying that alias, used through S3 in the "
            "destination region"
        )
    acknowledge(
        policy,
        {
            f"AwsSolutions-IAM5[Resource::{nag_text(stack, resource)}]": reason
            for resource, reason in wildcards.items()
        },
    )
    l1(
        source, s3.CfnBucket
    ).replication_configuration = s3.CfnBucket.ReplicationConfigurationProperty(
        role=role.role_arn, rules=[_rule(replication, destination, source_key is not None, stack)]
    )
    return role


def _rule(
    replication: Replication, destination: str, source_kms: bool, stack: cdk.Stack
) -> s3.CfnBucket.ReplicationRuleProperty:
    time_control = replication.time_control
    return s3.CfnBucket.ReplicationRuleProperty(
        id="ToDisasterRecovery",
        status="Enabled",
        priority=1,
        filter=s3.CfnBucket.ReplicationRuleFilterProperty(prefix=""),
        delete_marker_replication=s3.CfnBucket.DeleteMarkerReplicationProperty(status="Enabled"),
        source_selection_criteria=s3.CfnBucket.SourceSelectionCriteriaProperty(
            sse_kms_encrypted_objects=s3.CfnBucket.SseKmsEncryptedObjectsProperty(status="Enabled")
        )
        if source_kms
        else None,
        destination=s3.CfnBucket.ReplicationDestinationProperty(
            bucket=destination,
            encryption_configuration=s3.CfnBucket.EncryptionConfigurationProperty(
                replica_kms_key_id=f"arn:{stack.partition}:kms:{replication.region}:"
                f"{stack.account}:{replication.kms_key_alias}"
            )
            if replication.kms_key_alias
            else None,
            replication_time=s3.CfnBucket.ReplicationTimeProperty(
                status="Enabled",
                time=s3.CfnBucket.ReplicationTimeValueProperty(minutes=15),
            )
            if time_control
            else None,
            metrics=s3.CfnBucket.MetricsProperty(
                status="Enabled",
                event_threshold=s3.CfnBucket.ReplicationTimeValueProperty(minutes=15),
            )
            if time_control
            else None,
        ),
    )


def nag_text(stack: cdk.Stack, value: Any) -> str:
    """``value`` as cdk-nag writes it in a finding id: ``Ref`` as ``<Name>``, ``Fn::GetAtt`` as
    ``<Name.Attribute>``, ``Fn::Join`` joined."""
    resolved = stack.resolve(value)

    def text(node: Any) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, dict) and "Ref" in node:
            return f"<{node['Ref']}>"
        if isinstance(node, dict) and "Fn::GetAtt" in node:
            return "<{}.{}>".format(*node["Fn::GetAtt"])
        if isinstance(node, dict) and "Fn::Join" in node:
            separator, parts = node["Fn::Join"]
            return separator.join(text(part) for part in parts)
        return str(node)

    return text(resolved)
