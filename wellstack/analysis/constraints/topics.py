"""SNS topics and the services that publish to them: the topic policy and the topic's KMS key
must both let each publisher in, or its messages are dropped without an error at deploy time.

Publishers read from the templates: CloudWatch alarms (alarm, OK and insufficient-data
actions), EventBridge rules (targets), AWS Backup vault notifications and S3 event
notifications. A topic with an ``AWS::SNS::TopicPolicy`` has only that policy: it replaces the
default one that let the account's services publish (the topic-policy handler sets the topic's
whole ``Policy`` attribute).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import OPERATIONS
from wellstack.analysis.policy import Request, allows
from wellstack.analysis.template import Assembly, Resource, flat

KC_ALARM_TOPIC = "https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger"
SNS_KEYS = (
    "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html"
    "#compatibility-with-aws-services"
)


@dataclass(frozen=True)
class Publisher:
    """A resource that publishes to a topic as an AWS service."""

    resource: Resource
    service: str
    #: Its ARN as the service sets ``aws:SourceArn`` (``*`` where only a pattern is known).
    source_arn: str
    what: str


def _arn(assembly: Assembly, resource: Resource, service: str, rest: str) -> str:
    region = assembly.regions.get(resource.stack) or "*"
    account = assembly.accounts.get(resource.stack) or "*"
    region = "*" if region.startswith("unknown") else region
    account = "*" if account.startswith("unknown") else account
    return f"arn:*:{service}:{region}:{account}:{rest}"


def _literal(value: object) -> str:
    return value if isinstance(value, str) else "*"


def alarm_publisher(assembly: Assembly, alarm: Resource) -> Publisher:
    arn = _arn(assembly, alarm, "cloudwatch", f"alarm:{_literal(alarm.prop('AlarmName'))}")
    what = f"alarm {alarm.stack}/{alarm.logical_id}"
    return Publisher(alarm, "cloudwatch.amazonaws.com", arn, what)


def publishers(assembly: Assembly) -> Iterator[tuple[Resource, Publisher]]:
    """(topic, publisher) for every service publisher of a topic in the app."""
    for alarm in assembly.resources("AWS::CloudWatch::Alarm"):
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            for value in alarm.items(key):
                topic = assembly.target(alarm.stack, value)
                if topic is not None and topic.type == "AWS::SNS::Topic":
                    yield topic, alarm_publisher(assembly, alarm)
    for event_rule in assembly.resources("AWS::Events::Rule"):
        arn = _arn(assembly, event_rule, "events", f"rule/{_literal(event_rule.prop('Name'))}")
        for target in event_rule.items("Targets"):
            if not isinstance(target, dict):
                continue
            topic = assembly.target(event_rule.stack, target.get("Arn"))
            if topic is not None and topic.type == "AWS::SNS::Topic":
                what = f"EventBridge rule {event_rule.stack}/{event_rule.logical_id}"
                yield topic, Publisher(event_rule, "events.amazonaws.com", arn, what)
    for vault in assembly.resources("AWS::Backup::BackupVault"):
        notifications = vault.mapping("Notifications")
        topic = assembly.target(vault.stack, notifications.get("SNSTopicArn"))
        if topic is not None and topic.type == "AWS::SNS::Topic":
            arn = _arn(
                assembly, vault, "backup", f"backup-vault:{_literal(vault.prop('BackupVaultName'))}"
            )
            what = f"backup vault {vault.stack}/{vault.logical_id}"
            yield topic, Publisher(vault, "backup.amazonaws.com", arn, what)
    for bucket in assembly.resources("AWS::S3::Bucket"):
        configuration = bucket.mapping("NotificationConfiguration")
        for entry in configuration.get("TopicConfigurations", []) or []:
            if not isinstance(entry, dict):
                continue
            topic = assembly.target(bucket.stack, entry.get("Topic"))
            if topic is not None and topic.type == "AWS::SNS::Topic":
                name = _literal(bucket.prop("BucketName"))
                arn = f"arn:*:s3:::{name}"
                what = f"bucket {bucket.stack}/{bucket.logical_id}"
                yield topic, Publisher(bucket, "s3.amazonaws.com", arn, what)


def _grouped(assembly: Assembly) -> dict[tuple[str, str, str], tuple[Resource, list[Publisher]]]:
    """(topic stack, topic id, service) -> (topic, its publishers of that service)."""
    grouped: dict[tuple[str, str, str], tuple[Resource, list[Publisher]]] = {}
    for topic, publisher in publishers(assembly):
        key = (topic.stack, topic.logical_id, publisher.service)
        found = grouped.setdefault(key, (topic, []))[1]
        if publisher not in found:  # an alarm's ALARM and OK actions: one publisher
            found.append(publisher)
    return grouped


def topic_policies(assembly: Assembly, topic: Resource) -> list[Resource]:
    """The ``AWS::SNS::TopicPolicy`` / ``TopicInlinePolicy`` resources attached to ``topic``."""
    found = []
    for policy in assembly.resources("AWS::SNS::TopicPolicy", "AWS::SNS::TopicInlinePolicy"):
        targets = (
            policy.items("Topics")
            if policy.type == "AWS::SNS::TopicPolicy"
            else [policy.prop("TopicArn")]
        )
        for value in targets:
            resolved = assembly.target(policy.stack, value)
            if resolved is not None and (resolved.stack, resolved.logical_id) == (
                topic.stack,
                topic.logical_id,
            ):
                found.append(policy)
    return found


def request(assembly: Assembly, publisher: Publisher, action: str) -> Request:
    account = assembly.accounts.get(publisher.resource.stack) or "*"
    account = "*" if account.startswith("unknown") else account
    return Request(
        service=publisher.service,
        action=action,
        context={
            "aws:sourcearn": publisher.source_arn,
            "aws:sourceaccount": account,
            "aws:sourceowner": account,
            "aws:securetransport": "true",
        },
    )


def policy_allows(assembly: Assembly, topic: Resource, publisher: Publisher) -> bool:
    """The topic's policy lets the publisher publish (no topic policy: SNS's default one,
    which lets the account's own services)."""
    policies = topic_policies(assembly, topic)
    request_ = request(assembly, publisher, "sns:Publish")
    return not policies or any(allows(p.prop("PolicyDocument"), request_) for p in policies)


def key_allows(assembly: Assembly, topic: Resource, publisher: Publisher) -> bool | None:
    """The topic's key lets the publisher use it (True also for an unencrypted topic); False
    for the AWS-managed alias/aws/sns or a key policy without it; None for a key outside the
    app, whose policy cannot be read here."""
    text, key = topic_key(assembly, topic)
    if not text:
        return True
    if text.endswith("alias/aws/sns"):
        return False
    if key is None:
        return None
    return all(
        allows(key.prop("KeyPolicy"), request(assembly, publisher, action))
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    )


def publisher_blocked(assembly: Assembly, topic: Resource, publisher: Publisher) -> str | None:
    """Why the publisher's messages to the topic are dropped, or None."""
    name = f"{topic.stack}/{topic.logical_id}"
    if not policy_allows(assembly, topic, publisher):
        return f"topic {name}'s policy does not allow {publisher.service} sns:Publish"
    if key_allows(assembly, topic, publisher) is False:
        return f"topic {name}'s KMS key does not let {publisher.service} use it"
    return None


def _names(publishers: list[Publisher]) -> str:
    shown = ", ".join(p.what for p in publishers[:3])
    more = f" and {len(publishers) - 3} more" if len(publishers) > 3 else ""
    return shown + more


@rule(
    "SNS1",
    "A topic's policy lets every AWS service that publishes to it publish (sns:Publish)",
    pillar=OPERATIONS,
    outcome="ignored",
    source="AWS Knowledge Center, Why didn't I receive an SNS notification for my CloudWatch "
    "alarm trigger? (the topic's access policy must allow cloudwatch.amazonaws.com sns:Publish; "
    "a topic policy replaces the default one)",
    url=KC_ALARM_TOPIC,
)
def _topic_policy(assembly: Assembly) -> Iterator[Violation]:
    for (_, _, service), (topic, found) in _grouped(assembly).items():
        policies = topic_policies(assembly, topic)
        blocked = [p for p in found if not policy_allows(assembly, topic, p)]
        if blocked:
            policy = policies[0]
            yield violation(
                "SNS1",
                policy,
                f"topic {topic.stack}/{topic.logical_id}'s policy does not allow {service} "
                f'sns:Publish, so {_names(blocked)} cannot notify it ("not authorized to '
                f"perform: SNS:Publish\" in the publisher's history, nothing at deploy)",
                f"add an Allow for Service {service}, Action sns:Publish (condition "
                f"aws:SourceArn {blocked[0].source_arn.replace('arn:*', 'arn:aws')} pattern)",
                "PolicyDocument",
            )


def topic_key(assembly: Assembly, topic: Resource) -> tuple[str, Resource | None]:
    """The topic's ``KmsMasterKeyId`` as text, and the key resource when it is in the app."""
    value = topic.prop("KmsMasterKeyId")
    if value is None:
        return "", None
    key = assembly.target(topic.stack, value)
    return flat(value), key if key is not None and key.type == "AWS::KMS::Key" else None


@rule(
    "SNS2",
    "An encrypted topic's KMS key lets every AWS service that publishes to it use the key, and "
    "is not the AWS-managed key alias/aws/sns",
    pillar=OPERATIONS,
    outcome="ignored",
    source="Amazon SNS Developer Guide, Key management: Enable compatibility between event sources "
    "from AWS services and encrypted topics (a customer managed key whose policy allows the "
    "service kms:GenerateDataKey* and kms:Decrypt)",
    url=SNS_KEYS,
)
def _topic_key(assembly: Assembly) -> Iterator[Violation]:
    for (_, _, service), (topic, found) in _grouped(assembly).items():
        text, key = topic_key(assembly, topic)
        if not text:
            continue
        if text.endswith("alias/aws/sns"):
            yield violation(
                "SNS2",
                topic,
                f"topic {topic.stack}/{topic.logical_id} uses the AWS-managed key alias/aws/sns, "
                f"whose policy cannot be changed to let {service} use it: {_names(found)} cannot "
                f"publish",
                "encrypt the topic with a customer-managed key that allows the publishers",
                "KmsMasterKeyId",
            )
            continue
        if key is None:
            continue  # a key outside the app: its policy cannot be read here
        blocked = [p for p in found if key_allows(assembly, topic, p) is False]
        if blocked:
            yield violation(
                "SNS2",
                key,
                f"the key of topic {topic.stack}/{topic.logical_id} does not let {service} use "
                f"it (kms:GenerateDataKey and kms:Decrypt): {_names(blocked)} cannot publish",
                f"add a key-policy statement allowing Service {service} kms:Decrypt and "
                f"kms:GenerateDataKey*",
                "KeyPolicy",
            )
