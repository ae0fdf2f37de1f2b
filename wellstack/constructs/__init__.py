"""Reusable constructs, one module per tier."""

from wellstack.constructs.compute import AppTier
from wellstack.constructs.database import AuroraCluster, SecretReplica
from wellstack.constructs.edge import EdgeFirewall
from wellstack.constructs.failover import FailoverRecords, FailoverRole, HealthCheckProtocol
from wellstack.constructs.global_database import AuroraSecondaryCluster
from wellstack.constructs.monitoring import Monitoring
from wellstack.constructs.network import Network, SubnetPlanRow, plan_subnets
from wellstack.constructs.replication import Replication
from wellstack.constructs.security import TierSecurityGroups
from wellstack.constructs.storage import TieredBucket, validate_transitions
from wellstack.errors import WellstackError
from wellstack.types import (
    Architecture,
    Edge,
    Engine,
    IpAddressType,
    MasterPassword,
    NatStrategy,
    ObjectLockMode,
    UpdateStrategy,
)

__all__ = [
    "AppTier",
    "Architecture",
    "AuroraCluster",
    "AuroraSecondaryCluster",
    "Edge",
    "EdgeFirewall",
    "Engine",
    "FailoverRecords",
    "FailoverRole",
    "HealthCheckProtocol",
    "IpAddressType",
    "MasterPassword",
    "Monitoring",
    "NatStrategy",
    "Network",
    "ObjectLockMode",
    "Replication",
    "SecretReplica",
    "SubnetPlanRow",
    "TierSecurityGroups",
    "TieredBucket",
    "UpdateStrategy",
    "WellstackError",
    "plan_subnets",
    "validate_transitions",
]
