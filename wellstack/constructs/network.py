"""Network tier: a VPC with public, private and isolated subnets in every availability zone.

Routing: public subnets send 0.0.0.0/0 to the internet gateway, private subnets to a NAT
gateway (or nowhere, with ``nat="endpoints_only"``), isolated subnets have no default route at
all. With ``ipv6=True`` the same holds for ``::/0``: public to the internet gateway, private to
an egress-only internet gateway, isolated nowhere. Subnet CIDRs come from a *stable* plan
(:func:`plan_subnets`): every tier owns a fixed block with a slot per AZ, so adding an AZ later,
or adding NAT (and with it the private tier), never moves an existing subnet. CDK's own ``Vpc``
re-carves the whole range instead and forces subnet replacement (aws/aws-cdk#6683, #31162).
Where its allocator can still express the plan (equal masks, spare slots a multiple of the AZ
count), ``Network`` hands it the plan as subnet groups with ``reserved`` spares and checks every
subnet against the plan; other shapes get the plan's CIDRs through :class:`PlannedIpAddresses`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from wellstack.catalog import az_context_key
from wellstack.compliance import CHECKOV, CONTROL_TOWER, acknowledge, same_reason
from wellstack.constructs import _cache as cached
from wellstack.constructs import _props
from wellstack.constructs._reachability import add_reachability_paths
from wellstack.constructs._registry import VpcFacts, record_vpc
from wellstack.constructs.checks import Problems, is_token, l1
from wellstack.constructs.logs import encrypted_log_group, logs_key
from wellstack.errors import WellstackError
from wellstack.limits import (
    DEFAULT_RESERVED_AZS,
    ENDPOINTS_ONLY_DEFAULT,
    RESERVED_AZS,
    SUBNET_MASK,
)
from wellstack.subnets import (
    AWS_RESERVED_PER_SUBNET,
    IPV6_SLOTS,
    IPV6_SUBNET_PREFIX,
    TIERS,
    SubnetPlanRow,
    plan_subnets,
    tiers_for,
)
from wellstack.types import EndpointTier, InterfaceEndpoint, NatStrategy, choices

__all__ = [
    "AWS_RESERVED_PER_SUBNET",
    "DEFAULT_RESERVED_AZS",
    "ENDPOINTS_ONLY_DEFAULT",
    "INTERFACE_ENDPOINTS",
    "NAT_STRATEGIES",
    "TIERS",
    "Network",
    "PlannedIpAddresses",
    "SubnetPlanRow",
    "plan_subnets",
]

NAT_STRATEGIES = choices(NatStrategy)
#: The names ``interface_endpoints`` accepts: ``com.amazonaws.<region>.<name>``.
INTERFACE_ENDPOINTS = choices(InterfaceEndpoint)
ENDPOINT_TIERS = choices(EndpointTier)
#: CloudFormation logical-id-friendly names of the endpoints.
_ENDPOINT_IDS = {
    name: "".join(part.title() for part in name.split(".")) for name in INTERFACE_ENDPOINTS
}
_SUBNET_GROUP = {"public": "Public", "private": "Private", "isolated": "Isolated"}
_SUBNET_TYPE = {
    "public": ec2.SubnetType.PUBLIC,
    "private": ec2.SubnetType.PRIVATE_WITH_EGRESS,
    "isolated": ec2.SubnetType.PRIVATE_ISOLATED,
}

#: ``vpc_props``: what wellstack's own keywords decide, and what must stay on.
VPC_OVERRIDES = _props.OverrideRules(
    target=ec2.Vpc,
    managed={
        "ip_addresses": "cidr",
        "cidr": "cidr",
        "availability_zones": "availability_zones",
        "max_azs": "max_azs",
        "reserved_azs_count": "reserved_azs",
        "nat_gateways": "nat",
        "nat_gateway_subnets": "nat",
        "nat_gateway_provider": "nat",
        "subnet_configuration": "public_mask / private_mask / isolated_mask",
        "gateway_endpoints": "gateway_endpoints",
        "flow_logs": "flow_logs",
        "restrict_default_security_group": "restrict_default_security_group",
        "ip_protocol": "ipv6 (wellstack adds the IPv6 block itself, on its stable plan)",
        "ipv6_addresses": "ipv6",
    },
    protected={
        "create_internet_gateway": _props.Protect(
            lambda v: v is True, "remove the internet gateway the public tier routes to"
        ),
        "enable_dns_support": _props.Protect(
            lambda v: v is True,
            "turn off the VPC's DNS, which database endpoints and VPC endpoints resolve through",
        ),
        "enable_dns_hostnames": _props.Protect(
            lambda v: v is True,
            "turn off DNS hostnames, which private DNS of interface endpoints needs",
        ),
    },
)


@jsii.implements(ec2.IIpAddresses)
class PlannedIpAddresses:
    """``ec2.IIpAddresses`` that hands CDK's ``Vpc`` the CIDRs of a :func:`plan_subnets` plan."""

    def __init__(self, cidr: str, plan: Sequence[SubnetPlanRow]) -> None:
        self._cidr = cidr
        self._by_key = {(_SUBNET_GROUP[row.tier], row.az): row.cidr for row in plan}

    def allocate_vpc_cidr(self) -> ec2.VpcIpamOptions:
        return ec2.VpcIpamOptions(cidr_block=self._cidr)

    def allocate_subnets_cidr(self, input: ec2.AllocateCidrRequest) -> ec2.SubnetIpamOptions:
        allocated = [
            ec2.AllocatedSubnet(
                cidr=self._by_key[(request.configuration.name, request.availability_zone)]
            )
            for request in input.requested_subnets
        ]
        return ec2.SubnetIpamOptions(allocated_subnets=allocated)


class Network(Construct):
    """A VPC with public, private and isolated subnets in 2+ AZs, NAT/IGW routing, flow logs and
    gateway endpoints.

    :param cidr: the VPC's private (RFC 1918) IPv4 block, /16 to /28. Default ``10.0.0.0/16``.
    :param availability_zones: explicit AZ names of the stack's region (keeps synthesis
        offline). Append new AZs at the end: an AZ's position is its slot in the plan.
    :param max_azs: instead of ``availability_zones``, the first N AZs of the stack. Default 2
        when neither is given.
    :param nat: ``"single"`` (default): one NAT gateway in the first AZ, about a third of the cost
        of per-AZ NAT, but an outage of that AZ takes every private subnet's egress with it.
        ``"per_az"``: one NAT per AZ, each private route table uses its own AZ's NAT; survives an
        AZ failure, costs a NAT gateway (hourly + per-GB) per AZ; use it for production.
        ``"regional"``: one regional NAT gateway (``AvailabilityMode: regional``, VPC User Guide,
        "Regional NAT gateways"): it lives in the VPC rather than a public subnet, serves every
        AZ with a private subnet, expands to new AZs by itself and is billed per AZ it serves;
        it still needs the internet gateway. No NAT64 (``dns64``): AWS documents none for it.
        ``"none"``: no NAT gateway and no private tier (public + isolated subnets only).
        ``"endpoints_only"``: no NAT gateway, but the private tier stays, with no route out at
        all (neither ``0.0.0.0/0`` nor ``::/0``): its instances reach AWS through the gateway
        endpoints (S3, where Amazon Linux 2023's package repositories live, and DynamoDB) and
        the interface endpoints (default :data:`ENDPOINTS_ONLY_DEFAULT`). No NAT hours, no NAT
        data charges, and no path to the internet to leak through; anything outside AWS
        (a third-party API, a package from the internet) is out of reach.
    :param public_mask: prefix length of each public subnet (16-28). Default 24 (251 usable).
    :param private_mask: same for private subnets. Default 24.
    :param isolated_mask: same for isolated subnets. Default 24.
    :param reserved_azs: AZ slots reserved per tier (2-8), so AZs can be added without moving any
        subnet. Default 4.
    :param flow_logs: VPC flow logs (all traffic) to a CloudWatch log group. Default on.
    :param flow_log_retention_days: retention of that log group. Default 30 days.
    :param flow_log_encryption_key: KMS key for the flow-log group. Default: a new
        customer-managed key (rotation on) that CloudWatch Logs may use for this account's
        log groups.
    :param gateway_endpoints: S3 and DynamoDB gateway endpoints on every route table, so that
        traffic to them does not pay NAT data charges. Default on.
    :param restrict_default_security_group: strip every rule from the VPC's default security
        group (CDK's custom resource). Default on.
    :param strict_acls: a network ACL on the isolated tier that admits only ``db_port`` from the
        private tier's CIDRs (the public tier's with ``nat="none"``) and the replies: a second
        wall under the security groups. Default off.
    :param db_port: the database port ``strict_acls`` lets through. Default 3306.
    :param ipv6: dual stack: an Amazon-provided /56 on the VPC and a /64 per subnet from a
        stable plan (``subnet_plan`` rows' ``ipv6_slot``: tier *t*, AZ *i* → slot
        ``t * reserved_azs + i``, so adding an AZ or NAT moves nothing). Public subnets route
        ``::/0`` to the internet gateway, private subnets to an egress-only internet gateway
        (outbound only), isolated subnets get no IPv6 route. Instances get an IPv6 address at
        launch in the private and isolated tiers (not in the public tier, like IPv4).
        Default off.
    :param dns64: with ``ipv6`` and a NAT gateway, DNS64 on the private subnets and a
        ``64:ff9b::/96`` route to the NAT gateway (NAT64), for IPv6-only clients that must
        reach IPv4-only services. Off by default: on a dual-stack subnet it would send traffic
        to IPv4-only names (S3's IPv4 endpoint included, which bypasses the gateway endpoint)
        through the NAT gateway.
    :param interface_endpoints: AWS services to reach through interface endpoints (names from
        :data:`INTERFACE_ENDPOINTS`), with private DNS on, in every AZ of
        ``interface_endpoint_tier``, behind one security group that admits TCP 443 from the
        VPC's CIDRs only. Each costs an hourly fee per AZ plus data processing (see
        ``wellstack cost``). Default none, or :data:`ENDPOINTS_ONLY_DEFAULT` with
        ``nat="endpoints_only"``.
    :param interface_endpoint_tier: ``"private"`` (default) or ``"isolated"``: where the
        endpoints' network interfaces go.
    :param reachability_paths: Reachability Analyzer paths (``AWS::EC2::NetworkInsightsPath``)
        between the internet gateway and a probe interface in the private and the isolated tier,
        each tagged with the answer the design expects, to verify the routing after a deploy.
        Default off.
    :param vpc_props: keyword arguments of ``ec2.Vpc`` merged over wellstack's (e.g.
        ``{"vpc_name": "shared"}``). Keys owned by the keywords above are refused with a pointer
        to the keyword; turning off DNS or the internet gateway is refused.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str = "10.0.0.0/16",
        availability_zones: Sequence[str] | None = None,
        max_azs: int | None = None,
        nat: NatStrategy = "single",
        public_mask: int = 24,
        private_mask: int = 24,
        isolated_mask: int = 24,
        reserved_azs: int = DEFAULT_RESERVED_AZS,
        flow_logs: bool = True,
        flow_log_retention_days: int | None = None,
        flow_log_encryption_key: kms.IKey | kms.Key | None = None,
        gateway_endpoints: bool = True,
        restrict_default_security_group: bool = True,
        strict_acls: bool = False,
        db_port: int = 3306,
        reachability_paths: bool = False,
        ipv6: bool = False,
        dns64: bool = False,
        interface_endpoints: Sequence[InterfaceEndpoint] | None = None,
        interface_endpoint_tier: EndpointTier = "private",
        vpc_props: Mapping[str, Any] | None = None,
    ) -> None:
        problems = Problems.of(scope, construct_id, "Network")
        masks = {"public": public_mask, "private": private_mask, "isolated": isolated_mask}
        azs = _validate_azs(problems, scope, availability_zones, max_azs, reserved_azs)
        _validate(
            problems,
            cidr=cidr,
            nat=nat,
            masks=masks,
            reserved_azs=reserved_azs,
            flags={
                "flow_logs": flow_logs,
                "gateway_endpoints": gateway_endpoints,
                "restrict_default_security_group": restrict_default_security_group,
                "strict_acls": strict_acls,
                "reachability_paths": reachability_paths,
                "ipv6": ipv6,
                "dns64": dns64,
            },
            db_port=db_port,
        )
        endpoints = _validate_private_connectivity(
            problems,
            nat=nat,
            ipv6=ipv6,
            dns64=dns64,
            gateway_endpoints=gateway_endpoints,
            interface_endpoints=interface_endpoints,
            interface_endpoint_tier=interface_endpoint_tier,
        )
        _validate_flow_log_options(
            problems, flow_logs, flow_log_retention_days, flow_log_encryption_key
        )
        overrides = _props.check_overrides(problems, "vpc_props", vpc_props, VPC_OVERRIDES)
        problems.done()
        offline = availability_zones is None or keep_synthesis_offline(scope, azs)
        super().__init__(scope, construct_id)
        cached.adopt(self, scope, construct_id)
        if not offline:
            cdk.Annotations.of(self).add_warning_v2(
                "wellstack:az-lookup",
                "ec2.Vpc checks explicit availability_zones against its stack's AZs, which a "
                "stack with a concrete account looks up in that account (cdk synth then needs "
                "credentials); Network records the AZs as the stack's context when it is the "
                "stack's first construct, and this stack already had others. Create the Network "
                f"first, or add {az_context_key(*_account_region(scope))!r} to cdk.json's context.",
            )

        #: The AZs in use, in slot order.
        self.availability_zones: list[str] = azs
        #: The NAT strategy in use.
        self.nat: NatStrategy = nat
        #: tier, AZ, CIDR and usable addresses of every subnet, in tier then AZ order.
        self.subnet_plan: list[SubnetPlanRow] = plan_subnets(
            cidr, azs, masks=masks, reserved_azs=reserved_azs, tiers=tiers_for(nat), ipv6=ipv6
        )
        #: Whether the VPC is dual stack.
        self.ipv6: bool = ipv6
        #: The VPC's IPv4 block.
        self.cidr: str = cidr
        native = _native_layout(nat, masks, reserved_azs, len(azs))
        #: The VPC (CDK's ``ec2.Vpc``): the escape hatch to everything CDK offers.
        self.vpc: ec2.Vpc = self._create_vpc(
            problems.path,
            cidr,
            masks,
            native,
            gateway_endpoints,
            restrict_default_security_group,
            overrides,
        )
        #: The public subnets (load balancer, NAT gateways), one per AZ.
        self.public_subnets: list[ec2.ISubnet] = list(self.vpc.public_subnets)
        #: The private subnets (app instances), one per AZ; empty with ``nat='none'``.
        self.private_subnets: list[ec2.ISubnet] = list(self.vpc.private_subnets)
        #: The isolated subnets (the database), one per AZ, no route out.
        self.isolated_subnets: list[ec2.ISubnet] = list(self.vpc.isolated_subnets)
        if native is not None:
            self._check_layout(problems.path)
        #: The NAT gateways, in AZ order (none with ``nat="none"`` or ``"endpoints_only"``).
        self.nat_gateways: list[ec2.CfnNatGateway] = self._find_nat_gateways()
        #: The VPC's Amazon-provided IPv6 /56 (a token), ``None`` without ``ipv6``.
        self.ipv6_cidr_block: str | None = None
        #: The egress-only internet gateway of the private tier's ``::/0`` (``None`` without
        #: ``ipv6``, or without a private tier that has egress).
        self.egress_only_gateway: ec2.CfnEgressOnlyInternetGateway | None = None
        if ipv6:
            self._add_ipv6(dns64)
        #: The interface endpoints by name (empty without ``interface_endpoints``).
        self.interface_endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        #: Their security group: TCP 443 from the VPC's CIDRs only (``None`` without endpoints).
        self.endpoint_security_group: ec2.SecurityGroup | None = None
        if endpoints:
            self._add_interface_endpoints(endpoints, interface_endpoint_tier)
        #: The flow-log key, log group and flow log (all ``None`` with ``flow_logs=False``).
        self.flow_log_key: kms.IKey | kms.Key | None = None
        self.flow_log_group: logs.LogGroup | None = None
        self.flow_log: ec2.FlowLog | None = None
        if flow_logs:
            self._add_flow_logs(flow_log_retention_days or 30, flow_log_encryption_key)
        #: The isolated tier's network ACL (``None`` unless ``strict_acls=True``).
        self.isolated_acl: ec2.NetworkAcl | None = (
            self._strict_isolated_acl(db_port) if strict_acls else None
        )
        record_vpc(self.vpc, VpcFacts(cidr, db_port if strict_acls else None, cached.path(self)))
        #: The Reachability Analyzer paths (empty unless ``reachability_paths=True``).
        self.reachability_paths: list[ec2.CfnNetworkInsightsPath] = (
            add_reachability_paths(
                self,
                self.vpc,
                private_subnets=self.private_subnets,
                isolated_subnets=self.isolated_subnets,
                private_egress=nat in ("single", "per_az", "regional"),
            )
            if reachability_paths
            else []
        )
        self._acknowledge(flow_logs, restrict_default_security_group)

    # --- steps ---------------------------------------------------------------------------------

    def _create_vpc(
        self,
        path: str,
        cidr: str,
        masks: dict[str, int],
        native: list[tuple[str, str]] | None,
        gateway_endpoints: bool,
        restrict_default_security_group: bool,
        overrides: dict[str, Any],
    ) -> ec2.Vpc:
        """CDK's ``Vpc`` with the plan's subnets: through CDK's own allocator and ``native``'s
        groups (:func:`_native_layout`), or through :class:`PlannedIpAddresses` when ``None``."""
        endpoints = {
            "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
            "DynamoDB": ec2.GatewayVpcEndpointOptions(
                service=ec2.GatewayVpcEndpointAwsService.DYNAMODB
            ),
        }
        defaults: dict[str, Any] = {
            "ip_addresses": ec2.IpAddresses.cidr(cidr)
            if native is not None
            else PlannedIpAddresses(cidr, self.subnet_plan),
            "availability_zones": self.availability_zones,
            "nat_gateways": {
                "none": 0,
                "endpoints_only": 0,  # private subnets without a route out (CDK's custom egress)
                "single": 1,
                "per_az": len(self.availability_zones),
                "regional": 1,  # CDK's regional provider makes exactly one
            }[self.nat],
            "nat_gateway_provider": ec2.NatProvider.regional_gateway()
            if self.nat == "regional"
            else None,
            "subnet_configuration": [
                ec2.SubnetConfiguration(
                    name=_SUBNET_GROUP[tier] + spare,
                    subnet_type=_SUBNET_TYPE[tier],
                    cidr_mask=masks[tier],
                    # Nothing in the public tier needs a public IP of its own: the load
                    # balancer and NAT gateways get theirs from AWS.
                    map_public_ip_on_launch=False if tier == "public" and not spare else None,
                    reserved=True if spare else None,
                )
                for tier, spare in (native or [(t, "") for t in tiers_for(self.nat)])
            ],
            "restrict_default_security_group": restrict_default_security_group,
            "gateway_endpoints": endpoints if gateway_endpoints else None,
        }
        props = _props.merge(defaults, overrides)
        vpc = _props.build(
            path, "vpc_props", bool(overrides), lambda: ec2.Vpc(self, "Vpc", **props)
        )
        return vpc

    def _check_layout(self, path: str) -> None:
        """CDK's allocator must have put every subnet where the plan says: a subnet that moves
        is replaced, with everything in it."""
        made = [*self.public_subnets, *self.private_subnets, *self.isolated_subnets]
        got = [subnet.ipv4_cidr_block for subnet in made]
        expected = [row.cidr for row in self.subnet_plan]
        if got != expected:
            raise WellstackError(
                path,
                [f"internal: CDK laid the subnets out as {got}, the plan says {expected}; "
                 "please report this (wellstack keeps subnets where the plan puts them)"],
            )  # fmt: skip

    def _find_nat_gateways(self) -> list[ec2.CfnNatGateway]:
        """CDK's NAT gateways: the regional one under the VPC, or one per NAT subnet, in AZ
        order. Stops at the count ``nat`` asks for (each subnet looked at is a round trip)."""
        if self.nat == "regional":
            gateway = cached.node(self.vpc).try_find_child("RegionalNatGateway")
            return [gateway] if isinstance(gateway, ec2.CfnNatGateway) else []
        wanted = {"single": 1, "per_az": len(self.public_subnets)}.get(self.nat, 0)
        found: list[ec2.CfnNatGateway] = []
        for subnet in self.public_subnets:
            if len(found) == wanted:
                break
            if isinstance(
                gateway := cached.node(subnet).try_find_child("NATGateway"), ec2.CfnNatGateway
            ):
                found.append(gateway)
        return found

    def _add_flow_logs(self, retention_days: int, key: kms.IKey | kms.Key | None) -> None:
        flow_log_key = key or logs_key(self, "FlowLogKey", "Encrypts the VPC flow-log group")
        self.flow_log_key = flow_log_key
        self.flow_log_group = encrypted_log_group(
            self, "FlowLogGroup", retention_days=retention_days, key=flow_log_key
        )
        self.flow_log = self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                self.flow_log_group, self._flow_log_role(self.flow_log_group)
            ),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

    def _add_ipv6(self, dns64: bool) -> None:
        """The /56, a /64 per subnet from the plan's slots, and the ``::/0`` routes. Built at L1
        rather than with CDK's ``ip_protocol=DUAL_STACK``: CDK numbers the /64s in creation
        order (adding an AZ would move them) and always gives private subnets an egress-only
        route, which ``nat="endpoints_only"`` must not have."""
        block = ec2.CfnVPCCidrBlock(
            self.vpc, "Ipv6Cidr", vpc_id=self.vpc.vpc_id, amazon_provided_ipv6_cidr_block=True
        )
        self._ipv6_block = block
        self.ipv6_cidr_block = cdk.Fn.select(0, self.vpc.vpc_ipv6_cidr_blocks)
        # Fn::Cidr over the whole /56 (256 /64s): slot n is always the n-th, whatever the count.
        slots = cdk.Fn.cidr(self.ipv6_cidr_block, IPV6_SLOTS, str(128 - IPV6_SUBNET_PREFIX))
        rows = {(row.tier, row.az): row for row in self.subnet_plan}
        tiers = {"public": self.public_subnets, "private": self.private_subnets,
                 "isolated": self.isolated_subnets}  # fmt: skip
        if self.private_subnets and self.nat != "endpoints_only":
            self.egress_only_gateway = ec2.CfnEgressOnlyInternetGateway(
                self.vpc, "EgressOnlyGateway", vpc_id=self.vpc.vpc_id
            )
        for tier, subnets in tiers.items():
            for subnet in subnets:
                row = rows[(tier, subnet.availability_zone)]
                if row.ipv6_slot is None:  # the plan was made with ipv6=True: never
                    raise WellstackError(cached.path(self), [f"no IPv6 slot in the plan for {row}"])
                resource = l1(subnet, ec2.CfnSubnet)
                resource.ipv6_cidr_block = cdk.Fn.select(row.ipv6_slot, slots)
                # Only the private tier's instances use IPv6 on their own (out through the
                # egress-only gateway). The load balancer and NAT gateways get their addresses
                # from AWS, and Aurora takes none unless asked: no automatic address elsewhere.
                auto = tier == "private" and self.egress_only_gateway is not None
                resource.assign_ipv6_address_on_creation = auto
                if auto:
                    acknowledge(
                        resource,
                        {
                            "NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled": (
                                "Private tier: instances get an IPv6 address for outbound "
                                "traffic only; the subnet's ::/0 route goes to an egress-only "
                                "internet gateway, which lets no connection in, and "
                                "MapPublicIpOnLaunch is false"
                            )
                        },
                    )
                cached.node(subnet).add_dependency(block)
                self._add_ipv6_route(tier, subnet, dns64)

    def _add_ipv6_route(self, tier: str, subnet: ec2.ISubnet, dns64: bool) -> None:
        table = subnet.route_table.route_table_id
        # Next to CDK's own routes, under the subnet (an ec2.Subnet, so a construct).
        scope = cast(Construct, subnet)
        if tier == "public":
            route = ec2.CfnRoute(
                scope, "DefaultRoute6", route_table_id=table,
                destination_ipv6_cidr_block="::/0", gateway_id=self.vpc.internet_gateway_id,
            )  # fmt: skip
            attachment = cached.node(self.vpc).try_find_child("VPCGW")
            if attachment is not None:
                cached.node(route).add_dependency(attachment)
            cached.node(route).add_dependency(self._ipv6_block)
        elif tier == "private" and self.egress_only_gateway is not None:
            route = ec2.CfnRoute(
                scope, "DefaultRoute6", route_table_id=table,
                destination_ipv6_cidr_block="::/0",
                egress_only_internet_gateway_id=self.egress_only_gateway.attr_id,
            )  # fmt: skip
            cached.node(route).add_dependency(self._ipv6_block)
            if dns64:
                nat = self._nat_for(subnet.availability_zone)
                ec2.CfnRoute(
                    scope, "Nat64Route", route_table_id=table,
                    destination_ipv6_cidr_block="64:ff9b::/96", nat_gateway_id=nat.ref,
                )  # fmt: skip
                l1(subnet, ec2.CfnSubnet).enable_dns64 = True

    def _nat_for(self, az: str) -> ec2.CfnNatGateway:
        """The NAT gateway a private subnet in ``az`` uses (its own AZ's with ``per_az``)."""
        for subnet, gateway in zip(self.public_subnets, self.nat_gateways, strict=False):
            if subnet.availability_zone == az:
                return gateway
        return self.nat_gateways[0]

    def _add_interface_endpoints(
        self, names: Sequence[InterfaceEndpoint], tier: EndpointTier
    ) -> None:
        group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="Interface endpoints: HTTPS from the VPC only",
            allow_all_outbound=False,
        )
        # The endpoints are IPv4 (their private DNS names resolve to A records only), so IPv4
        # clients are all there is; the CIDR is written out (not the VPC's attribute) so that
        # reviewers and cdk-nag can read it.
        group.add_ingress_rule(ec2.Peer.ipv4(self.cidr), cached.tcp(443), "HTTPS from the VPC")
        self.endpoint_security_group = group
        subnets = ec2.SubnetSelection(subnet_type=_SUBNET_TYPE[tier])
        for name in names:
            self.interface_endpoints[name] = self.vpc.add_interface_endpoint(
                _ENDPOINT_IDS[name],
                service=ec2.InterfaceVpcEndpointAwsService(name),
                private_dns_enabled=True,
                subnets=subnets,
                security_groups=[group],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
                open=False,
            )

    def _flow_log_role(self, group: logs.LogGroup) -> iam.IRole:
        """A role with a managed (not inline) policy scoped to the flow-log group. CDK's own
        grants on it are switched off, so they add no inline policy. Both sides (VPC User
        Guide, "IAM role for publishing flow logs to CloudWatch Logs"): trusted by
        vpc-flow-logs.amazonaws.com; the group's key admits logs.<region> (``logs_key``)."""
        role = iam.Role(
            self,
            "FlowLogRole",
            assumed_by=cached.service_principal("vpc-flow-logs.amazonaws.com"),  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
            description="VPC flow logs: write to the flow-log group only",
        )
        iam.ManagedPolicy(
            self,
            "FlowLogPolicy",
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    resources=[group.log_group_arn],
                ),
                iam.PolicyStatement(actions=["iam:PassRole"], resources=[role.role_arn]),
            ],
            # Attached from the policy's side: the role does not refer back.
            roles=[role],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
        )
        return role.without_policy_updates()

    def _strict_isolated_acl(self, db_port: int) -> ec2.NetworkAcl:
        clients = [row.cidr for row in self.subnet_plan if row.tier == "private"] or [
            row.cidr for row in self.subnet_plan if row.tier == "public"
        ]
        acl = ec2.NetworkAcl(
            self,
            "IsolatedAcl",
            vpc=self.vpc,
            subnet_selection=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        )
        for index, client in enumerate(clients):
            acl.add_entry(
                f"DbIn{index}",
                cidr=ec2.AclCidr.ipv4(client),
                rule_number=100 + index,
                traffic=ec2.AclTraffic.tcp_port(db_port),
                direction=ec2.TrafficDirection.INGRESS,
            )
            acl.add_entry(
                f"RepliesOut{index}",
                cidr=ec2.AclCidr.ipv4(client),
                rule_number=100 + index,
                traffic=ec2.AclTraffic.tcp_port_range(1024, 65535),
                direction=ec2.TrafficDirection.EGRESS,
            )
        acknowledge(
            acl,
            {
                "AwsSolutions-VPC3": (
                    "strict_acls=True asks for this NACL on purpose: a stateless second wall "
                    f"that admits only TCP {db_port} from {', '.join(clients)} and the replies"
                )
            },
        )
        return acl

    def _acknowledge(self, flow_logs: bool, restrict_default_security_group: bool) -> None:
        provider = cached.stack_of(self).node.try_find_child(
            "Custom::VpcRestrictDefaultSGCustomResourceProvider"
        )
        handler = cached.node(provider).try_find_child("Handler") if provider else None
        if restrict_default_security_group and isinstance(handler, cdk.CfnResource):
            acknowledge(
                handler,
                same_reason(
                    "CDK's provider for restrict_default_security_group: it runs only during a "
                    "deployment and only calls the EC2 API to revoke the default group's rules; "
                    "inside the VPC it would need NAT or an EC2 endpoint for that one call, and "
                    "it takes no events to need concurrency limits or a dead-letter queue",
                    CONTROL_TOWER + "lambda_inside_vpc_check",
                    CHECKOV + "CKV_AWS_115",
                    CHECKOV + "CKV_AWS_116",
                    CHECKOV + "CKV_AWS_117",
                ),
            )
        if not restrict_default_security_group:
            acknowledge(
                self.vpc,
                {
                    "NIST.800.53.R5-VPCDefaultSecurityGroupClosed": (
                        "restrict_default_security_group=False was chosen explicitly; no "
                        "wellstack resource uses the VPC's default security group"
                    )
                },
            )
        if not flow_logs:
            reason = "Flow logs were turned off explicitly (flow_logs=False)"
            acknowledge(
                self.vpc,
                {"AwsSolutions-VPC7": reason, "NIST.800.53.R5-VPCFlowLogsEnabled": reason},
            )
        # The public tier routes 0.0.0.0/0 to the internet gateway by design: it holds the
        # load balancer and the NAT gateways, and nothing else.
        for subnet in self.public_subnets:
            acknowledge(
                subnet,
                {
                    "NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW": (
                        "Public tier by design: only the internet-facing load balancer and the "
                        "NAT gateways live here; instances sit in private subnets without public "
                        "IPs and the database in isolated subnets without any default route"
                    )
                },
            )


# --- validation ----------------------------------------------------------------------------------


def _account_region(scope: Construct) -> tuple[str, str]:
    stack = cached.stack_of(scope)
    return cached.account(stack), cached.region(stack)


def _native_layout(
    nat: str, masks: Mapping[str, int], reserved_azs: int, azs: int
) -> list[tuple[str, str]] | None:
    """The subnet groups, as (tier, spare suffix), under which CDK's own allocator
    (``ec2.IpAddresses.cidr``: each group's subnets one after another, one per AZ, a
    ``reserved`` group taking its addresses without subnets) lays the subnets out exactly as
    :func:`plan_subnets` does — or ``None`` when no such groups exist (different masks per tier,
    or spare slots per tier that are not a multiple of the AZ count) and the plan is handed over
    through :class:`PlannedIpAddresses` instead. CDK's allocator answers inside the kernel; the
    Python one costs a callback whose requests jsii reads back field by field (56 round trips
    for two AZs, docs/performance.md). ``Network`` checks the result against the plan."""
    slots = 2 ** math.ceil(math.log2(reserved_azs))
    if len(set(masks.values())) != 1 or slots % azs:
        return None
    in_use = tiers_for(nat)
    groups: list[tuple[str, str]] = []
    for tier in TIERS:
        used = tier in in_use
        groups.extend([(tier, "")] if used else [])
        spares = (slots - azs) // azs if used else slots // azs
        groups.extend((tier, f"Spare{index + 1}") for index in range(spares))
    return groups


def keep_synthesis_offline(scope: Construct, azs: Sequence[str]) -> bool:
    """Keep ``cdk synth`` offline for explicit AZs. ``ec2.Vpc`` checks explicit AZs against
    ``Stack.availabilityZones``, which a stack with a concrete account and region looks up in
    the account (the ``availability-zones:account=...:region=...`` context; without it the CLI
    needs credentials). When the stack holds no such context yet and has no child (context can
    only be set then), record the given AZs as the stack's context: the lookup then finds its
    answer, and the VPC's check passes. False when the lookup cannot be avoided."""
    stack = cached.stack_of(scope)
    if is_token(cached.account(stack)) or is_token(cached.region(stack)):
        return True  # an environment-agnostic stack never looks AZs up
    key = az_context_key(cached.account(stack), cached.region(stack))
    if cached.node(stack).try_get_context(key) is not None:
        return True
    if cached.node(stack).children:
        return False
    cached.node(stack).set_context(key, list(azs))
    return True


def _validate_azs(
    problems: Problems,
    scope: Construct,
    availability_zones: Any,
    max_azs: Any,
    reserved_azs: Any,
) -> list[str]:
    """The AZs to use: explicit ones (checked against the stack's region), or the stack's first
    ``max_azs``; an empty list when there is a problem (recorded)."""
    try:
        stack = cached.stack_of(scope)
    except RuntimeError:
        problems.add("scope must be inside a cdk.Stack (a VPC belongs to a stack)")
        return []
    slots = (
        reserved_azs if isinstance(reserved_azs, int) and not isinstance(reserved_azs, bool) else 8
    )
    if availability_zones is not None and max_azs is not None:
        problems.add(
            f"give availability_zones or max_azs, not both (got availability_zones="
            f"{availability_zones!r}, max_azs={max_azs!r})"
        )
        return []
    if availability_zones is not None:
        azs = problems.availability_zones(
            "availability_zones", availability_zones, cached.region(stack)
        )
        if azs is not None and len(azs) > slots:
            problems.add(
                f"availability_zones has {len(azs)} AZs but reserved_azs is {slots}; raise "
                f"reserved_azs to at least {len(azs)}"
            )
            return []
        return azs or []
    count = 2 if max_azs is None else max_azs
    if not problems.integer("max_azs", count, 2, slots, "at least 2, at most reserved_azs"):
        return []
    known = list(stack.availability_zones)
    if len(known) < count:
        problems.add(
            f"max_azs is {count} but the stack knows only {len(known)} AZs (an "
            f"environment-agnostic stack gets 2); pass availability_zones explicitly"
        )
        return []
    return known[:count]


def _validate(
    problems: Problems,
    *,
    cidr: Any,
    nat: Any,
    masks: dict[str, Any],
    reserved_azs: Any,
    flags: dict[str, Any],
    db_port: Any,
) -> None:
    network = problems.vpc_cidr("cidr", cidr)
    problems.choice("nat", nat, NAT_STRATEGIES)
    slots_ok = problems.within("reserved_azs", reserved_azs, RESERVED_AZS)
    masks_ok = True
    for tier, mask in masks.items():
        masks_ok &= problems.within(f"{tier}_mask", mask, SUBNET_MASK)
        if network is not None and masks_ok and mask < network.prefixlen:
            masks_ok = problems.add(
                f"{tier}_mask /{mask} is larger than the VPC cidr {cidr}; use "
                f"/{network.prefixlen} or longer"
            )
    for prop, value in flags.items():
        problems.flag(prop, value)
    problems.port("db_port", db_port)
    if network is not None and slots_ok and masks_ok and not problems and not is_token(cidr):
        try:
            plan_subnets(cidr, [], masks=masks, reserved_azs=reserved_azs)
        except ValueError as err:
            problems.add(
                str(err),
                "conflict",
                "cidr",
                ("public_mask", "private_mask", "isolated_mask", "reserved_azs"),
            )


def _validate_private_connectivity(
    problems: Problems,
    *,
    nat: Any,
    ipv6: Any,
    dns64: Any,
    gateway_endpoints: Any,
    interface_endpoints: Any,
    interface_endpoint_tier: Any,
) -> list[InterfaceEndpoint]:
    """IPv6, DNS64, the endpoints and a private tier without NAT: what combines and what does
    not. Returns the interface endpoints to create."""
    if dns64 is True and ipv6 is not True:
        problems.add("dns64=True needs ipv6=True (DNS64 synthesizes IPv6 addresses)")
    if dns64 is True and nat in ("none", "endpoints_only", "regional"):
        problems.add(
            f"dns64=True needs a zonal NAT gateway for NAT64 (nat='single' or 'per_az'), got "
            f"nat={nat!r}"
            + (" (AWS documents no NAT64 for regional NAT gateways)" if nat == "regional" else ""),
            "conflict",
            "dns64",
            ("nat",),
        )
    if nat == "endpoints_only" and gateway_endpoints is False:
        problems.add(
            "nat='endpoints_only' needs gateway_endpoints=True: without NAT, the S3 gateway "
            "endpoint is how instances reach S3 (Amazon Linux 2023's package repositories "
            "included)"
        )
    tier_ok = problems.choice("interface_endpoint_tier", interface_endpoint_tier, ENDPOINT_TIERS)
    if tier_ok and interface_endpoint_tier == "private" and nat == "none" and interface_endpoints:
        problems.add(
            "interface_endpoint_tier='private' but nat='none' has no private tier; use "
            "interface_endpoint_tier='isolated', or nat='endpoints_only' to keep a private tier "
            "without NAT"
        )
    if interface_endpoints is None:
        if nat == "endpoints_only":
            return [cast(InterfaceEndpoint, name) for name in ENDPOINTS_ONLY_DEFAULT]
        return []
    allowed = ", ".join(INTERFACE_ENDPOINTS)
    if isinstance(interface_endpoints, str) or not isinstance(interface_endpoints, Sequence):
        problems.add(
            f"interface_endpoints must be a list of endpoint names ({allowed}), got "
            f"{interface_endpoints!r}"
        )
        return []
    unknown = [name for name in interface_endpoints if name not in INTERFACE_ENDPOINTS]
    if unknown:
        problems.add(
            f"interface_endpoints has unknown name(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {allowed}"
        )
        return []
    repeated = sorted({name for name in interface_endpoints if interface_endpoints.count(name) > 1})
    if repeated:
        problems.add(f"interface_endpoints lists {', '.join(map(repr, repeated))} more than once")
        return []
    return list(interface_endpoints)


def _validate_flow_log_options(
    problems: Problems, flow_logs: Any, retention_days: Any, key: Any
) -> None:
    if flow_logs is False and (retention_days is not None or key is not None):
        problems.add(
            "flow_log_retention_days and flow_log_encryption_key apply only with flow_logs=True "
            f"(got flow_logs=False, flow_log_retention_days={retention_days!r}, "
            f"flow_log_encryption_key={key!r})"
        )
    if retention_days is not None:
        problems.log_retention("flow_log_retention_days", retention_days)
    if key is not None:
        problems.implements(
            "flow_log_encryption_key", key, kms.IKey, "a KMS key (kms.IKey), e.g. kms.Key(...)"
        )
