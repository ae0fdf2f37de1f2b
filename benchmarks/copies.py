"""The "copies of the tiers" benchmark (issue 32): one plain ``cdk.App()`` that builds COPIES
copies of the tiers — each a stack with ``Network`` (2 AZs), ``TierSecurityGroups``,
``AuroraCluster(readers=2)``, ``TieredBucket`` and ``AppTier``, env with account and region —
checked by cdk-nag's AwsSolutions (``Validations.of(app).add_plugins``), built and synthesized in
this one process: what a team that stamps out tenants or environments from one app runs.

    python benchmarks/copies.py wellstack|plain COPIES OUTDIR

``plain``: the same tiers hand-written in CDK L2 (``benchmarks/anchors/plain_app.py``'s three
stacks per copy, ``copy()``), with the same plugin. Prints one JSON line: import, construct and
synth seconds of this process (the kernel's Node time included: Python waits for it), and the
resources written. ``benchmarks/bench.py`` adds wall, CPU and peak memory of the process tree.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

t0 = time.perf_counter()
import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from wellstack.constructs import (  # noqa: E402
    AppTier,
    AuroraCluster,
    Network,
    TieredBucket,
    TierSecurityGroups,
)

ENV = cdk.Environment(account="111111111111", region="ap-northeast-2")
AZS = ["ap-northeast-2a", "ap-northeast-2c"]


def copy(app: cdk.App, index: int) -> None:
    """One copy of the tiers with wellstack."""
    stack = cdk.Stack(app, f"Tenant{index}", env=ENV)
    net = Network(stack, "Net", cidr=f"10.{index % 250}.0.0/16", availability_zones=AZS)
    groups = TierSecurityGroups(stack, "Sgs", vpc=net.vpc)
    AuroraCluster(stack, "Db", vpc=net.vpc, readers=2, security_group=groups.database)
    TieredBucket(stack, "Assets")
    AppTier(stack, "Web", vpc=net.vpc, security_groups=groups)


def builder(kind: str) -> Callable[[cdk.App, int], None]:
    if kind == "wellstack":
        return copy
    if kind != "plain":
        raise SystemExit(f"kind must be wellstack or plain, got {kind!r}")
    sys.path.insert(0, str(Path(__file__).parent / "anchors"))
    from plain_app import copy as plain_copy  # pyright: ignore[reportMissingImports]

    return lambda app, index: plain_copy(app, index, ENV)


def main() -> None:
    kind, copies, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    build = builder(kind)
    t1 = time.perf_counter()
    # A hand-written app with an account in its env needs the AZs in its context: ec2.Vpc checks
    # explicit AZs against them (wellstack's Network records them itself).
    context = {f"availability-zones:account={ENV.account}:region={ENV.region}": AZS}
    app = cdk.App(outdir=out, context=context if kind == "plain" else None)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))  # pyright: ignore[reportArgumentType]
    for index in range(copies):
        build(app, index)
    t2 = time.perf_counter()
    assembly = app.synth()
    t3 = time.perf_counter()
    resources = 0
    for stack in assembly.stacks:
        resources += len(json.loads(Path(stack.template_full_path).read_text())["Resources"])
    times = {"import_s": t1 - t0, "construct_s": t2 - t1, "synth_s": t3 - t2}
    print(json.dumps({**{k: round(v, 3) for k, v in times.items()}, "resources": resources}))


if __name__ == "__main__":
    main()
