"""``wellstack failover`` and ``wellstack failback``: the DR runbook of an environment, printed
(``--plan``, the default) or run step by step with a check after each (``--execute``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from wellstack.cli._common import (
    console,
    emit_json,
    env_option,
    environment,
    make_target,
    one_line_errors,
    target_options,
)

if TYPE_CHECKING:
    from wellstack.analysis.dr import Direction, Step
    from wellstack.settings import EnvironmentSettings


def _options(function: Any) -> Any:
    for option in reversed([
        env_option,
        target_options,
        click.option("--plan", "mode", flag_value="plan", default=True,
                     help="print the steps and what they act on (the default; nothing runs)"),
        click.option("--execute", "mode", flag_value="execute",
                     help="run the steps in order, checking each, stopping at the first failure"),
        click.option("--wait", type=click.IntRange(0, 7200), default=900, show_default=True,
                     help="seconds each check may wait (with --execute)"),
        click.option("--json", "as_json", is_flag=True, help="machine-readable output"),
    ]):  # fmt: skip
        function = option(function)
    return function


@click.command("failover")
@_options
@click.option(
    "--switchover",
    is_flag=True,
    help="planned, no data lost: SwitchoverGlobalCluster instead of FailoverGlobalCluster "
    "with AllowDataLoss (both regions must be healthy)",
)
@one_line_errors
def failover(env_name: str, cdk_json: Path, sandbox: bool, port: int, mode: str, wait: int,
             as_json: bool, switchover: bool) -> None:  # fmt: skip
    """Move the environment to its DR region: scale the DR app tier, promote the DR cluster,
    shift traffic."""
    _run(env_name, cdk_json, sandbox, port, mode, wait, as_json,
         "switchover" if switchover else "failover")  # fmt: skip


@click.command("failback")
@_options
@one_line_errors
def failback(env_name: str, cdk_json: Path, sandbox: bool, port: int, mode: str, wait: int,
             as_json: bool) -> None:  # fmt: skip
    """Move the environment back to its primary region (planned): the primary cluster's
    switchover, traffic back, the DR app tier back to dr_app_capacity."""
    _run(env_name, cdk_json, sandbox, port, mode, wait, as_json, "failback")


def _run(env_name: str, cdk_json: Path, sandbox: bool, port: int, mode: str, wait: int,
         as_json: bool, direction: Direction) -> None:  # fmt: skip
    from wellstack.analysis.dr import posture, runbook

    settings = environment(env_name, cdk_json)
    steps = runbook(settings, direction)
    if mode == "plan":
        if as_json:
            emit_json({"environment": settings.name, "direction": direction,
                       "posture": posture(settings),
                       "steps": [s.as_dict() for s in steps]})  # fmt: skip
        else:
            _print_plan(settings, direction, steps, sandbox)
        return
    _execute(settings, steps, sandbox, port, wait, as_json, direction)


def _print_plan(settings: EnvironmentSettings, direction: str, steps: list[Step],
                sandbox: bool) -> None:  # fmt: skip
    from rich.table import Table

    table = Table(
        title=f"{direction} of {settings.name}: {settings.region} -> {settings.dr_region}"
        if direction != "failback"
        else f"failback of {settings.name}: {settings.dr_region} -> {settings.region}",
        title_justify="left",
    )
    for column in ("#", "step", "API call", "acts on", "check after it"):
        table.add_column(column)
    for number, step in enumerate(steps, 1):
        table.add_row(str(number), step.title, step.action,
                      "\n".join(str(t) for t in step.targets), step.check)  # fmt: skip
    console().print(table)
    if sandbox:
        for step in steps:
            if step.emulator_gap:
                click.echo(f"in the sandbox, {step.key} is skipped: {step.emulator_gap}")
    click.echo("nothing was changed; run the steps with --execute")


def _execute(settings: EnvironmentSettings, steps: list[Step], sandbox: bool, port: int,
             wait: int, as_json: bool, direction: str) -> None:  # fmt: skip
    from wellstack.deploy.failover import Runner, require_caller

    region = str(settings.dr_region if direction != "failback" else settings.region)
    place = make_target(sandbox, port, region)
    require_caller(place, settings)
    click.echo(f"target: {place.describe()}, environment {settings.name}: {direction}", err=True)
    results = Runner(place, wait_seconds=wait, poll_seconds=2.0 if sandbox else 15.0).run(steps)
    failed = any(r.outcome == "failed" for r in results)
    done = {r.key for r in results}
    not_run = [s.key for s in steps if s.key not in done]
    if as_json:
        emit_json({"environment": settings.name, "direction": direction,
                   "results": [r.as_dict() for r in results], "not_run": not_run})  # fmt: skip
    else:
        for result in results:
            click.echo(f"{result.outcome:8} {result.key}: {result.detail}")
        for key in not_run:
            click.echo(f"not run  {key}")
        if failed:
            click.echo(f"{direction} stopped at the failed step; fix it and run again (steps "
                       f"already done check and pass again)", err=True)  # fmt: skip
    sys.exit(1 if failed else 0)


__all__ = ["failback", "failover"]
