"""Storage tier: an S3 bucket whose objects move down lifecycle storage tiers, safely.

S3 rejects a bad lifecycle configuration only at deploy time, and neither CDK nor
terraform-aws-s3-bucket checks it first. :func:`validate_transitions` implements S3's
"Constraints and considerations for transitions" so the mistake surfaces in the constructor.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from wellstack.compliance import acknowledge
from wellstack.constructs._checks import check_choice, check_int
from wellstack.constructs._logs import REPLICATION_REASON, log_bucket

#: The S3 waterfall, top to bottom: a lifecycle rule may only move objects down it.
WATERFALL = (
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "ONEZONE_IA",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)
#: Tiers whose objects must be 30 days old before they enter, and stay 30 days before leaving.
THIRTY_DAY_TIERS = ("STANDARD_IA", "ONEZONE_IA")
#: Minimum storage duration billed even when an object leaves earlier (S3 pricing).
MINIMUM_DAYS = {
    "STANDARD_IA": 30,
    "ONEZONE_IA": 30,
    "GLACIER_IR": 90,
    "GLACIER": 90,
    "DEEP_ARCHIVE": 180,
}
_CLASSES = {
    "STANDARD_IA": s3.StorageClass.INFREQUENT_ACCESS,
    "INTELLIGENT_TIERING": s3.StorageClass.INTELLIGENT_TIERING,
    "ONEZONE_IA": s3.StorageClass.ONE_ZONE_INFREQUENT_ACCESS,
    "GLACIER_IR": s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
    "GLACIER": s3.StorageClass.GLACIER,
    "DEEP_ARCHIVE": s3.StorageClass.DEEP_ARCHIVE,
}

#: The default waterfall for current versions: Standard-IA after 30 days, Glacier Flexible
#: Retrieval after 90. Objects untouched for a month rarely come back; after a quarter they are
#: archive material. Pass ``transitions=`` for data read for longer (e.g. served assets).
DEFAULT_TRANSITIONS: tuple[tuple[str, int], ...] = (("STANDARD_IA", 30), ("GLACIER", 90))
#: Noncurrent versions: the same waterfall, counted from the day a version was replaced.
DEFAULT_NONCURRENT_TRANSITIONS: tuple[tuple[str, int], ...] = (("STANDARD_IA", 30), ("GLACIER", 90))

Transition = tuple[s3.StorageClass | str, int]


def storage_class_name(storage_class: Any) -> str:
    """``s3.StorageClass.GLACIER`` or ``"GLACIER"`` -> ``"GLACIER"``."""
    name = storage_class.value if isinstance(storage_class, s3.StorageClass) else storage_class
    if name not in _CLASSES:
        raise ValueError(
            f"storage class must be an s3.StorageClass or one of {', '.join(WATERFALL)}, "
            f"got {storage_class!r}"
        )
    return name


def validate_transitions(
    prop: str,
    transitions: Sequence[Transition],
    expiration_days: int | None,
    expiration_prop: str = "expiration_days",
) -> list[tuple[str, int]]:
    """Check ``transitions`` against S3's rules; return them as ``(class name, days)``.

    Rules: days are non-negative integers; no storage class twice; tiers only go down the
    waterfall and days strictly increase along it; Standard-IA and One Zone-IA come at least 30
    days after creation, and the transition after them at least 30 days later; expiration
    comes after the last transition.
    """
    if isinstance(transitions, str | bytes) or not isinstance(transitions, Sequence):
        raise ValueError(
            f"{prop} must be a list of (storage class, days) pairs, got {transitions!r}"
        )
    result: list[tuple[str, int]] = []
    for index, item in enumerate(transitions):
        if not (isinstance(item, Sequence) and len(item) == 2) or isinstance(item, str):
            raise ValueError(f"{prop}[{index}] must be a (storage class, days) pair, got {item!r}")
        name = storage_class_name(item[0])
        days = item[1]
        label = f"{prop}[{index}] ({name} at {days!r} days)"
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            raise ValueError(f"{label}: days must be a non-negative integer")
        if name in THIRTY_DAY_TIERS and days < 30:
            raise ValueError(
                f"{label}: S3 moves objects to {name} only when they are at least 30 days old"
            )
        if result:
            previous, previous_days = result[-1]
            if name in dict(result):
                raise ValueError(
                    f"{label}: storage class {name} appears twice (also at "
                    f"{dict(result)[name]} days)"
                )
            if WATERFALL.index(name) < WATERFALL.index(previous):
                raise ValueError(
                    f"{label}: tiers only go down the waterfall ({' -> '.join(WATERFALL)}); "
                    f"{name} cannot follow {previous}"
                )
            if days <= previous_days:
                raise ValueError(
                    f"{label}: days must increase along the waterfall; the previous transition "
                    f"({previous}) is at {previous_days} days"
                )
            if previous in THIRTY_DAY_TIERS and days < previous_days + 30:
                raise ValueError(
                    f"{label}: objects stay at least 30 days in {previous} before the next "
                    f"transition; use {previous_days + 30} days or more"
                )
        result.append((name, days))
    if expiration_days is not None and result and expiration_days <= result[-1][1]:
        raise ValueError(
            f"{expiration_prop} ({expiration_days}) must come after the last transition of {prop} "
            f"({result[-1][0]} at {result[-1][1]} days)"
        )
    return result


def early_exits(transitions: Sequence[tuple[str, int]], expiration_days: int | None) -> list[str]:
    """Where an object would leave a tier before its minimum storage duration (billed anyway)."""
    warnings = []
    stops = list(transitions)
    if expiration_days is not None:
        stops.append(("expiration", expiration_days))
    for (name, days), (next_name, next_days) in itertools.pairwise(stops):
        minimum = MINIMUM_DAYS.get(name)
        if minimum and next_days - days < minimum:
            what = "expire" if next_name == "expiration" else f"move on to {next_name}"
            warnings.append(
                f"objects {what} after {next_days - days} days in {name} ({days} -> {next_days}); "
                f"S3 bills {name} for at least {minimum} days"
            )
    return warnings


class TieredBucket(Construct):
    """A private, encrypted, versioned S3 bucket whose objects move down storage tiers.

    Secure by default: encryption at rest (S3-managed, or ``encryption_key``), all public access
    blocked, ACLs disabled (bucket owner enforced), requests without TLS denied, versioning on,
    server access logs to a dedicated log bucket, and removal policy RETAIN for both buckets:
    deleting the stack never deletes data.

    :param transitions: ``[(s3.StorageClass.X, days), ...]`` for current versions. ``None``
        (default): Standard-IA at 30 days, Glacier Flexible Retrieval at 90; with
        ``intelligent_tiering=True``: Intelligent-Tiering at day 0. ``[]``: none.
    :param expiration_days: delete current versions after N days. Default never.
    :param versioned: keep every version of every object. Default on (object lock needs it).
    :param noncurrent_transitions: the same for noncurrent versions, counted from the day they
        were replaced. ``None`` (default): Standard-IA at 30 days, Glacier at 90.
    :param noncurrent_expiration_days: delete noncurrent versions after N days. Default 365;
        ``None`` keeps them forever.
    :param abort_incomplete_multipart_upload_days: Default 7.
    :param intelligent_tiering: for data whose access pattern is unknown. Default off.
    :param archive_access_days: Intelligent-Tiering Archive Access tier after N days (90-730).
    :param deep_archive_access_days: Deep Archive Access tier after N days (180-730).
    :param encryption_key: a customer-managed KMS key (SSE-KMS with an S3 bucket key).
        Default: S3-managed keys (SSE-S3).
    :param access_logs_bucket: where server access logs go. Default: a log bucket of its own.
    :param access_log_retention_days: how long that log bucket keeps logs. Default 365.
    :param transfer_acceleration: S3 Transfer Acceleration. Default off.
    :param object_lock_days: write-once-read-many default retention in days. Default none.
    :param object_lock_mode: ``"governance"`` (default; privileged users may shorten it) or
        ``"compliance"`` (nobody can, not even root).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        transitions: Sequence[Transition] | None = None,
        expiration_days: int | None = None,
        versioned: bool = True,
        noncurrent_transitions: Sequence[Transition] | None = None,
        noncurrent_expiration_days: int | None = 365,
        abort_incomplete_multipart_upload_days: int = 7,
        intelligent_tiering: bool = False,
        archive_access_days: int | None = None,
        deep_archive_access_days: int | None = None,
        encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        access_log_retention_days: int = 365,
        transfer_acceleration: bool = False,
        object_lock_days: int | None = None,
        object_lock_mode: str = "governance",
    ) -> None:
        if expiration_days is not None:
            check_int("expiration_days", expiration_days, 1)
        if noncurrent_expiration_days is not None:
            check_int("noncurrent_expiration_days", noncurrent_expiration_days, 1)
        check_int(
            "abort_incomplete_multipart_upload_days", abort_incomplete_multipart_upload_days, 1
        )
        check_int("access_log_retention_days", access_log_retention_days, 1)
        if transitions is None:
            transitions = (
                [("INTELLIGENT_TIERING", 0)] if intelligent_tiering else list(DEFAULT_TRANSITIONS)
            )
        if noncurrent_transitions is None:
            noncurrent_transitions = list(DEFAULT_NONCURRENT_TRANSITIONS)
        self.transitions = validate_transitions("transitions", transitions, expiration_days)
        self.noncurrent_transitions = validate_transitions(
            "noncurrent_transitions",
            noncurrent_transitions,
            noncurrent_expiration_days,
            "noncurrent_expiration_days",
        )
        self.expiration_days = expiration_days
        self.noncurrent_expiration_days = noncurrent_expiration_days if versioned else None
        _validate_intelligent_tiering(
            intelligent_tiering, archive_access_days, deep_archive_access_days
        )
        check_choice("object_lock_mode", object_lock_mode, ("governance", "compliance"))
        if object_lock_days is not None:
            check_int("object_lock_days", object_lock_days, 1, 36500)
            if not versioned:
                raise ValueError(
                    f"object_lock_days={object_lock_days} requires versioned=True "
                    f"(S3 object lock works on versions), got versioned=False"
                )
        super().__init__(scope, construct_id)

        for warning in early_exits(self.transitions, expiration_days):
            cdk.Annotations.of(self).add_warning_v2(
                "wellstack:early-exit", f"transitions: {warning}"
            )
        if versioned:
            for warning in early_exits(self.noncurrent_transitions, noncurrent_expiration_days):
                cdk.Annotations.of(self).add_warning_v2(
                    "wellstack:early-exit-noncurrent", f"noncurrent_transitions: {warning}"
                )

        own_log_bucket = access_logs_bucket is None
        self.access_logs_bucket: s3.IBucket = access_logs_bucket or log_bucket(
            self,
            "AccessLogs",
            retention_days=access_log_retention_days,
            delivered_by="S3 server access logging",
        )
        log_prefix = f"{cdk.Names.unique_id(self)}/"
        lifecycle = s3.LifecycleRule(
            id="Tiering",
            enabled=True,
            transitions=[
                s3.Transition(
                    storage_class=_CLASSES[name], transition_after=cdk.Duration.days(days)
                )
                for name, days in self.transitions
            ],
            expiration=cdk.Duration.days(expiration_days) if expiration_days else None,
            noncurrent_version_transitions=[
                s3.NoncurrentVersionTransition(
                    storage_class=_CLASSES[name], transition_after=cdk.Duration.days(days)
                )
                for name, days in self.noncurrent_transitions
            ]
            if versioned
            else None,
            noncurrent_version_expiration=cdk.Duration.days(noncurrent_expiration_days)
            if versioned and noncurrent_expiration_days
            else None,
            abort_incomplete_multipart_upload_after=cdk.Duration.days(
                abort_incomplete_multipart_upload_days
            ),
        )
        tiering_config = None
        if intelligent_tiering and (archive_access_days or deep_archive_access_days):
            tiering_config = [
                s3.IntelligentTieringConfiguration(
                    name="ArchiveTiers",
                    archive_access_tier_time=cdk.Duration.days(archive_access_days)
                    if archive_access_days
                    else None,
                    deep_archive_access_tier_time=cdk.Duration.days(deep_archive_access_days)
                    if deep_archive_access_days
                    else None,
                )
            ]
        object_lock_retention = None
        if object_lock_days is not None:
            retention = (
                s3.ObjectLockRetention.compliance
                if object_lock_mode == "compliance"
                else s3.ObjectLockRetention.governance
            )
            object_lock_retention = retention(cdk.Duration.days(object_lock_days))

        self.bucket = s3.Bucket(
            self,
            "Resource",
            encryption=s3.BucketEncryption.KMS
            if encryption_key
            else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=True if encryption_key else None,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=versioned,
            server_access_logs_bucket=None if own_log_bucket else self.access_logs_bucket,
            server_access_logs_prefix=None if own_log_bucket else log_prefix,
            lifecycle_rules=[lifecycle],
            intelligent_tiering_configurations=tiering_config,
            transfer_acceleration=transfer_acceleration or None,
            object_lock_enabled=True if object_lock_days is not None else None,
            object_lock_default_retention=object_lock_retention,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.bucket,
            {"NIST.800.53.R5-S3BucketReplicationEnabled": REPLICATION_REASON}
            | (
                {}
                if encryption_key
                else {
                    "NIST.800.53.R5-S3DefaultEncryptionKMS": (
                        "SSE-S3 (AES-256) was chosen: no encryption_key was given; pass a KMS "
                        "key for SSE-KMS"
                    )
                }
            ),
        )
        if own_log_bucket:
            # Wired at the L1 level with a delivery policy of our own, so the result is the same
            # whatever @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy says in the consumer's
            # cdk.json (without it CDK would switch to a log-delivery ACL, which a
            # bucket-owner-enforced bucket rejects).
            cfn_bucket = self.bucket.node.default_child
            assert isinstance(cfn_bucket, s3.CfnBucket)
            cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
                destination_bucket_name=self.access_logs_bucket.bucket_name,
                log_file_prefix=log_prefix,
            )
            self.access_logs_bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="S3ServerAccessLogsPolicy",
                    principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                    actions=["s3:PutObject"],
                    resources=[self.access_logs_bucket.arn_for_objects(f"{log_prefix}*")],
                    conditions={
                        "ArnLike": {"aws:SourceArn": self.bucket.bucket_arn},
                        "StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account},
                    },
                )
            )

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read objects (and decrypt with the bucket's KMS key, if any)."""
        return self.bucket.grant_read(grantee)

    def grant_read_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read and write objects (and use the bucket's KMS key, if any)."""
        return self.bucket.grant_read_write(grantee)


def _validate_intelligent_tiering(
    enabled: bool, archive_days: int | None, deep_archive_days: int | None
) -> None:
    if not enabled and (archive_days is not None or deep_archive_days is not None):
        raise ValueError(
            f"archive_access_days / deep_archive_access_days need intelligent_tiering=True, got "
            f"archive_access_days={archive_days}, deep_archive_access_days={deep_archive_days}"
        )
    if archive_days is not None:
        check_int("archive_access_days", archive_days, 90, 730, "S3 Intelligent-Tiering's range")
    if deep_archive_days is not None:
        check_int(
            "deep_archive_access_days",
            deep_archive_days,
            180,
            730,
            "S3 Intelligent-Tiering's range",
        )
        if archive_days is not None and deep_archive_days <= archive_days:
            raise ValueError(
                f"deep_archive_access_days ({deep_archive_days}) must be greater than "
                f"archive_access_days ({archive_days})"
            )
