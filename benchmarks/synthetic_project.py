"""A copy of the project whose graph is the article's statements repeated N times (1x, 10x, 100x).

Usage (the benchmarks import it; on its own it writes one project and prints its path):
    .venv/bin/python benchmarks/synthetic_project.py SCALE DIR

Copy 0 is the project's own ``triples/`` unchanged. Every further copy repeats the asserted data and
the links with every ``exd:`` IRI renamed (``exd:sam-altman`` -> ``exd:sam-altman-c7``) except the
article and its passages, which all copies cite, and with fresh blank nodes (each copy is its own
Turtle document, so its ``[ ... ]`` nodes are new). Each copy therefore validates on its own and the
graph grows by one article's worth of statements per copy. Triples about the article and its
passages are written once (copy 0), not per copy.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import rdflib
from rdflib import URIRef

ROOT = Path(__file__).resolve().parents[1]
EXD = "https://w3id.org/exodus-kg/id/"
KEPT = re.compile(re.escape(EXD) + r"article(-p\d+)?$")
MARKER = "COPYNUMBER"  # placed in renamed IRIs of the template, replaced by each copy's number


def _template(graph: rdflib.Graph) -> str:
    """The Turtle of one copy with ``MARKER`` where the copy number goes."""
    out = rdflib.Graph()
    out.bind("exd", EXD)
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace, override=False)

    def rename(term):
        if isinstance(term, URIRef) and str(term).startswith(EXD) and not KEPT.match(str(term)):
            return URIRef(f"{term}-c{MARKER}")
        return term

    for triple in graph:
        if KEPT.match(str(triple[0])):
            continue  # the article and its passages belong to copy 0 (one publisher, one text)
        out.add(tuple(rename(term) for term in triple))
    return out.serialize(format="turtle")


def write_project(scale: int, target: Path, source: Path = ROOT) -> Path:
    """Write a project folder at ``target`` whose graph is ``scale`` copies of ``source``'s."""
    from exodus_kg.pipeline.graph_loading import load_graphs
    from exodus_kg.project import Project

    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for folder in ("ontology", "triples", "queries"):
        shutil.copytree(source / folder, target / folder)
    if scale > 1:
        project = Project(source)
        asserted = _template(load_graphs(project.asserted_files()))
        links = _template(load_graphs(project.link_files()))
        copies = target / "triples" / "synthetic"
        copies.mkdir()
        for copy in range(1, scale):
            (copies / f"copy-{copy:03d}.ttl").write_text(asserted.replace(MARKER, str(copy)), encoding="utf-8")
            (target / "triples" / "links" / f"synthetic-copy-{copy:03d}.ttl").write_text(
                links.replace(MARKER, str(copy)), encoding="utf-8"
            )
    return target


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    print(write_project(int(sys.argv[1]), Path(sys.argv[2])))
