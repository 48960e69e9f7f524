"""Skolemisation of the build's blank nodes: every named graph stands alone, the IRIs are stable."""

from __future__ import annotations

import shutil

import pyoxigraph as ox

from exodus_kg.pipeline import build
from exodus_kg.project import Project
from exodus_kg.rdf.skolemisation import GENID_BASE, is_skolem, skolemise
from support.project_copies import exodus_env, run_exodus

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


def mentions_blank_node(q: ox.Quad) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def test_the_names_depend_only_on_the_quads_that_mention_blank_nodes():
    """The build hands over only those quads: the names (twins, kept nodes and all) must be those
    the whole dataset gives."""
    subject, restriction = ox.NamedNode(EX + "s"), ox.BlankNode()
    twin_one, twin_two, other = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    quads = [
        *small(),
        quad(subject, "has", twin_one),
        quad(subject, "has", twin_two),
        quad(twin_one, "value", ox.Literal("1")),
        quad(twin_two, "value", ox.Literal("1")),
        quad(other, "near", restriction, "inferred"),
        quad(ox.NamedNode(EX + "Class"), "subClassOf", restriction, "ontology"),
        quad(restriction, "onProperty", ox.NamedNode(EX + "p"), "ontology"),
        quad(subject, "label", ox.Literal("s")),
    ]
    whole = {str(q) for q in skolemise(quads)}
    blank = [q for q in quads if mentions_blank_node(q)]
    assert {str(q) for q in skolemise(blank)} | {str(q) for q in quads if not mentions_blank_node(q)} == whole
    twins = {q.object.value for q in skolemise(quads) if q.predicate.value == EX + "has"}
    assert len(twins) == 2 and all(is_skolem(iri) for iri in twins)


def test_blank_nodes_of_the_ontology_graph_stay_blank():
    restriction = ox.BlankNode()
    owl = [
        quad(ox.NamedNode(EX + "Class"), "subClassOf", restriction, "ontology"),
        quad(restriction, "onProperty", ox.NamedNode(EX + "p"), "ontology"),
    ]
    assert all(isinstance(q.object, ox.BlankNode) for q in skolemise(owl) if q.predicate.value == EX + "subClassOf")


def test_the_build_has_no_blank_node_in_its_data_graphs_and_a_rebuild_writes_the_same_bytes(fixture_project_dir, tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(fixture_project_dir, copy, ignore=shutil.ignore_patterns("build"))
    written = []
    for seed in ("1", "2"):  # two processes, hashing Python's sets in two orders
        result = run_exodus("build", "--force", project=copy, env=exodus_env(PYTHONHASHSEED=seed))
        assert result.returncode == 0, result.stderr
        written.append((build.fresh_entry(Project(copy)) / build.DATASET_FILE).read_bytes())
    assert written[0] == written[1]
    quads = list(ox.parse(written[0], format=ox.RdfFormat.N_QUADS))
    data = [q for q in quads if q.graph_name.value != build.ONTOLOGY_GRAPH]
    assert not any(isinstance(t, ox.BlankNode) for q in data for t in (q.subject, q.object))
    assert any(is_skolem(t.value) for q in data for t in (q.subject, q.object) if isinstance(t, ox.NamedNode))


AMOUNT = """@prefix exd: <https://w3id.org/exodus-kg/id/> .
@prefix exo: <https://w3id.org/exodus-kg/ontology#> .
exd:alice exo:salary [ exo:quantityValue 10.0 ; exo:currency "USD" ] .
"""


def test_literals_keep_their_spelling_and_the_skolem_iri_hashes_it(scratch_project):
    """The store keeps 10.0 as 10: the dataset, and the name of the amount, keep it as written."""
    (scratch_project.root / "triples" / "amount.ttl").write_text(AMOUNT, encoding="utf-8")
    entry = build.build(scratch_project, force=True).entry
    text = (entry / build.DATASET_FILE).read_text(encoding="utf-8")
    decimal = "^^<http://www.w3.org/2001/XMLSchema#decimal>"
    assert f'"10.0"{decimal}' in text and f'"10"{decimal}' not in text
    amount = ox.BlankNode()
    asserted = [
        quad(ox.NamedNode("https://w3id.org/exodus-kg/id/alice"), "salary", amount),
        quad(amount, "quantityValue", ox.Literal("10.0", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))),
        quad(amount, "currency", ox.Literal("USD")),
    ]
    exo = "https://w3id.org/exodus-kg/ontology#"
    asserted = [ox.Quad(q.subject, ox.NamedNode(exo + q.predicate.value[len(EX):]), q.object, q.graph_name) for q in asserted]
    [named] = {q.object for q in skolemise(asserted) if q.predicate.value == exo + "salary"}
    assert f"{named} <{exo}quantityValue> \"10.0\"{decimal}" in text
