"""Cost optimization: no more NAT than AZs, data moving to cheaper tiers, Graviton, endpoints
that spare NAT charges rather than add to them."""

from __future__ import annotations

from collections.abc import Iterator

from wellstack.analysis.pillars import COST
from wellstack.analysis.review.base import (
    Check,
    advised,
    check,
    endpoint_views,
    instance_types,
    judged,
    nat_views,
)
from wellstack.analysis.template import Assembly


@check
def nat_count(assembly: Assembly) -> Iterator[Check]:
    for vpc in nat_views(assembly):
        yield Check(
            COST,
            "nat-count",
            "No more NAT gateways than AZs",
            "unknown" if vpc.unknown else judged(vpc.nats <= max(vpc.azs, 1)),
            f"{vpc.where}{vpc.nats} NAT gateway(s) at about 33-43 USD a month each before data",
        )


@check
def buckets_tiered(assembly: Assembly) -> Iterator[Check]:
    for bucket in assembly.resources("AWS::S3::Bucket"):
        rules = bucket.at("LifecycleConfiguration", "Rules", kind=list) or []
        yield Check(
            COST,
            "s3-lifecycle",
            f"{bucket.stack}/{bucket.logical_id}: objects move down storage tiers or expire",
            judged(
                any(
                    isinstance(r, dict) and ("Transitions" in r or "ExpirationInDays" in r)
                    for r in rules
                )
            ),
            f"{len(rules)} lifecycle rule(s)",
        )


@check
def graviton(assembly: Assembly) -> Iterator[Check]:
    types = instance_types(assembly)
    if not types.known and not types.unreadable:
        return
    yield Check(
        COST,
        "graviton",
        "Instances run on Graviton (about 20% cheaper for the same work)",
        "unknown" if types.unreadable else advised(len(types.graviton) == len(types.known)),
        types.graviton_detail(),
    )


@check
def gateway_endpoints(assembly: Assembly) -> Iterator[Check]:
    if not assembly.resources("AWS::EC2::NatGateway"):
        return
    endpoints = assembly.resources("AWS::EC2::VPCEndpoint")
    yield Check(
        COST,
        "gateway-endpoints",
        "S3 and DynamoDB traffic bypasses the NAT (gateway endpoints)",
        judged(len(endpoints) >= 1),
        f"{len(endpoints)} endpoint(s)",
    )


@check
def interface_endpoints(assembly: Assembly) -> Iterator[Check]:
    """Per VPC with interface endpoints: what they cost next to the NAT they spare."""
    for vpc in endpoint_views(assembly):
        if not vpc.interface:
            continue
        yield Check(
            COST,
            "interface-endpoints",
            f"{vpc.where}Interface endpoints replace NAT rather than add to it",
            advised(not vpc.has_nat),
            f"{vpc.interface} interface endpoint(s) in {vpc.interface_azs} endpoint-AZs, each "
            "about 7-10 USD a month plus 0.01 USD/GB"
            + ("; with NAT also in place they pay off only for traffic above about "
               "350-500 GB a month per endpoint in two AZs (NAT data is 0.045-0.059 USD/GB)"
               if vpc.has_nat else "; no NAT gateway: no NAT hours or NAT data charges"),
        )  # fmt: skip
