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
from typing import Any, Literal

from wellstack.analysis import reach
from wellstack.analysis.audit import acknowledgments_in
from wellstack.analysis.cost import Assumptions, compare, estimate_assembly, totals_note, usd
from wellstack.analysis.guard import guard_assemblies
from wellstack.analysis.review import nag_findings, run_checks
from wellstack.analysis.template import Assembly

Gate = Literal["risk", "findings", "broadening"]
GATES: tuple[Gate, ...] = ("risk", "findings", "broadening")


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


def _renamed(before: Assembly, pairs: dict[str, str]) -> tuple[Assembly, Any]:
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


def _keyed(rows: list[dict[str, Any]], *fields: str) -> dict[tuple[str, ...], dict[str, Any]]:
    return {tuple(str(row.get(f, "")) for f in fields): row for row in rows}


def _added_removed(before: dict[Any, Any], after: dict[Any, Any]) -> dict[str, list[Any]]:
    return {
        "added": [after[k] for k in after if k not in before],
        "removed": [before[k] for k in before if k not in after],
    }


def diff(before: Assembly, after: Assembly, region: str | None = None) -> dict[str, Any]:
    """The change-impact report as plain data (the Markdown and JSON outputs render it)."""
    pairs = stack_pairs(before, after)
    # BEFORE's templates under AFTER's stack names, for the guard (it pairs stacks by name);
    # everything else reads BEFORE as it is (cross-stack references need its own names) and
    # renames what it reports.
    renamed, rename = _renamed(before, pairs)
    return {
        "stacks": {
            "paired": [[a, b] for a, b in sorted(pairs.items())],
            "added": sorted(set(after.templates) - set(pairs.values())),
            "removed": sorted(set(before.templates) - set(pairs)),
        },
        "cost": _cost(before, after, region),
        "findings": _findings(before, after, rename),
        "acknowledgments": _acknowledgments(before, after, rename),
        "checks": _checks(before, after, rename),
        "data_at_risk": [f.as_dict() for f in guard_assemblies(renamed, after)],
        "rules": _rules(before, after, rename),
        "reachability": _reachability(before, after, rename),
    }


def _cost(before: Assembly, after: Assembly, region: str | None) -> dict[str, Any]:
    assumptions = Assumptions()
    base = estimate_assembly(before, region, assumptions)
    other = estimate_assembly(after, region or base.region, assumptions)
    rows = [r for r in compare(base, other) if r["difference_usd"] or r["unpriced"]]
    return {
        "region": base.region,
        "before_usd": base.total_usd,
        "after_usd": other.total_usd,
        "difference_usd": round(other.total_usd - base.total_usd, 2),
        #: False when a side has an item without a price: its totals are lower bounds.
        "complete": base.complete and other.complete,
        "unpriced": {"before": base.unpriced, "after": other.unpriced},
        "note": totals_note(base, other),
        "lines": rows,
    }


def _findings(before: Assembly, after: Assembly, rename: Any) -> dict[str, list[Any]]:
    def rows(assembly: Assembly, text: Any) -> dict[Any, Any]:
        found = {}
        for finding in nag_findings(assembly):
            where = [text(str(w)) for w in finding["where"]]
            row = {**finding, "where": where}
            found[(finding["rule"], tuple(where))] = row
        return found

    return _added_removed(rows(before, rename), rows(after, str))


def _acknowledgments(before: Assembly, after: Assembly, rename: Any) -> dict[str, list[Any]]:
    """Rules newly acknowledged or no longer acknowledged, and for the others the places that
    changed (an acknowledgment that now also covers a third AZ's subnet)."""

    def places(assembly: Assembly, text: Any) -> dict[str, tuple[set[str], str]]:
        found: dict[str, tuple[set[str], str]] = {}
        for row in acknowledgments_in(assembly):
            paths, _ = found.get(row["rule"], (set(), ""))
            found[row["rule"]] = (paths | set(text(row["where"]).split(", ")), row["reason"])
        return found

    old, new = places(before, rename), places(after, str)
    added = [{"rule": r, "where": ", ".join(sorted(new[r][0])), "reason": new[r][1]}
             for r in sorted(set(new) - set(old))]  # fmt: skip
    removed = [{"rule": r, "where": ", ".join(sorted(old[r][0])), "reason": old[r][1]}
               for r in sorted(set(old) - set(new))]  # fmt: skip
    moved = []
    for rule in sorted(set(old) & set(new)):
        more, less = new[rule][0] - old[rule][0], old[rule][0] - new[rule][0]
        if more or less:
            moved.append({"rule": rule, "now_also": sorted(more), "no_longer": sorted(less)})
    return {"added": added, "removed": removed, "moved": moved}


def _checks(before: Assembly, after: Assembly, rename: Any) -> list[dict[str, str]]:
    old = {(c.id, rename(c.title)): c for c in run_checks(before)}
    new = {(c.id, c.title): c for c in run_checks(after)}
    changed = []
    for key in [*old, *(k for k in new if k not in old)]:
        a, b = old.get(key), new.get(key)
        statuses = {a.status if a else "absent", b.status if b else "absent"}
        if len(statuses) == 1 or statuses == {"pass", "absent"}:
            continue  # unchanged, or a passing check of a resource that came or went
        changed.append(
            {
                "pillar": (b or a).pillar,  # type: ignore[union-attr]
                "id": key[0],
                "title": key[1],
                "before": a.status if a else "absent",
                "after": b.status if b else "absent",
                "detail": b.detail if b else (a.detail if a else ""),
            }
        )
    return changed


def _rule_texts(model: reach.Model, rename: Any) -> dict[str, tuple[reach.Ports, str]]:
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


def _rules(before: Assembly, after: Assembly, rename: Any) -> dict[str, list[dict[str, str]]]:
    old = _rule_texts(reach.model(before), rename)
    new = _rule_texts(reach.model(after), str)
    opened, closed = [], []
    for key in sorted(set(old) | set(new)):
        old_ports, new_ports = old.get(key, ((), ""))[0], new.get(key, ((), ""))[0]
        more, less = reach.subtract(new_ports, old_ports), reach.subtract(old_ports, new_ports)
        if more:
            opened.append({"rule": key, "tcp": reach.show(more), "declared": new[key][1]})
        if less:
            closed.append({"rule": key, "tcp": reach.show(less), "declared": old[key][1]})
    return {"opened": opened, "closed": closed}


def _reachability(before: Assembly, after: Assembly, rename: Any) -> dict[str, Any]:
    def role_matrix(result: dict[str, Any]) -> dict[str, str]:
        """Role -> role, the union of the ports over the components of those roles (prod's
        two databases, the primary and the DR region's, are one row)."""
        roles = {c["name"]: c["role"] for c in result["components"]}
        roles[reach.INTERNET] = reach.INTERNET
        cells: dict[str, reach.Ports] = {}
        for m in result["matrix"]:
            path = f"{roles.get(m['from'], m['from'])} -> {roles.get(m['to'], m['to'])}"
            cells[path] = reach.union(cells.get(path, reach.NONE), _ports(m["tcp"]))
        return {path: reach.show(ports) for path, ports in cells.items()}

    old, new = reach.analyse(before), reach.analyse(after)
    old_cells, new_cells = role_matrix(old), role_matrix(new)
    cells = [
        {"path": path, "before": old_cells.get(path, "-"), "after": new_cells.get(path, "-")}
        for path in sorted(set(old_cells) | set(new_cells))
        if old_cells.get(path, "-") != new_cells.get(path, "-")
    ]

    def violations(result: dict[str, Any], text: Any) -> dict[tuple[str, ...], dict[str, Any]]:
        rows = [{**v, "source": text(v["source"]), "destination": text(v["destination"]),
                 "rules": [text(r) for r in v["rules"]]} for v in result["violations"]]  # fmt: skip
        return _keyed(rows, "intent", "source", "destination", "ports")

    changed = _added_removed(violations(old, rename), violations(new, str))
    return {"matrix": cells, "violations": changed}


def gates(report: dict[str, Any]) -> dict[Gate, bool]:
    """Which ``--fail-on`` categories the report hits."""
    widened = any(
        reach.subtract(_ports(c["after"]), _ports(c["before"]))
        for c in report["reachability"]["matrix"]
    )
    return {
        "risk": bool(report["data_at_risk"]),
        "findings": bool(report["findings"]["added"])
        or any(c["after"] == "finding" for c in report["checks"]),
        "broadening": bool(report["rules"]["opened"])
        or bool(report["reachability"]["violations"]["added"])
        or widened,
    }


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


def to_markdown(report: dict[str, Any], before: str = "BEFORE", after: str = "AFTER") -> str:
    """The report as Markdown, for a pull-request comment."""
    hit = [gate for gate, on in gates(report).items() if on]
    cost = report["cost"]
    lines = [
        f"## wellstack diff: `{before}` → `{after}`",
        "",
        f"**Monthly cost:** {cost['before_usd']:,.2f} → {cost['after_usd']:,.2f} USD "
        f"(**{cost['difference_usd']:+,.2f}**, {cost['region']}"
        f"{'' if cost.get('complete', True) else '; incomplete, see below'}) · "
        f"**Data at risk:** {len(report['data_at_risk'])} · "
        f"**Rules opened:** {len(report['rules']['opened'])} · "
        f"**New findings:** {len(report['findings']['added'])} · "
        f"**Flags:** {', '.join(hit) or 'none'}",
        "",
    ]
    header = len(lines)
    if report["data_at_risk"]:
        rows = [
            f"| {f['stack']} | `{f['logical_id']}` | {f['type']} | {f['action']} | "
            f"{_cell(f['reason'])} | {_cell(f['consequence'])} |"
            for f in report["data_at_risk"]
        ]
        lines += ["### Stateful resources a deploy would replace or delete", ""]
        lines += _folded(
            f"{len(rows)} resource(s)",
            ["| stack | resource | type | action | why | what happens |",
             "|---|---|---|---|---|---|", *rows],
        )  # fmt: skip
    if cost["lines"]:
        lines += ["### Cost by item (USD a month)", "", "| item | before | after | change |",
                  "|---|---:|---:|---:|"]  # fmt: skip
        lines += [
            f"| {_cell(r['item'])} | {usd(r['base_usd'])} | {usd(r['other_usd'])} | "
            f"{usd(r['difference_usd'], signed=True)} |"
            for r in cost["lines"]
        ]
        lines.append("")
        if cost.get("note"):
            lines += [f"**{_cell(cost['note'])}**", ""]
    rules = report["rules"]
    if rules["opened"] or rules["closed"]:
        rows = [
            f"| {change} | {_cell(r['rule'])} | {r['tcp']} | {_cell(r['declared'])} |"
            for change in ("opened", "closed")
            for r in rules[change]
        ]
        lines += ["### Security-group and network ACL rules", ""]
        lines += _folded(
            f"{len(rules['opened'])} opened, {len(rules['closed'])} closed",
            ["| change | rule | tcp | declared by |", "|---|---|---|---|", *rows],
            limit=12,
        )
    reachability = report["reachability"]
    if reachability["matrix"] or any(reachability["violations"].values()):
        lines += ["### Reachability", ""]
        if reachability["matrix"]:
            lines += ["| path | before | after |", "|---|---|---|"]
            lines += [
                f"| {c['path']} | {c['before']} | {c['after']} |" for c in reachability["matrix"]
            ]
            lines.append("")
        for label, rows in (("New violation", reachability["violations"]["added"]),
                            ("Resolved", reachability["violations"]["removed"])):  # fmt: skip
            lines += [
                f"- {label}: **{v['intent']}** {_cell(v['source'])} → "
                f"{_cell(v['destination'])} on tcp {v['ports']}"
                for v in rows
            ]
        lines.append("")
    if report["checks"]:
        lines += [
            "### Well-Architected checks that changed", "",
            "| pillar | check | before | after | detail |", "|---|---|---|---|---|",
        ]  # fmt: skip
        lines += [
            f"| {c['pillar']} | {_cell(c['title'])} | {c['before']} | {c['after']} | "
            f"{_cell(c['detail'])} |"
            for c in report["checks"]
        ]
        lines.append("")
    findings, acks = report["findings"], report["acknowledgments"]
    if any(findings.values()) or any(acks.values()):
        lines += ["### Compliance findings and acknowledgments", ""]
        lines += [
            f"- New finding `{f['rule']}` at {', '.join(f['where'])}" for f in findings["added"]
        ]
        lines += [f"- Resolved finding `{f['rule']}`" for f in findings["removed"]]
        lines += [
            f"- Acknowledged `{a['rule']}` at `{a['where']}`: {a['reason']}" for a in acks["added"]
        ]
        lines += [
            f"- No longer acknowledged: `{a['rule']}` at `{a['where']}`" for a in acks["removed"]
        ]
        for moved in acks["moved"]:
            change = []
            if moved["now_also"]:
                change.append(f"now also at {', '.join(moved['now_also'])}")
            if moved["no_longer"]:
                change.append(f"no longer at {', '.join(moved['no_longer'])}")
            lines.append(f"- Acknowledged `{moved['rule']}`: {'; '.join(change)}")
        lines.append("")
    stacks = report["stacks"]
    if stacks["added"] or stacks["removed"]:
        lines += [f"Stacks added: {', '.join(stacks['added']) or '-'}; removed: "
                  f"{', '.join(stacks['removed']) or '-'}", ""]  # fmt: skip
    if len(lines) == header:
        lines.append("No change.")
    return "\n".join(lines).rstrip("\n") + "\n"
