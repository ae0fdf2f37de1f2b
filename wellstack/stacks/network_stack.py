"""NetworkStack: the VPC and the tier security groups of one environment."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from wellstack.constructs import Network, TierSecurityGroups
from wellstack.settings import EnvironmentSettings

DB_PORTS = {"mysql": 3306, "postgresql": 5432}


class NetworkStack(cdk.Stack):
    """``network`` (:class:`Network`) and ``security_groups`` (:class:`TierSecurityGroups`),
    built from an environment's settings and handed to the data and app stacks."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        restrict_default_security_group: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        db_port = DB_PORTS[settings.db_engine]
        self.network = Network(
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
            restrict_default_security_group=restrict_default_security_group,
            db_port=db_port,
        )
        self.security_groups = TierSecurityGroups(
            self, "SecurityGroups", vpc=self.network.vpc, web_port=80, db_port=db_port
        )
