"""Reachability Analyzer paths for a :class:`~wellstack.constructs.Network` (its
``reachability_paths=True``): after a deploy, the network's routing intents can be verified
against the real VPC, not only the templates (``wellstack reach`` does that offline).

Reachability Analyzer takes instances, network interfaces, internet gateways, VPC endpoints ...
as sources and destinations, not subnets ("How Reachability Analyzer works", Amazon VPC). So
each checked tier gets a *probe*: an unattached network interface in its first subnet, with a
security group of its own that admits nothing and lets everything out — the analysis then
answers for routes and network ACLs alone. Unattached interfaces cost nothing; each takes one
address of its subnet. Each path carries the answer the design expects in its
``wellstack:expect`` tag (``reachable`` or ``unreachable``); see docs/operations.md for the
commands that run the analyses and compare.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

#: The port the paths test (HTTPS: what a tier would open to the internet).
PROBE_PORT = 443


def add_reachability_paths(
    network: Construct,
    vpc: ec2.Vpc,
    *,
    private_subnets: Sequence[ec2.ISubnet],
    isolated_subnets: Sequence[ec2.ISubnet],
    private_egress: bool,
) -> list[ec2.CfnNetworkInsightsPath]:
    """A probe per private and isolated tier of the network's ``vpc``, and a path each way
    between it and the internet gateway, tagged with the expected answer (the private tier
    reaches out with ``private_egress``: a NAT gateway)."""
    gateway = vpc.internet_gateway_id
    if gateway is None:
        return []
    group = ec2.SecurityGroup(
        network,
        "ProbeGroup",
        vpc=vpc,
        description="Reachability probes: admit nothing, let everything out (routes decide)",
        allow_all_outbound=True,
    )
    paths = []
    tiers = [("Private", private_subnets, private_egress),
             ("Isolated", isolated_subnets, False)]  # fmt: skip
    for tier, subnets, egress in tiers:
        if not subnets:
            continue
        probe = ec2.CfnNetworkInterface(
            network,
            f"{tier}Probe",
            subnet_id=subnets[0].subnet_id,
            group_set=[group.security_group_id],
            description=f"wellstack reachability probe: {tier.lower()} tier (never attached)",
        )
        for name, source, destination, expect in (
            (f"{tier}ToInternet", probe.ref, gateway, egress),
            (f"InternetTo{tier}", gateway, probe.ref, False),
        ):
            path = ec2.CfnNetworkInsightsPath(
                network,
                f"{name}Path",
                source=source,
                destination=destination,
                protocol="tcp",
                destination_port=PROBE_PORT,
                tags=[
                    cdk.CfnTag(key="Name", value=f"wellstack {name}"),
                    cdk.CfnTag(
                        key="wellstack:expect", value="reachable" if expect else "unreachable"
                    ),
                ],
            )
            paths.append(path)
    return paths
