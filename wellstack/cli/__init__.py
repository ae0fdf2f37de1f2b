"""The ``wellstack`` command: one click group (:mod:`wellstack.cli._group`), one module per
command. Bad input is one line on stderr and exit code 2, never a traceback.

The command needs the ``cli`` extra (``pip install 'wellstack[cli]'``): a plain
``pip install wellstack`` installs the constructs and the ``wellstack`` script, which then says
so in one line instead of dying in an import.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

#: What the ``cli`` extra installs that the command imports.
CLI_MODULES = ("click", "rich", "boto3", "cfnlint")


def missing_extra(module: str) -> NoReturn:
    print(
        f"wellstack: error: the wellstack command needs its extra ({module} is not installed): "
        f"pip install 'wellstack[cli]'",
        file=sys.stderr,
    )
    sys.exit(2)


try:
    from wellstack.cli._group import main
except ModuleNotFoundError as _err:  # `pip install wellstack` without the extra
    if _err.name not in CLI_MODULES:
        raise
    _MISSING: str = _err.name

    def main(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]  # pyright: ignore[reportRedeclaration]
        missing_extra(_MISSING)


__all__ = ["CLI_MODULES", "main", "missing_extra"]
