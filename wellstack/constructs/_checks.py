"""Small validation helpers shared by the constructs: each raises a ``ValueError`` that names
the prop, the value received and what is allowed. Unresolved tokens are never checked."""

from __future__ import annotations

import ipaddress
from typing import Any

import aws_cdk as cdk

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def is_token(value: Any) -> bool:
    return isinstance(value, str | int | float) and cdk.Token.is_unresolved(value)


def check_int(prop: str, value: Any, low: int, high: int | None = None, why: str = "") -> None:
    """``value`` is an int (not a bool) in ``[low, high]``."""
    if is_token(value):
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{prop} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{prop} must be {bounds}{f' ({why})' if why else ''}, got {value}")


def check_choice(prop: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{prop} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def check_port(prop: str, value: Any) -> None:
    check_int(prop, value, 1, 65535, "a TCP port")


def check_cidr(prop: str, value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A canonical IPv4 or IPv6 CIDR block (no host bits set)."""
    if not isinstance(value, str):
        raise ValueError(f"{prop} must be a CIDR string such as '10.0.0.0/16', got {value!r}")
    if "/" not in value:
        raise ValueError(
            f"{prop} must be a CIDR block with a prefix length such as '{value}/32', got {value!r}"
        )
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        raise ValueError(
            f"{prop} must be a CIDR block such as '10.0.0.0/16', got {value!r} ({err})"
        ) from None


def check_log_retention(prop: str, value: Any) -> None:
    if is_token(value):
        return
    if isinstance(value, bool) or value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{prop} must be one of CloudWatch Logs' retention periods "
            f"({', '.join(map(str, LOG_RETENTION_DAYS))} days), got {value!r}"
        )


def log_retention(days: int) -> Any:
    """The ``logs.RetentionDays`` member for a validated number of days."""
    from aws_cdk import aws_logs as logs

    # RetentionDays lists the same periods in the same order, then INFINITE.
    return list(logs.RetentionDays)[LOG_RETENTION_DAYS.index(days)]
