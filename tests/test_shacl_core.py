"""The project's SHACL engine (pipeline/shacl_core.py) gives pySHACL's results, pySHACL being the reference.

Every comparison is of whole results: focus node, path, value, source shape, constraint component,
severity and message, counted (pySHACL reports some results twice, and so must the engine). The cases:
every invalid fixture of tests/data/invalid, the real data, a synthetic project with violations of
every kind put in, shapes the engine does not support (it must hand the whole validation to pySHACL,
never skip them), and a store whose layers share triples.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF, RDFS, Literal, URIRef

from exodus_kg.pipeline import shacl_core, sparql_checks, validation
from exodus_kg.pipeline.graph_loading import load_graphs, parse_file
from exodus_kg.pipeline.validation_report import ShapeViolations
from exodus_kg.project import Project
from support.shape_reports import term_key

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
INVALID = sorted(path for path in (DATA / "invalid").glob("*.ttl") if not path.name.endswith(".expected.ttl"))
EXO = rdflib.Namespace("https://w3id.org/exodus-kg/ontology#")
EXD = rdflib.Namespace("https://w3id.org/exodus-kg/id/")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


@pytest.fixture(scope="module")
def project():
    return Project(ROOT)


@pytest.fixture(scope="module")
def ontology(project):
    return load_graphs(project.ontology_files())


@pytest.fixture(scope="module")
def shapes(project):
    return validation.load_shapes(project.shape_files())


@pytest.fixture(scope="module")
def context(project):
    graph = load_graphs(sorted((project.triples_dir / "source").glob("*.ttl")))
    parse_file(DATA / "context.ttl", graph)
    return graph


def full_keys(outcome) -> Counter:
    """Every field of every SHACL result (the checks are the same code in both engines)."""
    return Counter(
        (
            term_key(r.focus_node),
            term_key(r.path) if not isinstance(r.path, Literal) else ("path", str(r.path)),
            term_key(r.value),
            term_key(r.source),
            str(r.component),
            r.severity,
            r.message,
        )
        for r in outcome.results
        if not r.from_check
    )


def assert_same(data, ontology, shapes, minimum: int = 0) -> Counter:
    core = validation.validate_graphs(data, ontology, shapes)
    reference = validation.validate_graphs(data, ontology, shapes, engine="pyshacl")
    assert core.engine == "core" and reference.engine == "pyshacl"
    ours, theirs = full_keys(core), full_keys(reference)
    assert ours == theirs, f"only the engine:\n{ours - theirs}\nonly pySHACL:\n{theirs - ours}"
    assert sum(ours.values()) >= minimum
    assert [r.focus_label for r in core.results] == [r.focus_label for r in reference.results]
    return ours


def with_files(context, *paths) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph += context
    for path in paths:
        parse_file(path, graph)
    return graph


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.stem)
def test_each_invalid_fixture_gives_pyshacls_results(path, context, ontology, shapes):
    assert_same(with_files(context, path), ontology, shapes)


def test_all_invalid_fixtures_at_once(context, ontology, shapes):
    keys = assert_same(with_files(context, *INVALID), ontology, shapes, minimum=len(INVALID))
    components = {key[4] for key in keys}
    assert len(components) >= 15, components  # the constraint kinds the shapes use all fire


def test_the_real_data_conforms_in_both(project, ontology, shapes):
    data = load_graphs(project.asserted_files())
    load_graphs(project.link_files(), data)
    assert assert_same(data, ontology, shapes) == Counter()


# A synthetic project with violations put in ------------------------------------------------------


def _break(graph: rdflib.Graph) -> None:
    """Violations of every kind the shapes know, each in a different copy of the article."""

    def first(predicate, copy, obj=None):
        suffix = f"-c{copy}"
        return next(
            (s, o)
            for s, o in sorted(graph.subject_objects(predicate))
            if str(s).endswith(suffix) and (obj is None or o == obj)
        )

    person, _ = first(RDF.type, 2, EXO.Person)
    for label in [o for o in graph.objects(person, RDFS.label) if o.language == "en"]:
        graph.remove((person, RDFS.label, label))  # qualifiedMinCount
    organization, _ = first(RDF.type, 3, EXO.Company)
    graph.add((organization, RDF.type, EXO.Person))  # sh:not
    graph.add((organization, RDFS.label, Literal("another", lang="zh-Hant")))  # uniqueLang, languageIn ok
    statement, _ = first(EXO.certainty, 4)
    graph.set((statement, EXO.certainty, EXO.Person))  # sh:in
    graph.add((statement, EXO.founded, EXD.openai))  # a derived property: targetSubjectsOf, maxCount 0
    graph.add((statement, RDFS.label, Literal("second English summary", lang="en")))  # qualifiedMaxCount
    dated, _ = first(EXO.date, 5)
    graph.set((dated, EXO.date, Literal("August 2024")))  # sh:node -> sh:or of datatypes
    founding, _ = first(EXO.foundedOrganization, 6)
    graph.set((founding, EXO.foundedOrganization, Literal("OpenAI")))  # sh:class on a literal
    _statement, quantity = first(EXO.amount, 7)
    graph.set((quantity, EXO.quantityValue, Literal("-5", datatype=rdflib.XSD.integer)))  # minInclusive
    evidence, _ = next(
        (s, o)
        for s, o in graph.subject_objects(EXO.start)
        if (None, EXO.evidence, s) in graph and o.value > 5
    )
    graph.set((evidence, EXO.end, Literal(1)))  # lessThan (and the offsets check)
    graph.set((evidence, EXO.quote, Literal("")))  # minLength
    link, _ = first(RDF.type, 8, EXO.WikidataLink)
    graph.set((link, EXO.wikidataItem, URIRef("http://www.wikidata.org/entity/P31")))  # pattern
    graph.add((link, EXO.verifiedOn, Literal("2024-08-05", datatype=rdflib.XSD.date)))  # maxCount
    departure, _ = first(RDF.type, 9, EXO.Departure)
    graph.remove((departure, EXO.person, None))  # minCount
    entity, _ = first(RDF.type, 9, EXO.Company)
    graph.add((entity, EXO.about, Literal("not an IRI")))  # no shape: nothing
    evidence_node = next(graph.objects(departure, EXO.evidence))
    graph.add((evidence_node, EXO.passage, Literal(3)))  # a blank focus node's message and label


@pytest.mark.slow
def test_a_synthetic_project_with_violations_gives_pyshacls_results(tmp_path, shapes):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from synthetic_project import write_project
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    synthetic = Project(write_project(10, tmp_path / "p10"))
    ontology = load_graphs(synthetic.ontology_files())
    data = load_graphs(synthetic.asserted_files())
    load_graphs(synthetic.link_files(), data)
    assert assert_same(data, ontology, shapes) == Counter()
    _break(data)
    keys = assert_same(data, ontology, shapes, minimum=15)
    assert len({key[4] for key in keys}) >= 12


# What the engine does not support goes to pySHACL, whole --------------------------------------------

UNSUPPORTED = {
    "equals": "sh:property [ sh:path exo:start ; sh:equals exo:end ]",
    "sequence-path": "sh:property [ sh:path ( exo:passage exo:article ) ; sh:minCount 2 ]",
    "sparql": 'sh:sparql [ sh:select "SELECT $this WHERE { $this exo:quote ?quote }" ; '
    "sh:prefixes <https://w3id.org/exodus-kg/shapes> ]",
    "closed": "sh:closed true ; sh:ignoredProperties ( rdf:type )",
}


@pytest.mark.parametrize("kind", sorted(UNSUPPORTED))
def test_an_unsupported_shape_hands_the_whole_validation_to_pyshacl(kind, context, ontology, shapes):
    extra = rdflib.Graph()
    extra += shapes
    extra.parse(
        data=f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix exo: <https://w3id.org/exodus-kg/ontology#> .
        @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
        <https://w3id.org/exodus-kg/shapes> sh:declare [ sh:prefix "exo" ;
            sh:namespace "https://w3id.org/exodus-kg/ontology#"^^<http://www.w3.org/2001/XMLSchema#anyURI> ] .
        <https://example.org/Extra> a sh:NodeShape ; sh:targetObjectsOf exo:evidence ; {UNSUPPORTED[kind]} .
        """,
        format="turtle",
    )
    with pytest.raises(shacl_core.Unsupported):
        shacl_core.compile_shapes_graph(extra)
    data = with_files(context, DATA / "invalid" / "departure-kind.ttl")
    core = validation.validate_graphs(data, ontology, extra)
    reference = validation.validate_graphs(data, ontology, extra, engine="pyshacl")
    assert core.engine == "pyshacl" and core.fallback
    assert full_keys(core) == full_keys(reference)
    assert any(str(r.group) == "https://example.org/Extra" for r in core.results)


def test_an_unsupported_shape_in_the_project_files_falls_back_in_validate_store(project, tmp_path):
    import shutil

    root = tmp_path / "project"
    for folder in ("ontology", "queries"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copytree(ROOT / "triples" / "source", root / "triples" / "source")
    (root / "triples" / "context.ttl").write_bytes((DATA / "context.ttl").read_bytes())
    (root / "ontology" / "shapes" / "extra.shacl.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix exo: <https://w3id.org/exodus-kg/ontology#> .\n"
        "<https://example.org/Extra> a sh:NodeShape ; sh:targetClass exo:Passage ;\n"
        "  sh:property [ sh:path exo:start ; sh:equals exo:end ] .\n",
        encoding="utf-8",
    )
    copy = Project(root)
    store = _store_of(copy)
    outcome = validation.validate_store_outcome(store, copy, data_graphs=[ASSERTED], ontology_graph=ONTOLOGY)
    assert outcome.engine == "pyshacl" and "equals" in outcome.fallback
    assert outcome.results and {str(r.group) for r in outcome.results} == {"https://example.org/Extra"}


# validate_store: the build's layers in one store ------------------------------------------------------

ASSERTED = "https://w3id.org/exodus-kg/graph/asserted"
LINKS = "https://w3id.org/exodus-kg/graph/links"
ONTOLOGY = "https://w3id.org/exodus-kg/graph/ontology"


def _store_of(project: Project, extra: list[Path] = ()) -> ox.Store:
    store = ox.Store()
    for name, paths in (
        (ONTOLOGY, project.ontology_files()),
        (ASSERTED, [*project.asserted_files(), *extra]),
        (LINKS, project.link_files()),
    ):
        for path in paths:
            store.load(
                path=str(path),
                format=ox.RdfFormat.from_extension(path.suffix[1:]),
                base_iri=path.resolve().as_uri(),
                to_graph=ox.NamedNode(name),
            )
    return store


def test_validate_store_gives_the_same_results_as_the_rdflib_path(
    project, ontology, shapes, context, tmp_path
):
    bad = [DATA / "invalid" / "founding.ttl", DATA / "invalid" / "end-before-start-violation.ttl"]
    store = _store_of(project, bad)
    outcome = validation.validate_store_outcome(
        store, project, data_graphs=[ASSERTED, LINKS], ontology_graph=ONTOLOGY
    )
    data = load_graphs([*project.asserted_files(), *bad])
    load_graphs(project.link_files(), data)
    reference = validation.validate_graphs(
        data, ontology, shapes, sparql_checks.load_checks(project.check_files()), engine="pyshacl"
    )

    def key(r):
        return (
            term_key(r.focus_node),
            term_key(r.path),
            term_key(r.value),
            str(r.group),
            str(r.component),
            r.message,
            r.focus_label,
        )

    assert Counter(map(key, outcome.results)) == Counter(map(key, reference.results))
    assert outcome.triples == len(data)
    assert outcome.shape_count == reference.shape_count and outcome.check_count == reference.check_count
    with pytest.raises(ShapeViolations):
        validation.validate_store(store, project, data_graphs=[ASSERTED, LINKS], ontology_graph=ONTOLOGY)


def test_a_triple_in_two_layers_counts_once(project):
    store = _store_of(project)
    # The links restate a statement's certainty: maxCount 1 must not see two, nor the checks two rows.
    statement, certainty = next(
        (q.subject, q.object)
        for q in store.quads_for_pattern(None, ox.NamedNode(str(EXO.certainty)), None, ox.NamedNode(ASSERTED))
    )
    store.add(ox.Quad(statement, ox.NamedNode(str(EXO.certainty)), certainty, ox.NamedNode(LINKS)))
    store.add(
        ox.Quad(
            statement, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(EXO.Statement)), ox.NamedNode(ONTOLOGY)
        )
    )
    outcome = validation.validate_store_outcome(
        store, project, data_graphs=[ASSERTED, LINKS], ontology_graph=ONTOLOGY
    )
    assert outcome.results == [], outcome.text_report()
    unique = {
        (q.subject, q.predicate, q.object)
        for g in (ASSERTED, LINKS)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))
    }
    assert outcome.triples == len(unique)


def test_a_conforming_validate_store_never_imports_rdflib():
    script = f"""
import sys
import pyoxigraph as ox
from pathlib import Path
from exodus_kg.project import Project
from exodus_kg.pipeline import validation
project = Project(Path({str(ROOT)!r}))
store = ox.Store()
for name, paths in (({ONTOLOGY!r}, project.ontology_files()), ({ASSERTED!r}, project.asserted_files()),
                    ({LINKS!r}, project.link_files())):
    for path in paths:
        store.load(path=str(path), format=ox.RdfFormat.from_extension(path.suffix[1:]), base_iri=path.resolve().as_uri(),
                   to_graph=ox.NamedNode(name))
assert "rdflib" not in sys.modules, "imported before validation"
outcome = validation.validate_store(store, project, data_graphs=[{ASSERTED!r}, {LINKS!r}],
                                    ontology_graph={ONTOLOGY!r})
assert outcome.conforms and outcome.engine == "core"
print("rdflib" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_report_graph_is_pyshacls(context, ontology, shapes, project):
    checks = sparql_checks.load_checks(project.check_files())
    data = with_files(
        context, DATA / "invalid" / "stake-sum-violation.ttl", DATA / "invalid" / "departure-kind.ttl"
    )
    core = validation.validate_graphs(data, ontology, shapes, checks)
    reference = validation.validate_graphs(data, ontology, shapes, checks, engine="pyshacl")
    assert core.report_graph.isomorphic(reference.report_graph)
    assert core.serialize("json") == reference.serialize("json")
    assert core.text_report().split("\n", 1)[1] == reference.text_report().split("\n", 1)[1]


# Literals the store keeps as another datatype ---------------------------------------------------------

INT_SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://example.org/ThingShape> a sh:NodeShape ; sh:targetClass <https://example.org/Thing> ;
  sh:property [ sh:path <https://example.org/size> ; sh:datatype xsd:int ; sh:maxCount 1 ;
                sh:message "a size is one xsd:int" ] .
"""
# "5" and "05" are two xsd:int terms (pySHACL: maxCount fails); the store keeps both as "5"^^xsd:integer,
# and an engine reading it would find the datatype wrong and the count right.
INT_DATA = """@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://example.org/a> a <https://example.org/Thing> ; <https://example.org/size> "5"^^xsd:int .
<https://example.org/b> a <https://example.org/Thing> ; <https://example.org/size> "5"^^xsd:int, "05"^^xsd:int .
"""


@pytest.fixture
def int_project(tmp_path):
    import shutil

    root = tmp_path / "project"
    for folder in ("ontology", "queries", "triples"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("build"))
    (root / "ontology" / "shapes" / "int.shacl.ttl").write_text(INT_SHAPE, encoding="utf-8")
    (root / "triples" / "int.ttl").write_text(INT_DATA, encoding="utf-8")
    return Project(root)


def _int_keys(outcome) -> set:
    return {(str(r.focus_node), str(r.component).rsplit("#", 1)[1]) for r in outcome.results}


def test_data_the_store_rewrites_goes_to_pyshacl_in_validate(int_project):
    """`exodus validate`: the same results as pySHACL on the files, never a false datatype violation."""
    outcome = validation.validate(int_project)
    reference = validation.validate(int_project, engine="pyshacl")
    assert _int_keys(reference) == {("https://example.org/b", "MaxCountConstraintComponent")}
    assert outcome.engine == "pyshacl" and "xsd:int" in outcome.fallback
    assert full_keys(outcome) == full_keys(reference)


def test_data_the_store_rewrites_goes_to_pyshacl_in_the_build(int_project):
    from exodus_kg.pipeline.build import build

    with pytest.raises(ShapeViolations) as raised:
        build(int_project, force=True)
    outcome = raised.value.outcome
    assert outcome.engine == "pyshacl" and "xsd:int" in outcome.fallback
    assert _int_keys(outcome) == {("https://example.org/b", "MaxCountConstraintComponent")}


def test_data_the_store_rewrites_goes_to_pyshacl_from_rdflib_graphs(int_project, ontology):
    data = load_graphs(int_project.asserted_files())
    shapes = validation.load_shapes(int_project.shape_files())
    outcome = validation.validate_graphs(data, ontology, shapes)
    assert outcome.engine == "pyshacl" and "xsd:int" in outcome.fallback
    assert full_keys(outcome) == full_keys(validation.validate_graphs(data, ontology, shapes, engine="pyshacl"))
    with pytest.raises(ShapeViolations) as raised:
        validation.validate_for_build(project=int_project, ontology=ontology, asserted=data)
    assert _int_keys(raised.value.outcome) == {("https://example.org/b", "MaxCountConstraintComponent")}


def test_respellings_keeps_the_first_spelling_over_every_call():
    """A value first written as the store keeps it stays so when a later file spells it otherwise."""
    from exodus_kg.pipeline.graph_loading import Spellings, respellings

    xsd = "http://www.w3.org/2001/XMLSchema#"
    integer = ox.Literal("5", datatype=ox.NamedNode(xsd + "integer"))
    as_int = ox.Literal("5", datatype=ox.NamedNode(xsd + "int"))
    decimal = ox.Literal("10.0", datatype=ox.NamedNode(xsd + "decimal"))
    spellings = Spellings()
    respellings([integer, decimal], spellings)
    respellings([as_int], spellings)
    assert integer not in spellings  # not respelled as xsd:int
    assert spellings[ox.Literal("10", datatype=ox.NamedNode(xsd + "decimal"))] == decimal
    assert spellings.rewritten_datatypes == {xsd + "int"}
