"""Cold time of `exodus query NAME` against Oxigraph's own CLI on the same data and query.

Usage:
    .venv/bin/python benchmarks/query_speed.py [--runs 10] [--project DIR] [NAME ...]

For each saved query (default: alumni-companies, departures, timeline) it

1. makes sure the build is fresh (`exodus build`), so both tools read the same built dataset;
2. loads that dataset (dataset.nq of the cache entry) into an Oxigraph store folder with
   `oxigraph load`;
3. writes the query with its default parameters filled in, for `oxigraph query` and the floor only
   (the Oxigraph CLI has no parameter binding; `exodus` itself binds them by substitution);
4. times, in alternation, N runs of each as a new process, output to /dev/null, after one warm-up
   run of each:
   - `exodus query NAME -f csv`,
   - `oxigraph query --location DIR --query-file F --results-format csv --union-default-graph`,
   - the floor: the same Python running what any Python tool must (the `import re, sys` of pip's
     console script, `import pyoxigraph`, `Store.read_only`, the query, CSV out, `os._exit`);
5. prints the median and minimum wall times, the median CPU times (user + system, from the OS: the
   steadier measure on a shared machine), the ratios of the medians to Oxigraph's, and the load
   average before and after.

All run as they would for a user: PYTHONDONTWRITEBYTECODE is removed from the environment so that
Python keeps its compiled modules between runs, as an installed package does. To measure what users
run, install the wheel into a fresh virtual environment and run the script with that environment's
Python from another folder (docs/performance.md, "Cold query"): without --project the project is
found as `exodus` finds it, the copy shipped in the wheel.
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

# What any Python command that answers from an Oxigraph store pays, and nothing more.
FLOOR = """\
import re, sys
import pyoxigraph as ox
store = ox.Store.read_only(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as handle:
    query = handle.read()
result = store.query(query, use_default_graph_as_union=True)
sys.stdout.buffer.write(result.serialize(format=ox.QueryResultsFormat.CSV))
sys.stdout.flush()
import os
os._exit(0)
"""


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
    # --project only when given: the copy shipped in a wheel is found as a user finds it (and cached
    # in the user cache), not taken for a checkout.
    project_args = ["--project", str(project.root)] if args.project else []
    entry = ensure_built(project, progress=lambda line: print(f"build: {line}", file=sys.stderr))

    with tempfile.TemporaryDirectory(prefix="exodus-bench-") as scratch:
        store_dir = Path(scratch) / "oxigraph-store"
        subprocess.run(
            [oxigraph, "load", "--location", str(store_dir), "--file", str(entry / DATASET_FILE)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        floor_script = Path(scratch) / "floor.py"
        floor_script.write_text(FLOOR, encoding="utf-8")
        load = os.getloadavg()
        print(f"exodus: {exodus}")
        print(f"dataset: {entry / DATASET_FILE}")
        print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start")
        print(f"runs per tool and query: {args.runs} (after one warm-up run each)\n")
        header = (
            f"{'query':<18} {'tool':<9} {'wall median':>12} {'wall min':>9} {'x oxigraph':>11} | "
            f"{'CPU median':>11} {'CPU min':>8} {'x oxigraph':>11}"
        )
        print(header)
        print("-" * len(header))
        worst: dict[str, tuple[float, float]] = {}
        for name in args.names:
            saved = get(project, name)
            text = saved.text
            # For Oxigraph's CLI and the floor only: they cannot bind parameters, so write the defaults in.
            for item in saved.bind({}, PREFIXES):
                value = f"<{item.value}>" if item.kind == "iri" else f'"{item.value}"^^<{item.datatype}>'
                text = text.replace("?" + item.param.variable, value)
            query_file = Path(scratch) / f"{name}.rq"
            query_file.write_text(text, encoding="utf-8")
            commands = {
                "exodus": [exodus, *project_args, "query", name, "-f", "csv"],
                "oxigraph": [
                    oxigraph, "query", "--location", str(store_dir), "--query-file", str(query_file),
                    "--results-format", "csv", "--union-default-graph",
                ],
                "floor": [sys.executable, str(floor_script), str(store_dir), str(query_file)],
            }
            for command in commands.values():
                timed(command, env)
            times: dict[str, list[tuple[float, float]]] = {tool_name: [] for tool_name in commands}
            for _ in range(args.runs):
                for tool_name, command in commands.items():
                    times[tool_name].append(timed(command, env))
            medians = {
                tool_name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
                for tool_name, runs in times.items()
            }
            base_wall, base_cpu = medians["oxigraph"]
            for tool_name, runs in times.items():
                wall, cpu = medians[tool_name]
                ratio_wall, ratio_cpu = wall / base_wall, cpu / base_cpu
                previous = worst.get(tool_name, (0.0, 0.0))
                worst[tool_name] = (max(previous[0], ratio_wall), max(previous[1], ratio_cpu))
                print(
                    f"{name if tool_name == 'exodus' else '':<18} {tool_name:<9} {wall * 1000:>9.1f} ms "
                    f"{min(w for w, _ in runs) * 1000:>6.1f} ms {ratio_wall:>10.2f}x | "
                    f"{cpu * 1000:>8.1f} ms {min(c for _, c in runs) * 1000:>5.1f} ms {ratio_cpu:>10.2f}x"
                )
        load = os.getloadavg()
        print(
            f"\nworst ratio of medians to oxigraph: exodus {worst['exodus'][0]:.2f}x wall, "
            f"{worst['exodus'][1]:.2f}x CPU; the floor {worst['floor'][0]:.2f}x wall, "
            f"{worst['floor'][1]:.2f}x CPU; aim <= 1.5x"
        )
        print("CPU: median user + system time of the process, the steadier measure on a shared machine")
        print("floor: the same Python importing pyoxigraph, opening the store and running the query, no more")
        print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")


if __name__ == "__main__":
    main()
