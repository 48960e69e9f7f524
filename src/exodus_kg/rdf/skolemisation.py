"""Blank nodes of the built dataset replaced by stable IRIs (skolemisation, RDF 1.1 section 3.5), so
that every named graph stands alone: a graph can be loaded, replaced or sent by the Graph Store
Protocol without splitting an evidence node that the asserted and inferred graphs share.

The IRIs are ``GENID_BASE`` + a hash: the dataset is canonicalised (RDFC-1.0, so the same data gives
the same labels whatever order it was read in), then each blank node is named by a SHA-256 of the
canonical quads that mention it (itself written ``_:a``, any other blank node ``_:z``, as in RDFC's
first-degree hash), told apart by its canonical label only when two have the same neighbourhood. A rebuild of the same inputs gives the same IRIs, and an edit elsewhere in the data leaves
them alone. Blank nodes of the ontology graph stay blank: OWL class expressions and lists must be
blank nodes for OWL tools to read them.

>>> import pyoxigraph as ox
>>> g = ox.NamedNode("https://w3id.org/exodus-kg/graph/asserted")
>>> node = ox.BlankNode()
>>> quads = [ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), node, g)]
>>> [q.object.value for q in skolemise(quads)] == [q.object.value for q in skolemise(quads)]
True
>>> skolemise(quads)[0].object.value.startswith(GENID_BASE)
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pyoxigraph as ox

from exodus_kg.rdf.namespaces import BASE, GRAPHS

GENID_BASE = BASE + ".well-known/genid/"
KEPT_GRAPHS = (GRAPHS["ontology"],)


def is_skolem(iri: str) -> bool:
    """True for an IRI that stands for a blank node of the build."""
    return iri.startswith(GENID_BASE)


def skolemise(quads: Iterable[ox.Quad], kept_graphs: Iterable[str] = KEPT_GRAPHS) -> list[ox.Quad]:
    """``quads`` with every blank node (outside ``kept_graphs``) replaced by its genid IRI; the
    quads come back in canonical order."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    canonical = list(dataset)
    kept_graph_names = {ox.NamedNode(g) for g in kept_graphs}
    kept = {
        term
        for quad in canonical
        if quad.graph_name in kept_graph_names
        for term in (quad.subject, quad.object)
        if isinstance(term, ox.BlankNode)
    }
    mentions: dict[ox.BlankNode, list[str]] = {}
    for quad in canonical:
        for term in {quad.subject, quad.object}:
            if isinstance(term, ox.BlankNode) and term not in kept:
                mentions.setdefault(term, []).append(_quad_text(quad, term))
    names: dict[ox.BlankNode, ox.NamedNode] = {}
    taken: set[str] = set()
    for node in sorted(mentions, key=lambda n: n.value):
        digest = hashlib.sha256("\n".join(sorted(mentions[node])).encode("utf-8")).hexdigest()[:24]
        if digest in taken:  # the same neighbourhood twice: told apart by the canonical label
            digest = hashlib.sha256(f"{digest} {node.value}".encode()).hexdigest()[:24]
        taken.add(digest)
        names[node] = ox.NamedNode(GENID_BASE + digest)

    def term(value):
        return names.get(value, value) if isinstance(value, ox.BlankNode) else value

    return [ox.Quad(term(q.subject), q.predicate, term(q.object), q.graph_name) for q in canonical]


def _quad_text(quad: ox.Quad, focus: ox.BlankNode) -> str:
    def show(value) -> str:
        if isinstance(value, ox.BlankNode):  # another blank node's label may change with the data
            return "_:a" if value == focus else "_:z"
        return str(value)

    return f"{show(quad.subject)} {quad.predicate} {show(quad.object)} {quad.graph_name}"
