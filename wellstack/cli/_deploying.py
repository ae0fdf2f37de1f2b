"""What the deploy-side commands share: the environment, the target, the build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from wellstack.cli._common import environment, make_target

if TYPE_CHECKING:
    from wellstack.deploy.flow import Build
    from wellstack.deploy.target import Target
    from wellstack.settings import EnvironmentSettings


@dataclass(frozen=True)
class Resolved:
    """What a deploy-side command acts on."""

    settings: EnvironmentSettings
    target: Target
    build: Build


def resolve(env_name: str, cdk_json: Path, sandbox: bool, port: int) -> Resolved:
    """The environment, the target and the build for a deploy-side command; says where it is
    going."""
    from wellstack.deploy.flow import aws_build

    settings = environment(env_name, cdk_json)
    target = make_target(sandbox, port, settings.region)
    if sandbox:
        from wellstack.emulator.sandbox import emulator_build

        build = emulator_build(settings, cdk_json.parent)
    else:
        build = aws_build(settings, cdk_json.parent)
    click.echo(
        f"target: {target.describe()}, environment {settings.name} ({settings.region})", err=True
    )
    return Resolved(settings, target, build)


def out_option(default: str) -> Any:
    return click.option(
        "--out",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path(default),
        show_default=True,
        help="where to synthesize the cloud assembly",
    )


def assembly_option() -> Any:
    return click.option(
        "--assembly",
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        default=None,
        help="deploy this cloud assembly (synthesized before, e.g. by CI) instead of "
        "synthesizing; the data guard checks it first",
    )
