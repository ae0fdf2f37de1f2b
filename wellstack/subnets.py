"""The stable subnet plan, pure Python (no CDK import): used by ``Network`` and by the
``wellstack plan`` command."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass

TIERS = ("public", "private", "isolated")
#: AWS keeps five addresses of every subnet: network, VPC router, DNS, one reserved, broadcast.
AWS_RESERVED_PER_SUBNET = 5
#: An Amazon-provided IPv6 block is a /56 and every subnet gets a /64 of it: 256 slots, of which
#: the plan uses ``len(TIERS) * reserved_azs`` (24 at most).
IPV6_VPC_PREFIX = 56
IPV6_SUBNET_PREFIX = 64
IPV6_SLOTS = 2 ** (IPV6_SUBNET_PREFIX - IPV6_VPC_PREFIX)


@dataclass(frozen=True)
class SubnetPlanRow:
    """One planned subnet: its tier, AZ and CIDR, and what it holds."""

    tier: str
    az: str
    cidr: str
    #: With IPv6: which /64 of the VPC's /56 the subnet gets (``None`` for an IPv4-only VPC).
    #: The /56 is Amazon's choice at deploy; slot *n* is that block with *n* (two hex digits)
    #: in the last byte of the 64-bit prefix: slot 5 of ``2600:1f18:abc:de00::/56`` is
    #: ``2600:1f18:abc:de05::/64``.
    ipv6_slot: int | None = None

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

    @property
    def ipv6_cidr(self) -> str | None:
        """The /64 as a pattern over the VPC's /56 (``<the /56>:05::/64`` reads "slot 5"), or
        ``None`` for an IPv4-only VPC."""
        if self.ipv6_slot is None:
            return None
        return f"<the /56>:{self.ipv6_slot:02x}::/{IPV6_SUBNET_PREFIX}"

    _FIELDS = ("tier", "az", "cidr", "mask", "addresses", "usable_ips")
    _IPV6_FIELDS = ("ipv6_slot", "ipv6_cidr")

    def keys(self) -> tuple[str, ...]:
        """With ``__getitem__``, lets a row be read like a mapping: ``row["cidr"]``,
        ``dict(row)``. A row of an IPv6 plan also has ``ipv6_slot`` and ``ipv6_cidr``."""
        return self._FIELDS + (self._IPV6_FIELDS if self.ipv6_slot is not None else ())

    def __getitem__(self, key: str) -> str | int:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def as_dict(self) -> dict[str, str | int]:
        return {key: self[key] for key in self.keys()}


def plan_subnets(
    cidr: str,
    availability_zones: Sequence[str],
    *,
    masks: dict[str, int],
    reserved_azs: int,
    tiers: Sequence[str] = TIERS,
    ipv6: bool = False,
) -> list[SubnetPlanRow]:
    """Carve ``cidr`` into a block per tier (public, private, isolated, always in that order and
    always reserved, even for a tier not in use) of ``reserved_azs`` slots each; AZ number *i*
    gets slot *i* of every tier. The result depends only on the CIDR, masks and ``reserved_azs``,
    never on how many AZs are in use. Raises ``ValueError`` when the blocks do not fit.

    With ``ipv6``, every row also gets a /64 slot of the VPC's /56 by the same rule: tier *t*
    (0 public, 1 private, 2 isolated) owns slots ``t * reserved_azs`` onwards and AZ *i* takes
    the *i*-th of them, so adding an AZ or NAT later moves no IPv6 block either.
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
            slot = TIERS.index(tier) * reserved_azs + index if ipv6 else None
            rows.append(
                SubnetPlanRow(tier=tier, az=az, cidr=f"{address}/{masks[tier]}", ipv6_slot=slot)
            )
    return rows


def tiers_for(nat: str) -> list[str]:
    """The tiers a network has: no private tier with ``nat="none"`` (``"endpoints_only"`` keeps
    it, without a route out)."""
    return [tier for tier in TIERS if not (tier == "private" and nat == "none")]
