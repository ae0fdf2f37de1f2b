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
        )
        database = data.database
        # Already true through the tier groups (app -> database); stated here so the wiring
        # holds even if the database gets a group of its own.
        database.connections.allow_default_port_from(self.app_tier, "From the app instances")
        # Read the database's master secret. Written out rather than secret.grant_read(): the
        # RDS-managed secret belongs to the cluster in the data stack, and grant_read would tie
        # that stack back to this one.
        if database.secret is not None:
            self.app_tier.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    resources=[database.secret.secret_arn],
                )
            )
        # The secret is encrypted with the cluster's key. An identity policy (the key policy
        # trusts the account) scoped to Secrets Manager: no edit of the key policy in the data
        # stack, which would make the two stacks depend on each other.
        self.app_tier.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[database.encryption_key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com"
                    }
                },
            )
        )
        self.url_output = cdk.CfnOutput(
            self,
            "LoadBalancerUrl",
            value=self.app_tier.url,
            description="The application's URL (HTTP on the web port)",
        )
