"""``wellstack diff BEFORE AFTER``: the change-impact report of two cloud assemblies."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wellstack.cli._common import emit_json, one_line_errors


def _gates(value: str | None) -> list[str]:
    from wellstack.analysis.diff import GATES

    if not value:
        return []
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in GATES]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(map(repr, unknown))}: choose from {', '.join(GATES)}",
            param_hint="--fail-on",
        )
    return chosen


@click.command("diff")
@click.argument("before", type=click.Path(path_type=Path))
@click.argument("after", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--region", help="price both in this region (default: the stacks' region)")
@click.option(
    "--fail-on",
    metavar="risk,findings,broadening",
    help="exit 1 when the change puts data at risk, adds a finding, or opens a path (for CI)",
)
@click.option(
    "--output", type=click.Path(path_type=Path), help="also write the Markdown report to a file"
)
@one_line_errors
def command(
    before: Path,
    after: Path,
    as_json: bool,
    region: str | None,
    fail_on: str | None,
    output: Path | None,
) -> None:
    """What changes from BEFORE to AFTER (two cdk.out folders): cost, compliance findings,
    Well-Architected checks, data at risk, rules opened or closed, reachability. Markdown for a
    pull-request comment, or --json."""
    from wellstack.analysis.diff import diff, to_markdown
    from wellstack.analysis.template import Assembly

    chosen = _gates(fail_on)
    report = diff(Assembly.load(before), Assembly.load(after), region)
    markdown = to_markdown(report, str(before), str(after))
    if output:
        output.write_text(markdown)
    if as_json:
        emit_json({**report.to_dict(), "flags": report.gates()})
    else:
        click.echo(markdown, nl=False)
    hit = [gate for gate, on in report.gates().items() if on and gate in chosen]
    if hit:
        click.echo(f"diff: failing on {', '.join(hit)} (--fail-on)", err=True)
        sys.exit(1)
