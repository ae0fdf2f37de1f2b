"""Reusable constructs, one module per tier."""

from wellstack.constructs.network import Network, SubnetPlanRow, plan_subnets
from wellstack.constructs.security import TierSecurityGroups

__all__ = ["Network", "SubnetPlanRow", "TierSecurityGroups", "plan_subnets"]
