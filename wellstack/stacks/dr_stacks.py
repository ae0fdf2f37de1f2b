"""The disaster-recovery stacks of an environment with a ``dr_region``.

``{Env}DrNetwork`` holds the DR region's network (the primary's shape: VPC, subnet plan, tier
security groups) and what the primary region writes into — the assets replica bucket and the
backup vault that recovery points are copied to — because S3 and AWS Backup need those to exist
before the primary's ``{Env}Data`` stack names them. ``{Env}DrData`` holds the secondary Aurora
cluster, which needs the global database that ``{Env}Data`` creates; ``{Env}DrApp`` the DR
region's app tier (scaled to ``dr_app_capacity``) and its failover records. Deploy order:
Network and DrNetwork, then Data, then DrData and App, then DrApp (the stacks' dependencies say
so).

Nothing crosses regions by reference: the global cluster's name, the replica bucket's name, its
key alias and the vault's name are derived here from the environment, the same way on both
sides (:class:`DrNames`).
"""

from __future__ import annotations

from typing import Unpack

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from wellstack.compliance import acknowledge
from wellstack.constructs import AppTier, AuroraSecondaryCluster, Monitoring, TieredBucket
from wellstack.constructs.failover import FailoverRecords
from wellstack.constructs.keys import customer_key
from wellstack.settings import EnvironmentSettings
from wellstack.stacks._options import EnvironmentStack, StackOptions, check_settings
from wellstack.stacks.network_stack import NetworkStack
from wellstack.stacks.shared import (
    ASSET_TRANSITIONS,
    DrNames,
    app_tier,
    failover_records,
    monitoring,
    url_output,
)


class DrNetworkStack(NetworkStack):
    """The DR region's network (:class:`NetworkStack`'s shape with ``dr_cidr``,
    ``dr_availability_zones`` and ``dr_nat``), ``assets_replica`` (the bucket the primary's
    assets replicate to, with its own lifecycle tiers) and ``backup_vault`` (where the primary's
    recovery points are copied).

    :param settings: the environment (with ``dr_region``).
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
        check_settings(scope, construct_id, settings)  # before settings.dr_settings()
        super().__init__(scope, construct_id, settings=settings.dr_settings(), **kwargs)
        self.settings = settings
        names = DrNames(settings)
        #: The replica bucket's key, found by its alias from the primary region.
        self.assets_replica_key: kms.Key = customer_key(
            self, "AssetsReplicaKey", "Encrypts the assets replica bucket"
        )
        kms.Alias(
            self,
            "AssetsReplicaAlias",
            alias_name=names.replica_key_alias,
            target_key=self.assets_replica_key,  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
        )
        #: The key of the database secret's replica in this region (the primary's secret is
        #: replicated here, encrypted with it, so the app can read it after a failover).
        self.secret_replica_key: kms.Key = customer_key(
            self, "SecretReplicaKey", "Encrypts the replica of the database's master secret"
        )
        kms.Alias(
            self,
            "SecretReplicaAlias",
            alias_name=names.secret_replica_key_alias,
            target_key=self.secret_replica_key,  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
        )

        #: The bucket the primary's assets replicate to.
        self.assets_replica: TieredBucket = TieredBucket(
            self,
            "AssetsReplica",
            transitions=ASSET_TRANSITIONS,
            encryption_key=self.assets_replica_key,
            bucket_props={"bucket_name": names.replica_bucket_name},
        )
        #: The vault the primary's backup plan copies recovery points to.
        self.backup_vault: backup.BackupVault = backup.BackupVault(
            self,
            "BackupVault",
            backup_vault_name=names.vault_name,
            encryption_key=customer_key(self, "BackupVaultKey", "Encrypts the DR backup vault"),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )


class DrDataStack(EnvironmentStack):
    """``database`` (:class:`~wellstack.constructs.AuroraSecondaryCluster`): the secondary
    cluster of the environment's global database, behind the DR network's database group;
    ``monitoring`` (:class:`~wellstack.constructs.Monitoring`): the DR region's alarms, to a topic
    of its own in that region.

    :param settings: the environment (with ``dr_region``).
    :param network: the environment's :class:`DrNetworkStack`.
    :param kwargs: ``cdk.Stack``'s own keyword arguments (:class:`StackOptions`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        network: DrNetworkStack,
        **kwargs: Unpack[StackOptions],
    ) -> None:
        super().__init__(scope, construct_id, settings, kwargs)
        self.database: AuroraSecondaryCluster = AuroraSecondaryCluster(
            self,
            "Database",
            vpc=network.network.vpc,
            global_cluster_identifier=DrNames(settings).global_cluster_identifier,
            engine=settings.db_engine,
            readers=settings.dr_db_readers,
            instance_type=settings.db_instance_type,
            security_group=network.security_groups.database,
            log_retention_days=settings.log_retention_days,
        )
        #: Alarms on the DR region's tiers, to a topic in this region: the global database's
        #: replication and RPO lag (the alarm the failover runbook reads), its readers, the DR
        #: network's NAT gateways and the assets replica bucket.
        self.monitoring: Monitoring = monitoring(self, settings, f"wellstack-{settings.name}-dr")
        self.monitoring.watch_database(self.database)
        self.monitoring.watch_network(network.network)
        self.monitoring.watch_bucket(network.assets_replica)


class DrAppStack(EnvironmentStack):
    """The DR region's app tier: ``app_tier`` (:class:`~wellstack.constructs.AppTier`, the
    primary's shape) in the DR network, its group at ``dr_app_capacity`` instances (0: a pilot
    light, the load balancer ready) up to ``app_max_capacity``; allowed to the secondary
    cluster's port, to read the replica of the database's master secret in this region
    (``database_access``) and to decrypt it; ``monitoring``: the tier's alarms (the same as the
    primary's) to a topic in this region; ``failover``: the ``SECONDARY`` failover records with
    ``dr_domain_name``. Outputs: ``LoadBalancerUrl``, ``DatabaseEndpoint``, ``ReaderEndpoint``,
    ``DatabaseSecretName``.

    Nothing crosses regions by reference: the secret's name is the primary's (a secret replica
    keeps its name, Secrets Manager User Guide, "Replicate an AWS Secrets Manager secret to other
    AWS Regions"), passed as text.

    :param settings: the environment (with ``dr_region``).
    :param network: the environment's :class:`DrNetworkStack`.
    :param data: the environment's :class:`DrDataStack`.
    :param secret_name: the name of the primary's generated master secret (replicated here).
    :param kwargs: ``cdk.Stack``'s own keyword arguments (:class:`StackOptions`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        network: DrNetworkStack,
        data: DrDataStack,
        secret_name: str,
        **kwargs: Unpack[StackOptions],
    ) -> None:
        super().__init__(scope, construct_id, settings, kwargs)
        self.app_tier: AppTier = app_tier(
            self, settings, network.network, network.security_groups,
            min_capacity=settings.dr_app_capacity,
        )  # fmt: skip
        database = data.database
        database.connections.allow_default_port_from(self.app_tier, "From the DR app instances")
        #: Read access to the master secret's replica in this region, and its key.
        self.database_access: iam.ManagedPolicy = _replica_secret_access(
            self, self.app_tier.role, secret_name, network.secret_replica_key
        )
        self.monitoring: Monitoring = monitoring(
            self, settings, f"wellstack-{settings.name}-dr-app"
        )
        self.monitoring.watch_app_tier(self.app_tier)
        #: The ``SECONDARY`` failover records (``None`` without ``dr_domain_name``).
        self.failover: FailoverRecords | None = failover_records(
            self, settings, self.app_tier, "secondary"
        )
        url_output(self, self.app_tier, "The DR region's URL (HTTP on the web port)")
        outputs = {
            "DatabaseEndpoint": (
                database.cluster.attr_endpoint_address,
                "The secondary cluster's endpoint (the writer after a failover)",
            ),
            "ReaderEndpoint": (
                database.cluster.attr_read_endpoint_address,
                "The secondary cluster's reader endpoint",
            ),
            "DatabaseSecretName": (secret_name, "The master secret (its replica in this region)"),
        }
        for output_id, (value, description) in outputs.items():
            cdk.CfnOutput(self, output_id, value=value, description=description)


def _replica_secret_access(
    stack: cdk.Stack, role: iam.IRole | iam.Role, secret_name: str, key: kms.IKey | kms.Key
) -> iam.ManagedPolicy:
    """GetSecretValue on the secret's replica in this region (its ARN ends in the primary's six
    random characters, known here only as a wildcard) and Decrypt with the replica's key through
    Secrets Manager."""
    arn = stack.format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=f"{secret_name}-??????",
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )
    policy = iam.ManagedPolicy(
        stack,
        "DatabaseSecretAccess",
        description="Read the database master secret's replica in the DR region",
        statements=[
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                resources=[arn],
            ),
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"
                    }
                },
            ),
        ],
        roles=[role],  # pyright: ignore[reportArgumentType]  # CDK protocol false positive
    )
    acknowledge(
        policy,
        {
            "AwsSolutions-IAM5": "The replica's ARN ends in six random characters Secrets Manager "
            "chose in the primary region (the same for every replica); only the wildcard names "
            "it from this region without a cross-region reference.",
        },
    )
    return policy
