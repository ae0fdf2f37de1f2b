"""Where one extra copy of the tiers goes (issue 32): jsii round trips and Node's time.

    python benchmarks/profile_copy.py [--kind wellstack|plain] [--copies 11] [--node]

1. Round trips: builds one copy (``benchmarks/copies.py``'s) to warm up, then counts every
   request the Python side sends the jsii kernel while a second copy is built, by kind
   (create, get, invoke, static invoke …) and by the wellstack line that made it, with the time
   Python waited for the answer.
2. ``--node``: runs ``copies.py`` with 1 and with ``--copies`` copies with the kernel under
   Node's ``--cpu-prof`` and charges each sample's self time to a category (the jsii kernel and
   its serialization, aws-cdk-lib by module, cdk-nag, garbage collection, Node's own work);
   the difference of the two runs divided by the extra copies is the cost of one copy.

Prints Markdown tables (docs/performance.md, "Copies of the tiers").
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def round_trips(kind: str) -> str:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import aws_cdk as cdk
    import copies  # pyright: ignore[reportMissingImports]
    import jsii._kernel.providers.process as process
    from cdk_nag import AwsSolutionsChecks

    kinds: collections.Counter[str] = collections.Counter()
    sites: collections.Counter[str] = collections.Counter()
    waited: dict[str, float] = collections.defaultdict(float)
    original = process._NodeProcess.send  # pyright: ignore[reportPrivateUsage]

    def send(self: Any, request: Any, response_type: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(self, request, response_type)
        finally:
            elapsed = time.perf_counter() - start
            site = "elsewhere"
            for frame in reversed(traceback.extract_stack()[:-1]):
                if "/wellstack/" in frame.filename or "/benchmarks/" in frame.filename:
                    site = f"{Path(frame.filename).name}: {frame.name}"
                    break
            kinds[type(request).__name__.removesuffix("Request")] += 1
            sites[site] += 1
            waited[site] += elapsed

    build = copies.builder(kind)
    context = {f"availability-zones:account={copies.ENV.account}:region={copies.ENV.region}":
               copies.AZS}  # fmt: skip
    app = cdk.App(outdir=tempfile.mkdtemp(), context=context)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))  # pyright: ignore[reportArgumentType]
    build(app, 0)  # the first copy loads modules on both sides
    start = time.perf_counter()
    build(app, 1)  # timed without the tracer, which costs more than the calls it counts
    elapsed = time.perf_counter() - start
    process._NodeProcess.send = send  # pyright: ignore[reportPrivateUsage]
    build(app, 2)
    process._NodeProcess.send = original  # pyright: ignore[reportPrivateUsage]
    total = sum(kinds.values())
    lines = [
        f"{kind}: one extra copy takes {elapsed * 1000:.0f} ms to build and {total} round trips",
        "",
        "| kind | round trips |",
        "|---|---|",
        *(f"| {kind} | {count} |" for kind, count in kinds.most_common()),
        "",
        "| made by | round trips | waited |",
        "|---|---|---|",
        *(
            f"| {site} | {count} | {waited[site] * 1000:.1f} ms |"
            for site, count in sites.most_common(15)
        ),
    ]
    return "\n".join(lines)


CATEGORIES = (
    ("waiting for Python (the kernel's blocking read)", re.compile(r"^read$")),
    ("CDK's template validation (its WebAssembly engine)", re.compile(r"^wasm")),
    ("garbage collection", re.compile(r"^\(garbage collector\)$")),
    ("cdk-nag", re.compile(r"/cdk-nag/")),
    (
        "aws-cdk-lib core (tokens, synthesis, metadata, stack traces)",
        re.compile(r"aws-cdk-lib/core/"),
    ),
    ("aws-cdk-lib services (the L2 and L1 constructs)", re.compile(r"aws-cdk-lib/aws-")),
    ("constructs (the tree)", re.compile(r"/constructs/")),
    ("loading modules", re.compile(r"modules/cjs/loader|^internalModuleStat$|^readFileUtf8$")),
    (
        "the jsii kernel (requests, serialization, writing answers)",
        re.compile(r"jsii|program\.js|^writeBuffer$"),
    ),
)


def categorize(profile: dict[str, Any]) -> dict[str, float]:
    """Self time (ms) per category of a ``.cpuprofile``."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    self_time: collections.Counter[int] = collections.Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        self_time[sample] += delta
    result: dict[str, float] = collections.defaultdict(float)
    for node_id, micros in self_time.items():
        frame = nodes[node_id]["callFrame"]
        name, url = frame["functionName"], frame["url"]
        if name == "(idle)" or name == "(program)" or name == "(root)":
            continue  # not this process's work
        key = name if name.startswith(("(", "wasm")) or not url else url
        if name == "read" and not url:
            key = "read"
        category = next((label for label, rx in CATEGORIES if rx.search(key)), "other (Node)")
        result[category] += micros / 1000
    return result


def _idle(profile: dict[str, Any]) -> int:
    idle = {n["id"] for n in profile["nodes"] if n["callFrame"]["functionName"] == "(idle)"}
    return sum(
        d for s, d in zip(profile["samples"], profile["timeDeltas"], strict=False) if s in idle
    )


def node_profile(kind: str, copies: int) -> str:
    script = str(ROOT / "benchmarks" / "copies.py")
    totals = {}
    for count in (1, copies):
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "NODE_OPTIONS": f"--cpu-prof --cpu-prof-dir={folder}/prof"}
            subprocess.run(
                [sys.executable, script, kind, str(count), f"{folder}/out"],
                cwd=ROOT, env=env, check=True, capture_output=True,
            )  # fmt: skip
            # jsii starts the kernel behind a relay process (the runtime), which only copies
            # bytes: the kernel's profile is the larger one.
            profiles = [
                json.loads(p.read_text()) for p in Path(folder, "prof").glob("*.cpuprofile")
            ]
            kernel = max(profiles, key=lambda p: sum(p["timeDeltas"]) - _idle(p))
            totals[count] = categorize(kernel)
    extra = copies - 1
    lines = [
        f"{kind}: the kernel's time per extra copy ({copies} copies minus 1, divided by {extra}):",
        "",
        "| where | ms per copy |",
        "|---|---|",
    ]
    per_copy = {k: (totals[copies][k] - totals[1][k]) / extra for k in totals[copies]}
    for category, millis in sorted(per_copy.items(), key=lambda item: -item[1]):
        lines.append(f"| {category} | {millis:.0f} |")
    busy = sum(v for k, v in per_copy.items() if not k.startswith("waiting"))
    lines.append(f"| **the kernel busy, per copy** | **{busy:.0f}** |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["wellstack", "plain"], default="wellstack")
    parser.add_argument("--copies", type=int, default=11)
    parser.add_argument("--node", action="store_true", help="also profile Node (--cpu-prof)")
    args = parser.parse_args()
    print(round_trips(args.kind))
    if args.node:
        print()
        print(node_profile(args.kind, args.copies))
    return 0


if __name__ == "__main__":
    sys.exit(main())
