"""The one error type of wellstack's library: bad input to a construct, a stack or a setting."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

#: What kind of problem: a stable code to test and to script against (the message says the
#: rest in words and may be reworded).
Code = Literal[
    "type",  # not of the kind the prop takes (a str for an int, a dict for a list ...)
    "range",  # a number outside the range AWS (or the design) allows
    "choice",  # not one of the allowed values
    "format",  # a string that does not have the required shape (a CIDR, a name, a window)
    "length",  # a string or list too long or too short
    "duplicate",  # the same value twice where each must be unique
    "unknown",  # an unknown key or keyword argument
    "required",  # a required value missing
    "conflict",  # props that cannot be combined (AWS refuses the combination)
    "mismatch",  # two constructs that do not fit each other (ports, engines, CIDRs)
    "protected",  # an override that would weaken a protection
    "invalid",  # anything else
]
_LEADING_PROP = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?(?:\.[A-Za-z_][A-Za-z0-9_]*)?")
_SETTINGS_KEY = re.compile(r"environment '[^']*', key '([^']*)'")


@dataclass(frozen=True)
class Problem:
    """One problem: its code, the prop (or cdk.json key) it is about, and the message. A
    problem of several props together (a conflict) names the first as ``prop`` and the others
    in ``also``."""

    code: Code
    prop: str
    message: str
    also: tuple[str, ...] = ()

    @property
    def props(self) -> tuple[str, ...]:
        """Every prop the problem is about."""
        return (self.prop, *self.also)

    def __str__(self) -> str:
        return self.message


def prop_of(message: str) -> str:
    """The prop a message is about: its leading name (``readers must be ...`` -> ``readers``,
    ``cluster_props['port'] ...`` -> ``cluster_props['port']``), or the key of a settings
    message (``environment 'prod', key 'nat': ...`` -> ``nat``)."""
    key = _SETTINGS_KEY.match(message)
    if key:
        return key.group(1)
    found = _LEADING_PROP.match(message)
    return found.group(0) if found else ""


class WellstackError(ValueError):
    """Bad input, reported with where it was given and every problem found there at once.

    A ``ValueError`` subclass, so ``except ValueError`` keeps working.

    :ivar path: where: a construct path (``"Prod/Data/Database"``) or a settings location
        (``"cdk.json environment 'prod'"``); empty when there is no better place to name.
    :ivar problems: one message per problem, each naming the prop (or key), the value received
        and what is allowed.
    :ivar details: the same problems with a stable code and the prop each is about
        (:class:`Problem`), for scripts and tests.
    """

    def __init__(self, path: str, problems: Sequence[str | Problem]) -> None:
        self.path: str = path
        self.details: tuple[Problem, ...] = tuple(
            p if isinstance(p, Problem) else Problem("invalid", prop_of(p), p) for p in problems
        )
        self.problems: tuple[str, ...] = tuple(p.message for p in self.details)
        text = "; ".join(self.problems)
        super().__init__(f"{path}: {text}" if path else text)

    def codes(self) -> list[tuple[str, str]]:
        """``(code, prop)`` of every problem, in order."""
        return [(p.code, p.prop) for p in self.details]
