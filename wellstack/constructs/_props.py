"""Overrides: ``xxx_props`` mappings of a CDK L2 construct's keyword arguments, merged over
wellstack's defaults (AWS Solutions Constructs' ``consolidateProps``/``CheckProps`` idea, with
the checks wellstack needs).

Every key is checked before the L2 is built:

* it must be a keyword argument of the L2 (a typo names the closest real ones);
* a key wellstack sets through one of its own keywords (``encryption_key``, ``versioned`` ...)
  is refused with a pointer to that keyword, so one choice has one place;
* a key that would weaken a protection (public access, encryption off, deletion protection off,
  TLS off ...) is refused, naming the key, unless its value keeps the protection;
* the value must have the type the L2 declares.
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

import typeguard  # jsii's own dependency

from wellstack.constructs.checks import Problems
from wellstack.errors import WellstackError
from wellstack.validation import describe

T = TypeVar("T")
#: A per-key value check: records a problem and returns False when the value is not acceptable.
KeyCheck = Callable[[Problems, str, Any], bool]


@dataclass(frozen=True)
class Protect:
    """A key that may be overridden only with a value that keeps a protection."""

    safe: Callable[[Any], bool]
    why: str


@dataclass(frozen=True)
class OverrideRules:
    """What one ``xxx_props`` accepts for the L2 class ``target``."""

    target: type
    #: key -> the wellstack keyword that owns it
    managed: Mapping[str, str]
    #: key -> the protection it must keep
    protected: Mapping[str, Protect]
    #: key -> an extra value check (names, ranges AWS enforces at deploy time)
    checks: Mapping[str, KeyCheck] = field(default_factory=dict)


@cache
def keyword_arguments(target: type) -> tuple[str, ...]:
    """The keyword-only arguments of an L2 class's constructor (jsii keeps them in the
    signature)."""
    parameters = inspect.signature(target.__init__).parameters.values()  # type: ignore[misc]
    return tuple(p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY)


@cache
def _hints(target: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(target.__init__)  # type: ignore[misc]
    except Exception:  # an annotation that cannot be resolved: skip the type check
        return {}


def _type_ok(target: type, key: str, value: Any) -> str | None:
    """None when ``value`` fits the L2's declared type for ``key``, else the expected type."""
    hint = _hints(target).get(key)
    if hint is None:
        return None
    try:
        typeguard.check_type(key, value, hint)
    except TypeError:
        return _describe(hint)
    return None


def _describe(hint: Any) -> str:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    names = [getattr(a, "__name__", str(a)) for a in (args or [hint])]
    return " or ".join(names)


def check_overrides(
    problems: Problems, prop: str, overrides: Any, rules: OverrideRules
) -> dict[str, Any]:
    """The acceptable entries of ``overrides`` (``None`` is no override); problems recorded."""
    if overrides is None:
        return {}
    if not problems.mapping(prop, overrides):
        return {}
    allowed = keyword_arguments(rules.target)
    accepted: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            problems.add(
                f"{prop}[{key!r}] is not a keyword argument of {rules.target.__name__}{hint}",
                "unknown",
            )
        elif key in rules.managed:
            problems.add(
                f"{prop}[{key!r}] is set by wellstack; use the {rules.managed[key]} keyword "
                f"instead",
                "conflict",
            )
        elif key in rules.protected and not rules.protected[key].safe(value):
            problems.add(
                f"{prop}[{key!r}]={describe(value)} would {rules.protected[key].why}; wellstack "
                f"does not allow it",
                "protected",
            )
        elif (expected := _type_ok(rules.target, key, value)) is not None:
            problems.add(f"{prop}[{key!r}] must be {expected}, got {describe(value)}", "type")
        elif key in rules.checks and not rules.checks[key](problems, f"{prop}[{key!r}]", value):
            pass
        else:
            accepted[key] = value
    return accepted


def build(path: str, prop: str, overridden: bool, factory: Callable[[], T]) -> T:
    """Build an L2 whose keyword arguments include ``prop``'s overrides: an error CDK raises
    (a jsii stack trace) becomes a :class:`WellstackError` naming the prop."""
    if not overridden:
        return factory()
    try:
        return factory()
    except (RuntimeError, TypeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise WellstackError(path, [f"{prop}: CDK rejected the overrides: {first}"]) from None


def merge(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """wellstack's keyword arguments with the accepted overrides on top."""
    return {**defaults, **overrides}


def never(_: Any) -> bool:
    return False
