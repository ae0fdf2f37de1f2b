"""``wellstack deploy``: preflight, data guard, diff, deploy."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wellstack.cli._common import env_option, environment, one_line_errors, target_options
from wellstack.cli._deploying import assembly_option, out_option, resolve


@click.command("deploy")
@env_option
@target_options
@out_option("cdk.out")
@assembly_option()
@click.option(
    "--allow-data-loss",
    is_flag=True,
    help="deploy even when a stateful resource would be replaced or deleted",
)
@click.option(
    "--approval",
    type=click.Choice(["broadening", "any-change", "never"]),
    default="broadening",
    show_default=True,
    help="cdk's --require-approval (security-relevant changes ask by default)",
)
@one_line_errors
def command(
    env_name: str,
    cdk_json: Path,
    sandbox: bool,
    port: int,
    out: Path,
    assembly: Path | None,
    allow_data_loss: bool,
    approval: str,
) -> None:
    """Preflight (credentials, account, bootstrap) -> synth (or --assembly) -> data guard ->
    cdk diff -> deploy the very assembly the guard checked."""
    from wellstack.deploy.flow import require_environment_assembly, run_deploy

    if assembly is not None:  # before anything reaches AWS
        require_environment_assembly(assembly, environment(env_name, cdk_json))
    resolved = resolve(env_name, cdk_json, sandbox, port)
    settings, target, build = resolved.settings, resolved.target, resolved.build
    sys.exit(
        run_deploy(
            target,
            settings,
            build,
            assembly or out,
            allow_data_loss=allow_data_loss,
            approval=approval,  # type: ignore[arg-type]
            show_diff=not sandbox,
            synthesized=assembly is not None,
        )
    )
