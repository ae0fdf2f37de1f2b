"""DataStack: the stateful tier of one environment (the static-assets bucket, the database)."""

from __future__ import annotations

from typing import Unpack

from aws_cdk import aws_kms as kms
from constructs import Construct

from wellstack.constructs import AuroraCluster, Replication, SecretReplica, TieredBucket
from wellstack.constructs.keys import customer_key
from wellstack.settings import EnvironmentSettings
from wellstack.stacks._options import EnvironmentStack, StackOptions
from wellstack.stacks.network_stack import NetworkStack
from wellstack.stacks.shared import ASSET_TRANSITIONS, DrNames


class DataStack(EnvironmentStack):
    """``assets`` (:class:`~wellstack.constructs.TieredBucket`): static assets with their own
    access-log bucket; ``database`` (:class:`~wellstack.constructs.AuroraCluster`): on the
    isolated subnets behind the database group. With a ``dr_region``, the assets replicate to
    the DR region, the cluster is the primary of a global database and its backups are copied to
    the DR vault (see :mod:`wellstack.stacks.dr_stacks`).

    :param settings: the environment.
    :param network: the environment's :class:`NetworkStack`.
    :param kwargs: ``cdk.Stack``'s own keyword arguments (:class:`StackOptions`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        network: NetworkStack,
        **kwargs: Unpack[StackOptions],
    ) -> None:
        super().__init__(scope, construct_id, settings, kwargs)
        self.assets_key: kms.Key = customer_key(
            self, "AssetsKey", "Encrypts the static-assets bucket"
        )
        names = DrNames(settings) if settings.dr_region else None
        self.assets: TieredBucket = TieredBucket(
            self,
            "Assets",
            transitions=ASSET_TRANSITIONS,
            encryption_key=self.assets_key,
            replicate_to=Replication(
                bucket_name=names.replica_bucket_name,
                region=names.region,
                kms_key_alias=names.replica_key_alias,
            )
            if names
            else None,
        )
        self.database: AuroraCluster = AuroraCluster(
            self,
            "Database",
            vpc=network.network.vpc,
            engine=settings.db_engine,
            readers=settings.db_readers,
            instance_type=settings.db_instance_type,
            backup_retention_days=settings.db_backup_retention_days,
            security_group=network.security_groups.database,
            proxy=settings.db_proxy,
            log_retention_days=settings.log_retention_days,
            global_cluster_identifier=names.global_cluster_identifier if names else None,
            backup_copy_to=names.vault_arn if names else None,
            secret_replicas=[
                SecretReplica(region=names.region, kms_key_alias=names.secret_replica_key_alias)
            ]
            if names
            else None,
        )
