"""S3 (lifecycle, replication, server access logging), KMS key policies and AWS Backup plans:
settings the schema takes and the service refuses or quietly never applies."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import COST, OPERATIONS, RELIABILITY, SECURITY
from wellstack.analysis.policy import statements
from wellstack.analysis.template import Assembly, Resource, flat

S3_GUIDE = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
#: Storage classes an object must spend 30 days in S3 before moving to.
_THIRTY_DAY_CLASSES = ("STANDARD_IA", "ONEZONE_IA")


def _rules(bucket: Resource) -> list[Mapping[str, object]]:
    found = bucket.at("LifecycleConfiguration", "Rules", kind=list) or []
    return [r for r in found if isinstance(r, Mapping)]


@rule(
    "S3L1",
    "A lifecycle rule moves objects to Standard-IA or One Zone-IA no sooner than 30 days",
    pillar=COST,
    outcome="refused",
    source="Amazon S3 API Reference, Transition: for STANDARD_IA or ONEZONE_IA the days must be "
    "30 or more (objects must be stored at least 30 days first)",
    url="https://docs.aws.amazon.com/AmazonS3/latest/API/API_Transition.html",
)
def _ia_after_thirty_days(assembly: Assembly) -> Iterator[Violation]:
    for bucket in assembly.resources("AWS::S3::Bucket"):
        for index, lifecycle in enumerate(_rules(bucket)):
            for key in ("Transitions", "NoncurrentVersionTransitions"):
                for item in lifecycle.get(key) or []:  # type: ignore[union-attr]
                    if not isinstance(item, Mapping):
                        continue
                    days = item.get("TransitionInDays")
                    if (
                        item.get("StorageClass") in _THIRTY_DAY_CLASSES
                        and isinstance(days, int)
                        and days < 30
                    ):
                        yield violation(
                            "S3L1", bucket,
                            f"rule {lifecycle.get('Id', index)}: {key} to "
                            f"{item['StorageClass']} after {days} days",
                            "transition after 30 days or more",
                            f"LifecycleConfiguration/Rules/{index}/{key}",
                        )  # fmt: skip


def _versioned(bucket: Resource) -> bool:
    return bucket.at("VersioningConfiguration", "Status") == "Enabled"


def _destination(assembly: Assembly, bucket: Resource, value: object) -> Resource | None:
    target = assembly.target(bucket.stack, value)
    if target is not None:
        return target if target.type == "AWS::S3::Bucket" else None
    name = flat(value).split(":::", 1)[-1]
    for other in assembly.resources("AWS::S3::Bucket"):
        if flat(other.prop("BucketName")) == name:
            return other
    return None


@rule(
    "S3R1",
    "A replicating bucket and its destination are versioned",
    pillar=RELIABILITY,
    outcome="refused",
    source="Amazon S3 User Guide, Requirements and considerations for replication: both source "
    "and destination buckets must have versioning enabled",
    url=S3_GUIDE + "replication-requirements.html",
)
def _replication_versioning(assembly: Assembly) -> Iterator[Violation]:
    for bucket in assembly.resources("AWS::S3::Bucket"):
        configuration = bucket.mapping("ReplicationConfiguration")
        if not configuration:
            continue
        if not _versioned(bucket):
            yield violation(
                "S3R1", bucket, "replicates without versioning", "enable versioning",
                "VersioningConfiguration",
            )  # fmt: skip
        for item in configuration.get("Rules", []) or []:
            destination = item.get("Destination") if isinstance(item, Mapping) else None
            target = _destination(assembly, bucket, (destination or {}).get("Bucket"))
            if target is not None and not _versioned(target):
                yield violation(
                    "S3R1", bucket, f"replicates to {target.stack}/{target.logical_id}, which is "
                    f"not versioned", "enable versioning on the destination",
                    "ReplicationConfiguration",
                )  # fmt: skip


def _kms_encrypted(bucket: Resource) -> bool:
    rules = bucket.at("BucketEncryption", "ServerSideEncryptionConfiguration", kind=list) or []
    return any(
        isinstance(r, Mapping)
        and str((r.get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm", "")).startswith(
            "aws:kms"
        )
        for r in rules
    )


@rule(
    "S3R2",
    "A bucket encrypted with SSE-KMS replicates its KMS-encrypted objects (opted in, with a "
    "replica key)",
    pillar=RELIABILITY,
    outcome="ignored",
    source="Amazon S3 User Guide, Replicating encrypted objects: by default Amazon S3 doesn't "
    "replicate objects encrypted with SSE-KMS",
    url=S3_GUIDE + "replication-config-for-kms-objects.html",
)
def _kms_objects_replicate(assembly: Assembly) -> Iterator[Violation]:
    for bucket in assembly.resources("AWS::S3::Bucket"):
        configuration = bucket.mapping("ReplicationConfiguration")
        if not configuration or not _kms_encrypted(bucket):
            continue
        for index, item in enumerate(configuration.get("Rules", []) or []):
            if not isinstance(item, Mapping):
                continue
            criteria = item.get("SourceSelectionCriteria") or {}
            opted = (criteria.get("SseKmsEncryptedObjects") or {}).get("Status") == "Enabled"
            key = ((item.get("Destination") or {}).get("EncryptionConfiguration") or {}).get(
                "ReplicaKmsKeyID"
            )
            if not opted or key is None:
                yield violation(
                    "S3R2", bucket, f"replication rule {item.get('Id', index)} does not "
                    f"{'opt in to SSE-KMS objects' if not opted else 'name a replica KMS key'}: "
                    f"this bucket's objects (SSE-KMS) are never replicated",
                    "set SourceSelectionCriteria.SseKmsEncryptedObjects Enabled and "
                    "Destination.EncryptionConfiguration.ReplicaKmsKeyID",
                    f"ReplicationConfiguration/Rules/{index}",
                )  # fmt: skip


@rule(
    "S3A1",
    "Server access logs go to a bucket of the same region without Object Lock",
    pillar=OPERATIONS,
    outcome="ignored",
    source="Amazon S3 User Guide, Logging requests with server access logging: the destination "
    "bucket must be in the same Region and account and must not have an Object Lock default "
    "retention",
    url=S3_GUIDE + "ServerLogs.html",
)
def _access_log_target(assembly: Assembly) -> Iterator[Violation]:
    for bucket in assembly.resources("AWS::S3::Bucket"):
        target_value = bucket.at("LoggingConfiguration", "DestinationBucketName", reference=True)
        if target_value is None:
            continue
        target = _destination(assembly, bucket, target_value)
        if target is None:
            continue
        where = f"{target.stack}/{target.logical_id}"
        if target.prop("ObjectLockEnabled") is True:
            yield violation(
                "S3A1", bucket, f"logs to {where}, which has Object Lock: no log is delivered",
                "log into a bucket without Object Lock", "LoggingConfiguration",
            )  # fmt: skip
        mine, theirs = assembly.regions.get(bucket.stack), assembly.regions.get(target.stack)
        if mine and theirs and mine != theirs:
            yield violation(
                "S3A1", bucket, f"logs to {where} in {theirs}, the bucket is in {mine}",
                "log into a bucket of the same region", "LoggingConfiguration",
            )  # fmt: skip


@rule(
    "KMS1",
    "Every key-policy statement has an Action and a Resource, and the policy fits in 32 KB",
    pillar=SECURITY,
    outcome="ignored",
    source="AWS KMS Developer Guide, Key policies: a statement missing Resource or Action has no "
    "effect although CreateKey and PutKeyPolicy succeed; key policy document size 32 KB "
    "(AWS KMS quotas, not adjustable)",
    url="https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html",
)
def _key_policy(assembly: Assembly) -> Iterator[Violation]:
    for key in assembly.resources("AWS::KMS::Key"):
        document = key.prop("KeyPolicy")
        for index, statement in enumerate(statements(document)):
            has_action = "Action" in statement or "NotAction" in statement
            has_resource = "Resource" in statement or "NotResource" in statement
            if not (has_action and has_resource):
                yield violation(
                    "KMS1", key, f"statement {statement.get('Sid', index)} has no "
                    f"{'Action' if not has_action else 'Resource'}: it has no effect",
                    "give it the actions and Resource \"*\"", "KeyPolicy",
                )  # fmt: skip
        size = len(json.dumps(document, separators=(",", ":"))) if document else 0
        if size > 32_768:
            yield violation(
                "KMS1", key, f"the key policy is about {size} bytes, over KMS's 32 KB",
                "move grants to IAM policies", "KeyPolicy",
            )  # fmt: skip


@rule(
    "BAK1",
    "A backup rule starts within at least 60 minutes and keeps cold copies at least 90 days",
    pillar=RELIABILITY,
    outcome="refused",
    source="AWS Backup API Reference, BackupRuleInput (StartWindowMinutes: at least 60) and "
    "Lifecycle (DeleteAfterDays at least 90 days after MoveToColdStorageAfterDays)",
    url="https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html",
)
def _backup_rules(assembly: Assembly) -> Iterator[Violation]:
    for plan in assembly.resources("AWS::Backup::BackupPlan"):
        for index, item in enumerate(plan.at("BackupPlan", "BackupPlanRule", kind=list) or []):
            if not isinstance(item, Mapping):
                continue
            name = item.get("RuleName", index)
            start = item.get("StartWindowMinutes")
            if isinstance(start, int) and start < 60:
                yield violation(
                    "BAK1", plan, f"rule {name}: StartWindowMinutes {start}",
                    "60 or more", f"BackupPlan/BackupPlanRule/{index}",
                )  # fmt: skip
            lifecycles = [item.get("Lifecycle")] + [
                c.get("Lifecycle") for c in item.get("CopyActions") or [] if isinstance(c, Mapping)
            ]
            for lifecycle in lifecycles:
                if not isinstance(lifecycle, Mapping):
                    continue
                cold, delete = (
                    lifecycle.get("MoveToColdStorageAfterDays"),
                    lifecycle.get("DeleteAfterDays"),
                )
                if isinstance(cold, int) and isinstance(delete, int) and delete < cold + 90:
                    yield violation(
                        "BAK1", plan, f"rule {name}: deleted after {delete} days, {cold} days "
                        f"into cold storage (needs {cold + 90} or more)",
                        "keep recovery points 90 days past the move to cold storage",
                        f"BackupPlan/BackupPlanRule/{index}",
                    )  # fmt: skip
