"""rdflib <-> pyoxigraph terms: the one converter, for the stages that load with rdflib and run SPARQL in
Oxigraph (validation's SPARQL checks, reasoning, the build's writer, explanations).

The blank-node policy, the same everywhere: a ``TermMap`` gives each rdflib blank node one fresh
pyoxigraph blank node and remembers the pair both ways, so

- one map used for several graphs keeps a node shared between them one node (an inferred triple
  about an asserted evidence node still points at it);
- a blank node coming back from Oxigraph (in a check's result row, in a derived triple) is the very
  rdflib node it came from, so results point at the same nodes as the rdflib graph;
- rdflib's labels are never handed to Oxigraph, which would refuse a label that is not a valid
  blank-node name in N-Triples (rdflib accepts any string).

A blank node the map did not make (one a query created) comes back as an rdflib blank node of the
same label, or is an error when the map is made with ``new_blank_nodes=False``.

Literals come back in the spelling they went in with: Oxigraph keeps numbers in canonical form
(``"18000000000.0"^^xsd:decimal`` comes back as ``"18000000000"``), so a literal a rule copies or a
check returns is mapped back to the input literal of the same value.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from exodus_kg.errors import ExodusError
from exodus_kg.rdf.namespaces import XSD

XSD_STRING = XSD + "string"


def to_oxigraph(node) -> ox.NamedNode | ox.Literal:
    """An rdflib IRI or literal as a pyoxigraph term (no blank nodes: those need a TermMap)."""
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype or XSD_STRING)))
    raise ExodusError(f"cannot convert the term {node!r} to pyoxigraph")


def is_rdf_triple(triple) -> bool:
    """False for a generalised triple a reasoner may produce (a literal subject, a blank-node
    predicate), which is not RDF and has no place in a store."""
    return not isinstance(triple[0], Literal) and isinstance(triple[1], URIRef)


class TermMap:
    """rdflib <-> pyoxigraph terms under the module's blank-node and literal policy, memoised both ways
    (the same few predicates and classes occur in most triples)."""

    def __init__(self, new_blank_nodes: bool = True):
        self.new_blank_nodes = new_blank_nodes
        self._to_ox: dict = {}
        self._from_ox: dict = {}
        self._literals: dict[tuple, Literal] = {}

    def to_ox(self, node):
        found = self._to_ox.get(node)
        if found is not None:
            return found
        if isinstance(node, BNode):
            found = ox.BlankNode()
            self._from_ox[found] = node
        else:
            if isinstance(node, Literal):
                self._literals.setdefault(_literal_key(node), node)
            found = to_oxigraph(node)
        self._to_ox[node] = found
        return found

    def quad(self, triple, graph: ox.NamedNode | None = None) -> ox.Quad:
        subject, predicate, obj = triple
        if graph is None:
            return ox.Quad(self.to_ox(subject), self.to_ox(predicate), self.to_ox(obj))
        return ox.Quad(self.to_ox(subject), self.to_ox(predicate), self.to_ox(obj), graph)

    def knows(self, node: BNode) -> bool:
        """Whether the rdflib blank node went through this map."""
        return node in self._to_ox

    def from_ox(self, node):
        if node is None:
            return None
        found = self._from_ox.get(node)
        if found is not None:
            return found
        if isinstance(node, ox.NamedNode):
            found = URIRef(node.value)
        elif isinstance(node, ox.BlankNode):
            if not self.new_blank_nodes:
                raise ExodusError(f"the blank node _:{node.value} is not in the input")
            found = BNode(node.value)
        else:
            if node.language:
                literal = Literal(node.value, lang=node.language)
            elif node.datatype.value == XSD_STRING:
                literal = Literal(node.value)
            else:
                literal = Literal(node.value, datatype=URIRef(node.datatype.value))
            found = self._literals.get(_literal_key(literal), literal)
        self._from_ox[node] = found
        return found

    def triple(self, triple: ox.Triple) -> tuple:
        return (self.from_ox(triple.subject), self.from_ox(triple.predicate), self.from_ox(triple.object))

    def store(self, graph) -> ox.Store:
        """An in-memory store of the RDF triples of an rdflib graph (generalised ones left out)."""
        store = ox.Store()
        store.extend(self.quad(triple) for triple in graph if is_rdf_triple(triple))
        return store


def _literal_key(literal: Literal) -> tuple:
    if literal.language:
        return ("lang", str(literal), literal.language.lower())
    datatype = str(literal.datatype or XSD_STRING)
    value = literal.value
    if value is None or datatype == XSD_STRING or isinstance(value, str):
        return ("lexical", str(literal), datatype)
    return ("value", value, datatype)
