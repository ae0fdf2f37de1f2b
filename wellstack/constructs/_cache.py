"""Values of the construct tree that never change once made, asked of the jsii kernel once.

Every read of a CDK object from Python is a round trip to the jsii kernel (Node), about a fifth
of a millisecond each; a copy of the tiers made 543 of them, most of them reads of values
already asked for (a stack's region, a construct's path) or new objects for the same immutable
value (``Duration.days(30)``, ``Port.tcp(443)``, ``ServicePrincipal("ec2.amazonaws.com")``).
These helpers ask once per process and hand out the same answer: a stack's account and region
and a construct's path are fixed when it is created, and CDK's value objects (``Duration``,
``Port``, principals, peers) are immutable, so sharing one instance changes nothing in any
template. docs/performance.md has the measurements.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import IConstruct

T = TypeVar("T")

_stacks: dict[str, cdk.Stack] = {}
_paths: dict[str, str] = {}
_envs: dict[str, tuple[str, str]] = {}


def _ref(construct: Any) -> str | None:
    """The kernel's id of a jsii object (``None`` for one the kernel has not seen yet); an
    object jsii returned as an interface is a proxy over delegates that carry the id."""
    delegates = getattr(construct, "_delegates", None)
    if isinstance(delegates, list) and delegates:
        construct = delegates[0]
    reference = getattr(construct, "__jsii_ref__", None)
    return getattr(reference, "ref", None)


def _remember(
    store: dict[str, T], owner: Any, ask: Callable[[], T], keep: Callable[[T], bool] = bool
) -> T:
    """``store``'s answer for ``owner``, or ``ask()`` once and keep it (when ``keep`` says so;
    an object the kernel has not seen yet is never kept)."""
    key = _ref(owner)
    if key and key in store:
        return store[key]
    value = ask()
    if key and keep(value):
        store[key] = value
    return value


def stack_of(scope: IConstruct) -> cdk.Stack:
    """``cdk.Stack.of(scope)`` (raises as it does outside a stack)."""
    if isinstance(scope, cdk.Stack):
        return scope  # Stack.of(stack) is the stack itself
    return _remember(_stacks, scope, lambda: cdk.Stack.of(scope))


def _env(scope: IConstruct) -> tuple[str, str]:
    stack = stack_of(scope)
    return _remember(_envs, stack, lambda: (stack.account, stack.region))


def account(scope: IConstruct) -> str:
    """The account of ``scope``'s stack (a token when the stack has none)."""
    return _env(scope)[0]


def region(scope: IConstruct) -> str:
    """The region of ``scope``'s stack (a token when the stack has none)."""
    return _env(scope)[1]


def path(construct: IConstruct) -> str:
    """``construct.node.path`` (the app's own path, ``""``, is asked each time)."""
    return _remember(_paths, construct, lambda: construct.node.path)


@lru_cache(maxsize=256)
def days(amount: int | float) -> cdk.Duration:
    return cdk.Duration.days(amount)


@lru_cache(maxsize=256)
def hours(amount: int | float) -> cdk.Duration:
    return cdk.Duration.hours(amount)


@lru_cache(maxsize=256)
def minutes(amount: int | float) -> cdk.Duration:
    return cdk.Duration.minutes(amount)


@lru_cache(maxsize=256)
def seconds(amount: int | float) -> cdk.Duration:
    return cdk.Duration.seconds(amount)


@lru_cache(maxsize=256)
def tcp(port: int | float) -> ec2.Port:
    return ec2.Port.tcp(port)


@lru_cache(maxsize=256)
def service_principal(service: str) -> iam.ServicePrincipal:
    """``iam.ServicePrincipal(service)``: a principal holds only its name (CDK resolves it for
    each stack's region and partition at synthesis), so one per name serves every statement."""
    return iam.ServicePrincipal(service)


@lru_cache(maxsize=1)
def any_principal() -> iam.AnyPrincipal:
    """``iam.AnyPrincipal()`` (``*``), one per process."""
    return iam.AnyPrincipal()


@lru_cache(maxsize=1)
def any_ipv4() -> ec2.IPeer:
    """``ec2.Peer.any_ipv4()`` (``0.0.0.0/0``), one per process."""
    return ec2.Peer.any_ipv4()


@lru_cache(maxsize=1)
def any_ipv6() -> ec2.IPeer:
    """``ec2.Peer.any_ipv6()`` (``::/0``), one per process."""
    return ec2.Peer.any_ipv6()


_type_names: dict[str, str] = {}


@lru_cache(maxsize=256)
def instance_type(name: str) -> ec2.InstanceType:
    """``ec2.InstanceType(name)``, remembered with its name (see :func:`instance_type_name`)."""
    made = ec2.InstanceType(name)
    key = _ref(made)
    if key:
        _type_names[key] = name
    return made


def instance_type_name(value: ec2.InstanceType) -> str:
    """``str(value.to_string())``, without asking the kernel for a type made here."""
    return _remember(_type_names, value, lambda: str(value.to_string()))


_versions: dict[str, str | None] = {}


def engine_full_version(engine: Any) -> str | None:
    """``engine.engine_version.full_version`` of an ``rds.IClusterEngine`` (``None`` when the
    engine has no version)."""

    def ask() -> str | None:
        version = engine.engine_version
        return str(version.full_version) if version else None

    return _remember(_versions, engine, ask, keep=lambda _: True)


_nodes: dict[str, Any] = {}
_default_children: dict[str, Any] = {}


def node(construct: IConstruct) -> Any:
    """``construct.node`` (a construct's node never changes)."""
    return _remember(_nodes, construct, lambda: construct.node)


def default_child(construct: IConstruct) -> Any:
    """``construct.node.default_child``, remembered once it exists (an L2 makes its resource
    in its constructor; ``None`` is asked again)."""
    return _remember(
        _default_children, construct, lambda: node(construct).default_child,
        keep=lambda child: child is not None,
    )  # fmt: skip


def adopt(child: IConstruct, scope: IConstruct, construct_id: str) -> None:
    """Record what is known of a construct wellstack just made under ``scope``: its stack is
    ``scope``'s and its path is ``scope``'s path and its id (``Node.path`` joins the ids from
    the root, the app's being empty)."""
    key = _ref(child)
    if not key:
        return
    parent = path(scope)
    _paths[key] = f"{parent}/{construct_id}" if parent else construct_id
    with contextlib.suppress(RuntimeError):  # outside a stack: Stack.of raises where asked
        _stacks[key] = stack_of(scope)
