"""AppStack: the load balancer and the Auto Scaling group, wired to the database."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from wellstack.constructs import AppTier
from wellstack.settings import EnvironmentSettings
from wellstack.stacks.data_stack import DataStack
from wellstack.stacks.network_stack import NetworkStack


class AppStack(cdk.Stack):
    """``app_tier`` (:class:`AppTier`) behind the network's ``web`` group, allowed to the
    database's port and to read the database secret. Output: ``LoadBalancerUrl``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        network: NetworkStack,
        data: DataStack,
        read_database_secret: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.app_tier = AppTier(
            self,
            "Web",
            vpc=network.network.vpc,
            security_groups=network.security_groups,
            instance_type=settings.app_instance_type,
            min_capacity=settings.app_min_capacity,
            max_capacity=settings.app_max_capacity,
            desired_capacity=settings.app_desired_capacity,
            deletion_protection=settings.production,
            log_retention_days=settings.log_retention_days,
        )
        database = data.database
        # Already true through the tier groups (app -> database); stated here so the wiring
        # holds even if the database gets a group of its own.
        database.connections.allow_default_port_from(self.app_tier, "From the app instances")
        # Read the database's master secret (and decrypt it, only through Secrets Manager).
        # A managed policy written out rather than secret.grant_read(): the RDS-managed secret
        # belongs to the cluster in the data stack, and a grant would tie that stack back to
        # this one (and add an inline policy to the role).
        statements = [
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[database.encryption_key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com"
                    }
                },
            )
        ]
        if database.secret is not None and read_database_secret:
            statements.insert(
                0,
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    resources=[database.secret.secret_arn],
                ),
            )
        self.database_access = iam.ManagedPolicy(
            self,
            "DatabaseSecretAccess",
            description="App instances: read the database master secret",
            statements=statements,
            roles=[self.app_tier.role],
        )
        self.url_output = cdk.CfnOutput(
            self,
            "LoadBalancerUrl",
            value=self.app_tier.url,
            description="The application's URL (HTTP on the web port)",
        )
