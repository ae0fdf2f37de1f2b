"""What the stacks of an environment share without importing each other: the names both regions
derive from the environment (:class:`DrNames`) and the assets' storage tiers (the primary's bucket
and its DR replica have the same)."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from wellstack.settings import EnvironmentSettings

__all__ = ["ASSET_TRANSITIONS", "DrNames"]

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
