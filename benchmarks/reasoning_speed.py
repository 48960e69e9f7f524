"""The reasoning stage alone, before and after issue 17, at the article's size and on synthetic graphs
10x and 100x larger.

Usage:
    nice -n 10 .venv/bin/python benchmarks/reasoning_speed.py [--scales 1 10 100] [--keep DIR]
        [--project DIR]

For each scale the script writes a synthetic project (benchmarks/synthetic_project.py), parses its
layers once, and times in the same process, in CPU time (user + system; the machine is shared):

- before: naive evaluation as ``pipeline.reasoning`` did it before issue 17 (tests/support/
  naive_reasoning.py: rdflib graphs copied into an Oxigraph store, every rule over the whole graph
  each round, the new triples found and filtered in Python and converted back to rdflib);
- after: ``reasoning.infer_into_store`` on one store holding the layers as named graphs, as the
  build holds them (filling that store is the load stage's work, not timed here).

It checks that both give the same number of triples per round and kept, and prints one row per scale
with the ratio before/after and the growth exponent of "after" from the previous scale.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyoxigraph as ox  # noqa: E402
from synthetic_project import write_project  # noqa: E402

from exodus_kg.pipeline import reasoning  # noqa: E402
from exodus_kg.pipeline.build import ASSERTED_GRAPH, INFERRED_GRAPH, LINKS_GRAPH, ONTOLOGY_GRAPH, load_inputs  # noqa: E402
from exodus_kg.project import Project  # noqa: E402
from exodus_kg.rdf.terms import TermMap  # noqa: E402
from support.naive_reasoning import naive_inference  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--keep", help="write the synthetic projects here and keep them (reused when there)")
    parser.add_argument("--project", default=str(ROOT), help="the project whose graph is repeated")
    args = parser.parse_args()

    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    header = (
        f"{'scale':>5} {'asserted':>9} {'kept':>9} {'rounds':>22} | {'before cpu s':>12} {'after cpu s':>11} "
        f"{'before/after':>12} | {'exponent':>8}"
    )
    with tempfile.TemporaryDirectory(prefix="exodus-reasoning-") as scratch:
        folder = Path(args.keep or scratch)
        print(header)
        print("-" * len(header))
        previous = None
        for scale in args.scales:
            target = folder / f"scale-{scale}x"
            project = Project(
                target if (target / "triples").is_dir() else write_project(scale, target, Path(args.project))
            )
            inputs = load_inputs(project)
            rules = reasoning.load_rules(project.rule_files())

            started = cpu_seconds()
            reference, reference_rounds = naive_inference(inputs.ontology, inputs.asserted, rules)
            before = cpu_seconds() - started

            terms = TermMap(new_blank_nodes=False)
            store = ox.Store()
            for name, graph in (
                (ONTOLOGY_GRAPH, inputs.ontology),
                (ASSERTED_GRAPH, inputs.asserted),
                (LINKS_GRAPH, inputs.links),
            ):
                store.extend(terms.quad(triple, ox.NamedNode(name)) for triple in graph)
            del inputs
            started = cpu_seconds()
            result = reasoning.infer_into_store(
                store,
                ontology_graph=ONTOLOGY_GRAPH,
                data_graphs=[ASSERTED_GRAPH],
                target_graph=INFERRED_GRAPH,
                rules=rules,
            )
            after = cpu_seconds() - started
            inferred = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED_GRAPH)))
            if result.added_per_round != reference_rounds or inferred != len(reference):
                sys.exit(
                    f"reasoning_speed: at {scale}x the two differ: rounds {result.added_per_round} against "
                    f"{reference_rounds}, {inferred} triples against {len(reference)}"
                )
            asserted = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(ASSERTED_GRAPH)))
            exponent = (
                f"{math.log(after / previous[1]) / math.log(scale / previous[0]):>8.2f}"
                if previous and scale != previous[0]
                else f"{'-':>8}"
            )
            previous = (scale, after)
            rounds = str(result.added_per_round)
            print(
                f"{scale:>4}x {asserted:>9} {result.kept:>9} {rounds:>22} | {before:>12.2f} {after:>11.2f} "
                f"{before / after:>11.1f}x | {exponent}",
                flush=True,
            )
            del store, reference
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    print(
        "kept: triples reasoning adds (the rule descriptions not counted); rounds: triples added per round;\n"
        "before/after: CPU time of naive evaluation over rdflib graphs / CPU time of infer_into_store;\n"
        "exponent: log(time ratio) / log(scale ratio) of 'after' from the previous scale (1.00 = linear)."
    )


if __name__ == "__main__":
    main()
