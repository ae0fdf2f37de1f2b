"""Stacks composed from the constructs."""

from wellstack.stacks._options import StackOptions, StageOptions
from wellstack.stacks.app_stack import AppStack
from wellstack.stacks.data_stack import DataStack
from wellstack.stacks.dr_stacks import DrAppStack, DrDataStack, DrNetworkStack
from wellstack.stacks.edge_stack import EdgeStack
from wellstack.stacks.network_stack import NetworkStack
from wellstack.stacks.shared import ASSET_TRANSITIONS, DrNames
from wellstack.stacks.three_tier import ThreeTierStacks, ThreeTierStage, add_three_tier

__all__ = [
    "ASSET_TRANSITIONS",
    "AppStack",
    "DataStack",
    "DrAppStack",
    "DrDataStack",
    "DrNames",
    "DrNetworkStack",
    "EdgeStack",
    "NetworkStack",
    "StackOptions",
    "StageOptions",
    "ThreeTierStacks",
    "ThreeTierStage",
    "add_three_tier",
]
