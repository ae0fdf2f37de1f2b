"""The ``wellstack`` command: one click group, one module per command. Bad input is one line on
stderr and exit code 2, never a traceback."""

from __future__ import annotations

import click

from wellstack.cli import acks, bootstrap, cost, deploy, destroy, guard, plan, review, sandbox


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wellstack")
def main() -> None:
    """Plan, review, price, guard and deploy a wellstack app."""


for _command in (
    plan.command, review.command, cost.command, acks.command, bootstrap.command,
    guard.command, deploy.command, destroy.command, sandbox.command,
):  # fmt: skip
    main.add_command(_command)

__all__ = ["main"]
