"""One environment's stacks, composed: NetworkStack -> DataStack -> AppStack."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct

from wellstack.settings import EnvironmentSettings
from wellstack.stacks.app_stack import AppStack
from wellstack.stacks.data_stack import DataStack
from wellstack.stacks.network_stack import NetworkStack


@dataclass(frozen=True)
class ThreeTierStacks:
    """The stacks of one environment."""

    settings: EnvironmentSettings
    network: NetworkStack
    data: DataStack
    app: AppStack

    @property
    def stacks(self) -> list[cdk.Stack]:
        return [self.network, self.data, self.app]


def add_three_tier(
    scope: Construct, settings: EnvironmentSettings, *, prefix: str = ""
) -> ThreeTierStacks:
    """Add an environment's stacks to ``scope`` (an App or a Stage). Stack ids are
    ``{prefix}Network``, ``{prefix}Data``, ``{prefix}App``; the other stacks take what they
    need from ``NetworkStack`` as cross-stack references."""
    env = cdk.Environment(account=settings.account, region=settings.region)
    common = {"env": env, "termination_protection": settings.production}
    network = NetworkStack(
        scope,
        f"{prefix}Network",
        settings=settings,
        description=f"wellstack {settings.name}: VPC, subnets, routing, security groups",
        **common,
    )
    data = DataStack(
        scope,
        f"{prefix}Data",
        settings=settings,
        network=network,
        description=f"wellstack {settings.name}: static-assets bucket, Aurora cluster",
        **common,
    )
    app = AppStack(
        scope,
        f"{prefix}App",
        settings=settings,
        network=network,
        data=data,
        description=f"wellstack {settings.name}: load balancer and Auto Scaling group",
        **common,
    )
    return ThreeTierStacks(settings=settings, network=network, data=data, app=app)
