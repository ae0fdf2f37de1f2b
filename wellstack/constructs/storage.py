"""Storage tier: an S3 bucket whose objects move down lifecycle storage tiers, safely.

S3 rejects a bad lifecycle configuration only at deploy time, and neither CDK nor
terraform-aws-s3-bucket checks it first. :func:`validate_transitions` implements S3's
"Constraints and considerations for transitions" so the mistake surfaces in the constructor.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from wellstack.compliance import CHECKOV, CONTROL_TOWER, acknowledge, same_reason
from wellstack.constructs import _cache as cached
from wellstack.constructs import _props
from wellstack.constructs.checks import INT32_MAX, Problems
from wellstack.constructs.grants import grant
from wellstack.constructs.logs import (
    REPLICATION_REASON,
    deliver_access_logs,
    log_bucket,
    send_events_to_eventbridge,
)
from wellstack.constructs.replication import Replication, check_replication, configure_replication
from wellstack.limits import (
    ARCHIVE_ACCESS_DAYS,
    BUCKET_NAME,
    DEEP_ARCHIVE_ACCESS_DAYS,
    OBJECT_LOCK_DAYS,
)
from wellstack.types import ObjectLockMode, choices

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

#: ``(storage class, days)``: ``s3.StorageClass.GLACIER`` or its name ``"GLACIER"``.
Transition = tuple[s3.StorageClass | str, int]


def _bucket_name_ok(problems: Problems, prop: str, value: Any) -> bool:
    if not problems.text(
        prop,
        value,
        BUCKET_NAME,
        "an S3 bucket name such as 'team-archive' (3-63 lowercase letters, digits, '.' and '-')",
    ):
        return False
    return problems.check(
        ".." not in value and not value.endswith(("-s3alias", "--ol-s3", "--x-s3", ".mrap")),
        f"{prop} must not contain '..' nor end in an S3-reserved suffix, got {value!r}",
    )


def _all_blocked(value: Any) -> bool:
    fields = ("block_public_acls", "block_public_policy", "ignore_public_acls",
              "restrict_public_buckets")  # fmt: skip
    return isinstance(value, s3.BlockPublicAccess) and all(
        getattr(value, name) is True for name in fields
    )


#: ``bucket_props``: what wellstack's keywords decide, and which protections must stay on.
BUCKET_OVERRIDES = _props.OverrideRules(
    target=s3.Bucket,
    managed={
        "encryption_key": "encryption_key",
        "versioned": "versioned",
        "lifecycle_rules": "transitions / expiration_days / noncurrent_transitions",
        "server_access_logs_bucket": "access_logs_bucket",
        "server_access_logs_prefix": "access_logs_bucket",
        "object_lock_enabled": "object_lock_days",
        "object_lock_default_retention": "object_lock_days / object_lock_mode",
        "transfer_acceleration": "transfer_acceleration",
        "intelligent_tiering_configurations": "intelligent_tiering / archive_access_days",
        "replication_rules": "replicate_to",
        "replication_role": "replicate_to",
    },
    protected={
        "encryption": _props.Protect(
            lambda v: v in (s3.BucketEncryption.S3_MANAGED, s3.BucketEncryption.DSSE_MANAGED),
            "switch off encryption or bypass encryption_key (pass encryption_key= for SSE-KMS)",
        ),
        "block_public_access": _props.Protect(_all_blocked, "open the bucket to public access"),
        "public_read_access": _props.Protect(lambda v: v is False, "make every object public"),
        "enforce_ssl": _props.Protect(lambda v: v is True, "allow requests without TLS"),
        "minimum_tls_version": _props.Protect(
            lambda v: isinstance(v, int | float) and v >= 1.2, "accept TLS older than 1.2"
        ),
        "removal_policy": _props.Protect(
            lambda v: v in (cdk.RemovalPolicy.RETAIN, cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE),
            "delete the bucket (and its data) with the stack",
        ),
        "auto_delete_objects": _props.Protect(
            lambda v: v is False, "delete every object when the stack is deleted"
        ),
        "object_ownership": _props.Protect(
            lambda v: v == s3.ObjectOwnership.BUCKET_OWNER_ENFORCED, "re-enable object ACLs"
        ),
        "access_control": _props.Protect(
            lambda v: v == s3.BucketAccessControl.PRIVATE, "grant access through ACLs"
        ),
    },
    checks={"bucket_name": _bucket_name_ok},
)


def storage_class_name(storage_class: Any) -> str:
    """``s3.StorageClass.GLACIER`` or ``"GLACIER"`` -> ``"GLACIER"``; ``ValueError`` otherwise."""
    name = storage_class.value if isinstance(storage_class, s3.StorageClass) else storage_class
    if not isinstance(name, str) or name not in _CLASSES:
        raise ValueError(
            f"storage class must be an s3.StorageClass or one of {', '.join(WATERFALL)}, "
            f"got {storage_class!r}"
        )
    return name


def _check_transitions(
    problems: Problems,
    prop: str,
    transitions: Any,
    expiration_days: Any,
    expiration_prop: str,
) -> list[tuple[str, int]]:
    """Record every rule ``transitions`` breaks; return the valid ones as ``(name, days)``."""
    if isinstance(transitions, str | bytes) or not isinstance(transitions, Sequence):
        problems.add(f"{prop} must be a list of (storage class, days) pairs, got {transitions!r}")
        return []
    result: list[tuple[str, int]] = []
    for index, item in enumerate(transitions):
        where = f"{prop}[{index}]"
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
            problems.add(f"{where} must be a (storage class, days) pair, got {item!r}")
            return []
        try:
            name = storage_class_name(item[0])
        except ValueError as err:
            problems.add(f"{where}: {err}")
            return []
        days = item[1]
        label = f"{where} ({name} at {days!r} days)"
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= INT32_MAX:
            problems.add(f"{label}: days must be a non-negative integer, at most {INT32_MAX}")
            return []
        if name in THIRTY_DAY_TIERS and days < 30:
            problems.add(
                f"{label}: S3 moves objects to {name} only when they are at least 30 days old"
            )
            return []
        if result:
            previous, previous_days = result[-1]
            earlier = dict(result)
            rule = None
            if name in earlier:
                rule = f"storage class {name} appears twice (also at {earlier[name]} days)"
            elif WATERFALL.index(name) < WATERFALL.index(previous):
                rule = (
                    f"tiers only go down the waterfall ({' -> '.join(WATERFALL)}); {name} cannot "
                    f"follow {previous}"
                )
            elif days <= previous_days:
                rule = (
                    f"days must increase along the waterfall; the previous transition "
                    f"({previous}) is at {previous_days} days"
                )
            elif previous in THIRTY_DAY_TIERS and days < previous_days + 30:
                rule = (
                    f"objects stay at least 30 days in {previous} before the next transition; "
                    f"use {previous_days + 30} days or more"
                )
            if rule:
                problems.add(f"{label}: {rule}")
                return []
        result.append((name, days))
    if (
        isinstance(expiration_days, int)
        and not isinstance(expiration_days, bool)
        and result
        and expiration_days <= result[-1][1]
    ):
        problems.add(
            f"{expiration_prop} ({expiration_days}) must come after the last transition of {prop} "
            f"({result[-1][0]} at {result[-1][1]} days)"
        )
    return result


def validate_transitions(
    prop: str,
    transitions: Sequence[Transition],
    expiration_days: int | None,
    expiration_prop: str = "expiration_days",
) -> list[tuple[str, int]]:
    """Check ``transitions`` against S3's rules; return them as ``(class name, days)``.

    Rules: days are integers from 0 to 2**31-1; no storage class twice; tiers only go down the
    waterfall and days strictly increase along it; Standard-IA and One Zone-IA come at least 30
    days after creation, and the transition after them at least 30 days later; expiration
    comes after the last transition. Raises :class:`~wellstack.errors.WellstackError`.
    """
    problems = Problems("")
    result = _check_transitions(problems, prop, transitions, expiration_days, expiration_prop)
    problems.done()
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


@dataclass(frozen=True)
class _IntelligentTiering:
    """Intelligent-Tiering and its opt-in archive tiers (days of no access; None: off)."""

    enabled: bool
    archive_days: int | None
    deep_archive_days: int | None


@dataclass(frozen=True)
class _ObjectLock:
    """Object Lock's default retention (``days`` None: no Object Lock)."""

    days: int | None
    mode: ObjectLockMode


@dataclass(frozen=True)
class _Lifecycle:
    """The validated lifecycle of a bucket."""

    transitions: list[tuple[str, int]]
    noncurrent_transitions: list[tuple[str, int]]
    expiration_days: int | None
    noncurrent_expiration_days: int | None
    abort_multipart_days: int
    versioned: bool

    def rule(self) -> s3.LifecycleRule:
        return s3.LifecycleRule(
            id="Tiering",
            enabled=True,
            transitions=[
                s3.Transition(storage_class=_CLASSES[name], transition_after=cached.days(d))
                for name, d in self.transitions
            ],
            expiration=cached.days(self.expiration_days) if self.expiration_days else None,
            noncurrent_version_transitions=[
                s3.NoncurrentVersionTransition(
                    storage_class=_CLASSES[name], transition_after=cached.days(d)
                )
                for name, d in self.noncurrent_transitions
            ]
            if self.versioned
            else None,
            noncurrent_version_expiration=cached.days(self.noncurrent_expiration_days)
            if self.versioned and self.noncurrent_expiration_days
            else None,
            abort_incomplete_multipart_upload_after=cached.days(self.abort_multipart_days),
        )


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
    :param access_logs_bucket: an existing bucket for the server access logs. Default: a log
        bucket of its own.
    :param access_log_retention_days: how long that own log bucket keeps logs. Default 365.
    :param transfer_acceleration: S3 Transfer Acceleration. Default off.
    :param object_lock_days: write-once-read-many default retention in days. Default none.
    :param object_lock_mode: with ``object_lock_days``: ``"governance"`` (default; privileged
        users may shorten it) or ``"compliance"`` (nobody can, not even root).
    :param event_bridge: send the bucket's events (object created, deleted, restored ...) to
        Amazon EventBridge's default bus, for consumers to subscribe with rules. Default on: AWS
        service events cost nothing until a rule matches them.
    :param replicate_to: a :class:`~wellstack.constructs.Replication` — a bucket in another
        region, by name, that every object (and delete marker) is replicated to, re-encrypted
        with that region's key; optionally with S3 Replication Time Control. Needs versioning.
        Default: no replication.
    :param bucket_props: keyword arguments of ``s3.Bucket`` merged over wellstack's (e.g.
        ``{"bucket_name": "team-archive"}``). Keys owned by the keywords above are refused with a
        pointer to the keyword; a key that would weaken a protection (encryption, public access,
        TLS, RETAIN, ACLs) is refused.
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
        encryption_key: kms.IKey | kms.Key | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        access_log_retention_days: int | None = None,
        transfer_acceleration: bool = False,
        object_lock_days: int | None = None,
        object_lock_mode: ObjectLockMode | None = None,
        event_bridge: bool = True,
        replicate_to: Replication | None = None,
        bucket_props: Mapping[str, Any] | None = None,
    ) -> None:
        problems = Problems.of(scope, construct_id, "TieredBucket")
        lifecycle = _validate_lifecycle(
            problems,
            transitions=transitions,
            expiration_days=expiration_days,
            versioned=versioned,
            noncurrent_transitions=noncurrent_transitions,
            noncurrent_expiration_days=noncurrent_expiration_days,
            abort_days=abort_incomplete_multipart_upload_days,
            intelligent_tiering=intelligent_tiering,
        )
        _validate_options(
            problems,
            intelligent_tiering=intelligent_tiering,
            archive_days=archive_access_days,
            deep_archive_days=deep_archive_access_days,
            encryption_key=encryption_key,
            access_logs_bucket=access_logs_bucket,
            access_log_retention_days=access_log_retention_days,
            transfer_acceleration=transfer_acceleration,
            object_lock_days=object_lock_days,
            object_lock_mode=object_lock_mode,
            versioned=versioned,
        )
        problems.flag("event_bridge", event_bridge)
        check_replication(
            problems,
            replicate_to,
            versioned=versioned,
            object_lock_days=object_lock_days,
            region=cached.region(scope),
        )
        overrides = _props.check_overrides(problems, "bucket_props", bucket_props, BUCKET_OVERRIDES)
        problems.done()
        super().__init__(scope, construct_id)
        cached.adopt(self, scope, construct_id)

        #: The validated waterfall of current versions, ``(storage class, days)``.

        self.transitions: list[tuple[str, int]] = lifecycle.transitions
        #: The same for noncurrent versions.
        self.noncurrent_transitions: list[tuple[str, int]] = lifecycle.noncurrent_transitions
        #: When current versions expire (``None``: never).
        self.expiration_days: int | None = expiration_days
        #: When noncurrent versions expire (``None``: never or unversioned).
        self.noncurrent_expiration_days: int | None = (
            noncurrent_expiration_days if versioned else None
        )
        #: The bucket's KMS key (``None``: SSE-S3).
        self.encryption_key: kms.IKey | kms.Key | None = encryption_key
        self._warn_early_exits(lifecycle)
        #: Where server access logs go: the given bucket, or a log bucket of this construct's.
        self.access_logs_bucket: s3.IBucket = access_logs_bucket or log_bucket(
            self,
            "AccessLogs",
            retention_days=access_log_retention_days or 365,
            delivered_by="S3 server access logging",
        )
        log_prefix = f"{cdk.Names.unique_id(self)}/"
        #: The bucket itself.
        self.bucket: s3.Bucket = self._create_bucket(
            problems.path,
            lifecycle,
            overrides,
            log_prefix=log_prefix,
            intelligent_tiering=_IntelligentTiering(
                intelligent_tiering, archive_access_days, deep_archive_access_days
            ),
            transfer_acceleration=transfer_acceleration,
            object_lock=_ObjectLock(object_lock_days, object_lock_mode or "governance"),
        )
        if not deliver_access_logs(self.bucket, self.access_logs_bucket, log_prefix):
            cdk.Annotations.of(self).add_warning_v2(
                "wellstack:access-log-delivery",
                f"access_logs_bucket {self.access_logs_bucket.bucket_name} is not this app's to "
                f"change: its bucket policy must allow Service logging.s3.amazonaws.com "
                f"s3:PutObject on {log_prefix}* (aws:SourceArn this bucket), or S3 delivers no "
                f"server access logs",
            )
        if event_bridge:
            send_events_to_eventbridge(self.bucket)
        #: Where the bucket replicates to (``None``: nowhere) and the role S3 replicates with.
        self.replicate_to: Replication | None = replicate_to
        self.replication_role: iam.Role | None = (
            configure_replication(self, self.bucket, self.encryption_key, replicate_to)
            if replicate_to
            else None
        )
        self._acknowledge(
            locked=object_lock_days is not None, events=event_bridge, versioned=lifecycle.versioned
        )

    # --- steps ---------------------------------------------------------------------------------

    def _warn_early_exits(self, lifecycle: _Lifecycle) -> None:
        for warning in early_exits(lifecycle.transitions, lifecycle.expiration_days):
            cdk.Annotations.of(self).add_warning_v2(
                "wellstack:early-exit", f"transitions: {warning}"
            )
        if lifecycle.versioned:
            for warning in early_exits(
                lifecycle.noncurrent_transitions, lifecycle.noncurrent_expiration_days
            ):
                cdk.Annotations.of(self).add_warning_v2(
                    "wellstack:early-exit-noncurrent", f"noncurrent_transitions: {warning}"
                )

    def _create_bucket(
        self,
        path: str,
        lifecycle: _Lifecycle,
        overrides: dict[str, Any],
        *,
        log_prefix: str,
        intelligent_tiering: _IntelligentTiering,
        transfer_acceleration: bool,
        object_lock: _ObjectLock,
    ) -> s3.Bucket:
        tiering = intelligent_tiering.enabled
        archive_days = intelligent_tiering.archive_days
        deep_archive_days = intelligent_tiering.deep_archive_days
        lock_days, lock_mode = object_lock.days, object_lock.mode
        tiering_config = None
        if tiering and (archive_days or deep_archive_days):
            tiering_config = [
                s3.IntelligentTieringConfiguration(
                    name="ArchiveTiers",
                    archive_access_tier_time=cached.days(archive_days) if archive_days else None,
                    deep_archive_access_tier_time=cached.days(deep_archive_days)
                    if deep_archive_days
                    else None,
                )
            ]
        retention = None
        if lock_days is not None:
            mode = (
                s3.ObjectLockRetention.compliance
                if lock_mode == "compliance"
                else s3.ObjectLockRetention.governance
            )
            retention = mode(cached.days(lock_days))
        key = self.encryption_key
        defaults: dict[str, Any] = {
            "encryption": s3.BucketEncryption.KMS if key else s3.BucketEncryption.S3_MANAGED,
            "encryption_key": key,
            "bucket_key_enabled": True if key else None,
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "enforce_ssl": True,
            "versioned": lifecycle.versioned,
            "lifecycle_rules": [lifecycle.rule()],
            "intelligent_tiering_configurations": tiering_config,
            "transfer_acceleration": transfer_acceleration or None,
            "object_lock_enabled": True if lock_days is not None else None,
            "object_lock_default_retention": retention,
            "removal_policy": cdk.RemovalPolicy.RETAIN,
        }
        props = _props.merge(defaults, overrides)
        return _props.build(
            path, "bucket_props", bool(overrides), lambda: s3.Bucket(self, "Resource", **props)
        )

    def _acknowledge(self, *, locked: bool, events: bool, versioned: bool) -> None:
        reasons = (
            {}
            if self.replicate_to is not None
            else {"NIST.800.53.R5-S3BucketReplicationEnabled": REPLICATION_REASON}
        )
        if self.encryption_key is None:
            reasons |= same_reason(
                "SSE-S3 (AES-256) was chosen: no encryption_key was given; pass a KMS key for "
                "SSE-KMS",
                "NIST.800.53.R5-S3DefaultEncryptionKMS",
                CONTROL_TOWER + "s3_bucket_default_encryption_kms_check",
            )
        if not locked:
            reasons[CONTROL_TOWER + "s3_bucket_object_lock_enabled_check"] = (
                "S3 Object Lock (WORM) is an explicit choice (object_lock_days=): locked objects "
                "cannot be deleted or overwritten, not even by the lifecycle rules; versioning "
                "and RETAIN protect the data without it"
            )
        if not events:
            reasons[CONTROL_TOWER + "s3_event_notifications_enabled_check"] = (
                "event_bridge=False was chosen explicitly: nothing consumes this bucket's events"
            )
        if not versioned:
            reasons |= same_reason(
                "versioned=False was chosen: an overwritten or deleted object is gone (data that "
                "can be recreated); RETAIN still keeps the bucket",
                "NIST.800.53.R5-S3BucketVersioningEnabled",
                CONTROL_TOWER + "s3_bucket_versioning_enabled_check",
                CHECKOV + "CKV_AWS_21",
            )
        acknowledge(self.bucket, reasons)

    # --- grants --------------------------------------------------------------------------------

    def grant_read(self, grantee: iam.IGrantable) -> iam.ManagedPolicy | None:
        """Read objects (and decrypt them with the bucket's KMS key, if any): explicit actions
        in a managed policy on the grantee's role (cdk-nag clean), in the role's stack."""
        return self._grant(grantee, "Read", _READ_ACTIONS, ("kms:Decrypt",))

    def grant_read_write(self, grantee: iam.IGrantable) -> iam.ManagedPolicy | None:
        """Read, write and delete objects (and use the bucket's KMS key, if any)."""
        return self._grant(
            grantee,
            "ReadWrite",
            _READ_ACTIONS + _WRITE_ACTIONS,
            ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
        )

    def _grant(
        self,
        grantee: iam.IGrantable,
        purpose: str,
        actions: tuple[str, ...],
        key_actions: tuple[str, ...],
    ) -> iam.ManagedPolicy | None:
        bucket_actions = [a for a in actions if a in _BUCKET_LEVEL]
        statements = [
            iam.PolicyStatement(actions=bucket_actions, resources=[self.bucket.bucket_arn]),
            iam.PolicyStatement(
                actions=[a for a in actions if a not in _BUCKET_LEVEL],
                resources=[self.bucket.arn_for_objects("*")],
            ),
        ]
        if self.encryption_key is not None:
            statements.append(
                iam.PolicyStatement(
                    actions=list(key_actions),
                    resources=[self.encryption_key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"s3.{cached.region(self)}.amazonaws.com"
                        }
                    },
                )
            )
        return grant(
            self,
            grantee,
            purpose=purpose,
            statements=statements,
            late_reasons={
                "AwsSolutions-IAM5[Resource::{}]": (
                    self.bucket.arn_for_objects("*"),
                    f"Object-level access needs the objects of this one bucket "
                    f"({cached.path(self)}/*); every action is named, no action wildcard",
                )
            },
        )


#: What ``grant_read`` and ``grant_read_write`` allow (named actions, no wildcards).
_READ_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject", "s3:GetObjectVersion")
_WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
_BUCKET_LEVEL = ("s3:GetBucketLocation", "s3:ListBucket")


# --- validation ----------------------------------------------------------------------------------


def _validate_lifecycle(
    problems: Problems,
    *,
    transitions: Any,
    expiration_days: Any,
    versioned: Any,
    noncurrent_transitions: Any,
    noncurrent_expiration_days: Any,
    abort_days: Any,
    intelligent_tiering: Any,
) -> _Lifecycle:
    problems.flag("versioned", versioned)
    problems.flag("intelligent_tiering", intelligent_tiering)
    if expiration_days is not None:
        problems.integer("expiration_days", expiration_days, 1)
    if noncurrent_expiration_days is not None:
        problems.integer("noncurrent_expiration_days", noncurrent_expiration_days, 1)
    problems.integer("abort_incomplete_multipart_upload_days", abort_days, 1)
    if transitions is None:
        transitions = (
            [("INTELLIGENT_TIERING", 0)] if intelligent_tiering is True else DEFAULT_TRANSITIONS
        )
    if noncurrent_transitions is None:
        noncurrent_transitions = DEFAULT_NONCURRENT_TRANSITIONS
    return _Lifecycle(
        transitions=_check_transitions(
            problems, "transitions", transitions, expiration_days, "expiration_days"
        ),
        noncurrent_transitions=_check_transitions(
            problems,
            "noncurrent_transitions",
            noncurrent_transitions,
            noncurrent_expiration_days,
            "noncurrent_expiration_days",
        ),
        expiration_days=expiration_days,
        noncurrent_expiration_days=noncurrent_expiration_days,
        abort_multipart_days=abort_days,
        versioned=versioned is True,
    )


def _validate_options(
    problems: Problems,
    *,
    intelligent_tiering: Any,
    archive_days: Any,
    deep_archive_days: Any,
    encryption_key: Any,
    access_logs_bucket: Any,
    access_log_retention_days: Any,
    transfer_acceleration: Any,
    object_lock_days: Any,
    object_lock_mode: Any,
    versioned: Any,
) -> None:
    if intelligent_tiering is not True and (
        archive_days is not None or deep_archive_days is not None
    ):
        problems.add(
            f"archive_access_days / deep_archive_access_days need intelligent_tiering=True, got "
            f"archive_access_days={archive_days!r}, deep_archive_access_days={deep_archive_days!r}"
        )
    archive_ok = archive_days is None or problems.within(
        "archive_access_days", archive_days, ARCHIVE_ACCESS_DAYS
    )
    deep_ok = deep_archive_days is not None and problems.within(
        "deep_archive_access_days", deep_archive_days, DEEP_ARCHIVE_ACCESS_DAYS
    )
    if deep_ok and archive_ok and archive_days is not None and deep_archive_days <= archive_days:
        problems.add(
            f"deep_archive_access_days ({deep_archive_days}) must be greater than "
            f"archive_access_days ({archive_days})"
        )
    if encryption_key is not None:
        problems.implements(
            "encryption_key", encryption_key, kms.IKey, "a KMS key (kms.IKey), e.g. kms.Key(...)"
        )
    if access_logs_bucket is not None:
        problems.implements(
            "access_logs_bucket", access_logs_bucket, s3.IBucket, "an S3 bucket (s3.IBucket)"
        )
        if access_log_retention_days is not None:
            problems.add(
                "access_log_retention_days applies only to the log bucket TieredBucket creates; "
                "with access_logs_bucket= set its lifecycle on that bucket"
            )
    if access_log_retention_days is not None:
        problems.integer("access_log_retention_days", access_log_retention_days, 1)
    problems.flag("transfer_acceleration", transfer_acceleration)
    if object_lock_mode is not None:
        problems.choice("object_lock_mode", object_lock_mode, choices(ObjectLockMode))
        if object_lock_days is None:
            problems.add(
                f"object_lock_mode={object_lock_mode!r} needs object_lock_days (the default "
                f"retention it applies to)"
            )
    if object_lock_days is not None:
        problems.within("object_lock_days", object_lock_days, OBJECT_LOCK_DAYS)
        if versioned is False:
            problems.add(
                f"object_lock_days={object_lock_days!r} requires versioned=True "
                f"(S3 object lock works on versions), got versioned=False"
            )
