"""The one error type of wellstack's library: bad input to a construct, a stack or a setting."""

from __future__ import annotations

from collections.abc import Sequence


class WellstackError(ValueError):
    """Bad input, reported with where it was given and every problem found there at once.

    A ``ValueError`` subclass, so ``except ValueError`` keeps working.

    :ivar path: where: a construct path (``"Prod/Data/Database"``) or a settings location
        (``"cdk.json environment 'prod'"``); empty when there is no better place to name.
    :ivar problems: one message per problem, each naming the prop (or key), the value received
        and what is allowed.
    """

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path: str = path
        self.problems: tuple[str, ...] = tuple(problems)
        text = "; ".join(self.problems)
        super().__init__(f"{path}: {text}" if path else text)
