"""Sustainability: store less, keep it less long, run only the capacity the load needs, on the
hardware that uses the least energy for the work."""

from __future__ import annotations

from collections.abc import Iterator

from wellstack.analysis.pillars import SUSTAINABILITY
from wellstack.analysis.review.base import (
    Check,
    advised,
    check,
    instance_types,
    judged,
    scaling_policies,
)
from wellstack.analysis.template import Assembly


@check
def graviton_energy(assembly: Assembly) -> Iterator[Check]:
    types = instance_types(assembly)
    if not types.known and not types.unreadable:
        return
    yield Check(
        SUSTAINABILITY,
        "graviton-energy",
        "Instances run on Graviton (up to 60% less energy for the same work, per AWS)",
        "unknown" if types.unreadable else advised(len(types.graviton) == len(types.known)),
        types.graviton_detail(),
    )


@check
def data_ages_out(assembly: Assembly) -> Iterator[Check]:
    buckets = assembly.resources("AWS::S3::Bucket")
    if buckets:
        ageing = [
            b for b in buckets
            if any(
                isinstance(rule, dict) and ("Transitions" in rule or "ExpirationInDays" in rule)
                for rule in (b.at("LifecycleConfiguration", "Rules", kind=list) or [])
            )
        ]  # fmt: skip
        yield Check(
            SUSTAINABILITY,
            "data-ages-out",
            "Stored data moves to colder storage classes or expires",
            judged(len(ageing) == len(buckets)),
            f"{len(ageing)} of {len(buckets)} bucket(s) with transitions or expiration",
        )
    groups = assembly.resources("AWS::Logs::LogGroup")
    if groups:
        expiring = [g for g in groups if g.prop("RetentionInDays") is not None]
        yield Check(
            SUSTAINABILITY,
            "logs-expire",
            "Logs expire instead of being kept forever",
            judged(len(expiring) == len(groups)),
            f"{len(expiring)} of {len(groups)} log group(s) with a retention period",
        )


@check
def capacity_follows_load(assembly: Assembly) -> Iterator[Check]:
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        low, high = group.number("MinSize"), group.number("MaxSize")
        scaled = bool(scaling_policies(assembly, group))
        yield Check(
            SUSTAINABILITY,
            "capacity-follows-load",
            f"{group.stack}/{group.logical_id}: capacity follows the load (nothing idles)",
            "unknown" if low is None or high is None else judged(scaled or low == high),
            f"{'?' if low is None else f'{low:g}'}-{'?' if high is None else f'{high:g}'} "
            "instances, " + ("a scaling policy" if scaled else "no scaling policy"),
        )
