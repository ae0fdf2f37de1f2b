"""The constructs' side of validation: CDK tokens are skipped, construct arguments are checked
to be CDK objects of the right kind before jsii sees them, and errors carry the construct path."""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from wellstack.constructs import _cache as cached
from wellstack.errors import WellstackError
from wellstack.limits import INT32_MAX, LOG_RETENTION_DAYS
from wellstack.validation import Problems as _Problems
from wellstack.validation import describe

__all__ = [
    "INT32_MAX",
    "LOG_RETENTION_DAYS",
    "Problems",
    "implements",
    "is_token",
    "l1",
    "log_retention",
    "vpc_has_ipv6",
]


_L1 = TypeVar("_L1")


def l1(construct: Any, kind: type[_L1]) -> _L1:
    """The CloudFormation resource (``node.default_child``) of an L2 construct, of the kind
    expected; a clear error (not an ``assert``, which ``python -O`` drops) when it is not."""
    resource = cached.default_child(construct)
    if not isinstance(resource, kind):
        raise WellstackError(
            cached.path(construct), [f"expected a {kind.__name__} inside, got {resource!r}"]
        )
    return resource


#: CDK's string-token pattern (aws-cdk-lib ``core/lib/private/encoding.ts``: ``${Token[KEY]}``
#: with KEY of ``[a-zA-Z0-9:._-]``, or a number token written into a string).
_STRING_TOKEN = re.compile(r"\$\{Token\[[a-zA-Z0-9:._-]+\]\}|-1\.[0-9]{10,16}e\+289")
#: The high 16 bits of a number token's IEEE-754 double (``DOUBLE_TOKEN_MARKER_BITS``).
_DOUBLE_TOKEN_MARKER = 0xFBFF0000


def is_token(value: Any) -> bool:
    """An unresolved CDK token (its value is only known at deploy time).

    The same answer as ``cdk.Token.is_unresolved`` for strings and numbers, computed here from
    CDK's token encoding (``encoding.ts``: ``unresolved()``) rather than asked of the jsii
    kernel: a round trip per value checked was a tenth of a construct's cost
    (docs/performance.md). ``tests/test_properties.py`` compares the two on generated values.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return False
    if isinstance(value, str):
        return "Token[" in value and _STRING_TOKEN.search(value) is not None
    if isinstance(value, float) and not math.isfinite(value):
        return False  # NaN and infinity are no tokens, and jsii cannot carry them (invalid JSON)
    if isinstance(value, int) and abs(value) > 2**53:
        return False  # beyond JavaScript's exact integers: no token, and not a value we take
    (high,) = struct.unpack("<2I", struct.pack("<d", float(value)))[1:]
    return high & 0xFFFF0000 == _DOUBLE_TOKEN_MARKER


def _mro_interfaces(cls: type) -> list[type]:
    found: list[type] = []
    for klass in cls.__mro__:
        for iface in getattr(klass, "__jsii_ifaces__", ()) or ():
            found.extend(iface.__mro__)
    return found


def implements(value: Any, iface: type) -> bool:
    """Is ``value`` a jsii object (or a Python class declared with ``@jsii.implements``) that
    implements the jsii interface ``iface`` (``ec2.IVpc``, ``kms.IKey`` ...)? jsii interfaces are
    not runtime-checkable protocols, so ``isinstance`` cannot answer this."""
    if value is None or isinstance(value, str | int | float | bool | bytes | Mapping | Sequence):
        return False
    delegates = getattr(value, "_delegates", None)  # jsii's InterfaceDynamicProxy
    candidates = [type(d) for d in delegates] if isinstance(delegates, list) else [type(value)]
    for cls in candidates:
        if iface in cls.__mro__ or iface in _mro_interfaces(cls):
            return True
        proxy = getattr(iface, "__jsii_proxy_class__", None)
        if proxy is not None and issubclass(cls, proxy()):
            return True
    return False


def construct_path(scope: Any, construct_id: Any) -> str:
    """The path a construct *will* have, known before it is created."""
    if isinstance(scope, Construct):
        parent = cached.path(scope)
    else:
        parent = getattr(getattr(scope, "node", None), "path", "")
    return f"{parent}/{construct_id}" if parent else str(construct_id)


class Problems(_Problems):
    """:class:`wellstack.validation.Problems` for a construct: skips CDK tokens and checks
    construct arguments."""

    def unresolved(self, value: Any) -> bool:
        return is_token(value)

    @classmethod
    def of(cls, scope: Any, construct_id: Any, what: str) -> Problems:
        """A collector for ``what`` (a class name) built under ``scope`` as ``construct_id``;
        ``scope`` and ``construct_id`` are checked first (they are where the error points)."""
        if not isinstance(scope, Construct):
            raise WellstackError(
                what,
                [f"scope must be a construct (a Stack or a construct inside one), got {scope!r}"],
            )
        problems = cls(construct_path(scope, construct_id))
        if not isinstance(construct_id, str) or not construct_id or "/" in construct_id:
            problems.path = f"{cached.path(scope)}/?" if cached.path(scope) else what
            problems.add(
                f"construct_id must be a non-empty string without '/', got {construct_id!r}"
            )
        elif cached.node(scope).try_find_child(construct_id) is not None:
            problems.add(
                f"construct_id {construct_id!r} is already used by a sibling under "
                f"{cached.path(scope) or 'the app'}; construct ids must be unique among siblings"
            )
        problems.done()
        return problems

    def implements(self, prop: str, value: Any, iface: type, what: str) -> bool:
        """A CDK object implementing ``iface`` (``ec2.IVpc`` ...), checked before jsii sees it."""
        if implements(value, iface):
            return True  # the message (describe: a round trip for a CDK object) only on failure
        return self.add(f"{prop} must be {what}, got {describe(value)}", "type")


def log_retention(days: int) -> Any:
    """The ``logs.RetentionDays`` member for a validated number of days."""
    # RetentionDays lists the same periods in the same order, then INFINITE.
    return list(logs.RetentionDays)[LOG_RETENTION_DAYS.index(days)]


def vpc_has_ipv6(vpc: ec2.IVpc) -> bool | None:
    """Whether ``vpc`` has an IPv6 block: ``True``/``False`` for a VPC built in this app (a
    wellstack ``Network(ipv6=True)`` or CDK's dual-stack ``ec2.Vpc``), ``None`` when it cannot
    be known (an imported VPC)."""
    if not isinstance(vpc, ec2.Vpc):
        return None
    return any(
        isinstance(cached.node(vpc).try_find_child(child), ec2.CfnVPCCidrBlock)
        for child in ("Ipv6Cidr", "ipv6cidr")  # wellstack's, CDK's DUAL_STACK
    )
