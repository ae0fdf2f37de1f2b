"""Auto Scaling groups that wait for their instances' signals: every way an instance can fail to
send one (a boot script that exits first, a role not yet allowed to) makes CloudFormation wait out
the whole timeout and then roll back."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from typing import Any

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import RELIABILITY
from wellstack.analysis.policy import covers_action, statements
from wellstack.analysis.template import Assembly, Resource, flat, is_intrinsic, ref

CREATION_POLICY = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
    "aws-attribute-creationpolicy.html"
)
UPDATE_POLICY = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
    "aws-attribute-updatepolicy.html"
)
_SIGNAL = re.compile(r"cfn-signal|signal-resource")
_TRAP = re.compile(r"^\s*trap\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))\s+(.+)$", re.M)


def waits_for_signals(group: Resource) -> bool:
    """The group's creation or rolling update waits for ``SUCCESS`` signals."""
    creation = group.raw.get("CreationPolicy")
    update = group.raw.get("UpdatePolicy")
    signals = isinstance(creation, Mapping) and isinstance(creation.get("ResourceSignal"), Mapping)
    rolling = update.get("AutoScalingRollingUpdate") if isinstance(update, Mapping) else None
    waits = isinstance(rolling, Mapping) and rolling.get("WaitOnResourceSignals") in (True, "true")
    return signals or waits


def launch_template(assembly: Assembly, group: Resource) -> Resource | None:
    spec = group.mapping("LaunchTemplate")
    found = assembly.target(
        group.stack, spec.get("LaunchTemplateId") or spec.get("LaunchTemplateName")
    )
    return found if found is not None and found.type == "AWS::EC2::LaunchTemplate" else None


def user_data(template: Resource) -> str | None:
    """The launch template's user data as text (``<Ref>`` for values known at deploy), or None
    when there is none or it cannot be read."""
    data = template.mapping("LaunchTemplateData").get("UserData")
    if data is None:
        return None
    if isinstance(data, Mapping) and "Fn::Base64" in data:
        return flat(data["Fn::Base64"])
    if isinstance(data, str):
        try:
            return base64.b64decode(data, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None
    return None


def _function_body(script: str, name: str) -> str:
    """The body of shell function ``name`` (``function name(){`` or ``name() {``), up to the
    first line holding only ``}``."""
    match = re.search(
        rf"^\s*(?:function\s+{re.escape(name)}\s*(?:\(\s*\))?|{re.escape(name)}\s*\(\s*\))\s*\{{",
        script,
        re.M,
    )
    if match is None:
        return ""
    rest = script[match.end() :]
    end = re.search(r"^\s*\}\s*$", rest, re.M)
    return rest[: end.start()] if end else rest


def signals_on_every_exit(script: str) -> bool:
    """A trap on EXIT (or ERR) whose handler sends a signal."""
    for match in _TRAP.finditer(script):
        handler = next(g for g in match.groups()[:3] if g is not None)
        events = match.group(4).split()
        if not {"EXIT", "ERR", "0"} & set(events):
            continue
        body = (
            handler
            if " " in handler or _SIGNAL.search(handler)
            else _function_body(script, handler)
        )
        if _SIGNAL.search(body):
            return True
    return False


@rule(
    "AS1",
    "An Auto Scaling group that waits for signals boots instances that signal on every exit "
    "(FAILURE on a failed boot), not only at the end",
    pillar=RELIABILITY,
    outcome="refused",
    source="AWS CloudFormation Template Reference, CreationPolicy attribute: if the resource does "
    "not receive the specified number of signals before the timeout, creation fails (a boot that "
    "exits early without cfn-signal -e/--status FAILURE makes the stack wait the whole timeout)",
    url=CREATION_POLICY,
)
def _boot_signals(assembly: Assembly) -> Iterator[Violation]:
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        if not waits_for_signals(group):
            continue
        template = launch_template(assembly, group)
        script = user_data(template) if template is not None else None
        if template is None or script is None:
            continue  # nothing readable to judge (a launch template from elsewhere)
        if not _SIGNAL.search(script):
            yield violation(
                "AS1",
                template,
                f"group {group.stack}/{group.logical_id} waits for signals but its user data "
                f"never sends one: every launch times out",
                "signal SUCCESS when the instance serves and FAILURE from an EXIT trap",
                "LaunchTemplateData/UserData",
            )
        elif not signals_on_every_exit(script):
            yield violation(
                "AS1",
                template,
                f"group {group.stack}/{group.logical_id} waits for signals but its user data "
                f"signals only at the end: a failed command before it exits without a signal "
                f"and CloudFormation waits out the timeout",
                "send FAILURE from a trap on EXIT (`trap handler EXIT`) when the script fails",
                "LaunchTemplateData/UserData",
            )


def references(value: Any) -> set[str]:
    """Logical ids a template value refers to (Ref, Fn::GetAtt, Fn::Sub's ``${Name}``)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        target = ref(value)
        if target:
            found.add(target)
        if isinstance(value.get("Fn::Sub"), str | list):
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", str(text))}
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def created_before(assembly: Assembly, resource: Resource) -> set[str]:
    """Everything in the stack that CloudFormation creates before ``resource``: what it names in
    ``DependsOn`` or refers to, and so on."""
    template = assembly.templates[resource.stack]["Resources"]
    seen: set[str] = set()
    pending = [resource.logical_id]
    while pending:
        current = template.get(pending.pop(), {})
        depends = current.get("DependsOn", [])
        direct = set([depends] if isinstance(depends, str) else depends or [])
        direct |= references(current.get("Properties", {}))
        for name in direct - seen:
            if name in template:
                seen.add(name)
                pending.append(name)
    return seen


def instance_roles(assembly: Assembly, template: Resource) -> set[str]:
    """Logical ids of the roles of the launch template's instance profile."""
    profile_value = template.at("LaunchTemplateData", "IamInstanceProfile", "Arn", reference=True)
    if profile_value is None:
        profile_value = template.at(
            "LaunchTemplateData", "IamInstanceProfile", "Name", reference=True
        )
    profile = (
        assembly.target(template.stack, profile_value) if is_intrinsic(profile_value) else None
    )
    if profile is None or profile.type != "AWS::IAM::InstanceProfile":
        return set()
    return {r for r in (ref(v) for v in profile.items("Roles")) if r}


@rule(
    "AS2",
    "An Auto Scaling group that waits for signals is created after the policy that lets its "
    "instances signal",
    pillar=RELIABILITY,
    outcome="refused",
    source="AWS CloudFormation User Guide, DependsOn attribute (When a DependsOn attribute is "
    "required: a resource whose instances use a policy of their role at boot must depend on that "
    "policy, or the call is made before the policy is attached)",
    url="https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
    "aws-attribute-dependson.html",
)
def _signal_policy_first(assembly: Assembly) -> Iterator[Violation]:
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        if not waits_for_signals(group):
            continue
        template = launch_template(assembly, group)
        if template is None:
            continue
        roles = instance_roles(assembly, template)
        before = created_before(assembly, group)
        for policy in assembly.resources("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            if policy.stack != group.stack:
                continue
            attached = {r for r in (ref(v) for v in policy.items("Roles")) if r}
            grants = any(
                s.get("Effect") == "Allow" and covers_action(s, "cloudformation:SignalResource")
                for s in statements(policy.prop("PolicyDocument"))
            )
            if grants and attached & roles and policy.logical_id not in before:
                yield violation(
                    "AS2",
                    group,
                    f"the instances' permission to signal ({policy.logical_id}) may be attached "
                    f"after they boot: a signal sent first is refused (AccessDenied) and the "
                    f"group waits out the timeout",
                    f"add DependsOn: {policy.logical_id} to the group",
                    "",
                )


@rule(
    "AS3",
    "A group's creation waits for no more signals than it launches instances",
    pillar=RELIABILITY,
    outcome="refused",
    source="AWS CloudFormation Template Reference, CreationPolicy attribute (ResourceSignal Count: "
    "the number of success signals CloudFormation must receive before CREATE_COMPLETE)",
    url=CREATION_POLICY,
)
def _signal_count(assembly: Assembly) -> Iterator[Violation]:
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        creation = group.raw.get("CreationPolicy")
        signal = creation.get("ResourceSignal") if isinstance(creation, Mapping) else None
        if not isinstance(signal, Mapping):
            continue
        count = group.as_number(signal.get("Count", 1), "CreationPolicy.ResourceSignal.Count")
        launched = group.number("DesiredCapacity")
        launched = group.number("MinSize") if launched is None else launched
        if count is not None and launched is not None and count > launched:
            yield violation(
                "AS3",
                group,
                f"creation waits for {count:g} signals but the group starts {launched:g} "
                f"instance(s)",
                "wait for at most the group's desired (or minimum) capacity",
                "",
            )


@rule(
    "AS4",
    "A rolling update keeps fewer instances in service than the group's maximum",
    pillar=RELIABILITY,
    outcome="refused",
    source="AWS CloudFormation Template Reference, UpdatePolicy attribute "
    "(AutoScalingRollingUpdate MinInstancesInService must be less than the group's MaxSize)",
    url=UPDATE_POLICY,
)
def _min_in_service(assembly: Assembly) -> Iterator[Violation]:
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        update = group.raw.get("UpdatePolicy")
        rolling = update.get("AutoScalingRollingUpdate") if isinstance(update, Mapping) else None
        if not isinstance(rolling, Mapping):
            continue
        keep = group.as_number(rolling.get("MinInstancesInService"), "MinInstancesInService")
        high = group.number("MaxSize")
        if keep is not None and high is not None and keep >= high:
            yield violation(
                "AS4",
                group,
                f"MinInstancesInService {keep:g} is not below MaxSize {high:g}: the update "
                f"cannot start a new instance",
                "keep MinInstancesInService at most MaxSize - 1",
                "",
            )


def _duration_seconds(value: object) -> int | None:
    """``PT15M`` / ``PT1H30M`` / ``PT90S`` in seconds; None when not such a literal."""
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", str(value)) if value else None
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


@rule(
    "AS5",
    "An update policy is one CloudFormation accepts: one kind of update per group, a pause of at "
    "most an hour, signals where a success percentage is asked",
    pillar=RELIABILITY,
    outcome="refused",
    source="AWS CloudFormation Template Reference, UpdatePolicy attribute (the maximum PauseTime "
    "is PT1H; MinSuccessfulInstancesPercent needs WaitOnResourceSignals and PauseTime; "
    "AutoScalingInstanceRefresh is mutually exclusive with AutoScalingRollingUpdate)",
    url=UPDATE_POLICY,
)
def _update_policy(assembly: Assembly) -> Iterator[Violation]:
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        update = group.raw.get("UpdatePolicy")
        if not isinstance(update, Mapping):
            continue
        rolling = update.get("AutoScalingRollingUpdate")
        if isinstance(rolling, Mapping) and "AutoScalingInstanceRefresh" in update:
            yield violation(
                "AS5", group, "AutoScalingInstanceRefresh and AutoScalingRollingUpdate together",
                "pick one: instance refresh (health checks, alarms, bake time) or a rolling "
                "update (signals)", "",
            )  # fmt: skip
        if not isinstance(rolling, Mapping):
            continue
        pause = _duration_seconds(rolling.get("PauseTime"))
        if pause is not None and pause > 3600:
            yield violation(
                "AS5", group, f"PauseTime {rolling.get('PauseTime')} is over an hour",
                "PT1H at most", "",
            )  # fmt: skip
        signals = rolling.get("WaitOnResourceSignals") in (True, "true")
        if rolling.get("MinSuccessfulInstancesPercent") is not None and not signals:
            yield violation(
                "AS5", group, "MinSuccessfulInstancesPercent without WaitOnResourceSignals",
                "wait on signals (and a PauseTime) or drop the percentage", "",
            )  # fmt: skip


@rule(
    "AS6",
    "An instance refresh keeps at most 100 points between its minimum and maximum healthy "
    "percentages, ends its checkpoints at 100, and gates on alarms of its own region",
    pillar=RELIABILITY,
    outcome="refused",
    source="AWS CloudFormation Template Reference, UpdatePolicy attribute, "
    "AutoScalingInstanceRefresh: MaxHealthyPercentage needs MinHealthyPercentage and the "
    "difference cannot be greater than 100; CheckpointPercentages ascending, the last 100 to "
    "replace every instance; AlarmSpecification.Alarms: up to 10 alarm names. cfn-lint checks "
    "the ranges, not the difference or the order",
    url=UPDATE_POLICY,
)
def _instance_refresh(assembly: Assembly) -> Iterator[Violation]:
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        update = group.raw.get("UpdatePolicy")
        refresh = update.get("AutoScalingInstanceRefresh") if isinstance(update, Mapping) else None
        preferences = refresh.get("Preferences") if isinstance(refresh, Mapping) else None
        if not isinstance(preferences, Mapping):
            continue
        low, high = preferences.get("MinHealthyPercentage"), preferences.get("MaxHealthyPercentage")
        if high is not None and low is None:
            yield violation("AS6", group, "MaxHealthyPercentage without MinHealthyPercentage",
                            "set both")  # fmt: skip
        elif isinstance(low, int) and isinstance(high, int) and high - low > 100:
            yield violation(
                "AS6", group, f"MaxHealthyPercentage {high} - MinHealthyPercentage {low} is "
                f"{high - low}", "keep the difference at 100 or less",
            )  # fmt: skip
        checkpoints = preferences.get("CheckpointPercentages")
        if isinstance(checkpoints, list) and checkpoints and not is_intrinsic(checkpoints):
            plain = [c for c in checkpoints if isinstance(c, int | float)]
            if plain != sorted(set(plain)) or plain[-1:] != [100]:
                yield violation(
                    "AS6", group, f"CheckpointPercentages {checkpoints} are not ascending and "
                    "unique, or do not end at 100 (the refresh would leave instances unreplaced)",
                    "ascending, unique, the last 100",
                )  # fmt: skip
        spec = preferences.get("AlarmSpecification")
        alarms = spec.get("Alarms") if isinstance(spec, Mapping) else None
        for name in alarms if isinstance(alarms, list) else []:
            target = assembly.target(group.stack, name)
            if isinstance(name, str) or (
                target is not None and target.type == "AWS::CloudWatch::Alarm"
            ):
                continue
            yield violation(
                "AS6", group, f"the refresh gates on {flat(name)}, which is not an alarm of this "
                "stack's region", "name a CloudWatch alarm (its Ref)",
            )  # fmt: skip
