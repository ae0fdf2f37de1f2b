"""``wellstack plan``: what each subnet of an environment holds and how much of it the design uses.

The addresses the design consumes, per subnet:

* public: one per NAT gateway in that AZ; 8 per AZ for the load balancer (AWS requires 8 free
  addresses in each ALB subnet so the load balancer can scale out its nodes);
* private: the Auto Scaling maximum, spread evenly over the AZs (rounded up);
* isolated: one per database instance placed there (writer in the first AZ, reader *i* in the AZ
  after the writer's, as :class:`wellstack.constructs.AuroraCluster` pins them).

Gateway endpoints (S3, DynamoDB) use route-table entries, not addresses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from wellstack.limits import DEFAULT_RESERVED_AZS, ENDPOINTS_ONLY_DEFAULT
from wellstack.settings import EnvironmentSettings
from wellstack.subnets import plan_subnets, tiers_for

ALB_ADDRESSES_PER_AZ = 8


@dataclass(frozen=True)
class PlanLine:
    tier: str
    az: str
    cidr: str
    addresses: int
    usable: int
    uses: dict[str, int] = field(default_factory=dict)
    #: With IPv6: the subnet's /64 slot in the VPC's /56 (see ``SubnetPlanRow.ipv6_slot``).
    ipv6_slot: int | None = None

    @property
    def ipv6_cidr(self) -> str | None:
        """``<the /56>:05::/64`` for slot 5, ``None`` without IPv6."""
        return None if self.ipv6_slot is None else f"<the /56>:{self.ipv6_slot:02x}::/64"

    @property
    def used(self) -> int:
        return sum(self.uses.values())

    @property
    def free(self) -> int:
        return self.usable - self.used

    @property
    def warning(self) -> str | None:
        if self.free < 0:
            return f"short by {-self.free} addresses"
        if self.tier == "public" and self.free < ALB_ADDRESSES_PER_AZ:
            return "fewer than 8 free addresses: the load balancer cannot scale out here"
        if self.usable and self.used / self.usable > 0.8:
            return f"{self.used / self.usable:.0%} used"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "az": self.az,
            "cidr": self.cidr,
            "addresses": self.addresses,
            "usable": self.usable,
            "uses": dict(self.uses),
            "used": self.used,
            "free": self.free,
            "warning": self.warning,
        } | ({"ipv6_slot": self.ipv6_slot, "ipv6_cidr": self.ipv6_cidr}
             if self.ipv6_slot is not None else {})  # fmt: skip


def environment_plan(settings: EnvironmentSettings, *, secondary: bool = False) -> list[PlanLine]:
    """Each subnet of the environment's VPC and what it holds; with ``secondary``, of the DR
    region's VPC (``settings.dr_settings()``): no writer there (the secondary cluster's readers
    only), and the app tier's addresses kept for a failover."""
    azs = list(settings.availability_zones)
    rows = plan_subnets(
        settings.cidr,
        azs,
        masks=settings.subnet_masks,
        reserved_azs=DEFAULT_RESERVED_AZS,
        tiers=tiers_for(settings.nat),
        ipv6=settings.ipv6,
    )
    # A regional NAT gateway lives in the VPC, not in a public subnet: it takes no address there.
    nat_azs = {"none": [], "endpoints_only": [], "regional": [], "single": azs[:1],
               "per_az": azs}[settings.nat]  # fmt: skip
    endpoints = _interface_endpoints(settings)
    per_az_instances = math.ceil(settings.app_max_capacity / len(azs))
    db_azs = (
        [azs[i % len(azs)] for i in range(settings.dr_db_readers)]
        if secondary
        else [azs[0]] + [azs[(i + 1) % len(azs)] for i in range(settings.db_readers)]
    )
    app_use = "app instances after a failover (ASG max)" if secondary else "app instances (ASG max)"
    lines = []
    for row in rows:
        uses: dict[str, int] = {}
        if row.tier == "public":
            if row.az in nat_azs:
                uses["nat gateway"] = 1
            uses["load balancer nodes"] = ALB_ADDRESSES_PER_AZ
        elif row.tier == "private":
            uses[app_use] = per_az_instances
        else:
            instances = db_azs.count(row.az)
            if instances:
                uses["database instances"] = instances
        if endpoints and row.tier == settings.interface_endpoint_tier:
            uses["interface endpoints"] = endpoints
        lines.append(
            PlanLine(
                tier=row.tier,
                az=row.az,
                cidr=row.cidr,
                addresses=row.addresses,
                usable=row.usable_ips,
                uses=uses,
                ipv6_slot=row.ipv6_slot,
            )
        )
    return lines


def _interface_endpoints(settings: EnvironmentSettings) -> int:
    """How many interface endpoints (one address each per AZ) the environment's network has."""
    if settings.interface_endpoints is not None:
        return len(settings.interface_endpoints)
    return len(ENDPOINTS_ONLY_DEFAULT) if settings.nat == "endpoints_only" else 0
