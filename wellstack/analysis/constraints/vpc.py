"""VPC endpoints and the VPC attributes they rely on."""

from __future__ import annotations

from collections.abc import Iterator

from wellstack.analysis.constraints.base import Violation, rule, violation
from wellstack.analysis.pillars import RELIABILITY
from wellstack.analysis.template import Assembly


@rule(
    "VPC1",
    "An interface endpoint with private DNS sits in a VPC with DNS support and DNS hostnames on",
    pillar=RELIABILITY,
    outcome="refused",
    source="Amazon EC2 API Reference, CreateVpcEndpoint (PrivateDnsEnabled): to use a private "
    "hosted zone, enableDnsHostnames and enableDnsSupport must be true",
    url="https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpcEndpoint.html",
)
def _private_dns(assembly: Assembly) -> Iterator[Violation]:
    for endpoint in assembly.resources("AWS::EC2::VPCEndpoint"):
        if endpoint.prop("VpcEndpointType") != "Interface":
            continue
        if endpoint.prop("PrivateDnsEnabled") is not True:
            continue
        vpc = assembly.target(endpoint.stack, endpoint.prop("VpcId"))
        if vpc is None or vpc.type != "AWS::EC2::VPC":
            continue
        off = [
            name
            for name, default in (("EnableDnsSupport", True), ("EnableDnsHostnames", False))
            if vpc.prop(name, default) is not True
        ]
        if off:
            yield violation(
                "VPC1", endpoint, f"private DNS on, but the VPC {vpc.stack}/{vpc.logical_id} has "
                f"{' and '.join(off)} off", "turn both VPC attributes on", "PrivateDnsEnabled",
            )  # fmt: skip
