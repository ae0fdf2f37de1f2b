"""``wellstack destroy``: say what stays, then destroy the environment's stacks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wellstack.cli._common import env_option, one_line_errors, target_options
from wellstack.cli._deploying import out_option, resolve


@click.command("destroy")
@env_option
@target_options
@out_option("cdk.out")
@one_line_errors
def command(env_name: str, cdk_json: Path, sandbox: bool, port: int, out: Path) -> None:
    """List what a destroy keeps (buckets, keys, logs, final snapshots), then cdk destroy."""
    from wellstack.deploy.flow import run_destroy

    resolved = resolve(env_name, cdk_json, sandbox, port)
    settings, target, build = resolved.settings, resolved.target, resolved.build
    sys.exit(run_destroy(target, settings, build, out))
