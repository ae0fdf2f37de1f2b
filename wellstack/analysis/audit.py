"""The acknowledged findings of a synthesized app, read back from its templates (pure Python, no
CDK import): used by ``wellstack review``, ``wellstack acks`` and the generated list in the docs."""

from __future__ import annotations

from pathlib import Path

from wellstack.analysis.template import Assembly

START, END = "<!-- acknowledgments -->\n", "<!-- /acknowledgments -->"


def acknowledgments(cdk_out: str | Path) -> list[dict[str, str]]:
    """Every acknowledged finding in a synthesized app (see :func:`acknowledgments_in`)."""
    return acknowledgments_in(Assembly.load(cdk_out))


def acknowledgments_in(assembly: Assembly) -> list[dict[str, str]]:
    """Every acknowledged finding, read back from the templates' Metadata: rule, reason and where
    (construct paths, a child collapsed into its acknowledged parent)."""
    grouped: dict[tuple[str, str], set[str]] = {}
    for resource in assembly.resources():
        path = resource.path.removesuffix("/Resource").removesuffix("/Default")
        rules = resource.metadata.get("cdk_nag", {})
        for rule in rules.get("rules_to_suppress", []) if isinstance(rules, dict) else []:
            if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                grouped.setdefault((rule["id"], str(rule.get("reason", ""))), set()).add(path)
    rows = []
    for (rule, reason), paths in sorted(grouped.items()):
        owners = sorted(p for p in paths if not any(p.startswith(f"{other}/") for other in paths))
        rows.append({"rule": rule, "reason": reason, "where": ", ".join(owners)})
    return rows


def acknowledgments_markdown(cdk_out: str | Path) -> str:
    """The table the docs show (generated, so it cannot go stale)."""
    lines = ["| rule | where | reason |", "|---|---|---|"]
    for row in acknowledgments(cdk_out):
        reason = row["reason"].replace("|", "\\|")
        lines.append(f"| `{row['rule']}` | `{row['where']}` | {reason} |")
    return "\n".join(lines) + "\n"


def update_document(document: str | Path, cdk_out: str | Path) -> bool:
    """Replace the block between ``<!-- acknowledgments -->`` markers; True if it changed."""
    path = Path(document)
    text = path.read_text()
    if START not in text or END not in text:
        raise ValueError(f"{path} has no {START.strip()} ... {END} block")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    new = f"{head}{START}{acknowledgments_markdown(cdk_out)}{END}{tail}"
    path.write_text(new)
    return new != text
