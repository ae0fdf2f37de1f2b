"""The sandbox lifecycle: ``up`` (start moto, bootstrap, data guard, deploy), ``down`` (destroy the
stacks) and ``stop`` (end the server), with the real CDK CLI and the emulator build."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from wellstack.analysis.guard import explain_retained
from wellstack.analysis.template import Assembly
from wellstack.deploy.flow import (
    Build,
    deployed_template,
    require_environment_assembly,
    run_deploy,
    synth,
)
from wellstack.deploy.runner import run_cdk
from wellstack.deploy.target import SANDBOX_ACCOUNT, Target
from wellstack.emulator.differences import EMULATOR_CONTEXT, SANDBOX_ZONE_KEY
from wellstack.emulator.server import Emulator, EmulatorError
from wellstack.emulator.summary import BOOTSTRAP_STACK, leftovers
from wellstack.errors import WellstackError
from wellstack.settings import EnvironmentSettings


def emulator_build(
    settings: EnvironmentSettings, directory: Path = Path("."), app: str | None = None
) -> Build:
    """The emulator build of ``settings``' environment (see :mod:`wellstack.emulator.adapt`), of
    the app whose cdk.json is in ``directory``; ``app`` replaces the emulator app's command."""
    return Build(
        app=app or f"{sys.executable} -m wellstack.emulator.app",
        synth_args=EMULATOR_CONTEXT,
        # --method=direct: moto drops a stack's outputs when it is created through a change
        # set. --no-previous-parameters: on an update the CLI would reuse the previous value of
        # the bootstrap-version parameter, and moto's update_stack fails on that
        # (KeyError 'BootstrapVersion').
        deploy_args=("--method=direct", "--no-previous-parameters"),
        environment_names=(settings.name,),
        directory=directory,
    )


def bootstrap(emulator: Emulator, region: str) -> None:
    """``cdk bootstrap`` the emulator's account and ``region``, unless it is (the emulator's
    state lives as long as its process, and the CLI pinned in package.json does not change
    under a running sandbox)."""
    client = emulator.target(region).client("cloudformation", region)
    stacks = client.describe_stacks()["Stacks"]
    if any(s["StackName"] == BOOTSTRAP_STACK and s["StackStatus"].endswith("_COMPLETE")
           and "ROLLBACK" not in s["StackStatus"] for s in stacks):  # fmt: skip
        return
    # Bootstrap outside the app folder: with an explicit environment it needs no app, and in
    # the app folder the CLI would synthesize the whole app first.
    result = run_cdk(
        ["bootstrap", f"aws://{SANDBOX_ACCOUNT}/{region}"],
        env=emulator.target(region).cli_environment(),
        cwd=emulator.state_dir,
        capture=True,
    )
    if result.returncode != 0:
        raise EmulatorError(f"cdk bootstrap failed:\n{result.stdout}\n{result.stderr}")


def hosted_zone(emulator: Emulator, settings: EnvironmentSettings) -> str | None:
    """The emulator's public hosted zone for ``dr_domain_name``'s parent (created once): moto
    chooses a zone's id itself, so cdk.json's ``dr_hosted_zone_id`` cannot exist there."""
    if not settings.dr_domain_name:
        return None
    name = settings.dr_domain_name.rstrip(".").split(".", 1)[1] + "."
    route53 = emulator.target(settings.region).client("route53", settings.region)
    for zone in route53.list_hosted_zones()["HostedZones"]:
        if zone["Name"] == name:
            return str(zone["Id"]).rsplit("/", 1)[-1]
    created = route53.create_hosted_zone(Name=name, CallerReference=f"wellstack-{name}")
    return str(created["HostedZone"]["Id"]).rsplit("/", 1)[-1]


def _require_zone(out: Path, zone: str) -> None:
    """An assembly synthesized beforehand must put its failover records in the sandbox's hosted
    zone (synthesized with ``-c wellstack:sandbox-hosted-zone=<zone>``), else moto refuses them
    (NoSuchHostedZone) halfway through the deploy."""
    assembly = Assembly.load(out)
    others = sorted({
        str(record.prop("HostedZoneId"))
        for record in assembly.resources("AWS::Route53::RecordSet")
        if record.prop("HostedZoneId") != zone
    })  # fmt: skip
    if others:
        raise EmulatorError(
            f"{out} puts failover records in hosted zone(s) {', '.join(others)}, which the sandbox "
            f"does not have (its zone is {zone}): run `wellstack sandbox up` without --assembly, "
            f"or synthesize with -c {SANDBOX_ZONE_KEY}={zone}"
        )


def up(
    emulator: Emulator,
    settings: EnvironmentSettings,
    out: Path,
    *,
    allow_data_loss: bool = False,
    build: Build | None = None,
    synthesized: bool = False,
) -> int:
    """Start the emulator (if needed), bootstrap it, run the data guard and deploy every stack
    of the environment (``build``: default the emulator build of cdk.json in the current
    folder; ``synthesized``: ``out`` already holds that build's assembly). Returns the exit code
    of the deploy flow (3: the data guard refused)."""
    emulator.start()
    regions = [settings.region]
    if settings.dr_region and settings.dr_region != settings.region:
        regions.append(settings.dr_region)
    for region in regions:
        bootstrap(emulator, region)
    build = build or emulator_build(settings)
    zone = hosted_zone(emulator, settings)
    if zone is not None:
        build = replace(build, synth_args=(*build.synth_args, "-c", f"{SANDBOX_ZONE_KEY}={zone}"))
        if synthesized:
            _require_zone(out, zone)
    code = run_deploy(
        emulator.target(settings.region),
        settings,
        build,
        out,
        allow_data_loss=allow_data_loss,
        approval="never",
        show_diff=False,
        synthesized=synthesized,
    )
    if code and not emulator.responding():
        raise EmulatorError(
            f"the sandbox emulator stopped during the deploy (its log is {emulator.log_file}); "
            "run `make sandbox` again to start a new one (its state is lost)"
        )
    return code


def down(
    emulator: Emulator, settings: EnvironmentSettings, out: Path, *, build: Build | None = None
) -> tuple[int, list[str]]:
    """Destroy the environment's stacks (the emulator keeps running): say what the destroy keeps
    (from the deployed templates), ``cdk destroy --all`` (with the assembly ``up`` left in
    ``out`` when it is this environment's, else a new synth), then read back what is left.
    Returns the CLI's exit code and the leftovers (empty when the emulator is clean)."""
    emulator.require_running()
    build = build or emulator_build(settings)
    target = emulator.target(settings.region)
    env = target.cli_environment()
    deployed = deployed_stacks(target, settings)
    if deployed.templates:
        print(explain_retained(deployed))
    if not _assembly_of(out, settings) and synth(build, out, env):
        return 1, []
    code = build.cdk(["destroy", "--all", "--force", "--app", str(out.resolve())], env)
    regions = [settings.region, *([settings.dr_region] if settings.dr_region else [])]
    return code, [item for region in regions for item in leftovers(emulator, region)]


def deployed_stacks(target: Target, settings: EnvironmentSettings) -> Assembly:
    """The environment's stacks as deployed (each stack's description starts with
    ``wellstack <environment>:``)."""
    templates = {}
    for region in [settings.region, *([settings.dr_region] if settings.dr_region else [])]:
        client = target.client("cloudformation", region)
        for stack in client.describe_stacks()["Stacks"]:
            if stack.get("Description", "").startswith(f"wellstack {settings.name}:"):
                name = stack["StackName"]
                templates[name] = deployed_template(target, name, region) or {}
    return Assembly.from_templates(templates)


def _assembly_of(out: Path, settings: EnvironmentSettings) -> bool:
    """Whether ``out`` holds a cloud assembly with only ``settings``' environment's stacks."""
    try:
        require_environment_assembly(out, settings)
    except WellstackError:
        return False
    return True
