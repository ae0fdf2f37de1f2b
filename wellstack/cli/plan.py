"""``wellstack plan``: the subnet plan of an environment and how much of each subnet is used."""

from __future__ import annotations

from pathlib import Path

import click

from wellstack.cli._common import console, emit_json, env_option, environment, one_line_errors


@click.command("plan")
@env_option
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@one_line_errors
def command(env_name: str, cdk_json: Path, as_json: bool) -> None:
    """Subnet plan of an environment (from cdk.json, offline) and what each subnet holds."""
    from rich.table import Table

    from wellstack.analysis.plan import environment_plan

    settings = environment(env_name, cdk_json)
    lines = environment_plan(settings)
    if as_json:
        emit_json({"environment": env_name, "subnets": [line.as_dict() for line in lines]})
        return
    table = Table(title=f"Subnet plan: {env_name} ({settings.cidr})")
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
    console().print(table)
    click.echo("usable = 2^(32-mask) - 5 (AWS keeps five addresses of every subnet)")
