"""What the stacks of an environment share without importing each other: the names both regions
derive from the environment (:class:`DrNames`), the assets' storage tiers (the primary's bucket
and its DR replica have the same), and how both regions build their app tier, its monitoring,
failover records and URL output."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from wellstack.constructs import AppTier, Monitoring, Network, TierSecurityGroups
from wellstack.constructs.failover import FailoverRecords, FailoverRole
from wellstack.settings import EnvironmentSettings
from wellstack.types import Edge

__all__ = [
    "ASSET_TRANSITIONS",
    "DrNames",
    "app_tier",
    "failover_records",
    "monitoring",
    "url_output",
]

#: Static assets are served by the app, so they stay instantly readable: Standard-IA after a
#: month, Glacier Instant Retrieval (millisecond reads) after a quarter; never archived.
ASSET_TRANSITIONS: list[tuple[s3.StorageClass | str, int]] = [
    (s3.StorageClass.INFREQUENT_ACCESS, 30),
    (s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, 90),
]


@dataclass(frozen=True)
class DrNames:
    """The values both regions need, derived from the environment (never cross-stack
    references): they are what an operator types during a failover, too."""

    settings: EnvironmentSettings

    @property
    def region(self) -> str:
        return str(self.settings.dr_region)

    @property
    def global_cluster_identifier(self) -> str:
        return f"wellstack-{self.settings.name}-global"

    @property
    def account(self) -> str:
        """The environment's account, or the deploying account (``AWS::AccountId``)."""
        return self.settings.account or cdk.Aws.ACCOUNT_ID

    @property
    def replica_bucket_name(self) -> str:
        """Globally unique: the environment, the account and the region (58 characters at
        most)."""
        return f"{self.settings.name}-assets-dr-{self.account}-{self.region}"

    @property
    def replica_key_alias(self) -> str:
        return f"alias/wellstack/{self.settings.name}/assets-dr"

    @property
    def secret_replica_key_alias(self) -> str:
        """The DR region's key for the replica of the database's master secret."""
        return f"alias/wellstack/{self.settings.name}/secret-dr"

    @property
    def vault_name(self) -> str:
        return f"wellstack-{self.settings.name}-dr"

    @property
    def vault_arn(self) -> str:
        return (
            f"arn:{cdk.Aws.PARTITION}:backup:{self.region}:{self.account}:backup-vault:"
            f"{self.vault_name}"
        )


def app_tier(
    stack: Construct,
    settings: EnvironmentSettings,
    network: Network,
    security_groups: TierSecurityGroups,
    *,
    min_capacity: int,
    desired_capacity: int | None = None,
    edge: Edge = "alb",
    edge_web_acl_arn: str | None = None,
) -> AppTier:
    """The environment's app tier (``Web``) in ``network``, as both regions build it: the
    settings' instance type, maximum, logs and protection; dual stack with ``ipv6`` when the
    load balancer faces the internet itself."""
    return AppTier(
        stack,
        "Web",
        vpc=network.vpc,
        security_groups=security_groups,
        instance_type=settings.app_instance_type,
        min_capacity=min_capacity,
        max_capacity=settings.app_max_capacity,
        desired_capacity=desired_capacity,
        deletion_protection=settings.production,
        log_retention_days=settings.log_retention_days,
        ip_address_type="dualstack" if settings.ipv6 and edge == "alb" else "ipv4",
        edge=edge,
        edge_web_acl_arn=edge_web_acl_arn,
    )


def monitoring(stack: Construct, settings: EnvironmentSettings, dashboard: str) -> Monitoring:
    """A ``Monitoring`` of the environment (its alarm email) with the dashboard ``dashboard``."""
    return Monitoring(
        stack, "Monitoring", alarm_email=settings.alarm_email, dashboard_name=dashboard
    )


def failover_records(
    stack: Construct, settings: EnvironmentSettings, tier: AppTier, role: FailoverRole
) -> FailoverRecords | None:
    """The region's failover records (``Failover``) for ``tier``'s load balancer with
    ``dr_domain_name``; the primary's health check calls the listener that serves (HTTPS on 443
    with a certificate: the HTTP one then only redirects, which reads healthy)."""
    if not (settings.dr_region and settings.dr_domain_name and settings.dr_hosted_zone_id):
        return None
    https = tier.https_listener is not None
    return FailoverRecords(
        stack,
        "Failover",
        load_balancer=tier.load_balancer,
        domain_name=settings.dr_domain_name,
        hosted_zone_id=settings.dr_hosted_zone_id,
        role=role,
        health_check_protocol="HTTPS" if https else "HTTP",
        health_check_port=None if https else tier.web_port,
        ipv6=settings.ipv6,
    )


def url_output(stack: Construct, tier: AppTier, description: str) -> cdk.CfnOutput:
    """The ``LoadBalancerUrl`` output."""
    return cdk.CfnOutput(stack, "LoadBalancerUrl", value=tier.url, description=description)
