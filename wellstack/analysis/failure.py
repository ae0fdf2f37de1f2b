"""``wellstack plan --fail-az AZ``: what survives the loss of one availability zone, offline,
from an environment's settings — the same placement rules the constructs follow:

* NAT: ``single`` puts the one gateway in the first AZ; ``per_az`` one in each; ``regional`` one
  gateway that serves every AZ from the VPC (VPC User Guide, "Regional NAT gateways").
* App tier: Auto Scaling spreads instances evenly over the AZs, the first AZs taking the
  remainder; it replaces lost instances in the AZs that are left.
* Database: the writer in the first AZ (promotion tier 0), reader *i* in the AZ after the
  writer's, round robin, with promotion tier *i*; on a writer failure Aurora promotes the reader
  with the best (lowest) tier that is still up.
* Load balancer: a node in each AZ; cross-zone load balancing is always on for an ALB.

Recovery times follow the app tier's health checks (:mod:`wellstack.defaults`) and Aurora's
"Fault tolerance for an Aurora DB cluster": a failover to a replica typically completes in well
under a minute; without a replica Aurora has to create a new writer, which takes minutes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from wellstack import defaults
from wellstack.errors import WellstackError
from wellstack.settings import EnvironmentSettings

Verdict = Literal["ok", "degraded", "down"]


@dataclass(frozen=True)
class TierOutcome:
    tier: str
    verdict: Verdict
    detail: str
    #: The cdk.json setting that would make the tier survive, when it does not.
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def spread(count: int, zones: int) -> list[int]:
    """Instances per AZ when Auto Scaling balances ``count`` over ``zones`` AZs."""
    return [count // zones + (1 if index < count % zones else 0) for index in range(zones)]


def fail_az(settings: EnvironmentSettings, az: str) -> list[TierOutcome]:
    """Each tier's outcome when ``az`` is lost."""
    azs = list(settings.availability_zones)
    if az not in azs:
        raise WellstackError(
            "",
            [f"--fail-az {az!r} is not an AZ of environment {settings.name!r}: {', '.join(azs)}"],
        )
    return [
        _network(settings, azs, az),
        _app(settings, azs, az),
        _database(settings, azs, az),
        _load_balancer(azs, az),
    ]


def _network(settings: EnvironmentSettings, azs: list[str], az: str) -> TierOutcome:
    left = [a for a in azs if a != az]
    if settings.nat == "none":
        return TierOutcome("nat", "ok", "no NAT gateway: the private tier has no internet egress")
    if settings.nat == "endpoints_only":
        return TierOutcome(
            "nat",
            "ok",
            "no NAT gateway: the private subnets reach AWS through endpoints with an interface in "
            f"every AZ; those in {', '.join(left)} keep working",
        )
    if settings.nat == "regional":
        return TierOutcome(
            "nat", "ok",
            f"the regional NAT gateway serves every AZ with a private subnet: those in "
            f"{', '.join(left)} keep egress",
        )  # fmt: skip
    if settings.nat == "single" and az == azs[0]:
        return TierOutcome(
            "nat",
            "down",
            f"the only NAT gateway is in {az}: the private subnets in {', '.join(left)} lose "
            f"internet egress (package updates, AWS APIs without an endpoint) until {az} is back",
            fix='"nat": "per_az"',
        )
    where = "their own AZ's gateway" if settings.nat == "per_az" else f"the gateway in {azs[0]}"
    return TierOutcome(
        "nat", "ok", f"the private subnets in {', '.join(left)} keep egress through {where}"
    )


def _app(settings: EnvironmentSettings, azs: list[str], az: str) -> TierOutcome:
    running = (
        settings.app_desired_capacity
        if settings.app_desired_capacity is not None
        else settings.app_min_capacity
    )
    per_az = spread(running, len(azs))
    lost = per_az[azs.index(az)]
    left = running - lost
    minimum = settings.app_min_capacity
    detect = defaults.HEALTH_CHECK_INTERVAL_SECONDS * defaults.UNHEALTHY_THRESHOLD
    serve = defaults.HEALTH_CHECK_INTERVAL_SECONDS * defaults.HEALTHY_THRESHOLD
    replace = (
        f"the load balancer stops sending them traffic after ~{detect} s "
        f"({defaults.UNHEALTHY_THRESHOLD} failed checks every "
        f"{defaults.HEALTH_CHECK_INTERVAL_SECONDS} s); Auto Scaling launches {minimum - left} "
        f"replacement(s) in the remaining AZ(s), taking traffic {serve} s after they boot "
        f"(budget up to {defaults.SIGNAL_TIMEOUT_MINUTES} min, the signal timeout)"
    )
    counts = f"{left} of {running} instance(s) left against a minimum of {minimum}"
    if not lost:
        return TierOutcome("app", "ok", f"no instance ran in {az}: {counts}")
    if left == 0:
        return TierOutcome(
            "app",
            "down",
            f"{counts}: no instance serves until a replacement is up; {replace}",
            fix=f'"app_min_capacity": {max(2, len(azs))} (at least one instance per AZ)',
        )
    if left < minimum:
        return TierOutcome("app", "degraded", f"{counts}: {lost} lost; {replace}")
    return TierOutcome("app", "degraded", f"{counts}: {lost} lost, capacity reduced")


def _database(settings: EnvironmentSettings, azs: list[str], az: str) -> TierOutcome:
    writer = azs[0]
    readers = [(index + 1, azs[(index + 1) % len(azs)]) for index in range(settings.db_readers)]
    survivors = [(tier, zone) for tier, zone in readers if zone != az]
    lost_readers = len(readers) - len(survivors)
    if az != writer:
        detail = f"the writer in {writer} is unaffected"
        if lost_readers:
            detail += (
                f"; {lost_readers} reader(s) in {az} lost until it is back (less read capacity)"
            )
            return TierOutcome("database", "degraded", detail)
        return TierOutcome("database", "ok", detail)
    if not survivors:
        return TierOutcome(
            "database",
            "down",
            f"the writer is in {az} and no reader is elsewhere ({settings.db_readers} reader(s)): "
            f"writer lost until Aurora restores it in another AZ (minutes, if capacity allows)",
            fix='"db_readers": 1 (a failover target in another AZ)',
        )
    tier, zone = min(survivors)
    return TierOutcome(
        "database",
        "degraded",
        f"the writer in {az} is lost: Aurora promotes the reader in {zone} (promotion tier "
        f"{tier}), typically in well under a minute; writes fail during the failover, "
        f"{len(survivors) - 1} reader(s) remain",
    )


def _load_balancer(azs: list[str], az: str) -> TierOutcome:
    left = [a for a in azs if a != az]
    if not left:
        return TierOutcome("load balancer", "down", "no AZ left", fix="two or more AZs")
    return TierOutcome(
        "load balancer",
        "ok",
        f"its nodes in {', '.join(left)} keep serving (the {az} node leaves DNS; cross-zone load "
        f"balancing sends requests to healthy targets in any AZ)",
    )
