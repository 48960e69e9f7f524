"""The ontology as OWL: in the OWL 2 DL profile, consistent under HermiT and OWL 2 RL, fully labelled."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from exodus_kg.maintain.namespace_codegen import vocabulary_source
from exodus_kg.maintain.ontology_checks import dl_profile, hermit_consistency, owlrl_consistency
from exodus_kg.maintain.ontology_docs import class_diagram, ontology_html

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "exodus.ttl"
EXO = "https://w3id.org/exodus-kg/ontology#"
ONTOLOGY_IRI = URIRef("https://w3id.org/exodus-kg/ontology")
DCTERMS = "http://purl.org/dc/terms/"


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def ontology_and_data(ontology) -> Graph:
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    for path in sorted((ROOT / "triples").rglob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def exo_terms(graph: Graph):
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return sorted({s for kind in kinds for s in graph.subjects(RDF.type, kind) if str(s).startswith(EXO)})


def test_every_term_has_english_and_chinese_label_and_definition(ontology):
    missing = []
    for term in exo_terms(ontology):
        languages = {label.language for label in ontology.objects(term, RDFS.label)}
        if not {"en", "zh-Hant"} <= languages or (term, SKOS.definition, None) not in ontology:
            missing.append(str(term))
    assert missing == []


def test_ontology_metadata(ontology):
    for predicate in ("title", "description", "license", "creator", "created", "modified"):
        assert (ONTOLOGY_IRI, URIRef(DCTERMS + predicate), None) in ontology, predicate
    assert (ONTOLOGY_IRI, OWL.versionIRI, None) in ontology


@pytest.mark.parametrize("vocabulary", [
    "http://www.w3.org/ns/prov#", "http://www.w3.org/ns/org#", "https://schema.org/",
    "http://xmlns.com/foaf/0.1/", "http://www.w3.org/ns/oa#",
])
def test_aligned_to_standard_vocabulary(ontology, vocabulary):
    aligned = [
        (s, o) for p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass)
        for s, o in ontology.subject_objects(p) if str(s).startswith(EXO) and str(o).startswith(vocabulary)
    ]
    assert aligned, f"no exo term is aligned to {vocabulary}"


def test_certainty_ranks_are_a_total_order_over_the_leaves(ontology):
    scheme = URIRef("https://w3id.org/exodus-kg/vocab/certainty")
    leaves = [c for c in ontology.subjects(SKOS.inScheme, scheme) if (c, SKOS.broader, None) in ontology]
    ranks = [ontology.value(c, URIRef(EXO + "certaintyRank")) for c in leaves]
    assert len(leaves) == 8 and all(isinstance(r, Literal) for r in ranks)


# Java (OWL API, HermiT), owlrl over the whole graph or pyLODE: seconds each.
@pytest.mark.slow
def test_ontology_is_in_owl2_dl_profile():
    result = dl_profile(ONTOLOGY)
    assert result.problems == [] and result.ok


@pytest.mark.slow
def test_dl_profile_check_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(ONTOLOGY.read_text(encoding="utf-8")
                   + "\nexo:quote a owl:ObjectProperty .\n", encoding="utf-8")
    result = dl_profile(bad)
    assert not result.ok and any("pun" in problem.lower() for problem in result.problems)


@pytest.mark.slow
def test_ontology_and_data_consistent_under_hermit(ontology_and_data):
    result = hermit_consistency(ontology_and_data)
    assert result.ok, result.problems


@pytest.mark.slow
def test_hermit_detects_a_person_who_is_an_organization(ontology_and_data):
    graph = Graph()
    for triple in ontology_and_data:
        graph.add(triple)
    graph.add((URIRef("https://w3id.org/exodus-kg/id/sam-altman"), RDF.type, URIRef(EXO + "Organization")))
    assert not hermit_consistency(graph).ok


@pytest.mark.slow
def test_owl_rl_closure_raises_no_inconsistency(ontology_and_data):
    result = owlrl_consistency(ontology_and_data)
    assert result.ok, result.problems


def test_generated_vocabulary_module_in_sync(ontology):
    generated = (ROOT / "src" / "exodus_kg" / "rdf" / "vocabulary.py").read_text(encoding="utf-8")
    assert generated == vocabulary_source(ontology), "run `exodus gen-vocabulary`"


def test_vocabulary_fails_loudly_on_a_misspelt_term():
    from exodus_kg.rdf.vocabulary import EXO as CLOSED_EXO
    from exodus_kg.rdf.vocabulary import EXV

    assert str(CLOSED_EXO.Departure) == EXO + "Departure"
    assert str(EXV["at-least"]).endswith("/vocab/at-least")
    with pytest.raises(AttributeError):
        CLOSED_EXO.Departur  # noqa: B018


def test_class_diagram_in_sync(ontology):
    assert (ROOT / "docs" / "class-diagram.md").read_text(encoding="utf-8") == class_diagram(ontology), \
        "run `exodus docs`"


@pytest.mark.slow
def test_html_documentation_names_every_class(ontology):
    html = ontology_html(ONTOLOGY)
    classes = [t for t in exo_terms(ontology) if (t, RDF.type, OWL.Class) in ontology]
    missing = [str(c) for c in classes if str(c) not in html]
    assert missing == []


def test_hermit_without_owlready2_is_one_clean_line(monkeypatch):
    """A plain `pip install exodus-kg` has no owlready2: check-ontology names the extra that brings it."""
    import sys

    from exodus_kg.errors import ExodusError

    monkeypatch.setitem(sys.modules, "owlready2", None)
    with pytest.raises(ExodusError, match=r"owlready2 is not installed.*exodus-kg\[ontology-checks\]") as raised:
        hermit_consistency(Graph())
    assert raised.value.exit_code == 2
