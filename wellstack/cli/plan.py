"""``wellstack plan``: the subnet plan of an environment and how much of each subnet is used."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from wellstack.cli._common import console, emit_json, env_option, environment, one_line_errors


@click.command("plan")
@env_option
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option(
    "--fail-az",
    metavar="AZ",
    help="instead: what survives the loss of this AZ, tier by tier (exit 1 when a tier is down)",
)
@click.option(
    "--fail-region",
    metavar="REGION",
    help="instead: what survives the loss of the primary region, tier by tier, with RTO/RPO and "
    "the DR side's monthly cost (exit 1 when a tier is lost)",
)
@click.option(
    "--cdk-out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("cdk.out"),
    show_default=True,
    help="with --fail-region: the synthesized app whose DR stacks are priced",
)
@one_line_errors
def command(env_name: str, cdk_json: Path, as_json: bool, fail_az: str | None,
            fail_region: str | None, cdk_out: Path) -> None:  # fmt: skip
    """Subnet plan of an environment (from cdk.json, offline) and what each subnet holds, in
    both regions with a DR region; with --fail-az, an AZ-failure drill; with --fail-region, a
    region-failure drill."""
    from wellstack.analysis.plan import environment_plan

    settings = environment(env_name, cdk_json)
    if fail_az is not None:
        _drill(settings, fail_az, as_json)
        return
    if fail_region is not None:
        _region_drill(settings, fail_region, cdk_out, as_json)
        return
    lines = environment_plan(settings)
    dr = settings.dr_settings() if settings.dr_region else None
    dr_lines = environment_plan(dr, secondary=True) if dr else []
    if as_json:
        data = {"environment": env_name, "region": settings.region,
                "subnets": [line.as_dict() for line in lines]}  # fmt: skip
        if dr:
            data["dr"] = {"region": dr.region, "subnets": [line.as_dict() for line in dr_lines]}
        emit_json(data)
        return
    out = console()
    out.print(_table(f"Subnet plan: {env_name} ({settings.region}, {settings.cidr})", lines))
    if dr:
        title = f"DR subnet plan: {env_name} ({dr.region}, {dr.cidr})"
        out.print(_table(title, dr_lines))
    click.echo("usable = 2^(32-mask) - 5 (AWS keeps five addresses of every subnet)")
    if settings.ipv6:
        click.echo(
            "IPv6 /64 = slot n of the VPC's Amazon-provided /56, known only after the deploy: "
            "with the /56 2600:1f18:abc:de00::/56, slot 05 is 2600:1f18:abc:de05::/64 "
            "(aws ec2 describe-vpcs --query 'Vpcs[].Ipv6CidrBlockAssociationSet')"
        )


def _table(title: str, lines: list[Any]) -> Any:
    from rich.table import Table

    table = Table(title=title)
    ipv6 = any(line.ipv6_slot is not None for line in lines)
    columns = ("tier", "AZ", "CIDR", *(("IPv6 /64",) if ipv6 else ()), "addresses", "usable",
               "used by", "free", "warning")  # fmt: skip
    for column in columns:
        table.add_column(
            column, justify="right" if column in ("addresses", "usable", "free") else "left"
        )
    for line in lines:
        uses = ", ".join(f"{n} {what}" for what, n in line.uses.items()) or "-"
        table.add_row(
            line.tier, line.az, line.cidr, *((line.ipv6_cidr or "",) if ipv6 else ()),
            str(line.addresses), str(line.usable), uses, str(line.free), line.warning or "",
        )  # fmt: skip
    return table


def _drill(settings: object, az: str, as_json: bool) -> None:
    from rich.table import Table

    from wellstack.analysis.failure import fail_az

    outcomes = fail_az(settings, az)  # type: ignore[arg-type]
    down = any(o.verdict == "down" for o in outcomes)
    if as_json:
        emit_json({"fail_az": az, "tiers": [o.as_dict() for o in outcomes], "survives": not down})
        sys.exit(1 if down else 0)
    table = Table(title=f"If {az} fails", title_justify="left")
    for column in ("tier", "verdict", "what happens", "fix"):
        table.add_column(column)
    colour = {"ok": "green", "degraded": "yellow", "down": "red"}
    for outcome in outcomes:
        verdict = f"[{colour[outcome.verdict]}]{outcome.verdict}[/{colour[outcome.verdict]}]"
        table.add_row(outcome.tier, verdict, outcome.detail, outcome.fix or "")
    console().print(table)
    sys.exit(1 if down else 0)


def _region_drill(settings: Any, region: str, cdk_out: Path, as_json: bool) -> None:
    from rich.table import Table

    from wellstack.analysis.dr import POSTURES, fail_region, posture

    outcomes = fail_region(settings, region)
    lost = any(not o.survives for o in outcomes)
    hold = _hold_cost(settings, cdk_out)
    kind = posture(settings)
    if as_json:
        emit_json({"fail_region": region, "posture": kind, "survives": not lost,
                   "tiers": [o.as_dict() for o in outcomes], "dr_monthly_usd": hold})  # fmt: skip
        sys.exit(1 if lost else 0)
    table = Table(title=f"If {region} fails ({kind}: {POSTURES[kind]})", title_justify="left")
    for column in ("tier", "survives", "what happens", "RTO", "RPO"):
        table.add_column(column)
    for o in outcomes:
        table.add_row(o.tier, "[green]yes[/green]" if o.survives else "[red]no[/red]", o.detail,
                      _duration(o.rto_seconds), _duration(o.rpo_seconds))  # fmt: skip
    console().print(table)
    if hold is not None:
        click.echo(
            f"holding the DR region costs about {hold['total_usd']:.2f} USD a month (its stacks "
            f"in {cdk_out}, `wellstack cost --compare` for the replication's share)"
            + ("" if hold["complete"] else f"; unpriced: {', '.join(hold['unpriced'])}")
        )
    elif settings.dr_region:
        click.echo(f"synthesize the app ({cdk_out} has no {settings.name} DR stacks) to price the "
                   f"DR region")  # fmt: skip
    sys.exit(1 if lost else 0)


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds} s"
    return f"{seconds / 60:.0f} min" if seconds < 2 * 3600 else f"{seconds / 3600:.0f} h"


def _hold_cost(settings: Any, cdk_out: Path) -> dict[str, Any] | None:
    """The DR region's stacks of the environment in ``cdk_out``, priced (``None`` when there
    are none)."""
    from wellstack.analysis.cost import Assumptions, estimate_assembly
    from wellstack.analysis.template import Assembly, AssemblyError

    if not settings.dr_region or not (cdk_out / "manifest.json").is_file():
        return None
    try:
        assembly = Assembly.load(cdk_out)
    except AssemblyError:
        return None
    names = [n for n in assembly.templates if n.startswith(settings.dr_stack_prefix)
             and assembly.regions.get(n) == settings.dr_region]  # fmt: skip
    if not names:
        return None
    part = Assembly.from_templates({n: assembly.templates[n] for n in names},
                                   {n: settings.dr_region for n in names})  # fmt: skip
    found = estimate_assembly(part, settings.region, Assumptions())  # its prices if none for dr
    return {"total_usd": found.total_usd, "complete": found.complete, "unpriced": found.unpriced,
            "stacks": names}  # fmt: skip
