"""What every ``wellstack`` command shares: one-line errors (exit 2), the app's cdk.json, the
deploy target, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from wellstack.errors import WellstackError

if TYPE_CHECKING:
    from wellstack.deploy.target import Target
    from wellstack.settings import EnvironmentSettings

P = ParamSpec("P")
R = TypeVar("R")
#: Exit code for bad input: an unknown environment, a malformed template, a flag out of range.
BAD_INPUT = 2


def fail(message: str) -> None:
    click.echo(f"wellstack: error: {message}", err=True)
    sys.exit(BAD_INPUT)


def one_line_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Bad input and failed preconditions become one line on stderr and exit code 2."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from wellstack.deploy.preflight import PreflightError
        from wellstack.emulator.server import EmulatorError

        try:
            return function(*args, **kwargs)
        except (WellstackError, PreflightError, EmulatorError, OSError) as err:
            text = str(err).strip()
            fail(" ".join(text.split("\n")[0].split()) if text else type(err).__name__)
            raise  # unreachable: fail() exits

    return wrapper


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, allow_nan=False))


def console() -> Any:
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160)


def read_cdk_json(path: Path) -> dict[str, Any]:
    """The ``context`` of an app's cdk.json."""
    if not path.is_file():
        raise WellstackError(
            "", [f"{path} not found (run wellstack in the app's folder or pass --cdk-json)"]
        )
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise WellstackError("", [f"{path} is not valid JSON ({err})"]) from None
    context = data.get("context", {}) if isinstance(data, dict) else None
    if not isinstance(context, dict):
        raise WellstackError("", [f"{path}: 'context' must be a JSON object"])
    return context


def environment(env_name: str, cdk_json: Path) -> EnvironmentSettings:
    """The named environment of the app's cdk.json, or a one-line error listing the known ones."""
    from wellstack.settings import ENVIRONMENTS_KEY, parse_environments

    environments = parse_environments(read_cdk_json(cdk_json).get(ENVIRONMENTS_KEY))
    if env_name not in environments:
        raise WellstackError(
            "",
            [
                f"unknown environment {env_name!r}; {cdk_json} defines "
                f"{', '.join(sorted(environments))}"
            ],
        )
    return environments[env_name]


def env_option(function: Callable[P, R]) -> Callable[P, R]:
    function = click.option(
        "--cdk-json",
        type=click.Path(path_type=Path, dir_okay=False),
        default=Path("cdk.json"),
        show_default=True,
        help="the app's cdk.json",
    )(function)
    return click.option(
        "--env", "env_name", default="dev", show_default=True, help="environment in cdk.json"
    )(function)


def target_options(function: Callable[P, R]) -> Callable[P, R]:
    """``--sandbox [--port N]``: the local emulator instead of real AWS (explicit, never implied
    by the environment)."""
    function = click.option(
        "--port",
        type=click.IntRange(1, 65535),
        default=4566,
        show_default=True,
        envvar="SANDBOX_PORT",
        help="the sandbox emulator's port (with --sandbox)",
    )(function)
    return click.option(
        "--sandbox",
        is_flag=True,
        help="act on the local sandbox (moto's server) instead of real AWS",
    )(function)


def make_target(sandbox: bool, port: int, region: str) -> Target:
    from wellstack.deploy.target import aws
    from wellstack.emulator.server import Emulator

    if not sandbox:
        return aws()
    emulator = Emulator(port)
    emulator.require_running()
    return emulator.target(region)
