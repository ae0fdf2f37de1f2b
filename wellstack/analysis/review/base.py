"""What every review check shares: the :class:`Check` it yields, the registry the pillar modules
add their checks to, and the views of the templates more than one pillar reads (a VPC's NAT
gateways, its endpoints, the instance types in use)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from wellstack.analysis.pillars import PILLARS
from wellstack.analysis.reach import subnets_of
from wellstack.analysis.template import Assembly, Resource, flat, ref
from wellstack.catalog import EC2_FAMILIES, split_instance_type

Status = Literal["pass", "finding", "advice", "unknown"]


@dataclass(frozen=True)
class Check:
    """One judgment of the templates: a pass, a finding (a risk), advice (an opportunity that
    is not a risk) or unknown (not readable from the templates)."""

    pillar: str
    id: str
    title: str
    status: Status
    detail: str

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def judged(passed: bool) -> Status:
    return "pass" if passed else "finding"


def advised(passed: bool) -> Status:
    """For an opportunity rather than a risk: "advice" when not taken."""
    return "pass" if passed else "advice"


CheckFunction = Callable[[Assembly], Iterator[Check]]

#: Every check, in the order the pillar modules register them (one pillar per function).
REVIEW_CHECKS: list[CheckFunction] = []


def check(function: CheckFunction) -> CheckFunction:
    """Register a check (a function of the assembly that yields :class:`Check` s)."""
    REVIEW_CHECKS.append(function)
    return function


def run_checks(assembly: Assembly) -> list[Check]:
    """Every registered check's results, grouped by pillar in :data:`PILLARS` order."""
    results = [result for function in REVIEW_CHECKS for result in function(assembly)]
    return sorted(results, key=lambda c: PILLARS.index(c.pillar))


# --- views shared by several pillars ----------------------------------------------------------


def tier(resource: Resource) -> str:
    """The tier CDK tagged a subnet with (``aws-cdk:subnet-name``), lower case."""
    for item in resource.items("Tags"):
        if isinstance(item, dict) and item.get("Key") == "aws-cdk:subnet-name":
            return str(item.get("Value", "")).lower()
    return ""


def zones(resources: list[Resource]) -> tuple[set[str], int]:
    """The AZs ``resources`` name literally, and how many do not (no AZ, or one resolved only at
    deploy time: ``Fn::Select`` of ``Fn::GetAZs``, a parameter)."""
    named = {r.prop("AvailabilityZone") for r in resources}
    found = {z for z in named if isinstance(z, str)}
    unresolved = sum(1 for r in resources if not isinstance(r.prop("AvailabilityZone"), str))
    return found, unresolved


def arn_region(arn: str) -> str:
    """The region of an ARN as :func:`flat` writes it (``<AWS::Partition>`` holds colons)."""
    match = re.search(r":[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-[0-9]+):", arn)
    return match.group(1) if match else ""


def scaling_policies(assembly: Assembly, group: Resource) -> list[Resource]:
    """The scaling policies that name this Auto Scaling group."""
    return [
        p for p in assembly.resources("AWS::AutoScaling::ScalingPolicy")
        if p.stack == group.stack and ref(p.prop("AutoScalingGroupName")) == group.logical_id
    ]  # fmt: skip


@dataclass(frozen=True)
class NatView:
    """A VPC with NAT gateways: how many, and the AZs of its private tier."""

    #: ``Stack/LogicalId`` of the VPC.
    key: str
    #: ``"Stack/LogicalId: "`` when the app has several VPCs, else empty.
    where: str
    nats: int
    #: Private-tier subnets of this VPC.
    private: int
    azs: int
    #: Private subnets whose AZ is known only at deploy time.
    unresolved: int
    #: No app tier in this VPC (a DR region's standby network).
    standby: bool
    #: Of ``nats``, the regional ones (they serve every AZ).
    regional: int = 0

    @property
    def unknown(self) -> bool:
        return not self.private or bool(self.unresolved)

    @property
    def short(self) -> bool:
        """Fewer zonal NAT gateways than AZs of the private tier, and no regional one."""
        return not self.regional and self.nats < self.azs


def nat_views(assembly: Assembly) -> Iterator[NatView]:
    """Per VPC that has NAT gateways."""
    subnets = assembly.resources("AWS::EC2::Subnet")
    vpc_of = {f"{s.stack}/{s.logical_id}": _vpc_key(assembly, s) for s in subnets}
    apps = {
        vpc_of.get(f"{target.stack}/{target.logical_id}")
        for group in assembly.resources("AWS::AutoScaling::AutoScalingGroup")
        for value in group.items("VPCZoneIdentifier")
        if (target := assembly.target(group.stack, value)) is not None
    }
    vpcs = assembly.resources("AWS::EC2::VPC")
    for vpc in vpcs:
        key = f"{vpc.stack}/{vpc.logical_id}"
        nats = [n for n in assembly.resources("AWS::EC2::NatGateway")
                if vpc_of.get(_nat_subnet(assembly, n) or "") == key
                or _nat_vpc(assembly, n) == key]  # fmt: skip
        if not nats:
            continue
        private = [s for s in subnets if tier(s) == "private" and vpc_of.get(
            f"{s.stack}/{s.logical_id}") == key]  # fmt: skip
        found, unresolved = zones(private)
        yield NatView(
            key=key,
            where=f"{key}: " if len(vpcs) > 1 else "",
            nats=len(nats),
            private=len(private),
            azs=len(found),
            unresolved=unresolved,
            standby=key not in apps,
            regional=sum(1 for n in nats if n.prop("AvailabilityMode") == "regional"),
        )


def _vpc_key(assembly: Assembly, subnet: Resource) -> str | None:
    vpc = assembly.target(subnet.stack, subnet.prop("VpcId"))
    return f"{vpc.stack}/{vpc.logical_id}" if vpc else None


def _nat_vpc(assembly: Assembly, nat: Resource) -> str | None:
    """The VPC of a regional NAT gateway (it names its VPC, not a subnet)."""
    vpc = assembly.target(nat.stack, nat.prop("VpcId"))
    return f"{vpc.stack}/{vpc.logical_id}" if vpc else None


def _nat_subnet(assembly: Assembly, nat: Resource) -> str | None:
    subnet = assembly.target(nat.stack, nat.prop("SubnetId"))
    return f"{subnet.stack}/{subnet.logical_id}" if subnet else None


#: What an app tier in a private tier without NAT needs (wellstack.constructs.AppTier): Session
#: Manager, and the CloudFormation API for the boot's health signal. Packages come from Amazon
#: Linux 2023's repositories, S3 buckets, through the S3 gateway endpoint.
ENDPOINTS_FOR_APP = ("ssm", "ssmmessages", "ec2messages", "cloudformation")


@dataclass(frozen=True)
class EndpointView:
    """A VPC's private tier, its routes out and its VPC endpoints."""

    where: str
    #: The VPC has a private tier and none of its subnets has an IPv4 route out
    #: (``nat="endpoints_only"``).
    endpoints_only: bool
    #: Private subnets with a ``::/0`` route.
    ipv6_out: list[str]
    services: frozenset[str]
    interface: int
    #: Endpoint-AZs of the interface endpoints (one per endpoint and subnet).
    interface_azs: int
    has_nat: bool


def endpoint_views(assembly: Assembly) -> Iterator[EndpointView]:
    """Per VPC."""
    subnets = subnets_of(assembly)
    endpoints = assembly.resources("AWS::EC2::VPCEndpoint")
    vpcs = assembly.resources("AWS::EC2::VPC")
    for vpc in vpcs:
        key = f"{vpc.stack}/{vpc.logical_id}"
        private = [s for s in subnets.values() if s.vpc == key and s.tier == "private"]
        own = [e for e in endpoints if (t := assembly.target(e.stack, e.prop("VpcId"))) is not None
               and f"{t.stack}/{t.logical_id}" == key]  # fmt: skip
        interface = [e for e in own if e.prop("VpcEndpointType") == "Interface"]
        yield EndpointView(
            where=f"{key}: " if len(vpcs) > 1 else "",
            endpoints_only=bool(private) and all(s.default_route is None for s in private),
            ipv6_out=[s.key for s in private if s.default_route6 is not None],
            services=frozenset(_endpoint_service(e) for e in own),
            interface=len(interface),
            interface_azs=sum(len(e.items("SubnetIds")) for e in interface),
            has_nat=any(s.vpc == key and s.default_route == "nat" for s in subnets.values()),
        )


def _endpoint_service(endpoint: Resource) -> str:
    """``ssm`` of ``com.amazonaws.<region>.ssm`` (a literal or a ``Fn::Join``)."""
    name = flat(endpoint.prop("ServiceName", ""))
    rest = name.split("com.amazonaws.", 1)[-1]
    return rest.split(".", 1)[-1] if "." in rest else rest


@dataclass(frozen=True)
class InstanceTypes:
    """The instance types in use (EC2 launch templates, RDS instances but Serverless v2)."""

    #: Readable types of a known family (``m7g.large``; RDS's without ``db.``).
    known: list[str]
    #: What could not be read: ``Stack/Id: value`` (a Ref, an unknown family, no type).
    unreadable: list[str]

    @property
    def graviton(self) -> list[str]:
        return [f for f in self.known if f.split(".")[0].endswith(("g", "gd", "gn"))]

    def graviton_detail(self) -> str:
        return f"{len(self.graviton)} of {len(self.known)} instance(s) on Graviton" + (
            f"; cannot judge {', '.join(self.unreadable)}" if self.unreadable else ""
        )


def instance_types(assembly: Assembly) -> InstanceTypes:
    known, unreadable = [], []
    for template in assembly.resources("AWS::EC2::LaunchTemplate"):
        value = template.at("LaunchTemplateData", "InstanceType")
        where = f"{template.stack}/{template.logical_id}"
        parts = split_instance_type(value) if isinstance(value, str) else None
        if parts is None or parts[0] not in EC2_FAMILIES:
            unreadable.append(f"{where}: {value!r}")
        else:
            known.append(value)
    for instance in assembly.resources("AWS::RDS::DBInstance"):
        value = instance.prop("DBInstanceClass")
        where = f"{instance.stack}/{instance.logical_id}"
        if value == "db.serverless":
            continue
        parts = split_instance_type(value.removeprefix("db.")) if isinstance(value, str) else None
        if parts is None or parts[0] not in EC2_FAMILIES:
            unreadable.append(f"{where}: {value!r}")
        else:
            known.append(value.removeprefix("db."))
    return InstanceTypes(known, unreadable)
