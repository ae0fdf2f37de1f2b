"""Upgrade safety: deploying HEAD over the last release replaces or deletes no stateful resource
(cluster, instance, bucket, vault, key, log group, secret, VPC, subnet) that CHANGELOG.md's
upgrade notes do not name (tests/_upgrade.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

import wellstack.stacks.data_stack as data_stack
from tests import _upgrade
from tests.conftest import CDK_JSON, ROOT, _sources_digest, cached_assembly, project_context
from wellstack.analysis.template import Assembly
from wellstack.constructs import TieredBucket
from wellstack.settings import ENVIRONMENTS_KEY, parse_environments
from wellstack.stacks import add_three_tier

CONSUMER = ROOT / "examples" / "consumer"


def consumer_assembly() -> Path:
    """examples/consumer synthesized with HEAD's package (cached like the default app)."""

    def produce(out: Path) -> None:
        env = {**os.environ, "CDK_OUTDIR": str(out), "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "app.py"], cwd=CONSUMER, env=env, check=True,
                       capture_output=True)  # fmt: skip

    key = _sources_digest(b"consumer", (CONSUMER / "app.py").read_bytes())
    return cached_assembly(key, produce)


@pytest.fixture(scope="module")
def head(built_app) -> dict[str, Assembly]:
    return {
        "dev": Assembly.load(built_app().outdir),
        "prod": Assembly.load(built_app(env="prod").outdir),
        "consumer": Assembly.load(consumer_assembly()),
    }


@pytest.fixture(scope="module")
def release() -> dict[str, Any]:
    return _upgrade.last_snapshot()


def test_head_keeps_the_data_of_the_last_release(release, head):
    found = _upgrade.risks(release, head)
    missing = _upgrade.unexplained(found, _upgrade.upgrade_notes(release["tag"]))
    assert not missing, (
        f"a deploy of HEAD over {release['tag']} would replace or delete data; name each in "
        f"CHANGELOG.md's upgrade notes (with what a user must do) or keep its construct id "
        f"and properties:\n" + "\n".join(map(str, missing))
    )
    # The snapshot holds each app's data: an empty one would pass anything.
    for app in ("dev", "prod", "consumer"):
        types = {r["Type"] for stack in release["apps"][app].values()
                 for r in stack["Resources"].values()}  # fmt: skip
        assert {"AWS::RDS::DBCluster", "AWS::S3::Bucket", "AWS::KMS::Key"} <= types, app


def _renamed_bucket_app(tmp_path: Path) -> Assembly:
    """The dev app with the assets bucket's construct id renamed (Assets -> StaticAssets), as a
    refactoring might do."""

    class Renamed(TieredBucket):
        def __init__(self, scope: Any, construct_id: str, **props: Any) -> None:
            super().__init__(scope, "StaticAssets" if construct_id == "Assets" else construct_id,
                             **props)  # fmt: skip

    settings = parse_environments(CDK_JSON["context"][ENVIRONMENTS_KEY])["dev"]
    app = cdk.App(context=project_context(), outdir=str(tmp_path))
    original, data_stack.TieredBucket = data_stack.TieredBucket, Renamed  # type: ignore[misc]
    try:
        add_three_tier(app, settings, prefix="Dev")
    finally:
        data_stack.TieredBucket = original  # type: ignore[misc]
    app.synth()
    return Assembly.load(tmp_path)


def test_a_renamed_stateful_construct_id_fails(release, head, tmp_path):
    renamed = {**head, "dev": _renamed_bucket_app(tmp_path)}
    missing = _upgrade.unexplained(
        _upgrade.risks(release, renamed), _upgrade.upgrade_notes(release["tag"])
    )
    gone = [r for r in missing if r.app == "dev" and r.logical_id.startswith("Assets")]
    assert gone and all(r.action == "delete" for r in gone), [str(r) for r in missing]
    assert all(r.stack == "DevData" for r in gone)


def test_an_upgrade_note_explains_only_what_it_names():
    changelog = (
        "# Changelog\n\n## [Unreleased]\n\n### Upgrade notes\n\n"
        "- `DevData/AssetsBucket1234` moves: copy its objects first.\n\n"
        "### Added\n\n- `DevData/NotANote` here is no upgrade note.\n\n"
        "## [0.1.0]\n\n### Upgrade notes\n\n- `DevData/Older` belongs to 0.1.0.\n"
    )
    assert _upgrade.upgrade_notes("v0.1.0", changelog) == {"DevData/AssetsBucket1234"}


def test_the_snapshot_is_of_the_newest_release():
    """The newest release CHANGELOG.md records has its snapshot. CHANGELOG.md is the record a
    clone always has (CI clones without tags); where the release's tag is present too, the
    snapshot was recorded from the commit it tags."""
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", _upgrade.CHANGELOG.read_text(), re.M)
    assert released, "CHANGELOG.md names no release (## [X.Y.Z] - date)"
    newest = "v" + max(released, key=lambda v: _upgrade.version_key("v" + v))
    snapshot = _upgrade.RELEASES / f"{newest}.json"
    assert snapshot.exists(), f"make release-snapshot TAG={newest}"
    recorded = json.loads(snapshot.read_text())
    assert recorded["tag"] == newest
    assert re.fullmatch(r"[0-9a-f]{40}", recorded["commit"]), recorded["commit"]
    tagged = subprocess.run(["git", "rev-list", "-n", "1", newest], cwd=ROOT,
                            capture_output=True, text=True)  # fmt: skip
    if tagged.returncode == 0:
        assert recorded["commit"] == tagged.stdout.strip()
