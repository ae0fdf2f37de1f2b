"""The choices of wellstack's public API as ``Literal`` types (pure Python, no CDK import), so a
type checker catches ``nat="double"`` before anything runs. ``choices(T)`` lists a type's values
for runtime checks and error messages."""

from __future__ import annotations

from typing import Any, Literal, get_args

#: ``Network(nat=...)``: no NAT gateway, one in the first AZ, or one per AZ.
NatStrategy = Literal["none", "single", "per_az"]
#: ``AuroraCluster(engine=...)``.
Engine = Literal["mysql", "postgresql"]
#: ``AppTier(architecture=...)``.
Architecture = Literal["x86_64", "arm64"]
#: ``TieredBucket(object_lock_mode=...)``.
ObjectLockMode = Literal["governance", "compliance"]
#: ``AppTier(ip_address_type=...)``.
IpAddressType = Literal["ipv4", "dualstack"]
#: A subnet tier of :class:`wellstack.constructs.Network`.
Tier = Literal["public", "private", "isolated"]


def choices(literal: Any) -> tuple[str, ...]:
    """The values of a ``Literal`` type, e.g. ``("none", "single", "per_az")`` for
    :data:`NatStrategy`."""
    return tuple(get_args(literal))
