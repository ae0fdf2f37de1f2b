"""Performance efficiency: capacity that scales with demand, current-generation instances."""

from __future__ import annotations

from collections.abc import Iterator

from wellstack.analysis.pillars import PERFORMANCE
from wellstack.analysis.review.base import Check, check, instance_types, judged, scaling_policies
from wellstack.analysis.template import Assembly
from wellstack.catalog import PREVIOUS_GENERATION


@check
def scaling(assembly: Assembly) -> Iterator[Check]:
    for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup"):
        scaled = scaling_policies(assembly, group)
        low, high = group.number("MinSize"), group.number("MaxSize")
        fixed = low is not None and low == high
        yield Check(
            PERFORMANCE,
            "asg-scaling",
            f"{group.stack}/{group.logical_id}: scales with demand (a scaling policy)",
            judged(bool(scaled) or fixed),
            f"{len(scaled)} scaling polic(ies)" + (" (fixed size by choice)" if fixed else ""),
        )


@check
def instance_generation(assembly: Assembly) -> Iterator[Check]:
    types = instance_types(assembly)
    known, unreadable = types.known, types.unreadable
    if not known and not unreadable:
        return
    old = sorted({f for f in known if f.split(".")[0] in PREVIOUS_GENERATION})
    yield Check(
        PERFORMANCE,
        "instance-generation",
        "Instances use current-generation families",
        "unknown" if unreadable and not old else judged(not old),
        f"previous generation: {', '.join(old)}" if old
        else f"cannot judge {', '.join(unreadable)}" if unreadable
        else ", ".join(sorted(set(known))),
    )  # fmt: skip
