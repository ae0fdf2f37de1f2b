"""One environment's stacks, composed: NetworkStack -> DataStack -> AppStack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Unpack

import aws_cdk as cdk
from constructs import Construct

from wellstack.constructs.edge import EDGE_REGION
from wellstack.errors import WellstackError
from wellstack.settings import EnvironmentSettings
from wellstack.stacks._options import StageOptions, check_options, check_settings
from wellstack.stacks.app_stack import AppStack
from wellstack.stacks.data_stack import DataStack
from wellstack.stacks.dr_stacks import DrAppStack, DrDataStack, DrNetworkStack
from wellstack.stacks.edge_stack import EdgeStack
from wellstack.stacks.network_stack import NetworkStack


@dataclass(frozen=True)
class ThreeTierStacks:
    """The stacks of one environment."""

    settings: EnvironmentSettings
    network: NetworkStack
    data: DataStack
    app: AppStack
    #: The DR stacks (``None`` without ``dr_region``).
    dr_network: DrNetworkStack | None = None
    dr_data: DrDataStack | None = None
    dr_app: DrAppStack | None = None
    #: The CLOUDFRONT web ACL's stack in us-east-1 (``None`` unless ``"edge": "cloudfront"``
    #: in another region).
    edge: EdgeStack | None = None

    @property
    def stacks(self) -> list[cdk.Stack]:
        extra = [
            s for s in (self.dr_network, self.dr_data, self.dr_app, self.edge) if s is not None
        ]
        return [self.network, self.data, self.app, *extra]


def add_three_tier(
    scope: Construct,
    settings: EnvironmentSettings,
    *,
    prefix: str = "",
    environment_stack_names: bool = False,
) -> ThreeTierStacks:
    """Add an environment's stacks to ``scope`` (an App or a Stage). Stack ids are
    ``{prefix}Network``, ``{prefix}Data``, ``{prefix}App``, and with a ``dr_region``
    ``{prefix}DrNetwork``, ``{prefix}DrData`` and ``{prefix}DrApp`` in that region; the
    other stacks take what they need from ``NetworkStack`` as cross-stack references (none
    crosses regions). With
    ``environment_stack_names``, the CloudFormation stack names are the default app's
    (``DevNetwork`` ...) wherever ``scope`` is, so a stage in a pipeline updates the stacks a
    laptop deployed and the data guard compares the right ones."""
    check_settings(scope, f"{prefix}Network", settings)

    tags = cost_allocation_tags(settings)

    def options(suffix: str, description: str, region: str | None) -> dict[str, Any]:
        """What every stack of the environment takes: its description, environment (the DR
        stacks: the DR region), termination protection in production, the cost tags, and the
        default app's stack name when asked."""
        return {
            "description": f"wellstack {settings.name}: {description}",
            "env": cdk.Environment(account=settings.account, region=region),
            "termination_protection": settings.production,
            "tags": tags,
            **({"stack_name": settings.stack_prefix + suffix} if environment_stack_names else {}),
        }

    dr = f"({settings.dr_region})"
    dr_network = (
        DrNetworkStack(
            scope,
            f"{prefix}DrNetwork",
            settings=settings,
            **options(
                "DrNetwork",
                f"DR region network, assets replica, backup vault {dr}",
                settings.dr_region,
            ),
        )
        if settings.dr_region
        else None
    )
    network = NetworkStack(
        scope,
        f"{prefix}Network",
        settings=settings,
        **options("Network", "VPC, subnets, routing, security groups", settings.region),
    )
    data = DataStack(
        scope,
        f"{prefix}Data",
        settings=settings,
        network=network,
        **options("Data", "static-assets bucket, Aurora cluster", settings.region),
    )
    edge = (
        EdgeStack(
            scope,
            f"{prefix}Edge",
            settings=settings,
            **options("Edge", f"CloudFront web ACL ({EDGE_REGION})", EDGE_REGION),
        )
        if settings.edge == "cloudfront" and settings.region != EDGE_REGION
        else None
    )
    app = AppStack(
        scope,
        f"{prefix}App",
        settings=settings,
        network=network,
        data=data,
        edge_web_acl_arn=edge.firewall.web_acl_arn if edge else None,
        **options("App", "load balancer and Auto Scaling group", settings.region),
    )
    dr_data = dr_app = None
    if dr_network is not None:
        data.add_stack_dependency(dr_network, "the replica bucket and the DR vault exist first")
        dr_data = DrDataStack(
            scope,
            f"{prefix}DrData",
            settings=settings,
            network=dr_network,
            **options("DrData", f"DR region secondary Aurora cluster {dr}", settings.dr_region),
        )
        dr_data.add_stack_dependency(data, "the global database exists first")
        dr_app = DrAppStack(
            scope,
            f"{prefix}DrApp",
            settings=settings,
            network=dr_network,
            data=dr_data,
            secret_name=str(data.database.secret_name),
            **options("DrApp", f"DR region load balancer and Auto Scaling group {dr}",
                      settings.dr_region),
        )  # fmt: skip
        # The secret's replica (written by Data) and the primary's failover record first.
        dr_app.add_stack_dependency(data, "the database secret's replica exists first")
        dr_app.add_stack_dependency(app, "the primary failover record and health check first")
    built = ThreeTierStacks(
        settings=settings, network=network, data=data, app=app, dr_network=dr_network,
        dr_data=dr_data, dr_app=dr_app, edge=edge,
    )  # fmt: skip
    for stack in built.stacks:
        # Resource-level tags in the template (the stack-level ``tags`` above reach resources
        # only through CloudFormation at deploy time).
        for key, value in tags.items():
            cdk.Tags.of(stack).add(key, value)
    return built


def cost_allocation_tags(settings: EnvironmentSettings) -> dict[str, str]:
    """``project``, ``environment`` and the environment's own tags (which may override)."""
    return {"project": "wellstack", "environment": settings.name, **settings.tags}


class ThreeTierStage(cdk.Stage):
    """One environment's Network, Data and App stacks as a ``cdk.Stage``: add it to a CDK
    Pipelines pipeline (``pipeline.add_stage(ThreeTierStage(...))``) or to your own app, once
    per account and region.

    :param settings: the environment (see :mod:`wellstack.settings`); its account and region
        become the stage's unless ``env`` is given.
    :param environment_stack_names: name the CloudFormation stacks as the default app does
        (``DevNetwork`` ...) instead of after the stage (``Dev-Network``), so that the stage
        updates stacks first deployed from a laptop. Default off.
    :param kwargs: ``cdk.Stage``'s own keyword arguments (:class:`StageOptions`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        environment_stack_names: bool = False,
        **kwargs: Unpack[StageOptions],
    ) -> None:
        check_settings(scope, construct_id, settings)
        check_options("ThreeTierStage", scope, construct_id, kwargs, StageOptions)
        if not isinstance(environment_stack_names, bool):
            raise WellstackError(
                construct_id if isinstance(construct_id, str) else "ThreeTierStage",
                [f"environment_stack_names must be True or False, got {environment_stack_names!r}"],
            )
        kwargs.setdefault("env", cdk.Environment(account=settings.account, region=settings.region))
        super().__init__(scope, construct_id, **kwargs)
        self.three_tier: ThreeTierStacks = add_three_tier(
            self,
            settings,
            prefix=settings.stack_prefix if environment_stack_names else "",
            environment_stack_names=environment_stack_names,
        )
