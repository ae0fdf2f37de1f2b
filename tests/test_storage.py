"""TieredBucket: lifecycle waterfalls, S3's transition rules, and the secure defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from tests.conftest import project_context, synth_with_packs
from wellstack.analysis.template import ref, resources
from wellstack.constructs import TieredBucket

SC = s3.StorageClass
ENV = cdk.Environment(region="us-east-1")


def _with(**props: Any) -> Callable[[cdk.Stack], TieredBucket]:
    return lambda stack: TieredBucket(stack, "Assets", **props)


def _granted(stack: cdk.Stack) -> TieredBucket:
    """The defaults, read by a role: no acknowledgment, the grant itself is cdk-nag clean."""
    tiered = TieredBucket(stack, "Assets")
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    tiered.grant_read(role)
    return tiered


def _own_key(stack: cdk.Stack) -> TieredBucket:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    return TieredBucket(stack, "Assets", encryption_key=key)


#: One builder per configuration.
CONFIGS: dict[str, Callable[[cdk.Stack], TieredBucket]] = {
    "default": _granted,
    "custom": _with(
        transitions=[
            (SC.INFREQUENT_ACCESS, 30),
            (SC.ONE_ZONE_INFREQUENT_ACCESS, 60),
            (SC.GLACIER_INSTANT_RETRIEVAL, 90),
            (SC.GLACIER, 180),
            (SC.DEEP_ARCHIVE, 365),
        ],
        expiration_days=3650,
        noncurrent_transitions=[(SC.GLACIER, 1)],
        noncurrent_expiration_days=100,
    ),
    "tiering": _with(
        intelligent_tiering=True, archive_access_days=90, deep_archive_access_days=180
    ),
    "locked": _with(object_lock_days=30, object_lock_mode="compliance"),
    "options": _with(transfer_acceleration=True, object_lock_days=7, transitions=[]),
    "early": _with(transitions=[(SC.GLACIER_INSTANT_RETRIEVAL, 0)], expiration_days=30),
    "unversioned": _with(versioned=False),
    "kms": _own_key,
}
#: An early-exit warning fails a validated synth (annotationsInValidationReport), as it should
#: until someone acknowledges it: these configurations get an app without packs.
UNVALIDATED = {"early"}


@pytest.fixture(scope="session")
def buckets() -> dict[str, dict[str, Any]]:
    app = cdk.App(context=project_context())
    unvalidated = cdk.App(context=project_context())
    out = {}
    for name, build in CONFIGS.items():
        scope = unvalidated if name in UNVALIDATED else app
        stack = cdk.Stack(scope, f"Bucket{name.capitalize()}", env=ENV)
        out[name] = {"stack": stack, "construct": build(stack)}
    return synth_with_packs(app, out)


def main_bucket(template: Template) -> dict[str, Any]:
    found = [
        bucket
        for logical_id, bucket in resources(template.to_json(), "AWS::S3::Bucket").items()
        if not logical_id.startswith("AssetsAccessLogs")
    ]
    assert len(found) == 1
    return found[0]


def lifecycle(template: Template) -> dict[str, Any]:
    rules = main_bucket(template)["Properties"]["LifecycleConfiguration"]["Rules"]
    assert len(rules) == 1
    return rules[0]


def test_default_waterfall(buckets):
    rule = lifecycle(buckets["default"]["template"])
    assert rule["Status"] == "Enabled"
    assert rule["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
        {"StorageClass": "GLACIER", "TransitionInDays": 90},
    ]
    assert rule["NoncurrentVersionTransitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
        {"StorageClass": "GLACIER", "TransitionInDays": 90},
    ]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 365}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert "ExpirationInDays" not in rule


def test_custom_waterfall(buckets):
    rule = lifecycle(buckets["custom"]["template"])
    assert [(t["StorageClass"], t["TransitionInDays"]) for t in rule["Transitions"]] == [
        ("STANDARD_IA", 30),
        ("ONEZONE_IA", 60),
        ("GLACIER_IR", 90),
        ("GLACIER", 180),
        ("DEEP_ARCHIVE", 365),
    ]
    assert rule["ExpirationInDays"] == 3650
    assert rule["NoncurrentVersionTransitions"] == [
        {"StorageClass": "GLACIER", "TransitionInDays": 1}
    ]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 100}


def test_intelligent_tiering(buckets):
    bucket = main_bucket(buckets["tiering"]["template"])
    rule = bucket["Properties"]["LifecycleConfiguration"]["Rules"][0]
    assert rule["Transitions"] == [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 0}]
    configs = bucket["Properties"]["IntelligentTieringConfigurations"]
    assert configs[0]["Status"] == "Enabled"
    assert sorted((t["AccessTier"], t["Days"]) for t in configs[0]["Tierings"]) == [
        ("ARCHIVE_ACCESS", 90),
        ("DEEP_ARCHIVE_ACCESS", 180),
    ]


def test_secure_defaults(buckets):
    template = buckets["default"]["template"]
    doc = template.to_json()
    bucket = main_bucket(template)
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    log_target = ref(props["LoggingConfiguration"]["DestinationBucketName"])
    log_bucket = doc["Resources"][log_target]
    assert log_bucket["Type"] == "AWS::S3::Bucket"
    assert log_bucket["DeletionPolicy"] == "Retain"
    log_props = log_bucket["Properties"]
    assert log_props["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert "BucketEncryption" in log_props
    assert log_props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365
    # Both buckets deny requests that are not over TLS.
    policies = resources(doc, "AWS::S3::BucketPolicy")
    tls_denied = set()
    for policy in policies.values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                tls_denied.add(ref(policy["Properties"]["Bucket"]))
    main_id = next(k for k in resources(doc, "AWS::S3::Bucket") if k != log_target)
    assert tls_denied == {log_target, main_id}


def test_customer_managed_key(buckets):
    template = buckets["kms"]["template"]
    props = main_bucket(template)["Properties"]
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "KMSMasterKeyID" in rule["ServerSideEncryptionByDefault"]
    assert rule["BucketKeyEnabled"] is True


def test_object_lock_and_acceleration(buckets):
    locked = main_bucket(buckets["locked"]["template"])["Properties"]
    assert locked["ObjectLockEnabled"] is True
    assert locked["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}},
    }
    options = main_bucket(buckets["options"]["template"])["Properties"]
    assert options["AccelerateConfiguration"] == {"AccelerationStatus": "Enabled"}
    assert options["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Mode"] == "GOVERNANCE"
    assert "Transitions" not in options["LifecycleConfiguration"]["Rules"][0]
    default = main_bucket(buckets["default"]["template"])["Properties"]
    assert "AccelerateConfiguration" not in default and "ObjectLockEnabled" not in default


def test_unversioned_bucket_has_no_noncurrent_rules(buckets):
    rule = lifecycle(buckets["unversioned"]["template"])
    assert "NoncurrentVersionTransitions" not in rule
    assert "NoncurrentVersionExpiration" not in rule


def test_grant_read_is_a_managed_policy_with_named_actions(buckets):
    doc = buckets["default"]["json"]
    assert not resources(doc, "AWS::IAM::Policy"), "an inline policy (NIST IAMNoInlinePolicy)"
    (policy,) = resources(doc, "AWS::IAM::ManagedPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = [a for s in statements for a in s["Action"]]
    assert sorted(actions) == [
        "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket",
    ]  # fmt: skip
    assert not any("*" in action for action in actions)
    (role_id,) = resources(doc, "AWS::IAM::Role")
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    # The one wildcard the grant cannot avoid (the bucket's objects) is acknowledged on the
    # policy, in the template's audit trail.
    suppressed = policy["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert [r["id"] for r in suppressed] == ["AwsSolutions-IAM5[Resource::<Assets0A240B9C.Arn>/*]"]


def test_early_exit_is_a_warning_not_an_error(buckets):
    warnings = Annotations.from_stack(buckets["early"]["stack"]).find_warning(
        "*", Match.string_like_regexp("S3 bills GLACIER_IR for at least 90 days")
    )
    assert len(warnings) == 1
    none = Annotations.from_stack(buckets["default"]["stack"]).find_warning("*", Match.any_value())
    assert none == []


# --- validation --------------------------------------------------------------------------------


def _bucket(**props: Any) -> TieredBucket:
    return TieredBucket(cdk.Stack(cdk.App(), "V"), "B", **props)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"transitions": [(SC.INFREQUENT_ACCESS, 29)]},
            r"transitions\[0\] \(STANDARD_IA at 29 days\): S3 moves objects to STANDARD_IA only "
            r"when they are at least 30 days old",
        ),
        (
            {"transitions": [(SC.ONE_ZONE_INFREQUENT_ACCESS, 0)]},
            r"ONEZONE_IA at 0 days.*at least 30 days old",
        ),
        (
            {"transitions": [(SC.GLACIER, 90), (SC.INFREQUENT_ACCESS, 120)]},
            r"transitions\[1\] \(STANDARD_IA at 120 days\): tiers only go down the waterfall.*"
            r"STANDARD_IA cannot follow GLACIER",
        ),
        (
            {"transitions": [(SC.GLACIER_INSTANT_RETRIEVAL, 90), (SC.GLACIER, 90)]},
            r"transitions\[1\] \(GLACIER at 90 days\): days must increase.*at 90 days",
        ),
        (
            {"transitions": [(SC.INFREQUENT_ACCESS, 30), (SC.GLACIER, 45)]},
            r"transitions\[1\] \(GLACIER at 45 days\): objects stay at least 30 days in "
            r"STANDARD_IA before the next transition; use 60 days or more",
        ),
        (
            {"transitions": [(SC.GLACIER, 90), (SC.GLACIER, 180)]},
            r"transitions\[1\] \(GLACIER at 180 days\): storage class GLACIER appears twice",
        ),
        (
            {"transitions": [(SC.GLACIER, 90)], "expiration_days": 90},
            r"expiration_days \(90\) must come after the last transition of transitions "
            r"\(GLACIER at 90 days\)",
        ),
        ({"transitions": [(SC.GLACIER, -1)]}, r"GLACIER at -1 days\): days must be a non-negative"),
        ({"transitions": [(SC.GLACIER, 1.5)]}, r"GLACIER at 1\.5 days\): days must be a non-neg"),
        ({"transitions": [("TAPE", 10)]}, r"storage class must be an s3.StorageClass.*'TAPE'"),
        ({"transitions": [(SC.GLACIER,)]}, r"transitions\[0\] must be a \(storage class, days\)"),
        ({"transitions": "GLACIER"}, r"transitions must be a list of \(storage class, days\)"),
        (
            {"noncurrent_transitions": [(SC.INFREQUENT_ACCESS, 10)]},
            r"noncurrent_transitions\[0\] \(STANDARD_IA at 10 days\).*at least 30 days old",
        ),
        (
            {"noncurrent_expiration_days": 60},
            r"noncurrent_expiration_days \(60\) must come after the last transition of "
            r"noncurrent_transitions \(GLACIER at 90 days\)",
        ),
        ({"expiration_days": 0}, r"expiration_days must be at least 1, got 0"),
        ({"noncurrent_expiration_days": 0}, r"noncurrent_expiration_days must be at least 1"),
        ({"access_log_retention_days": 0}, r"access_log_retention_days must be at least 1, got 0"),
        ({"abort_incomplete_multipart_upload_days": 0}, r"abort_incomplete_multipart_upload_days"),
        ({"archive_access_days": 90}, r"need intelligent_tiering=True"),
        (
            {"intelligent_tiering": True, "archive_access_days": 30},
            r"archive_access_days must be between 90 and 730.*got 30",
        ),
        (
            {"intelligent_tiering": True, "deep_archive_access_days": 800},
            r"deep_archive_access_days must be between 180 and 730.*got 800",
        ),
        (
            {
                "intelligent_tiering": True,
                "archive_access_days": 200,
                "deep_archive_access_days": 190,
            },
            r"deep_archive_access_days \(190\) must be greater than archive_access_days \(200\)",
        ),
        (
            {"object_lock_days": 0},
            r"object_lock_days must be between 1 and 36500 \(S3's range\), got 0",
        ),
        (
            {"object_lock_days": 5, "versioned": False},
            r"object_lock_days=5 requires versioned=True",
        ),
        ({"object_lock_mode": "legal"}, r"object_lock_mode must be one of 'governance', 'compl"),
    ],
)
def test_validation(props, message):
    with pytest.raises(ValueError, match=message):
        _bucket(**props)


def test_string_storage_class_names_are_accepted():
    bucket = _bucket(transitions=[("STANDARD_IA", 30), ("DEEP_ARCHIVE", 180)])
    assert bucket.transitions == [("STANDARD_IA", 30), ("DEEP_ARCHIVE", 180)]


def test_works_without_the_projects_feature_flags():
    """A consumer's app may lack @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy: the log
    bucket still gets a delivery policy, not an ACL its ownership setting would reject."""
    stack = cdk.Stack(cdk.App(), "Bare", env=ENV)
    TieredBucket(stack, "Assets")
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                                "Action": "s3:PutObject",
                            }
                        )
                    ]
                )
            }
        },
    )
    for bucket in resources(template.to_json(), "AWS::S3::Bucket").values():
        assert "AccessControl" not in bucket["Properties"]
