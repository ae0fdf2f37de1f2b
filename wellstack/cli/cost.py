"""``wellstack cost``: a monthly estimate of a synthesized app, offline."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import click

from wellstack.cli._common import console, emit_json, one_line_errors


class _NonNegative(click.ParamType):  # pyright: ignore[reportMissingTypeArgument]
    """A number from 0 to :data:`~wellstack.analysis.cost.MAX_ASSUMPTION` (``nan``, ``inf``,
    negatives and amounts whose cost would overflow are refused)."""

    name = "number>=0"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        from wellstack.analysis.cost import MAX_ASSUMPTION

        if not math.isfinite(number) or not 0 <= number <= MAX_ASSUMPTION:
            self.fail(f"{value!r} must be a number from 0 to {MAX_ASSUMPTION:g}", param, ctx)
        return number


def assumption_options(function: Callable[..., Any]) -> Callable[..., Any]:
    from wellstack.analysis.cost import MAX_AGE_DAYS, Assumptions

    for spec in reversed(fields(Assumptions)):
        kind: click.ParamType = (
            click.IntRange(min=1, max=MAX_AGE_DAYS)
            if isinstance(spec.default, int)
            else _NonNegative()
        )
        function = click.option(
            "--" + spec.name.replace("_", "-"),
            spec.name,
            type=kind,
            default=spec.default,
            show_default=True,
        )(function)
    return function


@click.command("cost")
@click.argument("cdk_out", type=click.Path(path_type=Path), default=Path("cdk.out"))
@click.option("--region", help="price the app in this region (default: the stacks' region)")
@click.option(
    "--compare",
    "other",
    type=click.Path(path_type=Path),
    help="another cdk.out: show what it costs over this one, line by line",
)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@assumption_options
@one_line_errors
def command(
    cdk_out: Path, region: str | None, other: Path | None, as_json: bool, **assumed: Any
) -> None:
    """Monthly cost estimate from the templates, with the assumptions it rests on."""
    from rich.table import Table

    from wellstack.analysis.cost import Assumptions, compare, estimate, totals_note, usd

    assumptions = Assumptions(**assumed)
    base = estimate(cdk_out, region, assumptions)
    if other is not None:
        second = estimate(other, region, assumptions)
        rows = compare(base, second)
        if as_json:
            emit_json(
                {
                    "base": base.as_dict(),
                    "other": second.as_dict(),
                    "difference": [row.as_dict() for row in rows],
                }
            )
            return
        table = Table(title=f"{other} over {cdk_out} (USD a month, {base.region})")
        for column in ("item", str(cdk_out), str(other), "difference", "why"):
            table.add_column(column, justify="left" if column in ("item", "why") else "right")
        for row in rows:
            why = (
                f"{row.base_quantity:g} -> {row.other_quantity:g} {row.unit}" if row.changed else ""
            )
            table.add_row(
                row.item, usd(row.base_usd), usd(row.other_usd),
                usd(row.difference_usd, signed=True), why,
            )  # fmt: skip
        complete = base.complete and second.complete
        table.add_row(
            "total" if complete else "total of the priced items",
            f"{base.total_usd:,.2f}", f"{second.total_usd:,.2f}",
            f"{second.total_usd - base.total_usd:+,.2f}", "" if complete else "incomplete",
        )  # fmt: skip
        console().print(table)
        if not complete:
            click.echo(totals_note(base, second))
        return
    if as_json:
        emit_json(base.as_dict())
        return
    table = Table(title=f"Monthly estimate, {base.region} (USD, on-demand list prices)")
    for column in ("item", "quantity", "unit", "unit USD", "monthly USD", "note"):
        table.add_column(
            column, justify="right" if "USD" in column or column == "quantity" else "left"
        )
    for line in base.lines:
        table.add_row(
            line.item, f"{line.quantity:g}", line.unit,
            "-" if line.unit_usd is None else f"{line.unit_usd:g}",
            usd(line.monthly_usd if line.priced else None), line.note,
        )  # fmt: skip
    table.add_row(
        "total" if base.complete else "total of the priced items", "", "", "",
        f"{base.total_usd:,.2f}", "" if base.complete else "incomplete",
    )  # fmt: skip
    console().print(table)
    if not base.complete:
        click.echo(totals_note(base))
    click.echo(
        "assumptions: "
        + ", ".join(f"{k}={v:g}" for k, v in vars(assumptions).items())
        + " (change them with the options of `wellstack cost --help`)"
    )
    click.echo(
        "prices: wellstack/analysis/prices.json (AWS list prices; each names its page and date)"
    )
