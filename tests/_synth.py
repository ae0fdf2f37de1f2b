"""Synthesize the default app (``wellstack.app.build``) with given contexts, in a process of its
own: ``python -m tests._synth`` reads one request a line on stdin, ``[CONTEXT, OUTDIR]``, builds
and synthesizes a new app for each and answers a line on stdout, ``{"ok": true}`` or
``{"error": TRACEBACK}``; after an error it exits (the next request gets a fresh process).

Used by ``tests/conftest.py``: a test worker keeps one such process for all the configurations
it synthesizes, so the apps live in a jsii kernel of their own (a kernel never frees an app; the
worker's stays small) and the ~2 s of starting Python, aws_cdk and a kernel is paid once per
worker instead of once per configuration. Apps built one after another in a process give the
same templates as each alone: ``tests/test_app.py`` checks it."""

from __future__ import annotations

import json
import os
import sys
import traceback


def main() -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # what the apps print goes to stderr
    sys.stdout = sys.stderr
    from wellstack.app import build, new_app

    for line in sys.stdin:
        context, outdir = json.loads(line)
        try:
            app = new_app(context=context, outdir=outdir)
            build(app)
            app.synth()
        except BaseException:
            answers.write(json.dumps({"error": traceback.format_exc()[-4000:]}) + "\n")
            answers.flush()
            return
        answers.write(json.dumps({"ok": True}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
