"""Reasoning time and triple counts at the article's size and on synthetic graphs 10x and 100x larger.

Usage:
    .venv/bin/python benchmarks/build_scaling.py [--scales 1 10 100] [--baseline-up-to 10] [--project DIR]

The synthetic graphs repeat the article's asserted triples N times, every ``exd:`` IRI renamed per copy
(``exd:sam-altman`` -> ``exd:sam-altman-c7``) and every blank node fresh, over one copy of the ontology.
For each size the script times, in the same run:

- ``chosen``: ``reasoning.run_inference`` as the build runs it: the owl-rl-*.rq closure and the
  derivation rules in Oxigraph, repeated to a fixpoint, then filtered;
- ``owlrl``: the baseline, owlrl's OWL 2 RL closure (``DeductiveClosure(OWLRL_Semantics)``) over the
  ontology and the data, then the same filter; it computes no derivation rules at all;
- ``owlrl-lit``: owlrl over the ontology and the data without literal-valued triples (the "smaller
  graph" alternative), then the same filter.

and prints the counts (asserted, what each adds before and after the filter) and the time ratios
against the owlrl baseline. The owlrl columns are skipped above ``--baseline-up-to`` (owlrl needs many
minutes and gigabytes at 100x); pass ``--baseline-up-to 100`` to measure them anyway. The script also
runs one full ``exodus build --force`` of the project and prints its stage timings.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import rdflib
from rdflib import BNode, Literal, URIRef

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from exodus_kg import reasoning  # noqa: E402
from exodus_kg.pipeline.build import build, load_inputs  # noqa: E402
from exodus_kg.project import find_project  # noqa: E402

EXD = "https://w3id.org/exodus-kg/id/"


def replicate(data: rdflib.Graph, copies: int) -> rdflib.Graph:
    """``copies`` renamed copies of ``data`` (copy 0 keeps the original IRIs)."""
    if copies == 1:
        return data
    out = rdflib.Graph()
    for copy in range(copies):
        blanks: dict[BNode, BNode] = {}

        def rename(term, copy=copy, blanks=blanks):
            if isinstance(term, URIRef) and copy and str(term).startswith(EXD):
                return URIRef(f"{term}-c{copy}")
            if isinstance(term, BNode):
                return blanks.setdefault(term, BNode())
            return term

        for subject, predicate, obj in data:
            out.add((rename(subject), predicate, rename(obj)))
    return out


def owlrl_closure(ontology: rdflib.Graph, data: rdflib.Graph, keep, asserted: rdflib.Graph):
    """Seconds, triples owlrl adds, and those the filter keeps."""
    import owlrl

    graph = ontology + data
    started = time.perf_counter()
    before = len(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        graph
    )
    added = len(graph) - before
    kept = sum(1 for t in graph if t not in ontology and t not in asserted and keep(t))
    return time.perf_counter() - started, added, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--baseline-up-to", type=int, default=10, help="largest scale to run owlrl on")
    parser.add_argument("--project", default=str(ROOT))
    parser.add_argument("--no-build", action="store_true", help="skip the full `exodus build --force`")
    args = parser.parse_args()

    project = find_project(args.project)
    inputs = load_inputs(project)
    rules = reasoning.load_rules(project.rule_files())
    keep = reasoning._Filter(inputs.ontology)
    print(
        f"ontology {len(inputs.ontology)} triples, article data {len(inputs.asserted)} triples, "
        f"{len(rules)} rules"
    )

    if not args.no_build:
        result = build(project, force=True)
        stages = "  ".join(f"{name} {seconds:.2f} s" for name, seconds in result.timings.items())
        print(
            f"exodus build --force (1x, with SHACL validation): {stages}; "
            f"total {sum(result.timings.values()):.2f} s"
        )
        print(
            "  " + ", ".join(f"{graph.rsplit('/', 1)[1]} {count}" for graph, count in result.counts.items())
        )
    print()

    header = (
        f"{'scale':>5} {'asserted':>9} | {'chosen s':>8} {'rounds':>6} {'inferred':>8} | "
        f"{'owlrl s':>8} {'adds':>8} {'kept':>7} {'x chosen':>8} | {'owlrl-lit s':>11} {'kept':>7} {'x chosen':>8}"
    )
    print(header)
    print("-" * len(header))
    for scale in args.scales:
        data = replicate(inputs.asserted, scale)
        inference = reasoning.run_inference(inputs.ontology, data, rules=rules)
        chosen = inference.seconds
        row = f"{scale:>4}x {len(data):>9} | {chosen:>8.2f} {inference.rounds:>6} {len(inference.triples):>8} | "
        if scale <= args.baseline_up_to:
            seconds, added, kept = owlrl_closure(inputs.ontology, data, keep, data)
            row += f"{seconds:>8.2f} {added:>8} {kept:>7} {seconds / chosen:>7.1f}x | "
            without_literals = rdflib.Graph()
            for triple in data:
                if not isinstance(triple[2], Literal):
                    without_literals.add(triple)
            seconds_lit, _added, kept_lit = owlrl_closure(inputs.ontology, without_literals, keep, data)
            row += f"{seconds_lit:>11.2f} {kept_lit:>7} {seconds_lit / chosen:>7.1f}x"
        else:
            row += f"{'(not run: --baseline-up-to)':>35} | {'-':>11} {'-':>7} {'-':>8}"
        print(row, flush=True)
    print()
    print(
        "chosen: SPARQL OWL 2 RL rules + derivation rules to a fixpoint (what the build runs), kept triples;"
    )
    print(
        "owlrl: owlrl closure only (no derivation rules); adds = raw new triples, kept = after the same filter;"
    )
    print("owlrl-lit: owlrl over the data without literal-valued triples; x chosen = time / chosen time.")


if __name__ == "__main__":
    main()
