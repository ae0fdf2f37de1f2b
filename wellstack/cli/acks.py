"""``wellstack acks``: the acknowledged findings of a synthesized app, as a Markdown table."""

from __future__ import annotations

from pathlib import Path

import click

from wellstack.cli._common import emit_json, one_line_errors


@click.command("acks")
@click.argument("cdk_out", type=click.Path(path_type=Path), default=Path("cdk.out"))
@click.option(
    "--update",
    "document",
    type=click.Path(path_type=Path, dir_okay=False),
    help="rewrite the <!-- acknowledgments --> block of this Markdown file",
)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@one_line_errors
def command(cdk_out: Path, document: Path | None, as_json: bool) -> None:
    """Every acknowledged finding (rule, where, reason), read back from the templates."""
    from wellstack.analysis.audit import acknowledgments, acknowledgments_markdown, update_document

    if as_json:
        emit_json(acknowledgments(cdk_out))
    elif document:
        changed = update_document(document, cdk_out)
        click.echo(f"{document}: acknowledgments {'updated' if changed else 'unchanged'}")
    else:
        click.echo(acknowledgments_markdown(cdk_out), nl=False)
