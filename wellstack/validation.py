"""Validation shared by the constructs and the settings: a :class:`Problems` collector that checks
one prop after another and raises a single :class:`~wellstack.errors.WellstackError` naming every
bad prop, the value received and what is allowed, together with where (a construct path or a
cdk.json environment). Pure Python: the command-line tools use it without importing the CDK.

Rules: values are checked exactly (``fullmatch``, no trailing newline), bools are bools and ints
are ints (``True`` is not 1, ``"false"`` is not a bool), CIDRs are written ``address/prefix``
(not with a netmask), and a construct argument must be a CDK object of the expected kind before
jsii ever sees it (that check lives in :mod:`wellstack.constructs.checks`, which also teaches
the collector to skip unresolved CDK tokens: their value is only known at deploy).
"""

from __future__ import annotations

import enum
import inspect
import ipaddress
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from wellstack.catalog import az_problem
from wellstack.errors import Code, Problem, WellstackError, prop_of
from wellstack.limits import INT32_MAX, LOG_RETENTION_DAYS, SUBNET_MASK, Range

# ASCII digits only: ``\d`` would also take other scripts' digits.
_IPV4_CIDR = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}")
_IPV6_CIDR = re.compile(r"[0-9a-fA-F:]+(\.[0-9]{1,3}){0,4}/[0-9]{1,3}")
#: AWS region names (``ap-northeast-2``, ``us-gov-west-1``) and their AZ names (``...-2a``).
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_AZ = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}[a-z]")
#: Tag keys and values (AWS tagging rules, ``[\p{L}\p{Z}\p{N}_.:/=+\-@]*``): letters and digits
#: of any script, spaces, and _ . : / = + - @ (no tabs or newlines).
_TAG_TEXT = re.compile(r"(?:[^\W_]|[ \u00a0\u2000-\u200a\u3000_.:/=+\-@])*")
_RFC1918 = tuple(
    ipaddress.IPv4Network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
T = TypeVar("T")


def describe(value: Any, depth: int = 0) -> str:
    """A value as an error message shows it: ``repr`` for plain Python values, and what a CDK
    object *is* rather than where it lives in memory — ``BlockPublicAccess(block_public_acls=
    False, ...)``, ``Duration(3 minutes)``, ``InstanceType('t3.micro')``, ``RemovalPolicy.DESTROY``
    — never ``<aws_cdk.aws_s3.BlockPublicAccess object at 0x...>``."""
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, list | tuple) and depth < 3:
        inner = ", ".join(describe(v, depth + 1) for v in value[:8])
        more = ", ..." if len(value) > 8 else ""
        return f"[{inner}{more}]" if isinstance(value, list) else f"({inner}{more})"
    text = repr(value)
    if " object at 0x" not in text or depth >= 3:
        return text
    name = type(value).__name__.removeprefix("_").removesuffix("Proxy")
    try:
        human = getattr(value, "to_human_string", None)
        if callable(human):
            return f"{name}({human()})"
        string = getattr(value, "to_string", None)
        if callable(string):
            return f"{name}({string()!r})"
        fields = [
            n for n, member in inspect.getmembers(type(value)) if isinstance(member, property)
            and not n.startswith("_")
        ]  # fmt: skip
        if fields and len(fields) <= 12:
            shown = ", ".join(f"{n}={describe(getattr(value, n), depth + 1)}" for n in fields)
            return f"{name}({shown})"
    except Exception:  # a property jsii cannot read: say what it is, at least
        return f"a {name}"
    return f"a {name}"


@dataclass(frozen=True)
class Conflict:
    """A rule across props, as data: when ``holds(values)``, ``message`` (formatted with the
    values) is a problem of ``props[0]``. :meth:`Problems.conflicts` runs a list of them."""

    props: tuple[str, ...]
    holds: Callable[[Mapping[str, Any]], bool]
    message: str


class Problems:
    """Collects every problem of one constructor call; :meth:`done` raises them together.

    Each ``check`` method returns True when the value is acceptable (or an unresolved token), so
    rules that depend on a value run only when it is valid.
    """

    def __init__(self, path: str) -> None:
        self.path: str = path
        self.details: list[Problem] = []

    @property
    def problems(self) -> list[str]:
        """The messages so far."""
        return [p.message for p in self.details]

    def unresolved(self, value: Any) -> bool:
        """A value only known at deploy time (a CDK token): never checked. Plain Python has
        none; the constructs' collector knows CDK tokens."""
        return False

    # --- bookkeeping ---------------------------------------------------------------------------

    def add(
        self,
        message: str,
        code: Code = "invalid",
        prop: str | None = None,
        also: Sequence[str] = (),
    ) -> bool:
        """Record a problem (its prop, when not given, is the message's leading name; ``also``:
        the other props of a problem of several together)."""
        prop = prop_of(message) if prop is None else prop
        self.details.append(Problem(code, prop, message, tuple(p for p in also if p != prop)))
        return False

    def check(self, condition: bool, message: str, code: Code = "invalid") -> bool:
        return True if condition else self.add(message, code)

    def __bool__(self) -> bool:
        return bool(self.details)

    def done(self) -> None:
        """Raise every problem collected so far (nothing when there is none)."""
        if self.details:
            raise WellstackError(self.path, self.details)

    def require(self, value: T | None) -> T:
        """A value a check returned, after :meth:`done`: checks return None only with a
        problem recorded, so this raises those problems."""
        if value is None:
            raise WellstackError(self.path, self.details or ["a required value is missing"])
        return value

    def conflicts(self, values: Mapping[str, Any], rules: Sequence[Conflict]) -> bool:
        """Run rules across props (:class:`Conflict`, as data) over ``values``; record the
        first that holds (one reason is enough) and return False, or True when none does."""
        for rule in rules:
            if rule.holds(values):
                message = rule.message.format(**values)
                return self.add(message, "conflict", rule.props[0], rule.props[1:])
        return True

    # --- scalar values -------------------------------------------------------------------------

    def integer(
        self, prop: str, value: Any, low: int, high: int | None = None, why: str = ""
    ) -> bool:
        """An ``int`` (never a bool or a float) in ``[low, high]``; ``high`` defaults to the
        largest 32-bit integer, which CloudFormation and the AWS APIs take."""
        if self.unresolved(value):
            return True
        if not isinstance(value, int) or isinstance(value, bool):
            return self.add(f"{prop} must be an integer, got {describe(value)}", "type")
        why = f" ({why})" if why else ""
        if high is None:
            if value < low:
                return self.add(f"{prop} must be at least {low}{why}, got {value}", "range")
            if value > INT32_MAX:
                return self.add(
                    f"{prop} must be at most {INT32_MAX} (a 32-bit integer), got {value}", "range"
                )
            return True
        if not low <= value <= high:
            return self.add(f"{prop} must be between {low} and {high}{why}, got {value}", "range")
        return True

    def within(self, prop: str, value: Any, limits: Range) -> bool:
        """An ``int`` in a :class:`~wellstack.limits.Range` (its bounds and its reason quoted)."""
        return self.integer(prop, value, limits.low, limits.high, limits.why)

    def number(
        self,
        prop: str,
        value: Any,
        low: float,
        high: float,
        unit: str = "",
        step: float = 0,
    ) -> bool:
        """A finite int or float (not a bool) in ``[low, high]`` ``unit``, a multiple of
        ``step``."""
        if self.unresolved(value):
            return True
        what = f"a number of {unit}" if unit else "a number"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            return self.add(f"{prop} must be {what}, got {describe(value)}", "type")
        if not low <= value <= high or (step and (value / step) % 1):
            unit_text = f" {unit}" if unit else ""
            steps = f" in steps of {step:g}" if step else ""
            return self.add(
                f"{prop} must be between {low:g} and {high:g}{unit_text}{steps}, got {value:g}",
                "range",
            )
        return True

    def flag(self, prop: str, value: Any) -> bool:
        """``True`` or ``False``: not ``"false"``, not 0 or 1."""
        return self.check(
            isinstance(value, bool), f"{prop} must be True or False, got {describe(value)}", "type"
        )

    def choice(self, prop: str, value: Any, allowed: Sequence[str]) -> bool:
        return self.check(
            isinstance(value, str) and value in allowed,
            f"{prop} must be one of {', '.join(map(repr, allowed))}, got {describe(value)}",
            "choice",
        )

    def text(
        self,
        prop: str,
        value: Any,
        pattern: re.Pattern[str] | str,
        what: str,
        max_length: int | None = None,
    ) -> bool:
        """A string that matches ``pattern`` exactly (``what`` describes it with an example)."""
        if self.unresolved(value):
            return True
        if not isinstance(value, str):
            return self.add(f"{prop} must be {what}, got {describe(value)}", "type")
        if max_length is not None and len(value) > max_length:
            return self.add(
                f"{prop} must be at most {max_length} characters, got {len(value)} ({value!r})",
                "length",
            )
        return self.check(
            re.fullmatch(pattern, value) is not None,
            f"{prop} must be {what}, got {describe(value)}",
            "format",
        )

    def port(self, prop: str, value: Any, low: int = 1, why: str = "a TCP port") -> bool:
        return self.integer(prop, value, low, 65535, why)

    def log_retention(self, prop: str, value: Any) -> bool:
        if self.unresolved(value):
            return True
        return self.check(
            isinstance(value, int) and not isinstance(value, bool) and value in LOG_RETENTION_DAYS,
            f"{prop} must be one of CloudWatch Logs' retention periods "
            f"({', '.join(map(str, LOG_RETENTION_DAYS))} days), got {describe(value)}",
            "choice",
        )

    # --- network values ------------------------------------------------------------------------

    def cidr(
        self, prop: str, value: Any, version: int | None = None
    ) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        """A CIDR block written ``address/prefix`` with no host bits set; ``version`` 4 or 6 to
        require one family. Returns the network, or None (problem recorded)."""
        family = {4: "an IPv4", 6: "an IPv6", None: "a"}[version]
        example = {4: "'10.0.0.0/16'", 6: "'::/0'", None: "'10.0.0.0/16' or '::/0'"}[version]
        if not isinstance(value, str):
            self.add(
                f"{prop} must be {family} CIDR block such as {example}, got {describe(value)}",
                "type",
            )
            return None
        shape = {4: _IPV4_CIDR, 6: _IPV6_CIDR}.get(version or (6 if ":" in value else 4))
        if shape is None or not shape.fullmatch(value):
            self.add(
                f"{prop} must be {family} CIDR block written address/prefix such as {example} "
                f"(not a netmask, no spaces), got {describe(value)}",
                "format",
            )
            return None
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError as err:
            self.add(
                f"{prop} must be {family} CIDR block such as {example}, got {describe(value)} "
                f"({err})",
                "format",
            )
            return None
        if version is not None and network.version != version:
            self.add(
                f"{prop} must be {family} CIDR block such as {example}, got {describe(value)}",
                "format",
            )
            return None
        return network

    def vpc_cidr(self, prop: str, value: Any) -> ipaddress.IPv4Network | None:
        """A VPC's IPv4 block: a private (RFC 1918) /16 to /28."""
        network = self.cidr(prop, value, version=4)
        if not isinstance(network, ipaddress.IPv4Network):
            return None
        if not any(network.subnet_of(block) for block in _RFC1918):
            self.add(
                f"{prop} must be a private (RFC 1918) block inside 10.0.0.0/8, 172.16.0.0/12 or "
                f"192.168.0.0/16, got {describe(value)}",
                "range",
            )
            return None
        if network.prefixlen not in SUBNET_MASK:
            self.add(
                f"{prop} must be a /{SUBNET_MASK.low} to /{SUBNET_MASK.high} block (AWS's VPC "
                f"size limits), got {describe(value)}",
                "range",
            )
            return None
        return network

    def availability_zones(self, prop: str, value: Any, region: str | None) -> list[str] | None:
        """A list of 2+ distinct AZ names, all in ``region`` when it is known."""
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            self.add(
                f"{prop} must be a list of availability zone names, got {describe(value)}", "type"
            )
            return None
        azs = list(value)
        bad = [az for az in azs if not isinstance(az, str) or not _AZ.fullmatch(az)]
        if bad:
            self.add(
                f"{prop} must be availability zone names such as 'ap-northeast-2a', got "
                f"{', '.join(map(repr, bad))}",
                "format",
            )
            return None
        if region and not self.unresolved(region):
            foreign = [az for az in azs if not re.fullmatch(re.escape(region) + "[a-z]", az)]
            if foreign:
                self.add(
                    f"{prop} must be availability zones of region {region!r}, got "
                    f"{', '.join(map(repr, foreign))}",
                    "mismatch",
                )
                return None
        unknown = [problem for az in azs if (problem := az_problem(az))]
        if unknown:
            self.add(f"{prop} must name AZs that exist: {'; '.join(unknown)}", "choice")
            return None
        if len(azs) < 2:
            self.add(
                f"{prop} must name at least 2 AZs (a tier in one AZ is a single point of "
                f"failure), got {azs!r}",
                "length",
            )
            return None
        if len(set(azs)) != len(azs):
            self.add(f"{prop} lists an AZ twice: {azs!r}", "duplicate")
            return None
        return azs

    # --- objects -------------------------------------------------------------------------------

    def instance_of(self, prop: str, value: Any, kind: type | tuple[type, ...], what: str) -> bool:
        """A Python-side class check (``TierSecurityGroups``, ``ec2.UserData`` ...)."""
        return self.check(
            isinstance(value, kind), f"{prop} must be {what}, got {describe(value)}", "type"
        )

    def mapping(self, prop: str, value: Any) -> bool:
        """A mapping with string keys (``bucket_props``, ``tags`` ...)."""
        if not isinstance(value, Mapping):
            return self.add(
                f"{prop} must be a mapping of keyword arguments, got {describe(value)}", "type"
            )
        bad = [key for key in value if not isinstance(key, str)]
        return self.check(not bad, f"{prop} keys must be strings, got {bad!r}")

    def tags(self, prop: str, value: Any) -> bool:
        """AWS tag rules: keys 1-128 characters not starting with ``aws:``, values up to 256,
        letters, digits, spaces and ``_ . : / = + - @``."""
        if not isinstance(value, Mapping):
            return self.add(
                f"{prop} must be a mapping of tag keys to values, got {describe(value)}"
            )
        ok = True
        for key, tag_value in value.items():
            if not isinstance(key, str) or not 1 <= len(key) <= 128 or not _TAG_TEXT.fullmatch(key):
                ok = self.add(
                    f"{prop} key {key!r} must be 1-128 letters, digits, spaces or _ . : / = + - @"
                )
            elif key.lower().startswith("aws:"):
                ok = self.add(f"{prop} key {key!r} must not start with 'aws:' (reserved by AWS)")
            if (
                not isinstance(tag_value, str)
                or len(tag_value) > 256
                or not _TAG_TEXT.fullmatch(tag_value)
            ):
                ok = self.add(
                    f"{prop}[{key!r}] must be a string of at most 256 letters, digits, spaces or "
                    f"_ . : / = + - @, got {tag_value!r}"
                )
        return ok
