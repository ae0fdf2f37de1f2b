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


#: What the local emulator (moto's server) forces to differ from a real deploy, and why.
EMULATOR_DIFFERENCES = (
    "The VPC's default security group keeps AWS's default rules: stripping them needs CDK's "
    "Lambda-backed custom resource, and the emulator cannot run Lambda functions (no Docker).",
    "KMS keys carry no tags: moto 5.2.5 fails on a tagged AWS::KMS::Key in a template "
    "(KeyError 'TagKey').",
    "Aurora instances state the cluster's EngineVersion: moto 5.2.5 has no default version "
    "for Aurora engines (KeyError 'aurora-mysql'); real Aurora takes it from the cluster.",
    "The app role gets no statement for the database secret: moto does not model Aurora "
    "clusters, so the secret's ARN (an attribute of the cluster) cannot be exported.",
    "Cross-stack references are CloudFormation exports (Fn::ImportValue) instead of "
    "Fn::GetStackOutput, which moto does not resolve "
    "(-c @aws-cdk/core:defaultCrossStackReferences=strong).",
    "Stacks are created with `cdk deploy --method=direct`: moto drops a stack's outputs when "
    "it is created through a change set.",
)


def add_three_tier(
    scope: Construct, settings: EnvironmentSettings, *, prefix: str = "", emulator: bool = False
) -> ThreeTierStacks:
    """Add an environment's stacks to ``scope`` (an App or a Stage). Stack ids are
    ``{prefix}Network``, ``{prefix}Data``, ``{prefix}App``; the other stacks take what they
    need from ``NetworkStack`` as cross-stack references. ``emulator=True`` builds the same
    templates but for :data:`EMULATOR_DIFFERENCES` (``make sandbox``)."""
    env = cdk.Environment(account=settings.account, region=settings.region)
    tags = cost_allocation_tags(settings)
    common = {"env": env, "termination_protection": settings.production, "tags": tags}
    network = NetworkStack(
        scope,
        f"{prefix}Network",
        settings=settings,
        description=f"wellstack {settings.name}: VPC, subnets, routing, security groups",
        restrict_default_security_group=not emulator,
        **common,
    )
    data = DataStack(
        scope,
        f"{prefix}Data",
        settings=settings,
        network=network,
        description=f"wellstack {settings.name}: static-assets bucket, Aurora cluster",
        emulator=emulator,
        **common,
    )
    app = AppStack(
        scope,
        f"{prefix}App",
        settings=settings,
        network=network,
        data=data,
        description=f"wellstack {settings.name}: load balancer and Auto Scaling group",
        read_database_secret=not emulator,
        **common,
    )
    built = ThreeTierStacks(settings=settings, network=network, data=data, app=app)
    for stack in built.stacks:
        # Resource-level tags in the template (the stack-level ``tags`` above reach resources
        # only through CloudFormation at deploy time).
        for key, value in tags.items():
            cdk.Tags.of(stack).add(
                key, value, exclude_resource_types=["AWS::KMS::Key"] if emulator else None
            )
    return built


def cost_allocation_tags(settings: EnvironmentSettings) -> dict[str, str]:
    """``project``, ``environment`` and the environment's own tags (which may override)."""
    return {"project": "wellstack", "environment": settings.name, **settings.tags}


class ThreeTierStage(cdk.Stage):
    """One environment's Network, Data and App stacks as a ``cdk.Stage``: add it to a CDK
    Pipelines pipeline (``pipeline.add_stage(ThreeTierStage(...))``) or to your own app, once
    per account and region.

    :param settings: the environment (see :mod:`wellstack.settings`); its account and region
        become the stage's.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: EnvironmentSettings, **kwargs
    ) -> None:
        kwargs.setdefault("env", cdk.Environment(account=settings.account, region=settings.region))
        super().__init__(scope, construct_id, **kwargs)
        self.three_tier = add_three_tier(self, settings)
