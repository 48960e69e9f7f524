"""Blank nodes of the built dataset replaced by stable IRIs (skolemisation, RDF 1.1 section 3.5), so
that every named graph stands alone: a graph can be loaded, replaced or sent by the Graph Store
Protocol without splitting an evidence node that the asserted and inferred graphs share.

The IRIs are ``GENID_BASE`` + a hash: each blank node is named by a SHA-256 of the quads that mention
it (itself written ``_:a``, any other blank node ``_:z``, as in RDFC-1.0's first-degree hash), so a
rebuild of the same inputs gives the same IRIs, whatever order they were read in, and an edit
elsewhere in the data leaves them alone. Two blank nodes with the same neighbourhood are told apart
by their RDFC-1.0 canonical labels. Blank nodes of the ontology graph stay blank: OWL class
expressions and lists must be blank nodes for OWL tools to read them.

Only the quads that mention a blank node take part: the names and the canonical labels depend on
nothing else, so the build hands over just those (about 40% of its quads), and the RDFC-1.0
canonicalisation, the costly part, runs only when some nodes need it (neighbourhood twins, or blank
nodes kept, which get their canonical labels so that the output is the same at every build).

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

_BLANK = ox.BlankNode


def is_skolem(iri: str) -> bool:
    """True for an IRI that stands for a blank node of the build."""
    return iri.startswith(GENID_BASE)


def mentions_blank_node(quad: ox.Quad) -> bool:
    return type(quad.subject) is _BLANK or type(quad.object) is _BLANK


def skolemise(quads: Iterable[ox.Quad], kept_graphs: Iterable[str] = KEPT_GRAPHS) -> list[ox.Quad]:
    """``quads`` with every blank node (outside ``kept_graphs``) replaced by its genid IRI.

    The quads that mention no blank node come back as they are, first; the others follow, renamed
    (or, when canonical labels were needed, as their canonical copy: kept blank nodes then carry
    their canonical labels). A caller may hand over only the quads that mention blank nodes.
    """
    plain: list[ox.Quad] = []
    blank: list[ox.Quad] = []
    for quad in quads:
        (blank if mentions_blank_node(quad) else plain).append(quad)
    kept_graph_names = {ox.NamedNode(g) for g in kept_graphs}
    kept = _kept_nodes(blank, kept_graph_names)
    digests = _digests(blank, kept)
    if kept or len(set(digests.values())) < len(digests):
        # Twins, or kept nodes: canonical labels are needed, so everything is named on the
        # canonical copy (the same isomorphic quads), where the labels are the node values.
        dataset = ox.Dataset(blank)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        blank = list(dataset)
        kept = _kept_nodes(blank, kept_graph_names)
        digests = _digests(blank, kept)
    names = _names(digests)

    def term(value):
        return names.get(value, value) if type(value) is _BLANK else value

    return plain + [ox.Quad(term(q.subject), q.predicate, term(q.object), q.graph_name) for q in blank]


def _kept_nodes(quads: list[ox.Quad], kept_graph_names: set) -> set[ox.BlankNode]:
    return {
        term
        for quad in quads
        if quad.graph_name in kept_graph_names
        for term in (quad.subject, quad.object)
        if type(term) is _BLANK
    }


def _digests(quads: list[ox.Quad], kept: set[ox.BlankNode]) -> dict[ox.BlankNode, str]:
    """Each blank node (not kept) -> the hash of the quads that mention it."""
    mentions: dict[ox.BlankNode, list[str]] = {}
    for quad in quads:
        subject, obj = quad.subject, quad.object
        tail = f" {quad.predicate} "
        graph = f" {quad.graph_name}"
        if type(subject) is _BLANK:
            if subject not in kept:
                text = (
                    "_:a" + tail + ("_:a" if obj == subject else "_:z" if type(obj) is _BLANK else str(obj))
                )
                mentions.setdefault(subject, []).append(text + graph)
            if type(obj) is _BLANK and obj != subject and obj not in kept:
                mentions.setdefault(obj, []).append("_:z" + tail + "_:a" + graph)
        elif obj not in kept:  # the object is the blank node
            mentions.setdefault(obj, []).append(str(subject) + tail + "_:a" + graph)
    return {
        node: hashlib.sha256("\n".join(sorted(texts)).encode("utf-8")).hexdigest()[:24]
        for node, texts in mentions.items()
    }


def _names(digests: dict[ox.BlankNode, str]) -> dict[ox.BlankNode, ox.NamedNode]:
    names: dict[ox.BlankNode, ox.NamedNode] = {}
    taken: set[str] = set()
    # In label order, so that of two twins the same one keeps the plain hash at every build (the
    # labels are canonical whenever there are twins).
    for node in sorted(digests, key=lambda n: n.value):
        digest = digests[node]
        if digest in taken:  # the same neighbourhood twice: told apart by the canonical label
            digest = hashlib.sha256(f"{digest} {node.value}".encode()).hexdigest()[:24]
        taken.add(digest)
        names[node] = ox.NamedNode(GENID_BASE + digest)
    return names
