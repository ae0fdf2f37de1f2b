"""Synthesis that needs an AWS account: a context lookup the app asked for and did not get makes
``cdk synth`` call AWS, which fails without credentials ("Need to perform AWS calls for account
..., but no credentials have been configured") — on a laptop without a profile and in a
pipeline's synth step without a lookup role."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import OPERATIONS
from wellstack.analysis.template import Assembly, Resource

#: The context provider of ``Stack.availabilityZones`` (:func:`~wellstack.catalog.az_context_key`).
AZ_PROVIDER = "availability-zones"


def _stacks_of(assembly: Assembly, props: Mapping[str, Any]) -> list[str]:
    account, region = props.get("account"), props.get("region")
    return [
        stack
        for stack in sorted(assembly.templates)
        if assembly.accounts.get(stack) == account and assembly.regions.get(stack) == region
    ]


def _owner(assembly: Assembly, stack: str, provider: str) -> Resource | None:
    """The resource a lookup is reported on: the VPC that asked for the AZs, else the stack's
    first resource."""
    if provider == AZ_PROVIDER:
        vpcs = [r for r in assembly.resources("AWS::EC2::VPC") if r.stack == stack]
        if vpcs:
            return vpcs[0]
    resources = [r for r in assembly.resources() if r.stack == stack]
    return resources[0] if resources else None


@rule(
    "SYN1",
    "Synthesis needs no context lookup (no AWS credentials at cdk synth)",
    pillar=OPERATIONS,
    outcome="refused",
    source="AWS CDK Developer Guide, Context values and the AWS CDK: a construct that needs a "
    "context value the app does not hold makes the CDK CLI look it up in the account, which "
    "requires credentials",
    url="https://docs.aws.amazon.com/cdk/v2/guide/context.html",
)
def _lookups(assembly: Assembly) -> Iterator[Violation]:
    for missing in assembly.missing:
        props = missing.get("props") if isinstance(missing.get("props"), Mapping) else {}
        provider = str(missing.get("provider", "?"))
        asking = missing.get("stack")  # known at synth; the manifest names no stack
        stacks = [asking] if isinstance(asking, str) else _stacks_of(assembly, props or {})
        for stack in stacks:
            owner = _owner(assembly, stack, provider)
            if owner is None:
                continue
            account, region = (props or {}).get("account"), (props or {}).get("region")
            yield violation(
                "SYN1",
                owner,
                f"stack {stack} needs the context value {missing.get('key')!r} ({provider}): "
                f"cdk synth will call AWS in account {account}, {region}, and fails without "
                f"credentials",
                _fix(provider),
            )


def _fix(provider: str) -> str:
    if provider == AZ_PROVIDER:
        return (
            "with explicit availability_zones, create wellstack's Network first in its stack "
            "(it records the AZs as the stack's context), or put the key with the AZ list in "
            "cdk.json's context"
        )
    return "put the looked-up value in cdk.json's context (or cdk.context.json, committed)"
