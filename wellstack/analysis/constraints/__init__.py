"""AWS's own constraints: what CloudFormation accepts and the service then refuses at deploy time
or silently never does — the kind no linter wellstack runs knows (cfn-lint checks the resource
schemas; cdk-nag and Control Tower check security practice). Pure Python, no CDK import.

One rule per documented constraint, each citing the AWS page that states it. The rules read a
synthesized app (:class:`~wellstack.analysis.template.Assembly`) and report violations on the
resource that owns the decision. They run

* at synth, on every template, as the ``AwsConstraints`` policy-validation plugin that
  :func:`wellstack.compliance.apply_packs` registers (always on, like AwsSolutions): a violation
  fails the synth; acknowledge one the way cdk-nag findings are acknowledged, on its construct,
  as ``AwsConstraints::<rule id>`` (``acknowledge(topic, {"AwsConstraints::SNS1": "..."})``);
* on any synthesized app by ``wellstack check [cdk.out]``, which reads the acknowledgments back
  from the assembly.

The rule list with sources is generated into docs/compliance.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from wellstack.analysis.constraints import (  # each rule module registers its rules
    alarms,
    autoscaling,
    dns,
    edge,
    events,
    logs,
    rds,
    storage,
    synthesis,
    topics,
    vpc,
)
from wellstack.analysis.constraints.base import (
    PACK,
    RULES,
    CheckReport,
    Outcome,
    Rule,
    Violation,
    rule,
    split_acknowledged,
    violation,
)
from wellstack.analysis.template import Assembly

__all__ = [
    "PACK",
    "CheckReport",
    "Outcome",
    "Rule",
    "Violation",
    "all_rules",
    "check",
    "evaluate",
    "rule",
    "split_acknowledged",
    "violation",
]
#: The modules that define rules (imported above for their registrations).
RULE_MODULES = (
    alarms, autoscaling, dns, edge, events, logs, rds, storage, synthesis, topics, vpc,
)  # fmt: skip


def all_rules() -> dict[str, Rule]:
    """Every rule, by id in id order (the same whichever rule module was imported first)."""
    return dict(sorted(RULES.items()))


def evaluate(assembly: Assembly, rule_ids: Iterable[str] | None = None) -> list[Violation]:
    """Every violation of the rules (all of them, or ``rule_ids``), in rule order."""
    chosen = list(all_rules()) if rule_ids is None else list(rule_ids)
    found: list[Violation] = []
    for rule_id in chosen:
        found.extend(RULES[rule_id].check(assembly))
    return found


def check(assembly: Assembly) -> CheckReport:
    """Every rule on ``assembly``, split into open violations and acknowledged ones."""
    found, acknowledged = split_acknowledged(evaluate(assembly), assembly.acknowledgments)
    return CheckReport(
        assembly=str(assembly.directory or ""),
        stacks=tuple(sorted(assembly.templates)),
        rules=len(all_rules()),
        violations=tuple(found),
        acknowledged=tuple(acknowledged),
    )
