"""Wall time of `exodus push --replace` against one plain HTTP load of the same N-Quads into the same store.

Usage:
    .venv/bin/python benchmarks/push_speed.py [--runs 5] [--project DIR]

It

1. makes sure the build is fresh (`exodus build`) and exports it as N-Quads (`exodus export -f nq`);
2. starts an Oxigraph server (`oxigraph serve`) on a free port of 127.0.0.1 in a temporary folder;
3. times, in alternation, N runs of
   - the baseline: one HTTP PUT of the exported N-Quads to `/store` with httpx (what
     `curl -T dataset.nq -H 'Content-Type: application/n-quads' URL/store` does: it replaces the whole
     store, with no temporary graphs and no count check);
   - `exodus push --replace --endpoint URL` as a new process (the CLI as a user runs it: start-up,
     opening the built graph, one SPARQL Update request that empties the targets and inserts the
     dataset in one transaction, the count check);
   - `exodus push --replace --protocol update` (SPARQL Update in batches of 2000 into temporary
     graphs, counted, then moved onto the targets: the way every push went before);
   - the library call `push.push(quads, ...)` in this process (no start-up, the quads already read);
4. prints the median and minimum of each and their ratio to the baseline's median.
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
import urllib.request
from pathlib import Path


def tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if not found:
        sys.exit(f"push_speed: cannot find the {name!r} command (pip install -e '.[test]')")
    return found


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("push_speed: oxigraph serve exited at start")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"push_speed: {url} did not answer")


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"push_speed: {' '.join(command)} failed:\n{completed.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each")
    parser.add_argument("--project", help="project folder (default: as exodus finds it)")
    args = parser.parse_args()

    import httpx
    import pyoxigraph as ox

    from exodus_kg.publish import push

    exodus = tool("exodus")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("EXODUS_ENDPOINT")}
    env["NETRC"] = os.devnull
    project = ["--project", args.project] if args.project else []
    subprocess.run([exodus, *project, "build"], check=True, env=env, stderr=subprocess.DEVNULL)

    with tempfile.TemporaryDirectory(prefix="push-speed-") as scratch:
        export = Path(scratch) / "dataset.nq"
        subprocess.run([exodus, *project, "export", "-f", "nq", "-o", str(export)], check=True, env=env,
                       stderr=subprocess.DEVNULL)
        body = export.read_bytes()
        quads = list(ox.parse(body, format=ox.RdfFormat.N_QUADS))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [tool("oxigraph"), "serve", "--location", str(Path(scratch) / "store"), "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_serving(base + "/", server)

            def plain_put() -> float:
                started = time.perf_counter()
                response = httpx.put(base + "/store", content=body, headers={"Content-Type": "application/n-quads"},
                                     timeout=60)
                response.raise_for_status()
                return time.perf_counter() - started

            def library_push() -> float:
                started = time.perf_counter()
                push.push(quads, push.Endpoints.derive(base), timeout=600)
                return time.perf_counter() - started

            cases = {
                "plain HTTP PUT of the N-Quads (baseline)": plain_put,
                "exodus push --replace (CLI, new process)": lambda: timed(
                    [exodus, *project, "push", "--endpoint", base, "--timeout", "600"], env
                ),
                "exodus push --replace --protocol update (CLI)": lambda: timed(
                    [exodus, *project, "push", "--endpoint", base, "--protocol", "update", "--timeout", "600"], env
                ),
                "push.push() in this process (library)": library_push,
            }
            for run in cases.values():  # one warm-up each
                run()
            times: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.runs):
                for name, run in cases.items():
                    times[name].append(run())
        finally:
            server.terminate()
            server.wait(timeout=30)

    baseline = statistics.median(times["plain HTTP PUT of the N-Quads (baseline)"])
    print(f"{len(quads)} quads, {len(body) / 1e6:.1f} MB of N-Quads, {args.runs} runs each, Oxigraph on 127.0.0.1\n")
    width = max(len(name) for name in times)
    print(f"| {'what':<{width}} | median s | min s | ratio to baseline |")
    print(f"|{'-' * (width + 2)}|---------:|------:|------------------:|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name:<{width}} | {median:8.3f} | {min(values):5.3f} | {median / baseline:16.2f}x |")


if __name__ == "__main__":
    main()
