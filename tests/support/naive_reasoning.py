"""The reference for ``pipeline.reasoning``: naive evaluation as the module did it before issue 17
(every rule over the whole graph, round after round, in an Oxigraph store filled from rdflib, the new
triples found by a set difference in Python and filtered in Python). The tests check that
``infer_into_store`` (which evaluates fewer rules per round, over fewer triples) adds exactly these
triples, and the benchmark measures it against this.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox
import rdflib
from rdflib import RDFS, Literal, URIRef

from exodus_kg.pipeline import reasoning
from exodus_kg.rdf.namespaces import DCTERMS
from exodus_kg.rdf.terms import TermMap


def naive_inference(
    ontology: rdflib.Graph, data: rdflib.Graph, rules: Sequence[reasoning.Rule]
) -> tuple[rdflib.Graph, list[int]]:
    """The kept new triples (with the rule descriptions) and the triples added per round (the SPARQL
    closure only: the owlrl one has no second implementation to compare with)."""
    active = [rule for rule in rules if not rule.is_owl_rl] + [rule for rule in rules if rule.is_owl_rl]
    terms = TermMap(new_blank_nodes=False)
    store = ox.Store()
    store.extend(terms.quad(triple) for graph in (ontology, data) for triple in graph)
    given = set(store)
    added_per_round: list[int] = []
    size = len(store)
    while not added_per_round or added_per_round[-1]:
        assert len(added_per_round) < 25, added_per_round
        for rule in active:
            store.update(rule.insert_text)
        added_per_round.append(len(store) - size)
        size = len(store)
    keep = reasoning._Filter(ontology)
    result = rdflib.Graph()
    for quad in store:
        if quad not in given:
            triple = terms.triple(quad.triple)
            if keep(triple):
                result.add(triple)
    by_iri = {URIRef(rule.iri): rule for rule in rules}
    for iri in set(result.objects(None, URIRef(reasoning.DERIVED_BY))):
        rule = by_iri.get(iri)
        if rule is not None:
            result.add((iri, RDFS.label, Literal(f"derivation rule {rule.name}", lang="en")))
            result.add((iri, RDFS.comment, Literal(rule.summary, lang="en")))
            result.add((iri, URIRef(DCTERMS + "source"), Literal(f"queries/rules/{rule.path.name}")))
    return result, added_per_round
