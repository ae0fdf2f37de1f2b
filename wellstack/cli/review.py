"""``wellstack review``: a Well-Architected review of a synthesized app."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wellstack.cli._common import console, emit_json, one_line_errors

if TYPE_CHECKING:
    from wellstack.analysis.review import ReviewReport


@click.command("review")
@click.argument("cdk_out", type=click.Path(path_type=Path), default=Path("cdk.out"))
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--html", "html_file", type=click.Path(path_type=Path), help="write an HTML page")
@click.option(
    "--fail-on",
    type=click.Choice(["findings"]),
    help="exit 1 when a pillar has a finding (for CI); advice and unknown checks do not count",
)
@one_line_errors
def command(cdk_out: Path, as_json: bool, html_file: Path | None, fail_on: str | None) -> None:
    """Well-Architected review: checks, findings and acknowledgments for the six pillars."""
    from wellstack.analysis.review import review, to_html

    result = review(cdk_out)
    if html_file:
        html_file.write_text(to_html(result))
        click.echo(f"wrote {html_file}", err=True)
    if as_json:
        emit_json(result.to_dict())
    else:
        _print(result)
    found = result.findings_count
    if fail_on == "findings" and found:
        click.echo(f"review: {found} finding(s); failing as --fail-on findings asks", err=True)
        sys.exit(1)


def _print(result: ReviewReport) -> None:
    from rich.table import Table

    out = console()
    for pillar, data in result.pillars.items():
        table = Table(title=f"{pillar.title()}: {data.score} checks pass", title_justify="left")
        for column in ("status", "check", "detail"):
            table.add_column(column)
        for item in data.findings:
            table.add_row("[red]finding[/red]", item.title, item.detail)
        for item in data.advice:
            table.add_row("[yellow]advice[/yellow]", item.title, item.detail)
        for item in data.unknown:
            table.add_row("[blue]unknown[/blue]", item.title, item.detail)
        for item in data.passed:
            table.add_row("[green]pass[/green]", item.title, item.detail)
        for item in data.acknowledged:
            table.add_row(
                "[yellow]acknowledged[/yellow]", f"{item.rule}\n{item.where}", item.reason
            )
        out.print(table)
    if result.unmapped:
        click.echo(f"rules without a pillar: {', '.join(result.unmapped)}", err=True)
