"""What wellstack's constructs learn about each other within one app, so that a mismatch between
two of them is an error naming both props (instead of a database whose port no rule opens):

* the database port each :class:`~wellstack.constructs.TierSecurityGroups` opens on its
  database group;
* each :class:`~wellstack.constructs.Network`'s VPC: its CIDR and, with ``strict_acls``, the one
  port its isolated tier's ACL admits;
* the clusters of each Aurora global database: the primary (``AuroraCluster``) and the
  secondaries (``AuroraSecondaryCluster``) by the global cluster's name, per app.

Weak references: an app that is gone takes its entries with it.
"""

from __future__ import annotations

import ipaddress
import weakref
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TierPort:
    port: int
    path: str  # the TierSecurityGroups' construct path


@dataclass(frozen=True)
class VpcFacts:
    cidr: str
    #: The database port the isolated tier's network ACL admits (None without strict_acls).
    acl_port: int | None
    path: str  # the Network's construct path


@dataclass(frozen=True)
class ClusterFacts:
    """One cluster of a global database, as the other side needs to compare it."""

    path: str
    engine: str
    version: str | None
    port: int
    vpc: Any
    #: The cluster's region, when its stack has a concrete one.
    region: str | None = None


_TIER_PORTS: weakref.WeakKeyDictionary[Any, TierPort] = weakref.WeakKeyDictionary()
_VPCS: weakref.WeakKeyDictionary[Any, VpcFacts] = weakref.WeakKeyDictionary()
_GLOBAL: weakref.WeakKeyDictionary[Any, dict[str, dict[str, list[ClusterFacts]]]] = (
    weakref.WeakKeyDictionary()
)


def record_tier_port(group: Any, port: int, path: str) -> None:
    _TIER_PORTS[group] = TierPort(port, path)


def tier_port(group: Any) -> TierPort | None:
    try:
        return _TIER_PORTS.get(group)
    except TypeError:  # not weak-referenceable: nothing recorded for it
        return None


def record_vpc(vpc: Any, facts: VpcFacts) -> None:
    _VPCS[vpc] = facts


def vpc_facts(vpc: Any) -> VpcFacts | None:
    try:
        return _VPCS.get(vpc)
    except TypeError:
        return None


def record_cluster(root: Any, identifier: str, role: str, facts: ClusterFacts) -> None:
    """``role``: ``primary`` or ``secondary``."""
    by_id = _GLOBAL.setdefault(root, {})
    by_id.setdefault(identifier, {"primary": [], "secondary": []})[role].append(facts)


def clusters(root: Any, identifier: str, role: str) -> list[ClusterFacts]:
    try:
        return list(_GLOBAL.get(root, {}).get(identifier, {}).get(role, []))
    except TypeError:
        return []


def mismatches(primary: ClusterFacts, secondary: ClusterFacts, identifier: str) -> list[str]:
    """What an Aurora global database refuses between its primary and a secondary: another
    engine or version (a secondary runs the primary's), another port, and VPCs that share
    addresses (the regions' networks must be told apart, for peering, VPN and a failover)."""
    found = []
    where = f"the primary of global database {identifier!r} ({primary.path})"
    if primary.region and secondary.region == primary.region:
        found.append(
            f"global_cluster_identifier {identifier!r}: the secondary is in {where}'s region "
            f"{primary.region}; an Aurora global database holds at most one cluster per region"
        )
    if secondary.engine != primary.engine:
        found.append(
            f"engine={secondary.engine!r} differs from {where}, engine={primary.engine!r}: a "
            f"secondary cluster runs its primary's engine"
        )
    elif secondary.version and primary.version and secondary.version != primary.version:
        found.append(
            f"engine_version {secondary.version} differs from {where}, {primary.version}: a "
            f"secondary runs its primary's version (upgrade the global database as a whole)"
        )
    if secondary.port != primary.port:
        found.append(f"port={secondary.port} differs from {where}, port={primary.port}")
    mine, theirs = vpc_facts(secondary.vpc), vpc_facts(primary.vpc)
    if mine and theirs and _overlap(mine.cidr, theirs.cidr):
        found.append(
            f"vpc's CIDR {mine.cidr} ({mine.path}) overlaps {theirs.cidr}, the VPC of {where} "
            f"({theirs.path}): the two regions' networks must not share addresses"
        )
    return found


def _overlap(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_network(a).overlaps(ipaddress.ip_network(b))
    except ValueError:
        return False
