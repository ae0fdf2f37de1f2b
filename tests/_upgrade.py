"""Upgrade safety: what a deploy of HEAD over the last release would replace or delete of the
data it holds, and whether CHANGELOG.md's upgrade notes say so (tests/test_upgrade.py).

A release's snapshot (``tests/releases/vX.Y.Z.json``, written by ``make release-snapshot``)
holds the stateful resources of the default app (dev, prod) and of the example consumer as that
release synthesized them. The data guard (:func:`wellstack.analysis.guard.guard`) compares them
with HEAD's templates: a logical id that is gone (a renamed construct id), a type that changed or
a property that cannot change in place is a finding. A finding is explained when an upgrade note
of a version after the release names its ``Stack/LogicalId`` in backticks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wellstack.analysis.guard import guard
from wellstack.analysis.template import Assembly

ROOT = Path(__file__).resolve().parents[1]
RELEASES = ROOT / "tests" / "releases"
CHANGELOG = ROOT / "CHANGELOG.md"
_VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")


def version_key(tag: str) -> tuple[int, int, int]:
    match = _VERSION.match(tag)
    if not match:
        raise ValueError(f"{tag!r} is not a vX.Y.Z tag")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch)


def snapshots() -> list[Path]:
    """Every release snapshot, oldest first."""
    return sorted(RELEASES.glob("v*.json"), key=lambda p: version_key(p.stem))


def last_snapshot() -> dict[str, Any]:
    return json.loads(snapshots()[-1].read_text())


@dataclass(frozen=True)
class Risk:
    app: str
    stack: str
    logical_id: str
    action: str
    reason: str

    @property
    def key(self) -> str:
        return f"{self.stack}/{self.logical_id}"

    def __str__(self) -> str:
        return f"{self.app}: {self.key} would be {self.action}d ({self.reason})"


def risks(release: dict[str, Any], head: dict[str, Assembly]) -> list[Risk]:
    """What deploying HEAD over the release would replace or delete, app by app (a stack that
    is gone deletes all it held)."""
    found = []
    for app, stacks in sorted(release["apps"].items()):
        new = head[app]
        for stack, template in sorted(stacks.items()):
            if stack not in new.templates:
                found += [Risk(app, stack, logical_id, "delete", "its stack is gone")
                          for logical_id in sorted(template["Resources"])]  # fmt: skip
                continue
            found += [
                Risk(app, stack, f.logical_id, f.action, f.reason)
                for f in guard(stack, template, new.templates[stack])
            ]
    return found


def upgrade_notes(since: str, changelog: str | None = None) -> set[str]:
    """The ``Stack/LogicalId`` names (in backticks) under "Upgrade notes" of every version in
    CHANGELOG.md above ``since`` (the release the snapshot is of)."""
    text = CHANGELOG.read_text() if changelog is None else changelog
    named: set[str] = set()
    in_notes = False
    for line in text.splitlines():
        heading = re.match(r"^## \[?([^\]\s]+)\]?", line)
        if heading:
            if heading.group(1) in (since, since.removeprefix("v")):
                break
            in_notes = False
            continue
        if line.startswith("### "):
            in_notes = line.strip().lower() == "### upgrade notes"
            continue
        if in_notes:
            named |= set(re.findall(r"`([A-Za-z0-9-]+/[A-Za-z0-9]+)`", line))
    return named


def unexplained(found: list[Risk], notes: set[str]) -> list[Risk]:
    return [risk for risk in found if risk.key not in notes]
