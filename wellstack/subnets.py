"""The stable subnet plan, pure Python (no CDK import): used by ``Network`` and by the
``wellstack plan`` command."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass

TIERS = ("public", "private", "isolated")
#: AZ slots each tier reserves by default (regions have up to 6 AZs; most have 3 or 4).
DEFAULT_RESERVED_AZS = 4
#: AWS keeps five addresses of every subnet: network, VPC router, DNS, one reserved, broadcast.
AWS_RESERVED_PER_SUBNET = 5


@dataclass(frozen=True)
class SubnetPlanRow:
    """One planned subnet: its tier, AZ and CIDR, and what it holds."""

    tier: str
    az: str
    cidr: str

    @property
    def mask(self) -> int:
        return int(self.cidr.rsplit("/", 1)[1])

    @property
    def addresses(self) -> int:
        return 2 ** (32 - self.mask)

    @property
    def usable_ips(self) -> int:
        """2**(32 - mask) - 5: a /24 holds 251 usable addresses, not 254."""
        return self.addresses - AWS_RESERVED_PER_SUBNET

    _FIELDS = ("tier", "az", "cidr", "mask", "addresses", "usable_ips")

    def keys(self) -> tuple[str, ...]:
        """With ``__getitem__``, lets a row be read like a mapping: ``row["cidr"]``,
        ``dict(row)``."""
        return self._FIELDS

    def __getitem__(self, key: str) -> str | int:
        if key not in self._FIELDS:
            raise KeyError(key)
        return getattr(self, key)

    def as_dict(self) -> dict[str, str | int]:
        return {key: self[key] for key in self._FIELDS}


def plan_subnets(
    cidr: str,
    availability_zones: Sequence[str],
    *,
    masks: dict[str, int],
    reserved_azs: int,
    tiers: Sequence[str] = TIERS,
) -> list[SubnetPlanRow]:
    """Carve ``cidr`` into a block per tier (public, private, isolated, always in that order and
    always reserved, even for a tier not in use) of ``reserved_azs`` slots each; AZ number *i*
    gets slot *i* of every tier. The result depends only on the CIDR, masks and ``reserved_azs``,
    never on how many AZs are in use. Raises ``ValueError`` when the blocks do not fit.
    """
    network = ipaddress.IPv4Network(cidr)
    slots_bits = math.ceil(math.log2(reserved_azs))
    offset = 0
    starts: dict[str, int] = {}
    for tier in TIERS:
        block = 2 ** (32 - masks[tier] + slots_bits)
        offset = -(-offset // block) * block  # align the tier block to its own size
        starts[tier] = offset
        offset += block
    if offset > network.num_addresses:
        needed_prefix = 32 - math.ceil(math.log2(offset))
        raise ValueError(
            f"cidr {cidr} holds {network.num_addresses} addresses but the subnet plan needs "
            f"{offset}: reserved_azs={reserved_azs} slots per tier of public_mask="
            f"{masks['public']}, private_mask={masks['private']} and isolated_mask="
            f"{masks['isolated']}; use a /{needed_prefix} or larger cidr, longer masks, or fewer "
            f"reserved_azs"
        )
    rows = []
    base = int(network.network_address)
    for tier in tiers:
        size = 2 ** (32 - masks[tier])
        for index, az in enumerate(availability_zones):
            address = ipaddress.IPv4Address(base + starts[tier] + index * size)
            rows.append(SubnetPlanRow(tier=tier, az=az, cidr=f"{address}/{masks[tier]}"))
    return rows


def tiers_for(nat: str) -> list[str]:
    """The tiers a network has: no private tier without NAT (``nat="none"``)."""
    return [tier for tier in TIERS if not (tier == "private" and nat == "none")]
