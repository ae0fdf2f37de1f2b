"""build(app): environments from cdk.json -> stacks -> cdk-nag packs."""

from __future__ import annotations

import aws_cdk as cdk

from wellstack.compliance import apply_packs
from wellstack.settings import (
    ENVIRONMENTS_KEY,
    PACKS_KEY,
    SELECT_KEY,
    EnvironmentSettings,
    parse_environments,
    select_environments,
    split_list,
)
from wellstack.stacks import NetworkStack


def stack_env(settings: EnvironmentSettings) -> cdk.Environment:
    """The stack environment: the region always (explicit AZs keep synthesis offline), the
    account only when the settings name one."""
    return cdk.Environment(account=settings.account, region=settings.region)


def build(app: cdk.App) -> dict[str, NetworkStack]:
    """Add the selected environments' stacks (``-c env=dev,prod``; default ``dev``) to ``app``
    and register the cdk-nag packs (AwsSolutions plus ``-c packs=...``)."""
    environments = parse_environments(app.node.try_get_context(ENVIRONMENTS_KEY))
    selected = select_environments(environments, app.node.try_get_context(SELECT_KEY))
    packs = split_list(app.node.try_get_context(PACKS_KEY), PACKS_KEY)
    built = {}
    for settings in selected:
        built[settings.name] = NetworkStack(
            app,
            f"{settings.stack_prefix}Network",
            settings=settings,
            env=stack_env(settings),
            description=f"wellstack {settings.name}: VPC, subnets, routing, security groups",
        )
    apply_packs(app, packs)
    return built
