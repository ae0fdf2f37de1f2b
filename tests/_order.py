"""The order ``make test`` hands test files to its workers: longest first, by recorded durations.

``make test`` gives whole files to its two workers in collection order (``--dist loadfile
--no-loadscope-reorder``): a long file handed out last leaves the other core idle while it
finishes. Each run records every file's summed test durations (setup, call and teardown) in
pytest's cache (``.pytest_cache``, git-ignored); the next run orders by them. A fresh clone has
no cache: it orders by ``tests/durations.json``, the durations ``make durations`` last copied
there. A file neither knows (a new one) goes first: it may be long.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

#: The key of the recorded durations in pytest's cache.
CACHE_KEY = "wellstack/durations"
#: The committed fallback.
BASELINE = Path(__file__).with_name("durations.json")


def baseline() -> dict[str, float]:
    return json.loads(BASELINE.read_text()) if BASELINE.exists() else {}


def merged(known: Mapping[str, float], measured: Mapping[str, float]) -> dict[str, float]:
    """``known`` updated with the files measured now (files not run keep their duration)."""
    return {**known, **{path: round(seconds, 2) for path, seconds in measured.items()}}


def order(paths: Iterable[str], durations: Mapping[str, float]) -> list[str]:
    """``paths`` (unique, in collection order), longest first; unknown ones first of all, in
    their collection order."""
    unique = list(dict.fromkeys(paths))
    position = {path: index for index, path in enumerate(unique)}
    return sorted(unique, key=lambda p: (p in durations, -durations.get(p, 0.0), position[p]))
