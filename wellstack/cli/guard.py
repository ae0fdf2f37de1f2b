"""``wellstack guard``: would a deploy replace or delete a stateful resource?"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wellstack.cli._common import env_option, one_line_errors, target_options
from wellstack.cli._deploying import out_option, resolve


@click.command("guard")
@env_option
@target_options
@out_option("cdk.out")
@click.option("--allow-data-loss", is_flag=True, help="report the findings but exit 0")
@one_line_errors
def command(
    env_name: str, cdk_json: Path, sandbox: bool, port: int, out: Path, allow_data_loss: bool
) -> None:
    """The data guard alone: synthesize, compare with what is deployed (exit 3 on a finding)."""
    from wellstack.deploy.flow import run_guard

    resolved = resolve(env_name, cdk_json, sandbox, port)
    settings, target, build = resolved.settings, resolved.target, resolved.build
    sys.exit(run_guard(target, settings, build, out, allow_data_loss=allow_data_loss))
