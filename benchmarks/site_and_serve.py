"""How long the site takes to write and `exodus serve` takes to start, at the article's size.

Usage:
    nice -n 10 .venv/bin/python benchmarks/site_and_serve.py [--runs 3]

Each timing is a new process over the checkout's built graph (built first if needed). In the same run:

- the baseline: ``exodus query alumni-companies`` (start the CLI, open the built graph, one query);
- ``exodus site -o DIR``: wall time and the number of pages written;
- ``exodus serve``, cold: the first start of a build, which writes the site and loads Oxigraph's store
  into the cache entry, timed until the banner's last line ("Press Ctrl-C");
- ``exodus serve``, warm: a later start, with the site and the store already in the cache entry.

It prints one row per step with its fastest run and its ratio to the baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXODUS = [sys.executable, "-m", "exodus_kg", "--project", str(ROOT)]


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"site_and_serve: {' '.join(command)} failed:\n{done.stderr}")
    return elapsed


def serve_start(env: dict) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [*EXODUS, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        for line in process.stdout:
            if "Press Ctrl-C" in line:
                return time.perf_counter() - started
        sys.exit(f"site_and_serve: exodus serve stopped before serving (exit {process.wait()})")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    sys.path.insert(0, str(ROOT / "src"))
    from exodus_kg.pipeline.build import ensure_built
    from exodus_kg.project import find_project

    entry = ensure_built(find_project(ROOT))
    with tempfile.TemporaryDirectory(prefix="exodus-bench-") as scratch:
        env = {**os.environ}
        env.pop("EXODUS_PROJECT", None)
        rows = []
        rows.append(("query alumni-companies (baseline)", min(
            timed([*EXODUS, "query", "alumni-companies"], env) for _ in range(runs))))
        site = Path(scratch) / "site"
        rows.append(("site -o DIR", min(timed([*EXODUS, "site", "-o", str(site)], env) for _ in range(runs))))
        pages = sum(1 for _ in site.rglob("*.html"))

        def cold() -> float:
            for folder in ("site", "server-store"):
                shutil.rmtree(entry / folder, ignore_errors=True)
            return serve_start(env)

        rows.append(("serve, cold (writes site, loads store)", min(cold() for _ in range(runs))))
        rows.append(("serve, warm", min(serve_start(env) for _ in range(runs))))
    baseline = rows[0][1]
    print(f"{'step':<40} {'seconds':>8} {'x baseline':>11}")
    for name, seconds in rows:
        print(f"{name:<40} {seconds:>8.2f} {seconds / baseline:>11.1f}")
    print(f"\nthe site has {pages} pages (fastest of {runs} runs each)")


if __name__ == "__main__":
    main()
