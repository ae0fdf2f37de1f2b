"""``wellstack bootstrap``: cdk bootstrap, once per account and region."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wellstack.cli._common import env_option, one_line_errors, target_options
from wellstack.cli._deploying import resolve


@click.command("bootstrap")
@env_option
@target_options
@one_line_errors
def command(env_name: str, cdk_json: Path, sandbox: bool, port: int) -> None:
    """Bootstrap the environment's account and region for the CDK (checks the account first)."""
    from wellstack.deploy.flow import run_bootstrap

    resolved = resolve(env_name, cdk_json, sandbox, port)
    settings, target = resolved.settings, resolved.target
    sys.exit(run_bootstrap(target, settings))
