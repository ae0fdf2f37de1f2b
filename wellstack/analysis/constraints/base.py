"""The rule pack's framework: rules, violations, the registry and acknowledgments (see
:mod:`wellstack.analysis.constraints`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from wellstack.analysis.template import Assembly, Resource

#: The pack's name (``-c packs=``, reports) and the namespace of its acknowledgments.
PACK = "AwsConstraints"
#: What AWS does with a template that breaks a rule.
Outcome = Literal["refused", "ignored"]


@dataclass(frozen=True)
class Violation:
    """One resource that breaks one rule: what is wrong there, and how to fix it."""

    rule: str
    stack: str
    logical_id: str
    message: str
    fix: str = ""
    #: The construct path of the resource (from its ``aws:cdk:path`` metadata), when known.
    path: str = ""
    #: Where in the resource (``Properties/PolicyDocument``), for the report.
    location: str = ""

    @property
    def qualified_rule(self) -> str:
        """``AwsConstraints::SNS1``: the id an acknowledgment names."""
        return f"{PACK}::{self.rule}"


Check = Callable[[Assembly], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    """A documented AWS constraint and its check."""

    id: str
    #: One line: what must hold.
    title: str
    #: The Well-Architected pillar it serves (``wellstack review``).
    pillar: str
    #: ``refused``: the deploy fails; ``ignored``: it deploys and the service never does it.
    outcome: Outcome
    #: The AWS page that states the constraint, and its address.
    source: str
    url: str
    check: Check = field(repr=False, compare=False)


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    title: str,
    *,
    pillar: str,
    outcome: Outcome,
    source: str,
    url: str,
) -> Callable[[Check], Check]:
    """Register a check as rule ``rule_id`` (ids are unique and never reused)."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise RuntimeError(f"rule {rule_id} defined twice")
        RULES[rule_id] = Rule(rule_id, title, pillar, outcome, source, url, check)
        return check

    return register


def violation(
    rule_id: str, resource: Resource, message: str, fix: str = "", where: str = ""
) -> Violation:
    return Violation(
        rule=rule_id,
        stack=resource.stack,
        logical_id=resource.logical_id,
        message=message,
        fix=fix,
        path=resource.path,
        location=f"Properties/{where}" if where else "",
    )


def split_acknowledged(
    violations: Iterable[Violation], acknowledgments: Mapping[str, Mapping[str, str]]
) -> tuple[list[Violation], list[tuple[Violation, str]]]:
    """(open violations, acknowledged ones with the reason) — CDK's rule: an acknowledgment of
    ``AwsConstraints::ID`` on a construct covers that construct and everything under it
    (``acknowledgments``: qualified rule id -> {construct path: reason})."""
    open_, acknowledged = [], []
    for found in violations:
        reasons = acknowledgments.get(found.qualified_rule, {})
        reason = _closest(found.path, reasons)
        if reason is None:
            open_.append(found)
        else:
            acknowledged.append((found, reason))
    return open_, acknowledged


@dataclass(frozen=True)
class CheckReport:
    """What ``wellstack check`` found in an assembly."""

    assembly: str
    stacks: tuple[str, ...]
    rules: int
    violations: tuple[Violation, ...]
    acknowledged: tuple[tuple[Violation, str], ...]

    @property
    def passed(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, object]:
        def row(found: Violation) -> dict[str, str]:
            rule = RULES[found.rule]
            return {
                "rule": found.qualified_rule,
                "title": rule.title,
                "outcome": rule.outcome,
                "resource": f"{found.stack}/{found.logical_id}",
                "path": found.path,
                "message": found.message,
                "fix": found.fix,
                "source": rule.url,
            }

        return {
            "assembly": self.assembly,
            "stacks": list(self.stacks),
            "rules": self.rules,
            "violations": [row(v) for v in self.violations],
            "acknowledged": [{**row(v), "reason": reason} for v, reason in self.acknowledged],
        }


def _closest(path: str, reasons: Mapping[str, str]) -> str | None:
    path = path.strip("/")
    normalized = {key.strip("/"): reason for key, reason in reasons.items()}
    while path:
        if path in normalized:
            return normalized[path]
        path = path.rpartition("/")[0]
    return None
