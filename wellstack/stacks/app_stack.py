"""AppStack: the load balancer and the Auto Scaling group, wired to the database."""

from __future__ import annotations

from typing import Unpack

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from wellstack.constructs import AppTier, Monitoring
from wellstack.constructs.failover import FailoverRecords
from wellstack.settings import EnvironmentSettings
from wellstack.stacks._options import EnvironmentStack, StackOptions
from wellstack.stacks.data_stack import DataStack
from wellstack.stacks.network_stack import NetworkStack
from wellstack.stacks.shared import app_tier, failover_records, monitoring, url_output


class AppStack(EnvironmentStack):
    """``app_tier`` (:class:`~wellstack.constructs.AppTier`) behind the network's ``web`` group,
    allowed to the database's port and to read the database secret
    (``database_access``, a managed policy on the instance role). Output: ``LoadBalancerUrl``.

    :param settings: the environment.
    :param network: the environment's :class:`NetworkStack`.
    :param data: the environment's :class:`DataStack`.
    :param edge_web_acl_arn: with ``"edge": "cloudfront"``, the CLOUDFRONT web ACL's ARN (from
        the environment's ``EdgeStack``).
    :param kwargs: ``cdk.Stack``'s own keyword arguments (:class:`StackOptions`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        network: NetworkStack,
        data: DataStack,
        edge_web_acl_arn: str | None = None,
        **kwargs: Unpack[StackOptions],
    ) -> None:
        super().__init__(scope, construct_id, settings, kwargs)
        self.app_tier: AppTier = app_tier(
            self, settings, network.network, network.security_groups,
            min_capacity=settings.app_min_capacity, desired_capacity=settings.app_desired_capacity,
            edge=settings.edge, edge_web_acl_arn=edge_web_acl_arn,
        )  # fmt: skip
        database = data.database
        # Already true through the tier groups (app -> database); stated here so the wiring
        # holds even if the database gets a group of its own.
        database.connections.allow_default_port_from(self.app_tier, "From the app instances")
        #: The instances' read access to the database's master secret (a managed policy).
        self.database_access: iam.ManagedPolicy | None = database.grant_secret_read(
            self.app_tier.role
        )
        if database.proxy is not None:  # sign in to the proxy with an IAM token
            database.grant_connect(self.app_tier.role)
        #: Alarms on every tier of the environment, to one encrypted topic, and a dashboard.
        self.monitoring: Monitoring = monitoring(self, settings, f"wellstack-{settings.name}")
        self.monitoring.watch_network(network.network)
        self.monitoring.watch_app_tier(self.app_tier)
        self.monitoring.watch_database(database)
        self.monitoring.watch_bucket(data.assets)
        #: The ``PRIMARY`` failover records and their health check (with ``dr_domain_name``).
        self.failover: FailoverRecords | None = failover_records(
            self, settings, self.app_tier, "primary"
        )
        self.url_output: cdk.CfnOutput = url_output(
            self, self.app_tier, "The application's URL (HTTP on the web port)"
        )
