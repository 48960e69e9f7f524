"""Whole `exodus build --force` at the article's size and on synthetic graphs 10x and 100x larger.

Usage:
    nice -n 10 .venv/bin/python benchmarks/build_scaling.py [--scales 1 10 100] [--runs 1] [--keep DIR]
        [--project DIR]

For each scale the script writes a synthetic project (benchmarks/synthetic_project.py: the article's
statements repeated, every ``exd:`` IRI but the article's and its passages' renamed per copy, fresh
blank nodes), then times in the same run, each as a new process:

- ``exodus build --force``: wall time, CPU time (user + system: on a machine shared with other
  work, wall time mostly measures the others), the stage timings from the cache entry's manifest,
  and peak memory (the child's maximum resident set size, from the OS);
- the baseline: ``oxigraph load`` of the dataset that build wrote (the same quads, parsed and
  indexed by Oxigraph's own CLI, no validation or reasoning).

It prints one row per scale with the ratio of the build to that baseline, the ratio of the build to
the 1x build, and the growth exponent from the previous scale (log(time ratio) / log(size ratio):
1.0 is linear), all on CPU time. With ``--runs N`` each build is timed N times and the run with the least CPU time is shown.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_project import write_project  # noqa: E402


def tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if not beside_python.exists():
        sys.exit(f"build_scaling: cannot find {beside_python} (pip install -e '.[test]')")
    return str(beside_python)


def run_child(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak resident memory (bytes) of one child."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"build_scaling: {' '.join(command)} failed:\n{stderr}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024  # ru_maxrss is in KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--runs", type=int, default=1, help="builds per scale; the one with the least CPU time is shown")
    parser.add_argument("--keep", help="write the synthetic projects here and keep them")
    parser.add_argument("--project", default=str(ROOT), help="the project whose graph is repeated")
    args = parser.parse_args()

    exodus, oxigraph = tool("exodus"), tool("oxigraph")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    header = (
        f"{'scale':>5} {'asserted':>9} {'inferred':>9} | {'load':>6} {'valid.':>6} {'reason':>6} {'write':>6} | "
        f"{'build s':>8} {'cpu s':>7} {'peak MB':>8} | {'ox cpu s':>9} {'x ox':>6} | {'x 1x':>6} {'exponent':>8}"
    )
    with tempfile.TemporaryDirectory(prefix="exodus-scaling-") as scratch:
        folder = Path(args.keep or scratch)
        print(header)
        print("-" * len(header))
        first = previous = None
        for scale in args.scales:
            project = write_project(scale, folder / f"scale-{scale}x", source=Path(args.project))
            runs = [
                run_child([exodus, "--project", str(project), "build", "--force"]) for _ in range(args.runs)
            ]
            seconds, cpu, peak = min(runs, key=lambda run: run[1])
            entry = next(path for path in (project / "build" / "exodus-kg").iterdir() if not path.name.startswith("."))
            manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
            counts, timings = manifest["counts"], manifest["timings"]
            asserted = counts["https://w3id.org/exodus-kg/graph/asserted"]
            inferred = counts["https://w3id.org/exodus-kg/graph/inferred"]
            store = folder / f"oxigraph-{scale}x"
            _ox_seconds, ox_cpu, _ox_peak = run_child(
                [oxigraph, "load", "--location", str(store), "--file", str(entry / "dataset.nq")]
            )
            first = first or (scale, cpu)
            exponent = (
                f"{math.log(cpu / previous[1]) / math.log(scale / previous[0]):>8.2f}"
                if previous and scale != previous[0]
                else f"{'-':>8}"
            )
            previous = (scale, cpu)
            stages = " ".join(f"{timings.get(name, 0):>6.2f}" for name in ("load", "validate", "reason", "write"))
            print(
                f"{scale:>4}x {asserted:>9} {inferred:>9} | {stages} | {seconds:>8.2f} {cpu:>7.2f} "
                f"{peak / 2**20:>8.0f} | {ox_cpu:>9.2f} {cpu / ox_cpu:>5.1f}x | {cpu / first[1]:>5.1f}x {exponent}",
                flush=True,
            )
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    print(
        "build s: wall time of `exodus build --force` (a new process, imports included); stages (wall) from "
        "its manifest;\ncpu s: its user + system CPU time, the steadier measure on a shared machine; peak MB: "
        "its maximum resident set size;\nox cpu s: CPU time of `oxigraph load` of the same dataset.nq; "
        "the ratios (x ox, x 1x) and the exponent compare CPU times;\nexponent: log(time ratio) / log(scale "
        "ratio) from the previous scale (1.00 = linear)."
    )


if __name__ == "__main__":
    main()
