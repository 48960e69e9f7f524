"""Cold wall time of `exodus query NAME` against Oxigraph's own CLI on the same data and query.

Usage:
    .venv/bin/python benchmarks/query_speed.py [--runs 10] [--project DIR] [NAME ...]

For each saved query (default: alumni-companies, departures, timeline) it

1. makes sure the build is fresh (`exodus build`), so both tools read the same built dataset;
2. loads that dataset (dataset.nq of the cache entry) into an Oxigraph store folder with
   `oxigraph load`;
3. writes the query with its default parameters filled in, for `oxigraph query` only (the Oxigraph
   CLI has no parameter binding; `exodus` itself binds them by substitution);
4. times, in alternation, N runs of each as a new process (`exodus query NAME -f csv` and
   `oxigraph query --location DIR --query-file F --results-format csv --union-default-graph`),
   output to /dev/null, after one warm-up run of each;
5. prints the median and minimum wall times, the median CPU times (user + system, from the OS: the
   steadier measure on a shared machine) and the ratios of the medians.

Both run as they would for a user: PYTHONDONTWRITEBYTECODE is removed from the environment so
that Python keeps its compiled modules between runs, as an installed package does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_QUERIES = ["alumni-companies", "departures", "timeline"]


def tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if not found:
        sys.exit(f"query_speed: cannot find the {name!r} command (pip install -e '.[test]')")
    return found


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, from the OS) of one run of ``command``."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"query_speed: {' '.join(command)} failed:\n{stderr}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=DEFAULT_QUERIES, help="saved query names")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per tool and query")
    parser.add_argument("--project", help="project folder (default: as exodus finds it)")
    args = parser.parse_args()

    from exodus_kg.pipeline.build import DATASET_FILE, ensure_built
    from exodus_kg.project import find_project
    from exodus_kg.query.engine import PREFIXES
    from exodus_kg.query.saved_queries import get

    exodus, oxigraph = tool("exodus"), tool("oxigraph")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    project = find_project(args.project)
    project_args = ["--project", str(project.root)]
    entry = ensure_built(project, progress=lambda line: print(f"build: {line}", file=sys.stderr))

    with tempfile.TemporaryDirectory(prefix="exodus-bench-") as scratch:
        store_dir = Path(scratch) / "oxigraph-store"
        subprocess.run(
            [oxigraph, "load", "--location", str(store_dir), "--file", str(entry / DATASET_FILE)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        load = os.getloadavg()
        print(f"dataset: {entry / DATASET_FILE}")
        print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start")
        print(f"runs per tool and query: {args.runs} (after one warm-up run each)\n")
        header = (
            f"{'query':<24} {'exodus median':>14} {'exodus min':>11} {'oxigraph median':>16} "
            f"{'oxigraph min':>13} {'ratio':>6} | {'exo cpu':>10} {'oxi cpu':>10} {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        ratios, cpu_ratios = [], []
        for name in args.names:
            saved = get(project, name)
            text = saved.text
            # For Oxigraph's CLI only: it cannot bind parameters, so write the defaults in.
            for item in saved.bind({}, PREFIXES):
                value = f"<{item.value}>" if item.kind == "iri" else f'"{item.value}"^^<{item.datatype}>'
                text = text.replace("?" + item.param.variable, value)
            query_file = Path(scratch) / f"{name}.rq"
            query_file.write_text(text, encoding="utf-8")
            exodus_command = [exodus, *project_args, "query", name, "-f", "csv"]
            oxigraph_command = [
                oxigraph,
                "query",
                "--location",
                str(store_dir),
                "--query-file",
                str(query_file),
                "--results-format",
                "csv",
                "--union-default-graph",
            ]
            timed(exodus_command, env)
            timed(oxigraph_command, env)
            exodus_times, oxigraph_times = [], []
            for _ in range(args.runs):
                exodus_times.append(timed(exodus_command, env))
                oxigraph_times.append(timed(oxigraph_command, env))
            exodus_median = statistics.median(wall for wall, _cpu in exodus_times)
            oxigraph_median = statistics.median(wall for wall, _cpu in oxigraph_times)
            exodus_cpu = statistics.median(cpu for _wall, cpu in exodus_times)
            oxigraph_cpu = statistics.median(cpu for _wall, cpu in oxigraph_times)
            ratio = exodus_median / oxigraph_median
            ratios.append(ratio)
            cpu_ratios.append(exodus_cpu / oxigraph_cpu)
            print(
                f"{name:<24} {exodus_median * 1000:>11.1f} ms {min(w for w, _ in exodus_times) * 1000:>8.1f} ms "
                f"{oxigraph_median * 1000:>13.1f} ms {min(w for w, _ in oxigraph_times) * 1000:>10.1f} ms "
                f"{ratio:>5.2f}x | {exodus_cpu * 1000:>7.1f} ms {oxigraph_cpu * 1000:>7.1f} ms "
                f"{exodus_cpu / oxigraph_cpu:>5.2f}x"
            )
        load = os.getloadavg()
        print(f"\nratio of medians (exodus / oxigraph): worst {max(ratios):.2f}x wall, "
              f"{max(cpu_ratios):.2f}x CPU; aim <= 1.5x")
        print("CPU: median user + system time of the process, the steadier measure on a shared machine")
        print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")


if __name__ == "__main__":
    main()
