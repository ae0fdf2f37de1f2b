"""The ``wellstack`` command: ``plan``, ``review`` and ``cost`` of a synthesized app, offline.

Bad input (no cdk.out, an unknown environment or region, a malformed template) is one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import fields
from functools import wraps
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from wellstack.cost import Assumptions, compare, estimate

console = Console(width=None if sys.stdout.isatty() else 160)


def one_line_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (ValueError, OSError) as err:
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            click.echo(f"wellstack: error: {message}", err=True)
            sys.exit(2)

    return wrapper


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


@click.group()
@click.version_option(package_name="wellstack")
def main() -> None:
    """Subnet plan, Well-Architected review and monthly cost of a wellstack app."""


@main.command()
@click.option("--env", "env_name", default="dev", show_default=True, help="environment in cdk.json")
@click.option(
    "--cdk-json",
    type=click.Path(path_type=Path),
    default=Path("cdk.json"),
    show_default=True,
    help="the app's cdk.json",
)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@one_line_errors
def plan(env_name: str, cdk_json: Path, as_json: bool) -> None:
    """Subnet plan of an environment and how much of each subnet the design uses."""
    from wellstack.plan import environment_plan
    from wellstack.settings import ENVIRONMENTS_KEY, parse_environments

    if not cdk_json.exists():
        raise ValueError(f"{cdk_json} not found (run wellstack in the app's folder)")
    try:
        context = json.loads(cdk_json.read_text()).get("context", {})
    except json.JSONDecodeError as err:
        raise ValueError(f"{cdk_json} is not valid JSON ({err})") from None
    environments = parse_environments(context.get(ENVIRONMENTS_KEY))
    if env_name not in environments:
        raise ValueError(
            f"unknown environment {env_name!r}; {cdk_json} defines {', '.join(environments)}"
        )
    lines = environment_plan(environments[env_name])
    if as_json:
        emit_json({"environment": env_name, "subnets": [line.as_dict() for line in lines]})
        return
    table = Table(title=f"Subnet plan: {env_name} ({environments[env_name].cidr})")
    for column in ("tier", "AZ", "CIDR", "addresses", "usable", "used by", "free", "warning"):
        table.add_column(
            column, justify="right" if column in ("addresses", "usable", "free") else "left"
        )
    for line in lines:
        uses = ", ".join(f"{n} {what}" for what, n in line.uses.items()) or "-"
        table.add_row(
            line.tier, line.az, line.cidr, str(line.addresses), str(line.usable), uses,
            str(line.free), line.warning or "",
        )  # fmt: skip
    console.print(table)
    click.echo("usable = 2^(32-mask) - 5 (AWS keeps five addresses of every subnet)")


@main.command()
@click.argument("cdk_out", type=click.Path(path_type=Path), default=Path("cdk.out"))
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--html", "html_file", type=click.Path(path_type=Path), help="write an HTML page")
@one_line_errors
def review(cdk_out: Path, as_json: bool, html_file: Path | None) -> None:
    """Well-Architected review: checks, findings and acknowledgments per pillar."""
    from wellstack.review import review as run_review
    from wellstack.review import to_html

    result = run_review(cdk_out)
    if html_file:
        html_file.write_text(to_html(result))
        click.echo(f"wrote {html_file}", err=True)
    if as_json:
        emit_json(result)
        return
    for pillar, data in result["pillars"].items():
        table = Table(title=f"{pillar.title()}: {data['score']} checks pass", title_justify="left")
        table.add_column("status")
        table.add_column("check")
        table.add_column("detail")
        for item in data["findings"]:
            table.add_row(
                "[red]finding[/red]",
                str(item.get("title") or item.get("rule")),
                str(item.get("detail") or item.get("description", "")),
            )
        for item in data["passed"]:
            table.add_row("[green]pass[/green]", item["title"], item["detail"])
        for item in data["acknowledged"]:
            table.add_row(
                "[yellow]acknowledged[/yellow]", f"{item['rule']}\n{item['where']}", item["reason"]
            )
        console.print(table)
    if result["unmapped"]:
        click.echo(f"rules without a pillar: {', '.join(result['unmapped'])}", err=True)


def assumption_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for spec in reversed(fields(Assumptions)):
        option = "--" + spec.name.replace("_", "-")
        function = click.option(
            option, spec.name, type=type(spec.default), default=spec.default, show_default=True
        )(function)
    return function


@main.command()
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
def cost(
    cdk_out: Path, region: str | None, other: Path | None, as_json: bool, **assumed: Any
) -> None:
    """Monthly cost estimate from the templates, with the assumptions it rests on."""
    assumptions = Assumptions(**assumed)
    base = estimate(cdk_out, region, assumptions)
    if other is not None:
        second = estimate(other, region, assumptions)
        rows = compare(base, second)
        if as_json:
            emit_json({"base": base.as_dict(), "other": second.as_dict(), "difference": rows})
            return
        table = Table(title=f"{other} over {cdk_out} (USD a month, {base.region})")
        for column in ("item", str(cdk_out), str(other), "difference", "why"):
            table.add_column(column, justify="left" if column in ("item", "why") else "right")
        for row in rows:
            why = (
                f"{row['base_quantity']:g} -> {row['other_quantity']:g} {row['unit']}"
                if row["difference_usd"]
                else ""
            )
            table.add_row(
                row["item"], f"{row['base_usd']:.2f}", f"{row['other_usd']:.2f}",
                f"{row['difference_usd']:+.2f}", why,
            )  # fmt: skip
        table.add_row(
            "total", f"{base.total_usd:.2f}", f"{second.total_usd:.2f}",
            f"{second.total_usd - base.total_usd:+.2f}", "",
        )  # fmt: skip
        console.print(table)
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
            f"{line.monthly_usd:.2f}", line.note,
        )  # fmt: skip
    table.add_row("total", "", "", "", f"{base.total_usd:.2f}", "")
    console.print(table)
    click.echo(
        "assumptions: "
        + ", ".join(f"{k}={v:g}" for k, v in vars(assumptions).items())
        + " (change them with the options of `wellstack cost --help`)"
    )
    click.echo(
        "prices: wellstack/prices.json (AWS list prices; each entry names its page and date)"
    )


if __name__ == "__main__":
    main()
