"""The sandbox lifecycle: ``up`` (start moto, bootstrap, data guard, deploy), ``down`` (destroy the
stacks) and ``stop`` (end the server), with the real CDK CLI and the emulator build."""

from __future__ import annotations

import sys
from pathlib import Path

from wellstack.deploy.flow import Build, run_deploy
from wellstack.deploy.runner import run_cdk
from wellstack.deploy.target import SANDBOX_ACCOUNT
from wellstack.emulator.adapt import EMULATOR_CONTEXT
from wellstack.emulator.server import Emulator, EmulatorError
from wellstack.emulator.summary import detach_role_policies
from wellstack.settings import EnvironmentSettings


def emulator_build(settings: EnvironmentSettings) -> Build:
    """The emulator build of ``settings``' environment (see :mod:`wellstack.emulator.adapt`)."""
    return Build(
        app=f"{sys.executable} -m wellstack.emulator.app",
        synth_args=EMULATOR_CONTEXT,
        deploy_args=("--method=direct",),
        environment_names=(settings.name,),
    )


def bootstrap(emulator: Emulator, region: str) -> None:
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


def up(
    emulator: Emulator,
    settings: EnvironmentSettings,
    out: Path,
    *,
    allow_data_loss: bool = False,
) -> int:
    """Start the emulator (if needed), bootstrap it, run the data guard and deploy every stack
    of the environment. Returns the exit code of the deploy flow."""
    emulator.start()
    bootstrap(emulator, settings.region)
    return run_deploy(
        emulator.target(settings.region),
        settings,
        emulator_build(settings),
        out,
        allow_data_loss=allow_data_loss,
        approval="never",
        show_diff=False,
    )


def down(emulator: Emulator, settings: EnvironmentSettings, out: Path) -> int:
    """Destroy the environment's stacks (the emulator keeps running)."""
    emulator.require_running()
    region = settings.region
    detach_role_policies(emulator, region)
    env = emulator.target(region).cli_environment()
    # The assembly `up` deployed, when it is there: no second synth.
    build = emulator_build(settings)
    app = (
        ["--app", str(out)]
        if (out / "manifest.json").exists()
        else ["--app", str(build.app), *build.context(), "-o", str(out)]
    )
    result = run_cdk(["destroy", "--all", "--force", *app], env=env)
    return 0 if result.returncode == 0 else 1
