"""Synthesize the default app (``wellstack.app.build``) with a given context into a folder, in
a process of its own: ``python -m tests._synth CONTEXT_JSON OUTDIR``. Used by
``tests/conftest.py`` so that every configuration gets a fresh jsii kernel (a kernel never
frees what a test session built in it)."""

from __future__ import annotations

import json
import sys


def main() -> None:
    context, outdir = json.loads(sys.argv[1]), sys.argv[2]
    from wellstack.app import build, new_app

    app = new_app(context=context, outdir=outdir)
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
