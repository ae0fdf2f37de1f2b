"""Reading a synthesized cloud assembly (``cdk.out``) the way the CDK CLI does: through its
manifest, so that stale templates of stacks no longer in the app are never read. Pure Python."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class AssemblyError(ValueError):
    """Bad input: no cdk.out, a malformed template, an unknown region."""


def load_app(cdk_out: str | Path) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Templates by CloudFormation stack name, and the stacks' regions, of a cloud assembly."""
    out = Path(cdk_out)
    manifest_file = out / "manifest.json"
    if not out.is_dir() or not manifest_file.exists():
        raise AssemblyError(f"{out} is not a synthesized cloud assembly (run `make synth` first)")
    try:
        manifest = json.loads(manifest_file.read_text())
    except json.JSONDecodeError as err:
        raise AssemblyError(f"{manifest_file} is not valid JSON ({err})") from None
    templates: dict[str, dict[str, Any]] = {}
    regions = set()
    for artifact in manifest.get("artifacts", {}).values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_file = out / artifact["properties"]["templateFile"]
        try:
            template = json.loads(template_file.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise AssemblyError(
                f"{template_file} is not a readable JSON template ({err})"
            ) from None
        if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
            raise AssemblyError(f"{template_file} has no Resources section")
        name = (
            artifact["properties"].get("stackName")
            or artifact.get("displayName")
            or template_file.name.removesuffix(".template.json")
        )
        templates[name] = template
        environment = artifact.get("environment", "")
        regions.add(environment.rsplit("/", 1)[-1])
    if not templates:
        raise AssemblyError(f"{out} holds no stack templates")
    return templates, regions
