"""build(app): environments from cdk.json -> stacks -> cdk-nag packs."""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk

from wellstack.compliance import apply_packs
from wellstack.errors import WellstackError
from wellstack.pipeline_settings import PIPELINE_KEY, PIPELINE_STACK, parse_pipeline
from wellstack.settings import (
    ENVIRONMENTS_KEY,
    PACKS_KEY,
    SELECT_KEY,
    EnvironmentSettings,
    parse_environments,
    select_environments,
    split_list,
)
from wellstack.stacks import ThreeTierStacks, add_three_tier


def build(
    app: cdk.App,
    adjust: Callable[[EnvironmentSettings], EnvironmentSettings] | None = None,
) -> dict[str, ThreeTierStacks]:
    """Add the selected environments' stacks (``-c env=dev,prod``; default ``dev``) to ``app``,
    named ``DevNetwork``, ``DevData``, ``DevApp`` ..., and register the cdk-nag packs
    (AwsSolutions plus ``-c packs=...``). ``adjust`` rewrites each environment's settings
    first (the emulator build uses it)."""
    environments = parse_environments(app.node.try_get_context(ENVIRONMENTS_KEY))
    selected = select_environments(environments, app.node.try_get_context(SELECT_KEY))
    packs = split_list(app.node.try_get_context(PACKS_KEY), PACKS_KEY)
    built = {}
    for settings in selected:
        if adjust is not None:
            settings = adjust(settings)
        try:
            built[settings.name] = add_three_tier(app, settings, prefix=settings.stack_prefix)
        except WellstackError as err:  # a construct rejected a value that came from cdk.json
            raise WellstackError(
                f"environment {settings.name!r}: {err.path}", err.problems
            ) from err
    raw_pipeline = app.node.try_get_context(PIPELINE_KEY)
    if raw_pipeline is not None:
        from wellstack.stacks.pipeline_stack import PipelineStack

        pipeline = parse_pipeline(raw_pipeline, environments)
        PipelineStack(app, PIPELINE_STACK, pipeline=pipeline)
    apply_packs(app, packs)
    return built
