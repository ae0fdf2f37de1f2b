"""Reading resource policies (a topic policy, a key policy ...) in a synthesized template: does
this policy let an AWS service do that? Pure Python (no CDK import).

The question is always the same one: a service principal (``cloudwatch.amazonaws.com``) calls
an action (``sns:Publish``) with a request context it sets (``aws:SourceArn`` = the alarm's ARN,
``aws:SourceAccount``, ``aws:SecureTransport`` = true: AWS services call each other over TLS).
An explicit ``Deny`` that matches wins; otherwise an ``Allow`` that matches is needed (IAM's
"Policy evaluation logic": "an explicit deny in any policy overrides any allows").

What cannot be read offline is never held against the template: a condition on a key this
module does not know, or on a value only known at deploy, counts as *met* for an ``Allow`` and
as *not met* for a ``Deny`` — so a rule built on :func:`allows` reports only what is certainly
refused.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from wellstack.analysis.template import flat, is_intrinsic


@dataclass(frozen=True)
class Request:
    """What a service's call carries: who calls, which action, and the context keys it sets
    (lower-case names; values as strings, ``*`` where only a pattern is known)."""

    service: str
    action: str
    context: Mapping[str, str] = field(default_factory=dict)


def statements(document: Any) -> Iterator[Mapping[str, Any]]:
    """The statements of a policy document (a lone statement object counts as a list of one)."""
    if not isinstance(document, Mapping):
        return
    found = document.get("Statement", [])
    for statement in found if isinstance(found, list) else [found]:
        if isinstance(statement, Mapping):
            yield statement


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def names_service(statement: Mapping[str, Any], service: str) -> bool:
    """Does the statement's ``Principal`` cover the service (``"*"``, ``{"AWS": "*"}`` or
    ``{"Service": [... service ...]}``)? ``NotPrincipal`` is read as not covering it."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if any(v == "*" for v in _values(principal.get("AWS"))):
        return True
    return any(isinstance(v, str) and v == service for v in _values(principal.get("Service")))


def covers_action(statement: Mapping[str, Any], action: str) -> bool:
    """IAM matches actions case-insensitively, with ``*`` and ``?`` wildcards; ``NotAction``
    covers every action it does not list."""
    if "NotAction" in statement:
        return not any(
            isinstance(p, str) and fnmatch.fnmatchcase(action.lower(), p.lower())
            for p in _values(statement["NotAction"])
        )
    return any(
        isinstance(p, str) and fnmatch.fnmatchcase(action.lower(), p.lower())
        for p in _values(statement.get("Action", []))
    )


#: Condition operators this module evaluates (their ``IfExists`` forms too).
_POSITIVE = {"StringEquals", "StringLike", "ArnEquals", "ArnLike", "Bool"}
_NEGATED = {"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"}


def _test(operator: str, expected: Any, value: str | None) -> bool | None:
    """One condition test (operator, the statement's values, the request's value or None when
    the request does not carry the key); None when it cannot be told offline."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base not in _POSITIVE | _NEGATED:
        return None
    if value is None:  # IAM: a missing key fails a test, but not a negated or IfExists one
        return if_exists or base in _NEGATED
    like = base.endswith("Like")
    results: list[bool | None] = []
    for item in _values(expected):
        text = flat(item) if is_intrinsic(item) else item
        if not isinstance(text, str | bool) or "<" in str(text):
            results.append(None)  # a value known only at deploy
        elif base == "Bool":
            results.append(str(text).lower() == value.lower())
        else:
            results.append(_match(str(text), value, like))
    if any(r is True for r in results):
        hit: bool | None = True
    elif any(r is None for r in results):
        hit = None
    else:
        hit = False
    if base in _NEGATED and hit is not None:
        return not hit
    return hit


def _match(pattern: str, value: str, like: bool) -> bool | None:
    """Does the request's ``value`` match? Where the request only has a ``*`` (a part known at
    deploy, such as an environment-agnostic account), that part could be anything: an ARN is
    compared part by part, so ``arn:*:cloudwatch:r:1:alarm:*`` certainly misses a pattern for
    account 2 and may match one for account 1."""
    if "*" not in value:
        return fnmatch.fnmatchcase(value, pattern) if like else value == pattern
    if value.startswith("arn:") and pattern.startswith("arn:"):
        have, want = value.split(":", 5), pattern.split(":", 5)
        if len(have) != len(want):
            return None
        outcome: bool | None = True
        for part, expected in zip(have, want, strict=True):
            if part == "*" or (part.endswith("*") and part != expected):
                outcome = None  # unknown here
            elif not (fnmatch.fnmatchcase(part, expected) if like else part == expected):
                return False
        return outcome
    return None


def condition_met(statement: Mapping[str, Any], request: Request) -> bool | None:
    """True or False when every condition of the statement can be evaluated against the
    request; None when one cannot (an operator this module does not know, a value known only
    at deploy)."""
    conditions = statement.get("Condition")
    if conditions is None:
        return True
    if not isinstance(conditions, Mapping):
        return None
    outcome: bool | None = True
    for operator, tests in conditions.items():
        if not isinstance(tests, Mapping):
            return None
        for key, expected in tests.items():
            result = _test(str(operator), expected, request.context.get(str(key).lower()))
            if result is False:
                return False
            if result is None:
                outcome = None
    return outcome


def allows(document: Any, request: Request) -> bool:
    """Whether the policy lets the request through: no matching ``Deny`` (a deny whose
    conditions cannot be evaluated is taken as not matching) and a matching ``Allow`` (an allow
    whose conditions cannot be evaluated is taken as matching)."""
    allowed = False
    for statement in statements(document):
        if not names_service(statement, request.service):
            continue
        if not covers_action(statement, request.action):
            continue
        met = condition_met(statement, request)
        if statement.get("Effect") == "Deny" and met is True:
            return False
        if statement.get("Effect") == "Allow" and met is not False:
            allowed = True
    return allowed
