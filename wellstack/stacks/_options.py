"""The keyword arguments wellstack's stacks and stage pass on to ``cdk.Stack`` / ``cdk.Stage``,
typed so that a checker catches ``ThreeTierStage(..., envv=...)``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import aws_cdk as cdk

from wellstack.constructs.checks import construct_path
from wellstack.errors import WellstackError
from wellstack.settings import EnvironmentSettings


class StackOptions(TypedDict, total=False):
    """``cdk.Stack``'s own keyword arguments."""

    analytics_reporting: bool
    cross_region_references: bool
    description: str
    env: cdk.Environment | dict[str, Any]
    notification_arns: Sequence[str]
    permissions_boundary: cdk.PermissionsBoundary
    property_injectors: Sequence[cdk.IPropertyInjector]
    stack_name: str
    suppress_template_indentation: bool
    synthesizer: cdk.IStackSynthesizer
    tags: Mapping[str, str]
    termination_protection: bool


class StageOptions(TypedDict, total=False):
    """``cdk.Stage``'s own keyword arguments."""

    env: cdk.Environment | dict[str, Any]
    outdir: str
    permissions_boundary: cdk.PermissionsBoundary
    policy_validation_beta1: Sequence[cdk.IPolicyValidationPluginBeta1]
    property_injectors: Sequence[cdk.IPropertyInjector]
    stage_name: str


def check_options(
    what: str, scope: Any, construct_id: Any, options: Mapping[str, Any], kind: type
) -> None:
    """Refuse keyword arguments ``kind`` (:class:`StackOptions`/:class:`StageOptions`) does not
    declare, naming them (a type checker catches them earlier)."""
    unknown = sorted(set(options) - set(kind.__annotations__))
    if unknown:
        raise WellstackError(
            construct_path(scope, construct_id),
            [
                f"{what} got unknown keyword argument(s) {', '.join(map(repr, unknown))}; "
                f"allowed: settings and {', '.join(sorted(kind.__annotations__))}"
            ],
        )


def check_settings(scope: Any, construct_id: Any, settings: Any) -> None:
    if not isinstance(settings, EnvironmentSettings):
        raise WellstackError(
            construct_path(scope, construct_id),
            [
                "settings must be an EnvironmentSettings (wellstack.settings.parse_environment"
                f"(name, {{...}})), got {settings!r}"
            ],
        )


class EnvironmentStack(cdk.Stack):
    """A stack built from one environment's settings: the settings and ``cdk.Stack``'s own
    keyword arguments are checked first (errors name the stack's class), then the stack is made
    and ``settings`` kept."""

    def __init__(
        self,
        scope: Any,
        construct_id: Any,
        settings: EnvironmentSettings,
        options: Mapping[str, Any],
    ) -> None:
        check_settings(scope, construct_id, settings)
        check_options(type(self).__name__, scope, construct_id, options, StackOptions)
        super().__init__(scope, construct_id, **options)
        #: The environment the stack was built from.
        self.settings: EnvironmentSettings = settings
