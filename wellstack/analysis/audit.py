"""The acknowledged cdk-nag findings of a synthesized app, read back from its templates (pure
Python, no CDK import: used by ``wellstack review`` and the README's generated list)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from wellstack.assembly import load_app


def acknowledgments(cdk_out: str | Path) -> list[dict[str, str]]:
    """Every acknowledged finding in a synthesized app (see :func:`acknowledgments_in`)."""
    return acknowledgments_in(load_app(cdk_out)[0])


def acknowledgments_in(templates: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """Every acknowledged finding in the templates, read back from their Metadata: rule, reason
    and where (construct paths, a child collapsed into its acknowledged parent)."""
    grouped: dict[tuple[str, str], set[str]] = {}
    for _, template in sorted(templates.items()):
        for resource in template["Resources"].values():
            metadata = resource.get("Metadata", {})
            path = metadata.get("aws:cdk:path", "")
            path = path.removesuffix("/Resource").removesuffix("/Default")
            for rule in metadata.get("cdk_nag", {}).get("rules_to_suppress", []):
                grouped.setdefault((rule["id"], rule["reason"]), set()).add(path)
    rows = []
    for (rule, reason), paths in sorted(grouped.items()):
        owners = sorted(p for p in paths if not any(p.startswith(f"{other}/") for other in paths))
        rows.append({"rule": rule, "reason": reason, "where": ", ".join(owners)})
    return rows


def acknowledgments_markdown(cdk_out: str | Path) -> str:
    """The table the README shows (generated, so it cannot go stale)."""
    lines = ["| rule | where | reason |", "|---|---|---|"]
    for row in acknowledgments(cdk_out):
        reason = row["reason"].replace("|", "\\|")
        lines.append(f"| `{row['rule']}` | `{row['where']}` | {reason} |")
    return "\n".join(lines) + "\n"


def update_readme(readme: str | Path, cdk_out: str | Path) -> bool:
    """Replace the block between ``<!-- acknowledgments -->`` markers; True if it changed."""
    path = Path(readme)
    text = path.read_text()
    start, end = "<!-- acknowledgments -->\n", "<!-- /acknowledgments -->"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    new = f"{head}{start}{acknowledgments_markdown(cdk_out)}{end}{tail}"
    path.write_text(new)
    return new != text


if __name__ == "__main__":  # python -m wellstack.compliance [cdk.out] [--readme README.md]
    args = sys.argv[1:]
    readme = args[args.index("--readme") + 1] if "--readme" in args else None
    positional = [a for a in args if a != "--readme" and a != readme]
    out = positional[0] if positional else "cdk.out"
    if readme:
        changed = update_readme(readme, out)
        print(f"{readme}: acknowledgments {'updated' if changed else 'unchanged'}")
    else:
        print(acknowledgments_markdown(out), end="")
