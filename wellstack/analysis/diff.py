"""``wellstack diff BEFORE AFTER``: one change-impact report of two cloud assemblies, offline —
the monthly cost by item, cdk-nag findings and acknowledgments, Well-Architected checks, the
stateful resources a deploy would replace or delete (the data guard), security-group and network
ACL rules opened or closed, and the reachability intents and matrix.

Stacks are paired by name; when the names differ only by the environment prefix
(``DevNetwork`` / ``ProdNetwork``), by the rest of the name, and BEFORE's names are read as
AFTER's everywhere (titles, rule descriptions), so dev can be compared with prod.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Generic, Literal, TypeVar

from wellstack.analysis import reach
from wellstack.analysis.audit import acknowledgments_in
from wellstack.analysis.constraints.rds import global_primaries
from wellstack.analysis.cost import (
    Assumptions,
    Difference,
    compare,
    estimate_assembly,
    totals_note,
    usd,
)
from wellstack.analysis.guard import GuardFinding, guard_assemblies
from wellstack.analysis.review import NagFinding, nag_findings, run_checks
from wellstack.analysis.template import Assembly

Gate = Literal["risk", "findings", "broadening"]
GATES: tuple[Gate, ...] = ("risk", "findings", "broadening")
#: Renames BEFORE's stack names inside a text to AFTER's.
Rename = Callable[[str], str]


def stack_pairs(before: Assembly, after: Assembly) -> dict[str, str]:
    """BEFORE's stack name -> AFTER's, for the stacks both have."""
    pairs = {name: name for name in before.templates if name in after.templates}

    def rest(name: str) -> str:
        return re.sub(r"^[A-Z][a-z0-9]*", "", name) or name

    left = [n for n in before.templates if n not in pairs]
    right = [n for n in after.templates if n not in pairs.values()]
    by_rest = {}
    for name in right:
        by_rest.setdefault(rest(name), []).append(name)
    for name in left:
        match = by_rest.get(rest(name), [])
        if len(match) == 1:
            pairs[name] = match[0]
    return pairs


def _renamed(before: Assembly, pairs: dict[str, str]) -> tuple[Assembly, Rename]:
    """BEFORE with AFTER's stack names, and a function that renames names inside text."""
    templates = {pairs.get(name, name): t for name, t in before.templates.items()}
    regions = {pairs.get(name, name): r for name, r in before.regions.items()}
    files = {pairs.get(name, name): f for name, f in before.files.items()}
    renamed = Assembly(templates, regions, files, before.directory, before.report)
    changes = {old: new for old, new in pairs.items() if old != new}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, changes)) + r")\b") if changes else None

    def text(value: str) -> str:
        return pattern.sub(lambda m: changes[m.group(1)], value) if pattern else value

    return renamed, text


T = TypeVar("T")


@dataclass(frozen=True)
class Changes(Generic[T]):
    """What AFTER has that BEFORE did not, and the reverse."""

    added: list[T]
    removed: list[T]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


@dataclass(frozen=True)
class StackChanges:
    #: (BEFORE's name, AFTER's name) of the stacks both have.
    paired: list[tuple[str, str]]
    added: list[str]
    removed: list[str]


@dataclass(frozen=True)
class CostChange:
    region: str
    before_usd: float
    after_usd: float
    difference_usd: float
    #: False when a side has an item without a price: its totals are lower bounds.
    complete: bool
    #: ``{"before": [...], "after": [...]}``: the items without a price on each side.
    unpriced: dict[str, list[str]]
    note: str
    #: The items whose cost moved or is unknown.
    lines: list[Difference]


@dataclass(frozen=True)
class Acknowledged:
    rule: str
    where: str
    reason: str


@dataclass(frozen=True)
class AcknowledgmentMove:
    """A rule acknowledged on both sides whose places changed."""

    rule: str
    now_also: list[str]
    no_longer: list[str]


@dataclass(frozen=True)
class AcknowledgmentChanges:
    added: list[Acknowledged]
    removed: list[Acknowledged]
    moved: list[AcknowledgmentMove]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved)


@dataclass(frozen=True)
class CheckChange:
    """A Well-Architected check whose status changed (``absent`` on the side without it)."""

    pillar: str
    id: str
    title: str
    before: str
    after: str
    detail: str


@dataclass(frozen=True)
class RuleChange:
    """A security-group rule or network ACL entry, keyed by what it connects."""

    rule: str
    #: The TCP ports opened or closed.
    tcp: str
    #: Where it is declared (construct path).
    declared: str


@dataclass(frozen=True)
class RuleChanges:
    opened: list[RuleChange]
    closed: list[RuleChange]


@dataclass(frozen=True)
class CellChange:
    """A role -> role cell of the reachability matrix that changed (``-``: nothing)."""

    path: str
    before: str
    after: str


@dataclass(frozen=True)
class ReachabilityChanges:
    matrix: list[CellChange]
    violations: Changes[reach.Violation]


@dataclass(frozen=True)
class EngineChange:
    """A cluster (or global database) whose engine version changes."""

    stack: str
    logical_id: str
    before: str
    after: str
    #: The major version changes (Aurora MySQL 3 -> 8.4, PostgreSQL 16 -> 17).
    major: bool
    #: What the change costs, and the way around it.
    note: str


#: Aurora User Guide: an in-place major upgrade shuts the cluster down while it runs (no
#: figure published); a Blue/Green switchover is "typically under one minute"; a global
#: database is upgraded as a whole (ModifyGlobalCluster), which resets its parameter groups.
MAJOR_UPGRADE_NOTE = (
    "an in-place major upgrade: CloudFormation upgrades the cluster, which is unavailable while "
    "it runs (AWS publishes no duration; minutes to tens of minutes). For downtime under a "
    "minute, upgrade with an RDS Blue/Green deployment first, then deploy the new version "
    '(docs/operations.md, "Engine upgrades")'
)
GLOBAL_UPGRADE_NOTE = (
    "a global database's members cannot be upgraded one by one: change the engine version of "
    "the AWS::RDS::GlobalCluster (all regions at once; its custom parameter groups are reset to "
    "the new version's defaults), or use a Blue/Green deployment of the global database"
)


@dataclass(frozen=True)
class DiffReport:
    """The change-impact report; :meth:`to_dict` is what ``--json`` prints (with the flags)."""

    stacks: StackChanges
    cost: CostChange
    findings: Changes[NagFinding]
    acknowledgments: AcknowledgmentChanges
    checks: list[CheckChange]
    data_at_risk: list[GuardFinding]
    rules: RuleChanges
    reachability: ReachabilityChanges
    engines: list[EngineChange]

    def gates(self) -> dict[Gate, bool]:
        """Which ``--fail-on`` categories the report hits."""
        widened = any(
            reach.subtract(_ports(c.after), _ports(c.before)) for c in self.reachability.matrix
        )
        return {
            "risk": bool(self.data_at_risk),
            "findings": bool(self.findings.added) or any(c.after == "finding" for c in self.checks),
            "broadening": bool(self.rules.opened)
            or bool(self.reachability.violations.added)
            or widened,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "stacks": asdict(self.stacks),
            "cost": asdict(self.cost),
            "findings": asdict(self.findings),
            "acknowledgments": asdict(self.acknowledgments),
            "checks": [asdict(c) for c in self.checks],
            "data_at_risk": [f.as_dict() for f in self.data_at_risk],
            "rules": asdict(self.rules),
            "reachability": asdict(self.reachability),
            "engines": [asdict(e) for e in self.engines],
        }


def diff(before: Assembly, after: Assembly, region: str | None = None) -> DiffReport:
    """The change-impact report of two assemblies."""
    pairs = stack_pairs(before, after)
    # BEFORE's templates under AFTER's stack names, for the guard (it pairs stacks by name);
    # everything else reads BEFORE as it is (cross-stack references need its own names) and
    # renames what it reports.
    renamed, rename = _renamed(before, pairs)
    return DiffReport(
        stacks=StackChanges(
            paired=sorted(pairs.items()),
            added=sorted(set(after.templates) - set(pairs.values())),
            removed=sorted(set(before.templates) - set(pairs)),
        ),
        cost=_cost(before, after, region),
        findings=_findings(before, after, rename),
        acknowledgments=_acknowledgments(before, after, rename),
        checks=_checks(before, after, rename),
        data_at_risk=guard_assemblies(renamed, after),
        rules=_rules(before, after, rename),
        reachability=_reachability(before, after, rename),
        engines=_engines(renamed, after),
    )


def _major(engine: str, version: str) -> str:
    """``3`` of Aurora MySQL ``8.0.mysql_aurora.3.10.4``, ``8.4`` of ``8.4.7``, ``17`` of
    PostgreSQL ``17.7``."""
    if "mysql_aurora." in version:
        return version.split("mysql_aurora.", 1)[1].split(".", 1)[0]
    parts = version.split(".")
    return ".".join(parts[:2]) if "mysql" in engine else parts[0]


def _engines(before: Assembly, after: Assembly) -> list[EngineChange]:
    """Engine versions that change, cluster by cluster (BEFORE under AFTER's stack names)."""
    found = []
    primaries = global_primaries(after)
    for cluster in after.resources("AWS::RDS::DBCluster", "AWS::RDS::GlobalCluster"):
        old_template = before.templates.get(cluster.stack, {}).get("Resources", {})
        old = old_template.get(cluster.logical_id)
        if not isinstance(old, dict) or old.get("Type") != cluster.type:
            continue
        was = (old.get("Properties") or {}).get("EngineVersion")
        now = cluster.prop("EngineVersion")
        if not isinstance(was, str) or not isinstance(now, str) or was == now:
            continue
        engine = str(cluster.prop("Engine", ""))
        major = _major(engine, was) != _major(engine, now)
        member = cluster.type == "AWS::RDS::DBCluster" and (
            cluster.prop("GlobalClusterIdentifier") is not None
            or (cluster.stack, cluster.logical_id) in primaries
        )
        note = (
            GLOBAL_UPGRADE_NOTE if member and major
            else MAJOR_UPGRADE_NOTE if major
            else "a minor upgrade, applied in the maintenance window or at once; Aurora MySQL "
            "tries zero-downtime patching (a pause of seconds, not for global databases)"
        )  # fmt: skip
        found.append(EngineChange(cluster.stack, cluster.logical_id, was, now, major, note))
    return found


K = TypeVar("K")


def _added_removed(before: dict[K, T], after: dict[K, T]) -> Changes[T]:
    return Changes(
        added=[after[k] for k in after if k not in before],
        removed=[before[k] for k in before if k not in after],
    )


def _cost(before: Assembly, after: Assembly, region: str | None) -> CostChange:
    assumptions = Assumptions()
    base = estimate_assembly(before, region, assumptions)
    other = estimate_assembly(after, region or base.region, assumptions)
    return CostChange(
        region=base.region,
        before_usd=base.total_usd,
        after_usd=other.total_usd,
        difference_usd=round(other.total_usd - base.total_usd, 2),
        complete=base.complete and other.complete,
        unpriced={"before": base.unpriced, "after": other.unpriced},
        note=totals_note(base, other),
        lines=[r for r in compare(base, other) if r.changed],
    )


def _findings(before: Assembly, after: Assembly, rename: Rename) -> Changes[NagFinding]:
    def rows(assembly: Assembly, text: Rename) -> dict[tuple[str, tuple[str, ...]], NagFinding]:
        found = {}
        for finding in nag_findings(assembly):
            where = [text(w) for w in finding.where]
            found[(finding.rule, tuple(where))] = replace(finding, where=where)
        return found

    return _added_removed(rows(before, rename), rows(after, str))


def _acknowledgments(before: Assembly, after: Assembly, rename: Rename) -> AcknowledgmentChanges:
    """Rules newly acknowledged or no longer acknowledged, and for the others the places that
    changed (an acknowledgment that now also covers a third AZ's subnet)."""

    def places(assembly: Assembly, text: Rename) -> dict[str, tuple[set[str], str]]:
        found: dict[str, tuple[set[str], str]] = {}
        for row in acknowledgments_in(assembly):
            paths, _ = found.get(row["rule"], (set(), ""))
            found[row["rule"]] = (paths | set(text(row["where"]).split(", ")), row["reason"])
        return found

    old, new = places(before, rename), places(after, str)
    added = [Acknowledged(r, ", ".join(sorted(new[r][0])), new[r][1])
             for r in sorted(set(new) - set(old))]  # fmt: skip
    removed = [Acknowledged(r, ", ".join(sorted(old[r][0])), old[r][1])
               for r in sorted(set(old) - set(new))]  # fmt: skip
    moved = []
    for rule in sorted(set(old) & set(new)):
        more, less = new[rule][0] - old[rule][0], old[rule][0] - new[rule][0]
        if more or less:
            moved.append(AcknowledgmentMove(rule, sorted(more), sorted(less)))
    return AcknowledgmentChanges(added, removed, moved)


def _checks(before: Assembly, after: Assembly, rename: Rename) -> list[CheckChange]:
    old = {(c.id, rename(c.title)): c for c in run_checks(before)}
    new = {(c.id, c.title): c for c in run_checks(after)}
    changed = []
    for key in [*old, *(k for k in new if k not in old)]:
        a, b = old.get(key), new.get(key)
        statuses = {a.status if a else "absent", b.status if b else "absent"}
        if len(statuses) == 1 or statuses == {"pass", "absent"}:
            continue  # unchanged, or a passing check of a resource that came or went
        either = b or a
        changed.append(
            CheckChange(
                pillar=either.pillar if either else "",
                id=key[0],
                title=key[1],
                before=a.status if a else "absent",
                after=b.status if b else "absent",
                detail=b.detail if b else (a.detail if a else ""),
            )
        )
    return changed


def _rule_texts(model: reach.Model, rename: Rename) -> dict[str, tuple[reach.Ports, str]]:
    """Each security-group rule and ACL allow entry, keyed by what it connects (group,
    direction, peer; ACL, rule number, direction, CIDR) -> (the ports it opens, where it is
    declared). Keyed by meaning, not by logical id: CDK names a rule after both groups."""
    found: dict[str, tuple[reach.Ports, str]] = {}

    def add(key: str, ports: reach.Ports, origin: str) -> None:
        before = found.get(key, ((), origin))
        found[key] = (reach.union(before[0], ports), before[1])

    for rule in model.rules:
        peer = rename(rule.peer_group or rule.peer_cidr or "?")
        way = "from" if rule.direction == "ingress" else "to"
        add(f"{rename(rule.group)} {rule.direction} {way} {peer}", rule.ports, rename(rule.origin))
    for subnet in model.subnets.values():
        for entry in subnet.acl or []:
            if str(entry.get("RuleAction", "")).lower() != "allow":
                continue
            ports = reach.acl_entry_ports(entry)
            way = "egress to" if entry.get("Egress") else "ingress from"
            cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
            origin = rename(str(entry.get("origin")))
            acl = origin.rsplit("/", 1)[0]
            add(f"{acl} rule {entry.get('RuleNumber')} {way} {cidr}", ports, origin)
    return found


def _rules(before: Assembly, after: Assembly, rename: Rename) -> RuleChanges:
    old = _rule_texts(reach.model(before), rename)
    new = _rule_texts(reach.model(after), str)
    opened, closed = [], []
    for key in sorted(set(old) | set(new)):
        old_ports, new_ports = old.get(key, ((), ""))[0], new.get(key, ((), ""))[0]
        more, less = reach.subtract(new_ports, old_ports), reach.subtract(old_ports, new_ports)
        if more:
            opened.append(RuleChange(key, reach.show(more), new[key][1]))
        if less:
            closed.append(RuleChange(key, reach.show(less), old[key][1]))
    return RuleChanges(opened, closed)


def _reachability(before: Assembly, after: Assembly, rename: Rename) -> ReachabilityChanges:
    def role_matrix(result: reach.ReachReport) -> dict[str, str]:
        """Role -> role, the union of the ports over the components of those roles (prod's
        two databases, the primary and the DR region's, are one row)."""
        roles = {c.name: c.role for c in result.components}
        roles[reach.INTERNET] = reach.INTERNET
        cells: dict[str, reach.Ports] = {}
        for m in result.matrix:
            path = f"{roles.get(m.source, m.source)} -> {roles.get(m.destination, m.destination)}"
            cells[path] = reach.union(cells.get(path, reach.NONE), _ports(m.tcp))
        return {path: reach.show(ports) for path, ports in cells.items()}

    old, new = reach.analyse(before), reach.analyse(after)
    old_cells, new_cells = role_matrix(old), role_matrix(new)
    cells = [
        CellChange(path, old_cells.get(path, "-"), new_cells.get(path, "-"))
        for path in sorted(set(old_cells) | set(new_cells))
        if old_cells.get(path, "-") != new_cells.get(path, "-")
    ]

    def violations(
        result: reach.ReachReport, text: Rename
    ) -> dict[tuple[str, ...], reach.Violation]:
        renamed = [
            replace(v, source=text(v.source), destination=text(v.destination),
                    rules=tuple(text(r) for r in v.rules))
            for v in result.violations
        ]  # fmt: skip
        return {(v.intent, v.source, v.destination, v.ports): v for v in renamed}

    return ReachabilityChanges(cells, _added_removed(violations(old, rename), violations(new, str)))


def _ports(text: str) -> reach.Ports:
    if text in ("-", ""):
        return reach.NONE
    if text == "all":
        return reach.ALL
    spans = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        spans.append((int(low), int(high or low)))
    return reach.union(spans)


# --- Markdown ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _folded(summary: str, table: list[str], limit: int = 6) -> list[str]:
    """A table, folded into a <details> block (GitHub renders it) when it is long."""
    if len(table) - 2 <= limit:
        return [*table, ""]
    return [f"<details><summary>{summary}</summary>", "", *table, "", "</details>", ""]


def to_markdown(report: DiffReport, before: str = "BEFORE", after: str = "AFTER") -> str:
    """The report as Markdown, for a pull-request comment: a summary line, then a section per
    kind of change that has any."""
    lines = _summary(report, before, after)
    sections = [
        section(report)
        for section in (_data_at_risk, _engine_lines, _cost_lines, _rule_lines,
                        _reachability_lines, _check_lines, _compliance_lines, _stack_lines)
    ]  # fmt: skip
    lines += [line for section in sections for line in section]
    if not any(sections):
        lines.append("No change.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _summary(report: DiffReport, before: str, after: str) -> list[str]:
    hit = [gate for gate, on in report.gates().items() if on]
    cost = report.cost
    return [
        f"## wellstack diff: `{before}` → `{after}`",
        "",
        f"**Monthly cost:** {cost.before_usd:,.2f} → {cost.after_usd:,.2f} USD "
        f"(**{cost.difference_usd:+,.2f}**, {cost.region}"
        f"{'' if cost.complete else '; incomplete, see below'}) · "
        f"**Data at risk:** {len(report.data_at_risk)} · "
        f"**Rules opened:** {len(report.rules.opened)} · "
        f"**New findings:** {len(report.findings.added)} · "
        f"**Flags:** {', '.join(hit) or 'none'}",
        "",
    ]


def _data_at_risk(report: DiffReport) -> list[str]:
    if not report.data_at_risk:
        return []
    rows = [
        f"| {f.stack} | `{f.logical_id}` | {f.resource_type} | {f.action} | "
        f"{_cell(f.reason)} | {_cell(f.consequence)} |"
        for f in report.data_at_risk
    ]
    return ["### Stateful resources a deploy would replace or delete", "", *_folded(
        f"{len(rows)} resource(s)",
        ["| stack | resource | type | action | why | what happens |",
         "|---|---|---|---|---|---|", *rows],
    )]  # fmt: skip


def _engine_lines(report: DiffReport) -> list[str]:
    if not report.engines:
        return []
    rows = [
        f"| {e.stack} | `{e.logical_id}` | {e.before} → {e.after} | "
        f"{'major' if e.major else 'minor'} | {_cell(e.note)} |"
        for e in report.engines
    ]
    return ["### Engine versions", "", "| stack | resource | version | kind | what it costs |",
            "|---|---|---|---|---|", *rows, ""]  # fmt: skip


def _cost_lines(report: DiffReport) -> list[str]:
    cost = report.cost
    if not cost.lines:
        return []
    lines = ["### Cost by item (USD a month)", "", "| item | before | after | change |",
             "|---|---:|---:|---:|"]  # fmt: skip
    lines += [
        f"| {_cell(r.item)} | {usd(r.base_usd)} | {usd(r.other_usd)} | "
        f"{usd(r.difference_usd, signed=True)} |"
        for r in cost.lines
    ]
    lines.append("")
    if cost.note:
        lines += [f"**{_cell(cost.note)}**", ""]
    return lines


def _rule_lines(report: DiffReport) -> list[str]:
    rules = report.rules
    if not (rules.opened or rules.closed):
        return []
    rows = [
        f"| {change} | {_cell(r.rule)} | {r.tcp} | {_cell(r.declared)} |"
        for change, changed in (("opened", rules.opened), ("closed", rules.closed))
        for r in changed
    ]
    return ["### Security-group and network ACL rules", "", *_folded(
        f"{len(rules.opened)} opened, {len(rules.closed)} closed",
        ["| change | rule | tcp | declared by |", "|---|---|---|---|", *rows],
        limit=12,
    )]  # fmt: skip


def _reachability_lines(report: DiffReport) -> list[str]:
    reachability = report.reachability
    if not (reachability.matrix or reachability.violations):
        return []
    lines = ["### Reachability", ""]
    if reachability.matrix:
        lines += ["| path | before | after |", "|---|---|---|"]
        lines += [f"| {c.path} | {c.before} | {c.after} |" for c in reachability.matrix]
        lines.append("")
    for label, found in (("New violation", reachability.violations.added),
                         ("Resolved", reachability.violations.removed)):  # fmt: skip
        lines += [
            f"- {label}: **{v.intent}** {_cell(v.source)} → {_cell(v.destination)} on tcp {v.ports}"
            for v in found
        ]
    lines.append("")
    return lines


def _check_lines(report: DiffReport) -> list[str]:
    if not report.checks:
        return []
    lines = [
        "### Well-Architected checks that changed", "",
        "| pillar | check | before | after | detail |", "|---|---|---|---|---|",
    ]  # fmt: skip
    lines += [
        f"| {c.pillar} | {_cell(c.title)} | {c.before} | {c.after} | {_cell(c.detail)} |"
        for c in report.checks
    ]
    lines.append("")
    return lines


def _compliance_lines(report: DiffReport) -> list[str]:
    findings, acks = report.findings, report.acknowledgments
    if not (findings or acks):
        return []
    lines = ["### Compliance findings and acknowledgments", ""]
    lines += [f"- New finding `{f.rule}` at {', '.join(f.where)}" for f in findings.added]
    lines += [f"- Resolved finding `{f.rule}`" for f in findings.removed]
    lines += [f"- Acknowledged `{a.rule}` at `{a.where}`: {a.reason}" for a in acks.added]
    lines += [f"- No longer acknowledged: `{a.rule}` at `{a.where}`" for a in acks.removed]
    for moved in acks.moved:
        change = []
        if moved.now_also:
            change.append(f"now also at {', '.join(moved.now_also)}")
        if moved.no_longer:
            change.append(f"no longer at {', '.join(moved.no_longer)}")
        lines.append(f"- Acknowledged `{moved.rule}`: {'; '.join(change)}")
    lines.append("")
    return lines


def _stack_lines(report: DiffReport) -> list[str]:
    stacks = report.stacks
    if not (stacks.added or stacks.removed):
        return []
    return [f"Stacks added: {', '.join(stacks.added) or '-'}; removed: "
            f"{', '.join(stacks.removed) or '-'}", ""]  # fmt: skip
