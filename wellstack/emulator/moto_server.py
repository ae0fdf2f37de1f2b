"""moto's server with :mod:`wellstack.emulator.moto_fixes` applied:
``python -m wellstack.emulator.moto_server -H 127.0.0.1 -p 4566``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from moto.server import main as moto_main

    from wellstack.emulator.moto_fixes import apply

    apply()
    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
