"""The app tier's health-check timing, which ``wellstack plan --fail-az`` turns into recovery
times: defined in :mod:`wellstack.limits` (pure Python), named here for the code that reads them
as "defaults"."""

from __future__ import annotations

from wellstack.limits import (
    HEALTH_CHECK_GRACE_MINUTES,
    HEALTH_CHECK_INTERVAL_SECONDS,
    HEALTHY_THRESHOLD,
    SIGNAL_TIMEOUT_MINUTES,
    UNHEALTHY_THRESHOLD,
)

__all__ = [
    "HEALTHY_THRESHOLD",
    "HEALTH_CHECK_GRACE_MINUTES",
    "HEALTH_CHECK_INTERVAL_SECONDS",
    "SIGNAL_TIMEOUT_MINUTES",
    "UNHEALTHY_THRESHOLD",
]
