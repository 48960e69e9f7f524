"""Blank nodes of the built dataset replaced by stable IRIs (skolemisation, RDF 1.1 section 3.5), so
that every named graph stands alone: a graph can be loaded, replaced or sent by the Graph Store
Protocol without splitting an evidence node that the asserted and inferred graphs share.

The IRIs are ``GENID_BASE`` + a hash: each blank node is named by a SHA-256 of the quads that mention
it, as N-Quads (itself written ``_:a``, any other blank node ``_:z``, as in RDFC-1.0's first-degree
hash), so a rebuild of the same inputs gives the same IRIs, whatever order they were read in, and an
edit elsewhere in the data leaves them alone. Two blank nodes with the same neighbourhood are told
apart by their RDFC-1.0 canonical labels. Blank nodes of the ontology graph stay blank: OWL class
expressions and lists must be blank nodes for OWL tools to read them.

The names depend on nothing but the quads that mention blank nodes, so the work is done on the
N-Quads lines of a dump (``skolemise_nquads``, the build's path: no Python object per term), and the
RDFC-1.0 canonicalisation, the costly part, runs only when some nodes need it (neighbourhood twins,
or kept blank nodes, which then get their canonical labels so that a rebuild writes the same bytes).

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

_FOCUS, _OTHER, _BLANK = b"_:a", b"_:z", b"_:"


def is_skolem(iri: str) -> bool:
    """True for an IRI that stands for a blank node of the build."""
    return iri.startswith(GENID_BASE)


def skolemise(quads: Iterable[ox.Quad], kept_graphs: Iterable[str] = KEPT_GRAPHS) -> list[ox.Quad]:
    """``quads`` (each in a named graph) with every blank node outside ``kept_graphs`` replaced by
    its genid IRI; kept blank nodes get their canonical labels."""
    lines = [f"{quad} .\n".encode() for quad in quads]
    return list(ox.parse(b"".join(skolemise_nquads(lines, kept_graphs)), format=ox.RdfFormat.N_QUADS))


def skolemise_nquads(lines: list[bytes], kept_graphs: Iterable[str] = KEPT_GRAPHS) -> list[bytes]:
    """N-Quads lines (``S P O G .``, each quad in a named graph, as Oxigraph writes them) with every
    blank node outside ``kept_graphs`` replaced by its genid IRI. The lines without a blank node
    come back as they are, then the others."""
    kept_graph_tokens = {f"<{graph}>".encode() for graph in kept_graphs}
    plain: list[bytes] = []
    blank: list[tuple[bytes, bytes, bytes, bytes]] = []
    for line in lines:
        if _BLANK in line:  # a quick test; the split tells a blank node from "_:" inside a literal
            terms = _split(line)
            if terms[0].startswith(_BLANK) or terms[2].startswith(_BLANK):
                blank.append(terms)
                continue
        plain.append(line)
    kept = _kept_nodes(blank, kept_graph_tokens)
    digests = _digests(blank, kept)
    if kept or len(set(digests.values())) < len(digests):
        # Twins, or kept nodes: canonical labels are needed, so everything is named on the
        # canonical copy (the same quads up to blank-node labels).
        dataset = ox.Dataset(
            ox.parse(b"".join(b"%s %s %s %s .\n" % t for t in blank), format=ox.RdfFormat.N_QUADS)
        )
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        blank = [_split(f"{quad} .\n".encode()) for quad in dataset]
        kept = _kept_nodes(blank, kept_graph_tokens)
        digests = _digests(blank, kept)
    names = _names(digests)
    for subject, predicate, obj, graph in blank:
        plain.append(
            b"%s %s %s %s .\n" % (names.get(subject, subject), predicate, names.get(obj, obj), graph)
        )
    return plain


def _split(line: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """Subject, predicate, object and graph of an N-Quads line: neither an IRI nor a blank-node
    label holds a space, and the graph IRI is the last term."""
    subject_end = line.index(b" ")
    predicate_end = line.index(b" ", subject_end + 1)
    graph_start = line.rindex(b" <", predicate_end)
    return (
        line[:subject_end],
        line[subject_end + 1 : predicate_end],
        line[predicate_end + 1 : graph_start],
        line[graph_start + 1 : line.rindex(b" .")],
    )


def _kept_nodes(blank: list[tuple[bytes, ...]], kept_graph_tokens: set[bytes]) -> set[bytes]:
    return {
        term
        for subject, _predicate, obj, graph in blank
        if graph in kept_graph_tokens
        for term in (subject, obj)
        if term.startswith(_BLANK)
    }


def _digests(blank: list[tuple[bytes, ...]], kept: set[bytes]) -> dict[bytes, str]:
    """Each blank node (not kept) -> the hash of the quads that mention it."""
    mentions: dict[bytes, list[bytes]] = {}
    for subject, predicate, obj, graph in blank:
        subject_blank, object_blank = subject.startswith(_BLANK), obj.startswith(_BLANK)
        if subject_blank and subject not in kept:
            shown = (_FOCUS if obj == subject else _OTHER) if object_blank else obj
            mentions.setdefault(subject, []).append(b"%s %s %s %s" % (_FOCUS, predicate, shown, graph))
        if object_blank and obj != subject and obj not in kept:
            shown = _OTHER if subject_blank else subject
            mentions.setdefault(obj, []).append(b"%s %s %s %s" % (shown, predicate, _FOCUS, graph))
    # Sorted as bytes: UTF-8 keeps the code point order the names were first defined with.
    return {
        node: hashlib.sha256(b"\n".join(sorted(texts))).hexdigest()[:24] for node, texts in mentions.items()
    }


def _names(digests: dict[bytes, str]) -> dict[bytes, bytes]:
    names: dict[bytes, bytes] = {}
    taken: set[str] = set()
    # In label order, so that of two twins the same one keeps the plain hash at every build (the
    # labels are canonical whenever there are twins).
    for node in sorted(digests, key=lambda label: label.decode()):
        digest = digests[node]
        if digest in taken:  # the same neighbourhood twice: told apart by the canonical label
            digest = hashlib.sha256(f"{digest} {node[2:].decode()}".encode()).hexdigest()[:24]
        taken.add(digest)
        names[node] = f"<{GENID_BASE}{digest}>".encode()
    return names
