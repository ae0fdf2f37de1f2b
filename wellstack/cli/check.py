"""``wellstack check``: AWS's own constraints (the AwsConstraints rules) on a synthesized app."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wellstack.cli._common import console, emit_json, one_line_errors

if TYPE_CHECKING:
    from wellstack.analysis.constraints import CheckReport


@click.command("check")
@click.argument("cdk_out", type=click.Path(path_type=Path), default=Path("cdk.out"))
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@one_line_errors
def command(cdk_out: Path, as_json: bool) -> None:
    """What AWS would refuse or silently drop (the AwsConstraints rules): exit 1 on a violation
    that is not acknowledged."""
    from wellstack.analysis.constraints import check
    from wellstack.analysis.template import Assembly

    report = check(Assembly.load(cdk_out))
    if as_json:
        emit_json(report.as_dict())
    else:
        _print(report)
    if not report.passed:
        sys.exit(1)


def _print(report: CheckReport) -> None:
    from rich.table import Table

    out = console()
    data = report.as_dict()
    if not report.violations and not report.acknowledged:
        click.echo(f"check: {report.rules} rules on {len(report.stacks)} stack(s): no violation")
        return
    table = Table(
        title=f"AWS constraints: {report.rules} rules on {len(report.stacks)} stack(s)",
        title_justify="left",
    )
    for column in ("status", "rule", "resource", "what"):
        table.add_column(column)
    for row in data["violations"]:  # type: ignore[union-attr]
        table.add_row(
            f"[red]{row['outcome']}[/red]", row["rule"], row["path"] or row["resource"],
            f"{row['message']}\nfix: {row['fix']}\n{row['source']}",
        )  # fmt: skip
    for row in data["acknowledged"]:  # type: ignore[union-attr]
        table.add_row(
            "[yellow]acknowledged[/yellow]", row["rule"], row["path"] or row["resource"],
            f"{row['message']}\nreason: {row['reason']}",
        )  # fmt: skip
    out.print(table)
    click.echo(
        f"check: {len(report.violations)} violation(s), {len(report.acknowledged)} acknowledged",
        err=True,
    )
