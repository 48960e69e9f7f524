"""Validation alone (SHACL shapes and SPARQL checks): pySHACL against the project's engine, 1x/10x/100x.

Usage:
    nice -n 10 .venv/bin/python benchmarks/validation_speed.py [--scales 1 10 100] [--projects DIR]

For each scale the script writes a synthetic project (benchmarks/synthetic_project.py), or copies the
data (``triples/``) of DIR/pSCALE when ``--projects DIR`` names a folder of ready-made ones, with this
checkout's ontology, shapes and checks, then times in the same run, each in a new process so that
neither inherits the other's imports or caches:

- the baseline, pySHACL as validation.py ran it before the engine: the asserted data, the links and
  the ontology parsed by rdflib, combined into one graph, validated by pySHACL, the SPARQL checks run
  on a pyoxigraph copy (``validate_graphs(..., engine="pyshacl")``);
- the engine: the same files loaded into one pyoxigraph store, one named graph per layer (as the
  build keeps them), then ``validate_store`` (shapes compiled, shapes evaluated, checks run on the
  store).

Only the validation call is timed (CPU time of the process, user + system, around the call; the
parsing before it is the load stage's), and both must find the same number of results. It prints one
row per scale with the engine's time as a share of pySHACL's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

GRAPH = "https://w3id.org/exodus-kg/graph/"


def cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


def child(engine: str, folder: str) -> None:
    """Validate the project at ``folder`` with one engine; print CPU seconds and counts as JSON."""
    from exodus_kg.pipeline import validation
    from exodus_kg.project import Project

    project = Project(Path(folder))
    if engine == "pyshacl":
        from exodus_kg.pipeline.graph_loading import load_graphs
        from exodus_kg.pipeline.sparql_checks import load_checks

        ontology = load_graphs(project.ontology_files())
        data = load_graphs(project.asserted_files())
        load_graphs(project.link_files(), data)
        shapes, checks = validation.load_shapes(project.shape_files()), load_checks(project.check_files())
        started = cpu()
        outcome = validation.validate_graphs(data, ontology, shapes, checks, engine="pyshacl")
    else:
        import pyoxigraph as ox

        store = ox.Store()
        layers = {
            "ontology": project.ontology_files(),
            "asserted": project.asserted_files(),
            "links": project.link_files(),
        }
        for layer, paths in layers.items():
            for path in paths:
                store.load(
                    path=str(path),
                    format=ox.RdfFormat.from_extension(path.suffix[1:]),
                    base_iri=path.resolve().as_uri(),
                    to_graph=ox.NamedNode(GRAPH + layer),
                )
        started = cpu()
        outcome = validation.validate_store_outcome(
            store,
            project,
            data_graphs=[GRAPH + "asserted", GRAPH + "links"],
            ontology_graph=GRAPH + "ontology",
        )
    seconds = cpu() - started
    print(
        json.dumps(
            {
                "cpu": seconds,
                "results": len(outcome.results),
                "triples": outcome.triples,
                "engine": outcome.engine,
                "timings": outcome.timings,
                "rdflib": "rdflib" in sys.modules,
            }
        )
    )


def measure(engine: str, folder: Path) -> dict:
    command = [sys.executable, __file__, "--child", engine, str(folder)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"validation_speed: {' '.join(command)} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--projects", help="a folder holding ready-made projects p1, p10, p100 (read only)")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    from synthetic_project import write_project

    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    header = (
        f"{'scale':>5} {'data triples':>12} {'results':>7} | {'pySHACL cpu s':>13} | "
        f"{'engine cpu s':>12} {'shapes s':>8} {'checks s':>8} | {'share':>6} {'speed-up':>8}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="exodus-validation-") as scratch:
        for scale in args.scales:
            ready = Path(args.projects) / f"p{scale}" if args.projects else None
            folder = Path(scratch) / f"p{scale}"
            if ready and ready.is_dir():
                shutil.copytree(ready / "triples", folder / "triples")
                for part in ("ontology", "queries"):
                    shutil.copytree(ROOT / part, folder / part)
            else:
                write_project(scale, folder)
            baseline, engine = measure("pyshacl", folder), measure("core", folder)
            if (baseline["results"], baseline["triples"]) != (engine["results"], engine["triples"]):
                sys.exit(f"validation_speed: the engines disagree at {scale}x: {baseline} against {engine}")
            timings = engine["timings"]
            print(
                f"{scale:>4}x {engine['triples']:>12,} {engine['results']:>7} | {baseline['cpu']:>13.2f} | "
                f"{engine['cpu']:>12.3f} {timings.get('shacl', 0):>8.3f} {timings.get('checks', 0):>8.3f} | "
                f"{engine['cpu'] / baseline['cpu']:>6.1%} {baseline['cpu'] / engine['cpu']:>7.0f}x"
                + ("" if engine["engine"] == "core" else "  (the engine fell back to pySHACL)")
            )
            sys.stdout.flush()
    load = os.getloadavg()
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end; shapes and checks columns are wall s"
    )


if __name__ == "__main__":
    main()
