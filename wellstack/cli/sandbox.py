"""``wellstack sandbox up|down|stop|summary``: the environment in a local AWS emulator (moto's
server on loopback), with no AWS account."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from wellstack.cli._common import emit_json, env_option, environment, one_line_errors
from wellstack.cli._deploying import assembly_option

STATE = Path(".sandbox")
P = ParamSpec("P")
R = TypeVar("R")


def port_option(function: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--port",
        type=click.IntRange(1, 65535),
        default=4566,
        show_default=True,
        envvar="SANDBOX_PORT",
        help="the emulator's port on localhost",
    )(function)


@click.group("sandbox")
def command() -> None:
    """The environment deployed into moto's AWS emulator on localhost (no account needed)."""


@command.command("up")
@env_option
@port_option
@click.option("--allow-data-loss", is_flag=True, help="deploy even when the data guard refuses")
@assembly_option()
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@one_line_errors
def up(
    env_name: str,
    cdk_json: Path,
    port: int,
    allow_data_loss: bool,
    assembly: Path | None,
    as_json: bool,
) -> None:
    """Start the emulator (if needed), bootstrap, data guard, deploy every stack; then a summary
    read back through the AWS API."""
    from wellstack.emulator import sandbox
    from wellstack.emulator.server import Emulator

    settings = environment(env_name, cdk_json)
    if assembly is not None:  # before the emulator starts
        from wellstack.deploy.flow import require_environment_assembly

        require_environment_assembly(assembly, settings)
    emulator = Emulator(port, STATE)
    code = sandbox.up(
        emulator,
        settings,
        assembly or STATE / "cdk.out",
        allow_data_loss=allow_data_loss,
        build=sandbox.emulator_build(settings, cdk_json.parent),
        synthesized=assembly is not None,
    )
    _show(emulator, settings, as_json)
    click.echo(
        f"sandbox: running on {emulator.endpoint} (pid {emulator.running_pid()}); "
        f"`wellstack sandbox stop` ends it",
        err=True,
    )
    sys.exit(code)


@command.command("down")
@env_option
@port_option
@one_line_errors
def down(env_name: str, cdk_json: Path, port: int) -> None:
    """Destroy the environment's stacks in the emulator (it keeps running); exit 1, listing what
    is left, when anything could not be removed."""
    from wellstack.emulator import sandbox
    from wellstack.emulator.server import Emulator

    settings = environment(env_name, cdk_json)
    code, left = sandbox.down(
        Emulator(port, STATE),
        settings,
        STATE / "cdk.out",
        build=sandbox.emulator_build(settings, cdk_json.parent),
    )
    for item in left:
        click.echo(f"sandbox: left behind: {item}", err=True)
    if code or left:
        click.echo(
            "sandbox: the destroy did not finish"
            + (f" ({len(left)} item(s) left above)" if left else "")
            + f"; see {STATE / 'moto.log'}, or start over with `wellstack sandbox stop` "
            "(make sandbox-stop), which drops all of the emulator's state",
            err=True,
        )
        sys.exit(1)
    click.echo("sandbox: destroyed; the emulator holds only what the templates retain")


@command.command("stop")
@port_option
@one_line_errors
def stop(port: int) -> None:
    """Stop the emulator this sandbox started (its state is lost)."""
    from wellstack.emulator.server import Emulator

    stopped = Emulator(port, STATE).stop()
    click.echo("sandbox: stopped" if stopped else "sandbox: was not running")


@command.command("summary")
@env_option
@port_option
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@one_line_errors
def show(env_name: str, cdk_json: Path, port: int, as_json: bool) -> None:
    """What the emulator holds, read back through the AWS API."""
    from wellstack.emulator.server import Emulator

    settings = environment(env_name, cdk_json)
    emulator = Emulator(port, STATE)
    emulator.require_running()
    _show(emulator, settings, as_json)


def _show(emulator: Any, settings: Any, as_json: bool) -> None:
    """The summary of the environment's region, and of its DR region when it has one."""
    from wellstack.emulator.summary import render, summary

    info = summary(emulator, settings.region)
    dr_region = settings.dr_region
    dr = summary(emulator, dr_region) if dr_region else None
    if as_json:
        emit_json({**info, **({"dr": {"region": dr_region, **dr}} if dr else {})})
        return
    click.echo(render(info))
    if dr:
        click.echo(f"DR region {dr_region}:")
        click.echo(render(dr))
