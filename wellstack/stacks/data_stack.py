"""DataStack: the stateful tier of one environment (the static-assets bucket, the database)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from constructs import Construct

from wellstack.constructs import AuroraCluster, TieredBucket
from wellstack.settings import EnvironmentSettings
from wellstack.stacks.network_stack import NetworkStack

#: Static assets are served by the app, so they stay instantly readable: Standard-IA after a
#: month, Glacier Instant Retrieval (millisecond reads) after a quarter; never archived.
ASSET_TRANSITIONS = [
    (s3.StorageClass.INFREQUENT_ACCESS, 30),
    (s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, 90),
]


class DataStack(cdk.Stack):
    """``assets`` (:class:`TieredBucket`): static assets with their own access-log bucket;
    ``database`` (:class:`AuroraCluster`): on the isolated subnets behind the database group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        network: NetworkStack,
        emulator: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.assets_key = kms.Key(
            self,
            "AssetsKey",
            description="Encrypts the static-assets bucket",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.assets = TieredBucket(
            self, "Assets", transitions=ASSET_TRANSITIONS, encryption_key=self.assets_key
        )
        self.database = AuroraCluster(
            self,
            "Database",
            vpc=network.network.vpc,
            engine=settings.db_engine,
            readers=settings.db_readers,
            instance_type=settings.db_instance_type,
            backup_retention_days=settings.db_backup_retention_days,
            security_group=network.security_groups.database,
        )
        if emulator:
            # moto 5.2.5 looks up a default version for an instance without one and has none
            # for Aurora engines (KeyError 'aurora-mysql'); real Aurora takes it from the cluster.
            version = self.database.cluster.engine.engine_version.full_version  # type: ignore[union-attr]
            for child in self.database.cluster.node.find_all():
                if isinstance(child, rds.CfnDBInstance):
                    child.add_property_override("EngineVersion", version)
