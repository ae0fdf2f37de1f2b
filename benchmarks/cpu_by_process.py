"""Where the CPU time of `make test` goes, by kind of process (a diagnostic, not part of
`make bench`): the suite runs as `make test` runs it, under ``strace`` (which records every
program started and its arguments) and ``perf record -a`` (which samples every CPU 99 times a
second); each sample is charged to the process it hit, each process to a kind by its command
line. Linux only; needs ``strace`` and ``perf`` (and the permission to sample every CPU).

    make cpu-profile            (the suite with make test's PATH and PYTEST_ARGS)

About 2 minutes (the suite, slowed by about 10 % by strace); prints a table and writes
benchmarks/results/cpu_by_process.json.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HZ = 99
#: The first pattern found in a process's command line names its kind.
KINDS = (
    # jsii's runtime script starts the kernel: `node --preserve-symlinks .../lib/program.js`
    ("--preserve-symlinks", "jsii kernels (CDK apps: constructs, synthesis, cdk-nag)"),
    ("jsii-runtime", "jsii kernels (CDK apps: constructs, synthesis, cdk-nag)"),
    ("_template_validator.js", "template validator helpers"),
    ("pyright", "pyright (check, then --verifytypes)"),
    ("cdk_cli.js", "the CDK CLI"),
    ("sys.stdin.readline", "pytest-xdist workers (Python: tests, hypothesis, jsii calls)"),
    ("moto", "moto servers"),
    ("cfn-lint", "cfn-lint"),
    ("checkov", "checkov"),
    ("pdoc", "pdoc"),
    ('"-m", "pytest"', "pytest's controller"),
)
OTHER = "other (CLI runs, apps, pip, the sample runner ...)"
UNTRACED = "not started by the suite (strace itself, the system)"


def kind(command: str) -> str:
    return next((name for pattern, name in KINDS if pattern in command), OTHER)


def main() -> int:
    missing = [tool for tool in ("strace", "perf") if shutil.which(tool) is None]
    if missing:
        print(f"needs {' and '.join(missing)} on PATH", file=sys.stderr)
        return 2
    args = sys.argv[1:] or shlex.split(
        os.environ.get("PYTEST_ARGS", "-n auto --dist loadfile --no-loadscope-reorder")
    )
    with tempfile.TemporaryDirectory() as folder:
        execs, samples = Path(folder) / "exec.log", Path(folder) / "perf.data"
        start = time.perf_counter()
        suite = subprocess.run(
            [
                *("perf", "record", "-a", "-F", str(HZ), "-q", "-o", str(samples), "--"),
                *("strace", "-f", "--seccomp-bpf", "-e", "trace=execve", "-e", "signal=none"),
                *("-qq", "-s", "300", "-o", str(execs)),
                *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        if suite.returncode != 0:
            print(suite.stdout[-3000:], suite.stderr[-3000:], file=sys.stderr)
            return 1
        commands: dict[int, str] = {}
        for line in execs.read_text().splitlines():
            found = re.match(r"(\d+)\s+execve\(\"[^\"]+\", \[(.*?)\]", line)
            if found and "ENOENT" not in line:
                commands[int(found.group(1))] = found.group(2)
        script = subprocess.run(
            ["perf", "script", "-i", str(samples), "-F", "pid"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    per_pid = collections.Counter(int(pid) for pid in script.split())
    seconds: collections.Counter[str] = collections.Counter()
    processes: collections.Counter[str] = collections.Counter()
    for pid, count in per_pid.items():
        if pid == 0:
            continue  # idle
        name = kind(commands[pid]) if pid in commands else UNTRACED
        seconds[name] += count / HZ
        processes[name] += 1
    total = sum(seconds.values())
    rows = [
        {"kind": name, "cpu_s": round(value, 1), "processes": processes[name]}
        for name, value in seconds.most_common()
    ]
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
        "wall_s": round(wall, 1),
        "cpu_s": round(total, 1),
        "floor_s": round(total / (os.cpu_count() or 1), 1),
        "kinds": rows,
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "cpu_by_process.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"make test under strace + perf: {result['wall_s']} s wall, {result['cpu_s']} s CPU on "
        f"{result['cores']} cores (so at least {result['floor_s']} s however it is scheduled)"
    )
    width = max(len(row["kind"]) for row in rows)
    print(f"| {'kind':<{width}} | CPU s | processes |\n|{'-' * (width + 2)}|---|---|")
    for row in rows:
        print(f"| {row['kind']:<{width}} | {row['cpu_s']:5.1f} | {row['processes']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
