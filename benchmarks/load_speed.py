"""The build's load stage: rdflib's parse (load_graphs) against Oxigraph's (load_into_store), at 1x, 10x, 100x.

Usage:
    nice -n 10 .venv/bin/python benchmarks/load_speed.py [--scales 1 10 100] [--runs 3] [--projects DIR...]

For each scale the script writes a synthetic project (benchmarks/synthetic_project.py), or takes the
ones given with ``--projects`` (in the order of ``--scales``), and loads its three layers (ontology,
asserted data, links), each way in a new process, timed there with the CPU time of the load alone
(user + system, imports it makes on the way included, the interpreter's start not):

- ``rdflib``: ``load_graphs`` of each layer, the load stage before issue 17 (rdflib graphs);
- ``rdflib+copy``: that, copied into the named graphs of one ``pyoxigraph.Store`` with the literals
  as written recorded, as the build's bridge did before load_into_store;
- ``oxigraph``: ``load_into_store`` of each layer into the named graphs of one store.

It prints the CPU seconds of each (the least of ``--runs``), the triples loaded, and the ratio of
the baseline (``rdflib``) to ``oxigraph``: the speed-up, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic_project import write_project  # noqa: E402

CHILD = """
import json, sys, time
started = time.process_time()
import pyoxigraph as ox
from pathlib import Path
from exodus_kg.project import Project
project = Project(Path(sys.argv[2]))
layers = [(project.ontology_files(), "https://w3id.org/exodus-kg/graph/ontology"),
          (project.asserted_files(), "https://w3id.org/exodus-kg/graph/asserted"),
          (project.link_files(), "https://w3id.org/exodus-kg/graph/links")]
way = sys.argv[1]
count = 0
if way == "oxigraph":
    from exodus_kg.pipeline.graph_loading import load_into_store
    store, written = ox.Store(), {}
    count = sum(load_into_store(paths, store, name, literals=written) for paths, name in layers)
else:
    from exodus_kg.pipeline.graph_loading import load_graphs
    graphs = [(load_graphs(paths), name) for paths, name in layers]
    count = sum(len(graph) for graph, _name in graphs)
    if way == "rdflib+copy":
        import rdflib
        from exodus_kg.rdf.terms import TermMap
        store, written = ox.Store(), {}
        for graph, name in graphs:
            terms, node = TermMap(), ox.NamedNode(name)
            store.extend(terms.quad(triple, node) for triple in graph)
            written.update((terms.to_ox(o), None) for o in graph.objects() if isinstance(o, rdflib.Literal))
        count = len(store)
print(json.dumps({"cpu": time.process_time() - started, "triples": count}))
"""

WAYS = ("rdflib", "rdflib+copy", "oxigraph")


def measure(way: str, project: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, way, str(project)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    if result.returncode != 0:
        sys.exit(f"load_speed: {way} on {project} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--runs", type=int, default=3, help="loads per way and scale; the least CPU time is shown")
    parser.add_argument("--projects", nargs="+", help="synthetic projects already written, one per scale")
    args = parser.parse_args()
    if args.projects and len(args.projects) != len(args.scales):
        sys.exit("load_speed: give one --projects folder per scale")

    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    header = f"{'scale':>5} {'triples':>9} | " + " ".join(f"{way + ' s':>13}" for way in WAYS) + f" | {'speed-up':>8}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="exodus-load-") as scratch:
        for index, scale in enumerate(args.scales):
            if args.projects:
                project = Path(args.projects[index])
            else:
                project = write_project(scale, Path(scratch) / f"scale-{scale}x")
            best = {way: min((measure(way, project) for _ in range(args.runs)), key=lambda run: run["cpu"])
                    for way in WAYS}
            triples = best["oxigraph"]["triples"]
            if best["rdflib+copy"]["triples"] != triples:
                sys.exit(f"load_speed: {scale}x: the store holds {triples} triples, the copy of rdflib's "
                         f"{best['rdflib+copy']['triples']}")
            cells = " ".join(f"{best[way]['cpu']:>13.2f}" for way in WAYS)
            speedup = best["rdflib"]["cpu"] / best["oxigraph"]["cpu"]
            print(f"{scale:>4}x {triples:>9} | {cells} | {speedup:>7.1f}x", flush=True)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    print("CPU seconds (user + system) of the load alone, in a new process per load; triples: in the store "
          "(the three layers);\nspeed-up: rdflib s / oxigraph s.")


if __name__ == "__main__":
    main()
