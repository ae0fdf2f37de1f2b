"""The choices of wellstack's public API as ``Literal`` types (pure Python, no CDK import), so a
type checker catches ``nat="double"`` before anything runs. ``choices(T)`` lists a type's values
for runtime checks and error messages."""

from __future__ import annotations

from typing import Any, Literal, get_args

#: ``Network(nat=...)``: no NAT gateway and no private tier, one NAT gateway in the first AZ,
#: one per AZ, or a private tier without NAT that reaches AWS through VPC endpoints only.
NatStrategy = Literal["none", "single", "per_az", "regional", "endpoints_only"]
#: ``AuroraCluster(engine=...)``.
Engine = Literal["mysql", "postgresql"]
#: ``AuroraCluster(master_password=...)``: a password RDS manages in Secrets Manager, or a
#: Secrets Manager secret the stack generates (what a global database needs).
MasterPassword = Literal["rds_managed", "generated"]
#: ``AppTier(architecture=...)``.
Architecture = Literal["x86_64", "arm64"]
#: ``TieredBucket(object_lock_mode=...)``.
ObjectLockMode = Literal["governance", "compliance"]
#: ``AppTier(ip_address_type=...)``.
IpAddressType = Literal["ipv4", "dualstack"]
#: ``AppTier(update=...)``: how CloudFormation replaces instances when the launch template
#: changes — an instance refresh (launch before terminate, alarms, bake time) or a rolling update
#: (one at a time, each new instance's signal awaited).
UpdateStrategy = Literal["instance_refresh", "rolling"]
#: ``AppTier(edge=...)``: what faces the internet — the load balancer, or CloudFront in front
#: of an internal one.
Edge = Literal["alb", "cloudfront"]
#: ``Network(interface_endpoints=[...])``: AWS services reachable through an interface endpoint.
InterfaceEndpoint = Literal[
    "ssm",
    "ssmmessages",
    "ec2messages",
    "secretsmanager",
    "kms",
    "logs",
    "monitoring",
    "sts",
    "cloudformation",
    "ec2",
    "ecr.api",
    "ecr.dkr",
    "sns",
    "sqs",
    "events",
    "xray",
]
#: ``Network(interface_endpoint_tier=...)``: where the endpoints' interfaces go.
EndpointTier = Literal["private", "isolated"]
#: A subnet tier of :class:`wellstack.constructs.Network`.
Tier = Literal["public", "private", "isolated"]


def choices(literal: Any) -> tuple[str, ...]:
    """The values of a ``Literal`` type, e.g. ``("none", "single", "per_az")`` for
    :data:`NatStrategy`."""
    return tuple(get_args(literal))
