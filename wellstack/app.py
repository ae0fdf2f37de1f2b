"""new_app() and build(app): environments from cdk.json -> cdk-nag packs -> stacks."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict, Unpack

import aws_cdk as cdk

from wellstack._template_validator import with_parallel_validator
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
from wellstack.stacks.pipeline_stack import PipelineStack
from wellstack.validation import Problems


class AppOptions(TypedDict, total=False):
    """``cdk.App``'s own keyword arguments, less ``builtin_cloud_formation_validation``."""

    analytics_reporting: bool
    auto_synth: bool
    confirm_validation_plugins_do_not_mutate: bool
    context: Mapping[str, Any]
    default_stack_synthesizer: cdk.IReusableStackSynthesizer
    outdir: str
    performance_reporting: bool
    policy_validation_beta1: Sequence[cdk.IPolicyValidationPluginBeta1]
    post_cli_context: Mapping[str, Any]
    property_injectors: Sequence[cdk.IPropertyInjector]
    stack_traces: bool
    tree_metadata: bool


#: AppOptions that take True or False.
_APP_FLAGS = (
    "analytics_reporting",
    "auto_synth",
    "confirm_validation_plugins_do_not_mutate",
    "performance_reporting",
    "stack_traces",
    "tree_metadata",
)
#: AppOptions that take CDK objects (or lists of them): what each object must have, and what it is.
_APP_OBJECTS = {
    "default_stack_synthesizer": (("reusable_bind",), "a reusable CDK stack synthesizer"),
    "policy_validation_beta1": (("name", "validate"), "a list of policy validation plugins"),
    "property_injectors": (("construct_unique_id", "inject"), "a list of property injectors"),
}


def check_app_options(options: Mapping[str, Any]) -> None:
    """Every problem of :func:`new_app`'s keyword arguments, as one :class:`WellstackError`."""
    problems = Problems("App")
    allowed = AppOptions.__annotations__
    for name in sorted(set(options) - set(allowed), key=repr):
        names = ", ".join(sorted(allowed))
        problems.add(f"new_app got an unknown keyword argument {name!r}; allowed: {names}")
    for name, value in options.items():
        if name in _APP_FLAGS:
            problems.flag(name, value)
        elif name == "outdir":
            problems.text(name, value, r"[^\x00]+", "a folder path (a non-empty string)")
        elif name in ("context", "post_cli_context"):
            problems.check(
                isinstance(value, Mapping)
                and all(isinstance(key, str) for key in value)
                and _json_values(value),
                f"{name} must be a mapping of context keys (strings) to JSON values (no NaN or "
                f"infinity, which jsii cannot carry), got {value!r}",
            )
        elif name in _APP_OBJECTS:
            needs, what = _APP_OBJECTS[name]
            many = name != "default_stack_synthesizer"
            items = value if many and isinstance(value, list | tuple) else [value]
            problems.check(
                (isinstance(value, list | tuple) or not many)
                and all(all(hasattr(item, attr) for attr in needs) for item in items),
                f"{name} must be {what}, got {value!r}",
            )
    problems.done()


def _json_values(value: Mapping[str, Any]) -> bool:
    try:
        json.dumps(dict(value), allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def new_app(**options: Unpack[AppOptions]) -> cdk.App:
    """A ``cdk.App`` whose template validation (CDK's ``CloudFormationValidatePlugin``, the same
    checks) runs in a Node process of its own, started now: its engine, about 1 s of a synth in
    CDK's process, starts while the app is built. CDK's built-in validator is switched off and
    this one registered at once, so the app is validated even without :func:`build`; when the
    helper cannot run, validation falls back to CDK's process (see
    :mod:`wellstack._template_validator`)."""
    check_app_options(options)
    app = cdk.App(builtin_cloud_formation_validation=False, **options)
    with_parallel_validator(app)
    return app


def build(
    app: cdk.App,
    adjust: Callable[[EnvironmentSettings], EnvironmentSettings] | None = None,
) -> dict[str, ThreeTierStacks]:
    """Register the cdk-nag packs (AwsSolutions plus ``-c packs=...``) on ``app``, then add the
    selected environments' stacks (``-c env=dev,prod``; default ``dev``), named ``DevNetwork``,
    ``DevData``, ``DevApp`` .... ``adjust`` rewrites each environment's settings first (the
    emulator build uses it)."""
    environments = parse_environments(app.node.try_get_context(ENVIRONMENTS_KEY))
    selected = select_environments(environments, app.node.try_get_context(SELECT_KEY))
    packs = split_list(app.node.try_get_context(PACKS_KEY), PACKS_KEY)
    apply_packs(app, packs)  # first: the template validator's engine starts during the build
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
        pipeline = parse_pipeline(raw_pipeline, environments)
        PipelineStack(app, PIPELINE_STACK, pipeline=pipeline)
    return built
