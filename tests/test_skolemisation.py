"""Skolemisation of the build's blank nodes: every named graph stands alone, the IRIs are stable."""

from __future__ import annotations

import shutil

import pyoxigraph as ox

from exodus_kg.pipeline import build
from exodus_kg.project import Project
from exodus_kg.rdf.skolemisation import GENID_BASE, is_skolem, skolemise

EXG = "https://w3id.org/exodus-kg/graph/"
EX = "https://example.org/"


def quad(s, p, o, g="asserted"):
    return ox.Quad(s, ox.NamedNode(EX + p), o, ox.NamedNode(EXG + g))


def small() -> list[ox.Quad]:
    statement, evidence, selector = ox.NamedNode(EX + "statement"), ox.BlankNode(), ox.BlankNode()
    return [
        quad(statement, "evidence", evidence),
        quad(evidence, "quote", ox.Literal("a quote")),
        quad(evidence, "selector", selector),
        quad(selector, "start", ox.Literal("7")),
        quad(evidence, "type", ox.NamedNode(EX + "Evidence"), "inferred"),
    ]


def test_every_blank_node_becomes_one_genid_iri_shared_by_its_graphs():
    result = skolemise(small())
    assert not any(isinstance(t, ox.BlankNode) for q in result for t in (q.subject, q.object))
    evidence = {q.object for q in result if q.predicate.value == EX + "evidence"}.pop()
    assert is_skolem(evidence.value) and evidence.value.startswith(GENID_BASE)
    assert {q.graph_name.value for q in result if evidence in (q.subject, q.object)} == {EXG + "asserted", EXG + "inferred"}
    assert len(result) == len(small())


def test_the_same_data_read_again_gets_the_same_iris_and_an_unrelated_edit_changes_none():
    first = {str(q) for q in skolemise(small())}
    assert {str(q) for q in skolemise(small())} == first  # fresh blank nodes, another order
    assert {str(q) for q in skolemise(list(reversed(small())))} == first
    edited = [*small(), quad(ox.NamedNode(EX + "other"), "evidence", ox.BlankNode()), quad(ox.NamedNode(EX + "x"), "y", ox.Literal("z"))]
    assert first <= {str(q) for q in skolemise(edited)}


def test_blank_nodes_with_the_same_neighbourhood_stay_apart():
    subject = ox.NamedNode(EX + "s")
    twins = [quad(subject, "has", ox.BlankNode()), quad(subject, "has", ox.BlankNode())]
    assert len({q.object for q in skolemise(twins)}) == 2


def test_blank_nodes_of_the_ontology_graph_stay_blank():
    restriction = ox.BlankNode()
    owl = [
        quad(ox.NamedNode(EX + "Class"), "subClassOf", restriction, "ontology"),
        quad(restriction, "onProperty", ox.NamedNode(EX + "p"), "ontology"),
    ]
    assert all(isinstance(q.object, ox.BlankNode) for q in skolemise(owl) if q.predicate.value == EX + "subClassOf")


def test_the_build_has_no_blank_node_in_its_data_graphs_and_a_rebuild_names_them_the_same(fixture_project_dir, tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(fixture_project_dir, copy, ignore=shutil.ignore_patterns("build"))
    first = build.build(Project(copy), force=True).entry
    first_quads = (first / build.DATASET_FILE).read_text(encoding="utf-8")
    second = build.build(Project(copy), force=True).entry
    assert sorted((second / build.DATASET_FILE).read_text(encoding="utf-8").splitlines()) == sorted(first_quads.splitlines())
    quads = list(ox.parse(first_quads.encode(), format=ox.RdfFormat.N_QUADS))
    data = [q for q in quads if q.graph_name.value != build.ONTOLOGY_GRAPH]
    assert not any(isinstance(t, ox.BlankNode) for q in data for t in (q.subject, q.object))
    assert any(is_skolem(t.value) for q in data for t in (q.subject, q.object) if isinstance(t, ox.NamedNode))
