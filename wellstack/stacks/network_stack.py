"""NetworkStack: the VPC and the tier security groups of one environment."""

from __future__ import annotations

from typing import Unpack

from constructs import Construct

from wellstack.constructs import Network, TierSecurityGroups
from wellstack.limits import DEFAULT_PORTS
from wellstack.settings import EnvironmentSettings
from wellstack.stacks._options import EnvironmentStack, StackOptions


class NetworkStack(EnvironmentStack):
    """``network`` (:class:`~wellstack.constructs.Network`) and ``security_groups``
    (:class:`~wellstack.constructs.TierSecurityGroups`), built from an environment's settings and
    handed to the data and app stacks.

    :param settings: the environment (:func:`wellstack.settings.parse_environment`).
    :param kwargs: ``cdk.Stack``'s own keyword arguments (:class:`StackOptions`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        **kwargs: Unpack[StackOptions],
    ) -> None:
        super().__init__(scope, construct_id, settings, kwargs)
        db_port = DEFAULT_PORTS[settings.db_engine]
        self.network: Network = Network(
            self,
            "Network",
            cidr=settings.cidr,
            availability_zones=list(settings.availability_zones),
            nat=settings.nat,
            public_mask=settings.public_mask,
            private_mask=settings.private_mask,
            isolated_mask=settings.isolated_mask,
            flow_log_retention_days=settings.log_retention_days,
            strict_acls=settings.strict_acls,
            db_port=db_port,
            ipv6=settings.ipv6,
            dns64=settings.dns64,
            interface_endpoints=(
                None if settings.interface_endpoints is None else list(settings.interface_endpoints)
            ),
            interface_endpoint_tier=settings.interface_endpoint_tier,
        )
        self.security_groups: TierSecurityGroups = TierSecurityGroups(
            self,
            "SecurityGroups",
            vpc=self.network.vpc,
            web_port=80,
            db_port=db_port,
            # Behind CloudFront the load balancer is internal: no internet peer.
            web_ingress_cidr=None if settings.edge == "cloudfront" else "0.0.0.0/0",
            web_ingress_ipv6_cidr="::/0" if settings.ipv6 else None,
        )
