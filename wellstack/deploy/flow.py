"""The deploy-side flows: bootstrap, guard, deploy, destroy; each against an explicit
:class:`~wellstack.deploy.target.Target`. The data guard stands before every deploy."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from wellstack.analysis.guard import GuardFinding, explain_retained, guard
from wellstack.analysis.template import Assembly
from wellstack.deploy.preflight import check_account, preflight
from wellstack.deploy.runner import run_cdk
from wellstack.deploy.target import Target
from wellstack.errors import WellstackError
from wellstack.settings import EnvironmentSettings

Approval = Literal["broadening", "any-change", "never"]
#: Exit codes: 0 done, 1 a CDK step failed, 2 bad input or preflight, 3 the data guard refused.
GUARD_REFUSED = 3


@dataclass(frozen=True)
class Build:
    """How to synthesize what gets deployed: the app's folder (its cdk.json), the app command
    (``None``: cdk.json's), extra CLI arguments (context) for synth, and extra arguments for
    deploy."""

    app: str | None = None
    synth_args: Sequence[str] = ()
    deploy_args: Sequence[str] = ()
    environment_names: Sequence[str] = field(default_factory=tuple)
    directory: Path = Path(".")

    def cdk(self, args: Sequence[str], env: dict[str, str]) -> int:
        """Run the CDK CLI in the app's folder; its exit code."""
        return run_cdk(args, env=env, cwd=self.directory.resolve()).returncode

    def context(self) -> list[str]:
        names = ",".join(self.environment_names)
        return [*(("-c", f"env={names}") if names else ()), *self.synth_args]


#: A real deploy adopts what an earlier destroy kept under the same name (the Aurora log groups
#: /aws/rds/cluster/<id>/<type>, the WAF log group, the backup vault: RETAINed, with names the
#: template fixes) instead of failing with "already exists". CloudFormation imports a resource
#: automatically only when it has a static custom name, DeletionPolicy Retain and belongs to no
#: other stack: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/import-resources-automatically.html
ADOPT_KEPT_RESOURCES = "--import-existing-resources"


def aws_build(settings: EnvironmentSettings, directory: Path = Path(".")) -> Build:
    """The build a real deploy uses: the app of ``directory``'s cdk.json, one environment, kept
    resources adopted (see :data:`ADOPT_KEPT_RESOURCES`)."""
    return Build(
        environment_names=(settings.name,),
        deploy_args=(ADOPT_KEPT_RESOURCES,),
        directory=directory,
    )


def deployed_template(target: Target, stack: str, region: str) -> dict[str, Any] | None:
    import botocore.exceptions

    client = target.client("cloudformation", region)
    try:
        body = client.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    except botocore.exceptions.ClientError as err:
        if "does not exist" in str(err):
            return None
        raise
    return body if isinstance(body, dict) else json.loads(body)


def guard_assembly(target: Target, assembly: Assembly, region: str) -> list[GuardFinding]:
    """The data guard: each stack of ``assembly`` against what ``target`` has deployed, each
    finding naming the deployed resource (vpc-..., the bucket's name)."""
    findings = []
    for stack, new in sorted(assembly.templates.items()):
        stack_region = assembly.regions.get(stack) or region
        if stack_region in ("", "unknown-region"):
            stack_region = region
        found = guard(stack, deployed_template(target, stack, stack_region), new)
        if found:
            names = physical_ids(target, stack, stack_region)
            found = [replace(f, physical_id=names.get(f.logical_id, "")) for f in found]
        findings += found
    return findings


def physical_ids(target: Target, stack: str, region: str) -> dict[str, str]:
    """logical id -> physical id of a deployed stack's resources."""
    client = target.client("cloudformation", region)
    return {
        resource["LogicalResourceId"]: resource.get("PhysicalResourceId", "")
        for page in client.get_paginator("list_stack_resources").paginate(StackName=stack)
        for resource in page["StackResourceSummaries"]
        if "LogicalResourceId" in resource  # moto lists some without one
    }


def synth(build: Build, out: Path, env: dict[str, str]) -> int:
    app = ("--app", build.app) if build.app else ()
    return build.cdk(["synth", "--quiet", *app, *build.context(), "-o", str(out.resolve())], env)


def report_guard(findings: list[GuardFinding], allow_data_loss: bool) -> bool:
    """Print the findings; True when the deploy may go on."""
    for finding in findings:
        print(f"data guard: {finding}", file=sys.stderr)
    if not findings:
        print("data guard: no stateful resource would be replaced or deleted")
        return True
    if allow_data_loss:
        print(
            f"data guard: {len(findings)} stateful resource(s) above would be replaced or "
            f"deleted; going on because ALLOW_DATA_LOSS=1 / --allow-data-loss was given",
            file=sys.stderr,
        )
        return True
    print(
        "data guard: refusing to deploy. Restore the construct id or the property, or re-run "
        "with ALLOW_DATA_LOSS=1 (make) / --allow-data-loss if losing it is intended.",
        file=sys.stderr,
    )
    return False


def run_guard(
    target: Target,
    settings: EnvironmentSettings,
    build: Build,
    out: Path,
    *,
    allow_data_loss: bool = False,
) -> int:
    """Synthesize, then compare with what ``target`` has deployed."""
    env = target.cli_environment()
    preflight(target, settings.region, settings.account)
    if synth(build, out, env):
        return 1
    findings = guard_assembly(target, Assembly.load(out), settings.region)
    return 0 if report_guard(findings, allow_data_loss) else GUARD_REFUSED


def run_deploy(
    target: Target,
    settings: EnvironmentSettings,
    build: Build,
    out: Path,
    *,
    allow_data_loss: bool = False,
    approval: Approval = "broadening",
    show_diff: bool = True,
    synthesized: bool = False,
) -> int:
    """Preflight -> synth -> data guard -> diff -> deploy the very assembly the guard checked.
    ``synthesized``: ``out`` already holds the assembly to deploy (``--assembly``, e.g. what CI
    synthesized and reviewed); it is guarded, not synthesized again."""
    env = target.cli_environment()
    if synthesized:
        require_environment_assembly(out, settings)
    preflight(target, settings.region, settings.account)
    if not synthesized and synth(build, out, env):
        return 1
    findings = guard_assembly(target, Assembly.load(out), settings.region)
    if not report_guard(findings, allow_data_loss):
        return GUARD_REFUSED
    assembly = str(out.resolve())
    if show_diff:
        build.cdk(["diff", "--app", assembly], env)
    code = build.cdk(
        ["deploy", "--all", "--app", assembly, "--require-approval", approval, *build.deploy_args],
        env,
    )
    return 0 if code == 0 else 1


def require_environment_assembly(out: Path, settings: EnvironmentSettings) -> None:
    """``out`` must be a cloud assembly of ``settings``' environment alone: a deploy of it would
    otherwise create or update another environment's stacks."""
    names = sorted(Assembly.load(out).templates)
    others = [name for name in names if not name.startswith(settings.stack_prefix)]
    if not names or others:
        raise WellstackError(
            "",
            [
                f"--assembly {out}: expected the stacks of environment {settings.name!r} "
                f"({settings.stack_prefix}...), got {', '.join(names) or 'none'}"
            ],
        )


def run_destroy(target: Target, settings: EnvironmentSettings, build: Build, out: Path) -> int:
    env = target.cli_environment()
    check_account(target, settings.region, settings.account, "destroy")
    if synth(build, out, env):
        return 1
    print(explain_retained(out))
    return 0 if build.cdk(["destroy", "--all", "--app", str(out.resolve())], env) == 0 else 1


def run_bootstrap(target: Target, settings: EnvironmentSettings) -> int:
    account = check_account(target, settings.region, settings.account, "bootstrap")
    result = run_cdk(
        ["bootstrap", f"aws://{account}/{settings.region}"], env=target.cli_environment()
    )
    return 0 if result.returncode == 0 else 1


def require(condition: bool, message: str) -> None:
    if not condition:
        raise WellstackError("", [message])
