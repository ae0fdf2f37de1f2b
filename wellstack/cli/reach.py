"""``wellstack reach``: static reachability of a synthesized app, and the design's intents."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wellstack.cli._common import console, emit_json, one_line_errors


@click.command("reach")
@click.argument("cdk_out", type=click.Path(path_type=Path), default=Path("cdk.out"))
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@one_line_errors
def command(cdk_out: Path, as_json: bool) -> None:
    """Who can reach whom on which TCP ports (security groups, ACLs, routes), and the design's
    intents; exit 1 naming each violated one."""
    from rich.table import Table

    from wellstack.analysis.reach import INTENTS, analyse
    from wellstack.analysis.template import Assembly

    result = analyse(Assembly.load(cdk_out))
    if as_json:
        emit_json(result.to_dict())
        sys.exit(1 if result.violations else 0)
    names = {c.name: f"{c.role} ({c.name.split('/')[0]})" for c in result.components}
    names["internet"] = "internet"
    columns = [*(n for n in names if n != "internet"), "internet"]
    rows = ["internet", *(n for n in names if n != "internet")]
    cells = {(m.source, m.destination): m.tcp for m in result.matrix}
    table = Table(title="TCP ports each source can open to each destination", title_justify="left")
    table.add_column("from \\ to")
    for column in columns:
        table.add_column(names[column])
    for row in rows:
        table.add_row(names[row], *(cells.get((row, column), "") for column in columns))
    out = console()
    out.print(table)
    broken = {v.intent for v in result.violations}
    for intent, text in INTENTS.items():
        mark = "[red]violated[/red]" if intent in broken else "[green]holds   [/green]"
        out.print(f"{mark}  {text}")
    for violation in result.violations:
        opened = "; ".join(violation.rules) or "routes"
        click.echo(
            f"violation: {violation.intent}: {violation.source} -> "
            f"{violation.destination} on tcp {violation.ports} (opened by {opened})",
            err=True,
        )
    sys.exit(1 if result.violations else 0)
