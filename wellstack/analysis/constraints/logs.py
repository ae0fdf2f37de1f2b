"""CloudWatch Logs and what writes to it: a key the service may not use, names it refuses,
flow logs without their delivery role, more resource policies than a Region holds."""

from __future__ import annotations

from collections.abc import Iterator

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import OPERATIONS, SECURITY
from wellstack.analysis.policy import Request, allows
from wellstack.analysis.template import Assembly, Resource, flat


def _known(value: str) -> str:
    return "*" if not value or value.startswith("unknown") else value


@rule(
    "LOG1",
    "A log group's KMS key lets CloudWatch Logs of its region use it",
    pillar=SECURITY,
    outcome="refused",
    source="Amazon CloudWatch Logs User Guide, Encrypt log data in CloudWatch Logs using AWS Key "
    "Management Service (the key policy must allow logs.REGION.amazonaws.com; CreateLogGroup "
    "fails otherwise)",
    url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
)
def _log_group_key(assembly: Assembly) -> Iterator[Violation]:
    for group in assembly.resources("AWS::Logs::LogGroup"):
        key = assembly.target(group.stack, group.prop("KmsKeyId"))
        if key is None or key.type != "AWS::KMS::Key":
            continue  # no key, or one outside the app
        region = _known(assembly.regions.get(group.stack, ""))
        account = _known(assembly.accounts.get(group.stack, ""))
        name = group.prop("LogGroupName")
        arn = f"arn:*:logs:{region}:{account}:log-group:{name if isinstance(name, str) else '*'}"
        service = f"logs.{region}.amazonaws.com" if region != "*" else "logs.amazonaws.com"
        context = {"kms:encryptioncontext:aws:logs:arn": arn, "aws:sourceaccount": account}
        blocked = [
            action
            for action in ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
            if not allows(key.prop("KeyPolicy"), Request(service, action, context))
        ]
        if blocked and region != "*":
            yield violation(
                "LOG1",
                key,
                f"log group {group.stack}/{group.logical_id} is encrypted with this key, whose "
                f"policy does not let {service} {', '.join(blocked)}",
                f"allow Service {service} kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, "
                f"kms:GenerateDataKey*, kms:Describe* (condition "
                f"kms:EncryptionContext:aws:logs:arn)",
                "KeyPolicy",
            )


@rule(
    "LOG2",
    "A log group's name does not start with aws/",
    pillar=OPERATIONS,
    outcome="refused",
    source="Amazon CloudWatch Logs API Reference, CreateLogGroup: log group names can't start "
    "with the string aws/",
    url="https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
)
def _log_group_name(assembly: Assembly) -> Iterator[Violation]:
    for group in assembly.resources("AWS::Logs::LogGroup"):
        name = group.prop("LogGroupName")
        if isinstance(name, str) and name.startswith("aws/"):
            yield violation(
                "LOG2", group, f"LogGroupName {name!r} starts with aws/",
                "start it with /aws/... (a leading slash) or another prefix", "LogGroupName",
            )  # fmt: skip


@rule(
    "FL1",
    "A flow log to CloudWatch Logs has a role to deliver with",
    pillar=OPERATIONS,
    outcome="refused",
    source="Amazon EC2 API Reference, CreateFlowLogs: DeliverLogsPermissionArn is required if "
    "the destination type is cloud-watch-logs",
    url="https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html",
)
def _flow_log_role(assembly: Assembly) -> Iterator[Violation]:
    for flow_log in assembly.resources("AWS::EC2::FlowLog"):
        kind = flow_log.prop("LogDestinationType", "cloud-watch-logs")
        if kind == "cloud-watch-logs" and flow_log.prop("DeliverLogsPermissionArn") is None:
            destination = flat(flow_log.prop("LogGroupName") or flow_log.prop("LogDestination"))
            yield violation(
                "FL1", flow_log, f"flow log to CloudWatch Logs ({destination}) without "
                f"DeliverLogsPermissionArn",
                "give it a role that vpc-flow-logs.amazonaws.com assumes, allowed to write the "
                "log group", "DeliverLogsPermissionArn",
            )  # fmt: skip


#: CloudWatch Logs' quota of account-level resource policies per account and Region (not
#: adjustable): PutResourcePolicy fails with LimitExceededException past it.
RESOURCE_POLICIES_PER_REGION = 10


@rule(
    "LOG3",
    "An account and Region receive at most 10 CloudWatch Logs resource policies from the app",
    pillar=OPERATIONS,
    outcome="refused",
    source="Amazon CloudWatch Logs API Reference, PutResourcePolicy: an account can have a "
    "maximum of 10 policies without resourceARN per Region (each AWS::Logs::ResourcePolicy; "
    "wellstack's AppTier makes one for its WAF log group, so ten tiers fill an account's Region)",
    url="https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html",
)
def _resource_policies_per_region(assembly: Assembly) -> Iterator[Violation]:
    places: dict[tuple[str, str], list[Resource]] = {}
    for policy in assembly.resources("AWS::Logs::ResourcePolicy"):
        if policy.prop("ResourceArn") is not None:
            continue  # a log group's own policy: one per log group, not counted in the ten
        place = (assembly.accounts.get(policy.stack, ""), assembly.regions.get(policy.stack, ""))
        places.setdefault(place, []).append(policy)
    for (account, region), policies in places.items():
        for policy in policies[RESOURCE_POLICIES_PER_REGION:]:
            yield violation(
                "LOG3", policy, f"the app puts {len(policies)} CloudWatch Logs resource "
                f"policies in account {account or 'unknown'}, Region {region or 'unknown'}; "
                f"this one is past the quota of {RESOURCE_POLICIES_PER_REGION} (other policies "
                "already in the account count too)",
                "deploy these stacks to more accounts or Regions, or let fewer constructs write "
                "their own policy (one policy can hold a statement per log group)",
            )  # fmt: skip
