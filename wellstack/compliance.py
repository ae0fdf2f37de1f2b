"""Which cdk-nag packs run, and the one way wellstack acknowledges a finding.

AwsSolutions always runs. ``-c packs=NIST80053R5,HIPAA,PCI`` (or ``"packs"`` in cdk.json) adds
cdk-nag's other packs. cdk-nag v3 registers packs as policy-validation plugins: any finding that
is neither fixed nor acknowledged makes ``app.synth()`` raise and ``cdk synth`` exit 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

PACKS: dict[str, Callable[[cdk.App], cdk.IPolicyValidationPlugin]] = {
    "AwsSolutions": cdk_nag.AwsSolutionsChecks,
    "NIST80053R5": cdk_nag.NIST80053R5Checks,
    "HIPAA": cdk_nag.HIPAASecurityChecks,
    "PCI": cdk_nag.PCIDSS321Checks,
    "Serverless": cdk_nag.ServerlessChecks,
}
ALWAYS = "AwsSolutions"


def resolve_packs(requested: Iterable[str]) -> tuple[str, ...]:
    """AwsSolutions first, then the requested extra packs; unknown names are a ``ValueError``."""
    names = [ALWAYS]
    for name in requested:
        if name not in PACKS:
            raise ValueError(f"packs: unknown cdk-nag pack {name!r}; allowed: {', '.join(PACKS)}")
        if name not in names:
            names.append(name)
    return tuple(names)


def apply_packs(app: cdk.App, packs: Iterable[str]) -> tuple[str, ...]:
    """Register the packs on the app as validation plugins; return their names."""
    names = resolve_packs(packs)
    plugins = [
        # The first pack also copies every acknowledgment into its resource's template
        # Metadata (cdk_nag.rules_to_suppress): the audit trail that `acknowledgments` reads.
        PACKS[name](app, write_suppressions_to_cloud_formation=True)
        if index == 0
        else PACKS[name](app)
        for index, name in enumerate(names)
    ]
    cdk.Validations.of(app).add_plugins(*plugins)
    return names


def acknowledge(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge cdk-nag findings on the one construct that owns the decision.

    ``reasons`` maps a rule id (``"AwsSolutions-EC23"``, or a finding such as
    ``"AwsSolutions-IAM4[Policy::...]"``) to a reason a reviewer can check.
    """
    cdk.Validations.of(construct).acknowledge(
        *(cdk.Acknowledgment(id=rule, reason=reason) for rule, reason in reasons.items())
    )


def acknowledgments(cdk_out: str | Path) -> list[dict[str, str]]:
    """Every acknowledged finding in a synthesized app, read back from the templates' Metadata:
    rule, reason and where (construct paths, a child collapsed into its acknowledged parent)."""
    grouped: dict[tuple[str, str], set[str]] = {}
    for template_file in sorted(Path(cdk_out).glob("*.template.json")):
        resources = json.loads(template_file.read_text()).get("Resources", {})
        for resource in resources.values():
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
