"""The ``wellstack`` click group: every command, and click's usage errors as one line."""

from __future__ import annotations

import sys
from typing import Any

import click

from wellstack.cli import (
    acks,
    bootstrap,
    check,
    cost,
    deploy,
    destroy,
    diff,
    failover,
    guard,
    plan,
    reach,
    review,
    sandbox,
)
from wellstack.cli._common import fail


class _Group(click.Group):
    """The command group, with click's usage errors (a flag out of range, a missing argument,
    an unknown option) as one line and exit 2, like every other bad input."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as err:
            path = err.ctx.command_path if err.ctx else "wellstack"
            fail(f"{err.format_message()} (see `{path} --help`)")
        except click.ClickException as err:
            fail(err.format_message())
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except ModuleNotFoundError as err:  # a command's import of the cli extra
            from wellstack.cli import CLI_MODULES, missing_extra

            if err.name not in CLI_MODULES:
                raise
            missing_extra(err.name)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wellstack")
def main() -> None:
    """Plan, review, price, guard and deploy a wellstack app."""


for _command in (
    plan.command, review.command, reach.command, diff.command, cost.command, acks.command,
    check.command,
    bootstrap.command,
    guard.command, deploy.command, destroy.command, sandbox.command,
    failover.failover, failover.failback,
):  # fmt: skip
    main.add_command(_command)

__all__ = ["main"]
