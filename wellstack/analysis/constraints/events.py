"""EventBridge rules that deploy and never deliver: patterns on fields their events do not carry,
SNS targets given a role."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import OPERATIONS
from wellstack.analysis.template import Assembly, Resource

PATTERNS = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html"
BACKUP_EVENTS = "https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html"

#: The ``detail`` fields each event carries, by (source, detail-type), as the service's guide
#: documents them. AWS Backup: "Monitoring AWS Backup events using Amazon EventBridge" (the
#: example event of every state). A field is reported only when the source documents it for
#: *another* detail-type and not for this one: a field this table does not know is never held
#: against a pattern.
DETAIL_FIELDS: dict[tuple[str, str], frozenset[str]] = {
    ("aws.backup", "Backup Job State Change"): frozenset({
        "backupJobId", "backupSizeInBytes", "backupVaultArn", "backupVaultName",
        "bytesTransferred", "creationDate", "iamRoleArn", "resourceArn", "resourceType",
        "state", "statusMessage", "percentDone", "recoveryPointArn", "completionDate",
    }),
    ("aws.backup", "Copy Job State Change"): frozenset({
        "copyJobId", "backupSizeInBytes", "creationDate", "iamRoleArn", "resourceArn",
        "resourceType", "sourceBackupVaultArn", "destinationBackupVaultArn", "state",
        "statusMessage", "completionDate", "sourceRecoveryPointArn", "destinationRecoveryPointArn",
    }),
    ("aws.backup", "Restore Job State Change"): frozenset({
        "restoreJobId", "backupSizeInBytes", "backupVaultArn", "creationDate", "iamRoleArn",
        "percentDone", "recoveryPointArn", "resourceType", "status", "statusMessage",
        "createdResourceArn", "completionDate",
    }),
    ("aws.backup", "Recovery Point State Change"): frozenset({
        "backupVaultArn", "backupVaultName", "creationDate", "iamRoleArn", "resourceArn",
        "resourceType", "status", "statusMessage", "recoveryPointArn", "completionDate",
    }),
    ("aws.backup", "Backup Vault State Change"): frozenset({"backupVaultName", "state"}),
}  # fmt: skip


def _documented(source: str) -> frozenset[str]:
    """Every detail field the source documents for any of its detail-types."""
    return frozenset().union(*(f for (s, _), f in DETAIL_FIELDS.items() if s == source))


def _list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@rule(
    "EVT1",
    "An EventBridge rule's pattern names only detail fields that its detail-types carry",
    pillar=OPERATIONS,
    outcome="ignored",
    source="Amazon EventBridge User Guide, Event patterns: for a pattern to match an event, the "
    "event must contain all the field names listed in the pattern (AWS Backup's event fields: "
    "Monitoring AWS Backup events using Amazon EventBridge)",
    url=PATTERNS,
)
def _pattern_fields(assembly: Assembly) -> Iterator[Violation]:
    for event_rule in assembly.resources("AWS::Events::Rule"):
        pattern = event_rule.prop("EventPattern")
        if not isinstance(pattern, Mapping):
            continue
        detail = pattern.get("detail")
        if not isinstance(detail, Mapping):
            continue
        sources = _list(pattern.get("source"))
        for detail_type in _list(pattern.get("detail-type")):
            known = [
                DETAIL_FIELDS[(s, detail_type)]
                for s in sources
                if (s, detail_type) in DETAIL_FIELDS
            ]
            if not known:
                continue  # an event this pack has no field list for
            fields = frozenset().union(*known)
            documented = frozenset().union(*(_documented(s) for s in sources))
            absent = sorted(
                key for key in detail if key in documented and key not in fields
            )  # fmt: skip
            if absent:
                yield violation(
                    "EVT1",
                    event_rule,
                    f"'{detail_type}' events carry no detail.{', detail.'.join(absent)}: the rule "
                    f"never matches them",
                    _hint(detail_type, absent),
                    "EventPattern",
                )


def _hint(detail_type: str, absent: list[str]) -> str:
    if detail_type == "Copy Job State Change" and "backupVaultName" in absent:
        return (
            "filter copy jobs on detail.sourceBackupVaultArn (or destinationBackupVaultArn), in "
            "a rule of their own"
        )
    if (
        detail_type in ("Restore Job State Change", "Recovery Point State Change")
        and "state" in absent
    ):
        return f"'{detail_type}' events report detail.status, not detail.state"
    return f"match '{detail_type}' in a rule of its own, on the fields it carries"


def _is_topic(assembly: Assembly, resource: Resource, value: object) -> bool:
    target = assembly.target(resource.stack, value)
    if target is not None:
        return target.type == "AWS::SNS::Topic"
    return isinstance(value, str) and value.startswith("arn:") and ":sns:" in value


@rule(
    "EVT2",
    "An EventBridge rule's SNS target has no RoleArn",
    pillar=OPERATIONS,
    outcome="ignored",
    source="Amazon EventBridge User Guide, Troubleshooting: for targets that use resource-based "
    "policies (Lambda, Amazon SNS, Amazon SQS, CloudWatch Logs) do not specify a RoleArn; event "
    "delivery may fail, particularly to SNS topics with AWS KMS encryption",
    url="https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html",
)
def _sns_target_role(assembly: Assembly) -> Iterator[Violation]:
    for event_rule in assembly.resources("AWS::Events::Rule"):
        for index, target in enumerate(event_rule.items("Targets")):
            if (
                isinstance(target, dict)
                and "RoleArn" in target
                and _is_topic(assembly, event_rule, target.get("Arn"))
            ):
                yield violation(
                    "EVT2",
                    event_rule,
                    f"target {target.get('Id', index)} is an SNS topic with a RoleArn",
                    "remove the RoleArn: the topic's policy lets events.amazonaws.com publish",
                    f"Targets/{index}/RoleArn",
                )
