"""Reusable constructs, one module per tier."""

from wellstack.constructs.compute import AppTier
from wellstack.constructs.database import AuroraCluster
from wellstack.constructs.network import Network, SubnetPlanRow, plan_subnets
from wellstack.constructs.security import TierSecurityGroups
from wellstack.constructs.storage import TieredBucket, validate_transitions

__all__ = [
    "AppTier",
    "AuroraCluster",
    "Network",
    "SubnetPlanRow",
    "TierSecurityGroups",
    "TieredBucket",
    "plan_subnets",
    "validate_transitions",
]
