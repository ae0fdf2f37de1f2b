"""Record what a release deploys that holds data: ``make release-snapshot TAG=v0.1.0``.

Checks the tag out into a temporary git worktree, synthesizes there — with that release's own
code — the default app's ``dev`` and ``prod`` environments and the example consumer
(examples/consumer), and writes ``tests/releases/<TAG>.json``: per app and stack, the stateful
resources (the data guard's types: clusters, instances, buckets, vaults, keys, log groups,
secrets, the VPC and its subnets) with their type, properties and deletion policies.

``tests/test_upgrade.py`` synthesizes the same apps at HEAD and runs the data guard from this
snapshot to HEAD: a stateful resource that would be replaced or deleted (a logical id that
changed, a property that cannot change in place) fails the test unless CHANGELOG.md's upgrade
notes name it. Run this once per release, right after tagging it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wellstack.analysis.guard import STATEFUL_TYPES  # noqa: E402

#: The apps a snapshot holds: name -> how to synthesize it in a checkout (``{out}``: the
#: output folder; run with the checkout first on ``sys.path``).
DEFAULT_APP = """
import json, sys
from wellstack.app import build, new_app
context = json.load(open("cdk.json"))["context"]
context["env"] = {env!r}
app = new_app(context=context, outdir={out!r})
build(app)
app.synth()
"""
APPS = ("dev", "prod", "consumer")


def synthesize(checkout: Path, app: str, out: Path) -> None:
    """The app synthesized with the code of ``checkout`` (never the installed package's)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    if app == "consumer":
        command = [sys.executable, "app.py"]
        cwd = checkout / "examples" / "consumer"
        env["CDK_OUTDIR"] = str(out)
    else:
        command = [sys.executable, "-c", DEFAULT_APP.format(env=app, out=str(out))]
        cwd = checkout
    probe = [sys.executable, "-c", "import wellstack; print(wellstack.__file__)"]
    where = subprocess.run(probe, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    if not where.stdout.strip().startswith(str(checkout)):
        raise SystemExit(f"wellstack imported from {where.stdout.strip()}, not {checkout}")
    subprocess.run(command, cwd=cwd, env=env, check=True)


def stateful(cdk_out: Path) -> dict[str, Any]:
    """Stack name -> ``{"Resources": {...}}`` with the stateful resources only."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    stacks: dict[str, Any] = {}
    for name, artifact in sorted(manifest["artifacts"].items()):
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = json.loads((cdk_out / artifact["properties"]["templateFile"]).read_text())
        kept = {
            logical_id: {k: v for k, v in resource.items() if k != "Metadata"}
            for logical_id, resource in sorted(template.get("Resources", {}).items())
            if resource.get("Type") in STATEFUL_TYPES
        }
        stacks[name] = {"Resources": kept}
    return stacks


def snapshot(tag: str) -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-list", "-n", "1", tag], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="wellstack-release-") as temp:
        checkout = Path(temp) / "checkout"
        subprocess.run(["git", "worktree", "add", "--detach", str(checkout), tag], cwd=ROOT,
                       check=True, capture_output=True)  # fmt: skip
        try:
            apps = {}
            for app in APPS:
                out = Path(temp) / app
                synthesize(checkout, app, out)
                apps[app] = stateful(out)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT,
                           check=False, capture_output=True)  # fmt: skip
    return {"tag": tag, "commit": commit, "apps": apps}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].startswith("v"):
        print("usage: release_snapshot.py vX.Y.Z (a git tag)", file=sys.stderr)
        return 2
    tag = argv[0]
    target = ROOT / "tests" / "releases" / f"{tag}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(snapshot(tag), indent=1, sort_keys=True) + "\n")
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
