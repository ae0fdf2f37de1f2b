"""The review as typed data: wellstack's checks, cdk-nag's unacknowledged findings and the
acknowledged ones, per pillar. :meth:`ReviewReport.to_dict` is what ``--json`` prints."""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from wellstack.analysis.audit import acknowledgments_in
from wellstack.analysis.constraints import PACK
from wellstack.analysis.pillars import PILLARS
from wellstack.analysis.review.base import Check, run_checks
from wellstack.analysis.review.rules import rule_pillar
from wellstack.analysis.template import Assembly

#: The pillar of a rule no table maps.
UNMAPPED = "unmapped"


@dataclass(frozen=True)
class NagFinding:
    """An unacknowledged finding of a rule pack, from the validation report (present when a
    synth failed)."""

    rule: str
    pillar: str
    description: str
    #: Construct paths.
    where: list[str]
    severity: str

    @property
    def title(self) -> str:
        return self.rule

    @property
    def detail(self) -> str:
        return self.description


@dataclass(frozen=True)
class Acknowledgment:
    """An acknowledged finding, read back from the templates' metadata."""

    rule: str
    reason: str
    #: Construct paths, comma-separated (a child collapsed into its acknowledged parent).
    where: str
    pillar: str


@dataclass(frozen=True)
class PillarReport:
    passed: list[Check]
    findings: list[Check | NagFinding]
    advice: list[Check]
    unknown: list[Check]
    acknowledged: list[Acknowledgment]
    #: ``"passed/judged"`` over wellstack's checks that pass or find (advice and unknown aside).
    score: str


@dataclass(frozen=True)
class ReviewReport:
    #: The cloud assembly's directory.
    assembly: str
    #: When it was written (UTC), empty when unknown.
    synthesized: str
    stacks: list[str]
    pillars: dict[str, PillarReport]
    #: Rules (acknowledged or found) that no table maps to a pillar.
    unmapped: list[str]

    @property
    def findings_count(self) -> int:
        """Findings of every pillar (wellstack's checks and unacknowledged cdk-nag findings)."""
        return sum(len(pillar.findings) for pillar in self.pillars.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def nag_findings(assembly: Assembly) -> list[NagFinding]:
    """Unacknowledged findings from the validation report (present when a synth failed)."""
    findings = []
    report = assembly.report or {}
    for plugin in report.get("pluginReports", []) or []:
        own = isinstance(plugin, dict) and plugin.get("pluginName") == PACK
        for violation in (plugin.get("violations", []) if isinstance(plugin, dict) else []) or []:
            if not isinstance(violation, dict):
                continue
            rule = str(violation.get("ruleName", "unknown"))
            rule = f"{PACK}::{rule}" if own else rule
            findings.append(
                NagFinding(
                    rule=rule,
                    pillar=rule_pillar(rule) or UNMAPPED,
                    description=str(violation.get("description", "")),
                    where=[
                        str(c.get("constructPath") or "")
                        for c in violation.get("violatingConstructs", []) or []
                        if isinstance(c, dict)
                    ],
                    severity=str(violation.get("severity", "error")),
                )
            )
    return findings


def _synthesized(assembly: Assembly) -> str:
    """When the assembly was written (its manifest's modification time, UTC)."""
    if assembly.directory is None:
        return ""
    stamp = (assembly.directory / "manifest.json").stat().st_mtime
    return datetime.datetime.fromtimestamp(stamp, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _pillar(pillar: str, checks: list[Check], findings: list[NagFinding],
            acknowledged: list[Acknowledgment]) -> PillarReport:  # fmt: skip
    mine = [c for c in checks if c.pillar == pillar]
    judged_checks = [c for c in mine if c.status in ("pass", "finding")]
    return PillarReport(
        passed=[c for c in mine if c.status == "pass"],
        findings=[
            *(c for c in mine if c.status == "finding"),
            *(f for f in findings if f.pillar == pillar),
        ],
        advice=[c for c in mine if c.status == "advice"],
        unknown=[c for c in mine if c.status == "unknown"],
        acknowledged=[a for a in acknowledged if a.pillar == pillar],
        score=f"{sum(c.passed for c in judged_checks)}/{len(judged_checks)}",
    )


def review_assembly(assembly: Assembly, name: str = "") -> ReviewReport:
    checks = run_checks(assembly)
    findings = nag_findings(assembly)
    acknowledged = [
        Acknowledgment(row["rule"], row["reason"], row["where"],
                       rule_pillar(row["rule"]) or UNMAPPED)
        for row in acknowledgments_in(assembly)
    ]  # fmt: skip
    return ReviewReport(
        assembly=str(assembly.directory or name),
        synthesized=_synthesized(assembly),
        stacks=sorted(assembly.templates),
        pillars={p: _pillar(p, checks, findings, acknowledged) for p in PILLARS},
        unmapped=[a.rule for a in acknowledged if a.pillar == UNMAPPED]
        + [f.rule for f in findings if f.pillar == UNMAPPED],
    )


def review(cdk_out: str | Path) -> ReviewReport:
    """The review of the cloud assembly in ``cdk_out``."""
    return review_assembly(Assembly.load(cdk_out), str(cdk_out))
