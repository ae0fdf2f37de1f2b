"""Network tier: a VPC with public, private and isolated subnets in every availability zone.

Routing: public subnets send 0.0.0.0/0 to the internet gateway, private subnets to a NAT
gateway, isolated subnets have no default route at all. Subnet CIDRs come from a *stable* plan
(:func:`plan_subnets`): every tier owns a fixed block with a slot per AZ, so adding an AZ later,
or adding NAT (and with it the private tier), never moves an existing subnet. CDK's own ``Vpc``
re-carves the whole range instead and forces subnet replacement (aws/aws-cdk#6683, #31162).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import aws_cdk as cdk
import jsii
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from wellstack.compliance import acknowledge
from wellstack.constructs._checks import (
    check_choice,
    check_int,
    check_log_retention,
    check_port,
    is_token,
)
from wellstack.constructs._logs import encrypted_log_group, logs_key
from wellstack.subnets import (  # noqa: F401  (re-exported)
    AWS_RESERVED_PER_SUBNET,
    DEFAULT_RESERVED_AZS,
    TIERS,
    SubnetPlanRow,
    plan_subnets,
    tiers_for,
)

NAT_STRATEGIES = ("none", "single", "per_az")
_SUBNET_GROUP = {"public": "Public", "private": "Private", "isolated": "Isolated"}
_RFC1918 = tuple(
    ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
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

    :param cidr: the VPC's private IPv4 block, /16 to /28. Default ``10.0.0.0/16``.
    :param availability_zones: explicit AZ names (keeps synthesis offline). Append new AZs at
        the end: an AZ's position is its slot in the plan.
    :param max_azs: instead of ``availability_zones``, the first N AZs of the stack. Default 2
        when neither is given.
    :param nat: ``"single"`` (default): one NAT gateway in the first AZ, about a third of the cost
        of per-AZ NAT, but an outage of that AZ takes every private subnet's egress with it.
        ``"per_az"``: one NAT per AZ, each private route table uses its own AZ's NAT; survives an
        AZ failure, costs a NAT gateway (hourly + per-GB) per AZ; use it for production.
        ``"none"``: no NAT gateway and no private tier (public + isolated subnets only).
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
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str = "10.0.0.0/16",
        availability_zones: Sequence[str] | None = None,
        max_azs: int | None = None,
        nat: str = "single",
        public_mask: int = 24,
        private_mask: int = 24,
        isolated_mask: int = 24,
        reserved_azs: int = DEFAULT_RESERVED_AZS,
        flow_logs: bool = True,
        flow_log_retention_days: int = 30,
        flow_log_encryption_key: kms.IKey | None = None,
        gateway_endpoints: bool = True,
        restrict_default_security_group: bool = True,
        strict_acls: bool = False,
        db_port: int = 3306,
    ) -> None:
        masks = {"public": public_mask, "private": private_mask, "isolated": isolated_mask}
        _validate(
            cidr=cidr,
            availability_zones=availability_zones,
            max_azs=max_azs,
            nat=nat,
            masks=masks,
            reserved_azs=reserved_azs,
            flow_log_retention_days=flow_log_retention_days,
            db_port=db_port,
        )
        if availability_zones is None:
            known = list(cdk.Stack.of(scope).availability_zones)
            if len(known) < (max_azs or 2):
                raise ValueError(
                    f"max_azs is {max_azs} but the stack knows only {len(known)} AZs (an "
                    f"environment-agnostic stack gets 2); pass availability_zones explicitly"
                )
            azs = known[: max_azs or 2]
        else:
            azs = list(availability_zones)
        super().__init__(scope, construct_id)
        self.availability_zones: list[str] = azs
        self.nat = nat
        tiers = tiers_for(nat)
        #: tier, AZ, CIDR and usable addresses of every subnet, in tier then AZ order.
        self.subnet_plan: list[SubnetPlanRow] = plan_subnets(
            cidr, azs, masks=masks, reserved_azs=reserved_azs, tiers=tiers
        )

        subnet_types = {
            "public": ec2.SubnetType.PUBLIC,
            "private": ec2.SubnetType.PRIVATE_WITH_EGRESS,
            "isolated": ec2.SubnetType.PRIVATE_ISOLATED,
        }
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=PlannedIpAddresses(cidr, self.subnet_plan),
            availability_zones=azs,
            nat_gateways={"none": 0, "single": 1, "per_az": len(azs)}[nat],
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name=_SUBNET_GROUP[tier],
                    subnet_type=subnet_types[tier],
                    cidr_mask=masks[tier],
                    # Nothing in the public tier needs a public IP of its own: the load
                    # balancer and NAT gateways get theirs from AWS.
                    map_public_ip_on_launch=False if tier == "public" else None,
                )
                for tier in tiers
            ],
            restrict_default_security_group=restrict_default_security_group,
            gateway_endpoints=(
                {
                    "S3": ec2.GatewayVpcEndpointOptions(
                        service=ec2.GatewayVpcEndpointAwsService.S3
                    ),
                    "DynamoDB": ec2.GatewayVpcEndpointOptions(
                        service=ec2.GatewayVpcEndpointAwsService.DYNAMODB
                    ),
                }
                if gateway_endpoints
                else None
            ),
        )
        if not restrict_default_security_group:
            acknowledge(
                self.vpc,
                {
                    "NIST.800.53.R5-VPCDefaultSecurityGroupClosed": (
                        "restrict_default_security_group=False was chosen (the local emulator "
                        "cannot run the Lambda that strips the rules); no wellstack resource "
                        "uses the default group"
                    )
                },
            )
        self.public_subnets: list[ec2.ISubnet] = list(self.vpc.public_subnets)
        self.private_subnets: list[ec2.ISubnet] = list(self.vpc.private_subnets)
        self.isolated_subnets: list[ec2.ISubnet] = list(self.vpc.isolated_subnets)

        self.flow_log_group: logs.LogGroup | None = None
        self.flow_log: ec2.FlowLog | None = None
        if flow_logs:
            self.flow_log_group = self._flow_log_group(
                flow_log_retention_days, flow_log_encryption_key
            )
            self.flow_log = self.vpc.add_flow_log(
                "FlowLog",
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                    self.flow_log_group, self._flow_log_role(self.flow_log_group)
                ),
                traffic_type=ec2.FlowLogTrafficType.ALL,
            )
        else:
            acknowledge(
                self.vpc,
                {
                    "AwsSolutions-VPC7": "Flow logs were turned off explicitly (flow_logs=False)",
                    "NIST.800.53.R5-VPCFlowLogsEnabled": (
                        "Flow logs were turned off explicitly (flow_logs=False)"
                    ),
                },
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

        self.isolated_acl: ec2.NetworkAcl | None = None
        if strict_acls:
            self.isolated_acl = self._strict_isolated_acl(db_port)

    def _flow_log_group(self, retention_days: int, key: kms.IKey | None) -> logs.LogGroup:
        self.flow_log_key: kms.IKey = key or logs_key(
            self, "FlowLogKey", "Encrypts the VPC flow-log group"
        )
        return encrypted_log_group(
            self, "FlowLogGroup", retention_days=retention_days, key=self.flow_log_key
        )

    def _flow_log_role(self, group: logs.LogGroup) -> iam.IRole:
        """A role with a managed (not inline) policy scoped to the flow-log group. CDK's own
        grants on it are switched off, so they add no inline policy."""
        role = iam.Role(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
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
            roles=[role],  # attached from the policy's side: the role does not refer back
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


def _validate(
    *,
    cidr: object,
    availability_zones: Sequence[str] | None,
    max_azs: int | None,
    nat: str,
    masks: dict[str, int],
    reserved_azs: int,
    flow_log_retention_days: int,
    db_port: int,
) -> None:
    if not isinstance(cidr, str):
        raise ValueError(f"cidr must be an IPv4 CIDR string such as '10.0.0.0/16', got {cidr!r}")
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as err:
        raise ValueError(
            f"cidr must be an IPv4 CIDR block such as '10.0.0.0/16', got {cidr!r} ({err})"
        ) from None
    if not any(network.subnet_of(block) for block in _RFC1918):
        raise ValueError(
            f"cidr must be a private (RFC 1918) block inside 10.0.0.0/8, 172.16.0.0/12 or "
            f"192.168.0.0/16, got {cidr!r}"
        )
    if not 16 <= network.prefixlen <= 28:
        raise ValueError(f"cidr must be a /16 to /28 block (AWS's VPC size limits), got {cidr!r}")
    check_choice("nat", nat, NAT_STRATEGIES)
    check_int("reserved_azs", reserved_azs, 2, 8, "AZ slots per tier")
    if availability_zones is not None and max_azs is not None:
        raise ValueError(
            f"give availability_zones or max_azs, not both (got availability_zones="
            f"{list(availability_zones)!r}, max_azs={max_azs!r})"
        )
    if availability_zones is not None:
        if isinstance(availability_zones, str) or not all(
            isinstance(az, str) and az for az in availability_zones
        ):
            raise ValueError(
                f"availability_zones must be a list of AZ names, got {availability_zones!r}"
            )
        azs = list(availability_zones)
        if len(azs) < 2:
            raise ValueError(
                f"availability_zones must name at least 2 AZs (a tier in one AZ is a single "
                f"point of failure), got {azs!r}"
            )
        if len(set(azs)) != len(azs):
            raise ValueError(f"availability_zones lists an AZ twice: {azs!r}")
        if len(azs) > reserved_azs:
            raise ValueError(
                f"availability_zones has {len(azs)} AZs but reserved_azs is {reserved_azs}; "
                f"raise reserved_azs to at least {len(azs)}"
            )
    if max_azs is not None:
        check_int("max_azs", max_azs, 2, reserved_azs, "at least 2, at most reserved_azs")
    for tier, mask in masks.items():
        check_int(f"{tier}_mask", mask, 16, 28, "AWS's subnet size limits")
        if mask < network.prefixlen:
            raise ValueError(
                f"{tier}_mask /{mask} is larger than the VPC cidr {cidr}; use /{network.prefixlen}"
                f" or longer"
            )
    check_log_retention("flow_log_retention_days", flow_log_retention_days)
    check_port("db_port", db_port)
    if not is_token(cidr):
        plan_subnets(cidr, [], masks=masks, reserved_azs=reserved_azs)
