"""Validation: the shapes and the SPARQL checks catch the mistakes they are for, and nothing else.

Every file of tests/data/invalid/ is one small mistake with its expected report beside it
(NAME.expected.ttl, a sh:ValidationReport as in the W3C data-shapes test suite); the test compares the
reports result by result (focus node, path, constraint component, shape or check, severity, value),
not just "conforms: false". A fixture is validated with the ontology, the article's passages
(triples/source/) and tests/data/context.ttl only, so that it does not depend on the rest of the data.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pyshacl
import pytest
import rdflib
from click.testing import CliRunner
from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import SH, SKOS

from exodus_kg.cli import cli
from exodus_kg.errors import CheckFailed, InputError
from exodus_kg.pipeline import sparql_checks, validation
from exodus_kg.pipeline.graph_loading import load_graphs, parse_file
from exodus_kg.pipeline.validation import validate, validate_for_build, validate_graphs
from exodus_kg.pipeline.validation_report import SEVERITIES
from exodus_kg.project import Project
from exodus_kg.rdf.terms import TermMap
from support import jena_shacl
from support.shape_reports import expected_keys, outcome_keys, report_keys, result_key, show

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
INVALID = sorted(path for path in (DATA / "invalid").glob("*.ttl") if not path.name.endswith(".expected.ttl"))
VALID = sorted((DATA / "valid").glob("*.ttl"))
EXO = rdflib.Namespace("https://w3id.org/exodus-kg/ontology#")
EXV = rdflib.Namespace("https://w3id.org/exodus-kg/vocab/")
EXSH = rdflib.Namespace("https://w3id.org/exodus-kg/shapes#")


@pytest.fixture(scope="session")
def project():
    return Project(ROOT)


@pytest.fixture(scope="session")
def ontology(project):
    return load_graphs(project.ontology_files())


@pytest.fixture(scope="session")
def shapes(project):
    return validation.load_shapes(project.shape_files())


@pytest.fixture(scope="session")
def checks(project):
    return sparql_checks.load_checks(project.check_files())


@pytest.fixture(scope="session")
def fixture_context(project):
    """The article, its passages and the few entities the invalid fixtures point to."""
    graph = load_graphs(sorted((project.triples_dir / "source").glob("*.ttl")))
    parse_file(DATA / "context.ttl", graph)
    return graph


@pytest.fixture(scope="session")
def project_outcome(project):
    return validate(project)


@pytest.fixture(scope="session")
def project_data(project):
    """The asserted data and the links of the real graph."""
    data = load_graphs(project.asserted_files())
    load_graphs(project.link_files(), data)
    return data


@pytest.fixture(scope="session")
def mini_project(tmp_path_factory, project):
    """A project with the real ontology, shapes, checks and article, and only the fixture context
    as data: the command's tests run in a second instead of validating the whole graph each time."""
    import shutil

    root = tmp_path_factory.mktemp("mini-project")
    shutil.copytree(project.ontology_dir, root / "ontology")
    shutil.copytree(project.checks_dir, root / "queries" / "checks")
    shutil.copytree(project.triples_dir / "source", root / "triples" / "source")
    shutil.copy(DATA / "context.ttl", root / "triples" / "context.ttl")
    return root


def with_context(context: rdflib.Graph, *paths: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph += context
    for path in paths:
        parse_file(path, graph)
    return graph


# The real data -------------------------------------------------------------------------------


def test_the_real_data_conforms(project_outcome):
    assert project_outcome.results == [], project_outcome.text_report()
    assert project_outcome.conforms


def test_the_conflicts_of_interest_the_rules_derive_conform(project, project_data, ontology, shapes, checks):
    """The derived statements live in the inferred graph: validate them with the data they rest on."""
    from exodus_kg.pipeline import reasoning

    inferred = reasoning.infer(ontology, load_graphs(project.asserted_files()), rules=project.rule_files())
    conflicts = set(inferred.subjects(RDF.type, EXO.ConflictOfInterest))
    assert conflicts, "the rules derive no conflict of interest"
    data = rdflib.Graph()
    data += project_data
    for conflict in conflicts:
        for triple in inferred.triples((conflict, None, None)):
            # exo:certaintyGroup is derived for every statement, this one too; the shapes forbid it in
            # asserted data, which is what they are checking here.
            if triple[1] != EXO.certaintyGroup:
                data.add(triple)
    outcome = validate_graphs(data, ontology, shapes, checks)
    assert outcome.results == [], outcome.text_report()


def test_the_fixture_context_conforms(fixture_context, ontology, shapes, checks):
    outcome = validate_graphs(fixture_context, ontology, shapes, checks)
    assert outcome.results == [], outcome.text_report()


# Invalid fixtures: each mistake gives exactly its expected report ------------------------------


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.stem)
def test_invalid_fixture_gives_its_expected_report(path, fixture_context, ontology, shapes, checks):
    expected_path = path.with_name(path.stem + ".expected.ttl")
    assert expected_path.is_file(), f"{path.name} has no expected report {expected_path.name}"
    expected = expected_keys(expected_path)
    assert expected, f"{expected_path.name} expects no result: an invalid fixture must fail"
    outcome = validate_graphs(with_context(fixture_context, path), ontology, shapes, checks)
    actual = outcome_keys(outcome)
    assert actual == expected, (
        f"unexpected results:\n{show(actual - expected)}\nmissing results:\n{show(expected - actual)}\n\n"
        + outcome.text_report()
    )
    assert not outcome.conforms


def test_why_the_shapes_run_without_rdfs_inference(fixture_context, ontology, shapes):
    """Under RDFS inference the range of exo:person types the company as an exo:Person, so sh:class
    cannot catch a company put where a person belongs; what is left is the disjointness shape firing
    on the company itself ("cannot be both a person and an organization"), which points at the wrong
    node. SHACL's own subclass semantics (the ontology mixed into the data graph) already reaches every
    statement kind, so the shapes run without inference and report the statement and its property."""
    data = with_context(fixture_context, DATA / "invalid" / "statement-participant-class.ttl")
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="rdfs"
    )
    components = set(report.objects(None, SH.sourceConstraintComponent))
    assert components == {SH.NotConstraintComponent}, "RDFS inference changed: reconsider the choice"
    outcome = validate_graphs(data, ontology, shapes)
    assert [r.component for r in outcome.results] == [SH.ClassConstraintComponent]


def _named_shapes(shapes: rdflib.Graph) -> set[URIRef]:
    """Node shapes with a target: the ones that fire on their own."""
    targets = (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf)
    return {
        shape
        for shape in shapes.subjects(RDF.type, SH.NodeShape)
        if isinstance(shape, URIRef) and any((shape, target, None) in shapes for target in targets)
    }


def test_every_shape_and_check_has_a_failing_fixture(shapes, checks):
    exercised = set()
    for path in INVALID:
        report = rdflib.Graph().parse(path.with_name(path.stem + ".expected.ttl"))
        exercised |= set(report.objects(None, SH.sourceShape))
    wanted = _named_shapes(shapes) | {check.iri for check in checks}
    assert wanted - exercised == set(), "no failing example for: " + ", ".join(sorted(wanted - exercised))
    assert exercised - wanted == set(), "expected reports name unknown shapes: " + str(exercised - wanted)


def test_every_constraint_component_in_the_shapes_is_exercised(shapes):
    """Each kind of constraint the shapes use fails at least once in the fixtures."""
    used = set()
    for predicate in set(shapes.predicates()):
        name = str(predicate).removeprefix(str(SH))
        if str(predicate).startswith(str(SH)) and name in COMPONENT_OF:
            used.add(SH[COMPONENT_OF[name]])
    exercised = set()
    for path in INVALID:
        report = rdflib.Graph().parse(path.with_name(path.stem + ".expected.ttl"))
        exercised |= set(report.objects(None, SH.sourceConstraintComponent))
    assert used - exercised == set()


COMPONENT_OF = {
    "class": "ClassConstraintComponent",
    "datatype": "DatatypeConstraintComponent",
    "nodeKind": "NodeKindConstraintComponent",
    "minCount": "MinCountConstraintComponent",
    "maxCount": "MaxCountConstraintComponent",
    "minInclusive": "MinInclusiveConstraintComponent",
    "maxInclusive": "MaxInclusiveConstraintComponent",
    "minLength": "MinLengthConstraintComponent",
    "pattern": "PatternConstraintComponent",
    "languageIn": "LanguageInConstraintComponent",
    "uniqueLang": "UniqueLangConstraintComponent",
    "lessThan": "LessThanConstraintComponent",
    "not": "NotConstraintComponent",
    "or": "OrConstraintComponent",
    "node": "NodeConstraintComponent",
    "in": "InConstraintComponent",
    "qualifiedMinCount": "QualifiedMinCountConstraintComponent",
    "qualifiedMaxCount": "QualifiedMaxCountConstraintComponent",
}


# Valid fixtures ------------------------------------------------------------------------------


def _replace_nodes(graph: rdflib.Graph, replacement: rdflib.Graph) -> rdflib.Graph:
    """``graph`` with every node that ``replacement`` describes (and its blank nodes) taken out,
    then ``replacement`` added: a valid fixture may restate statements of the real data."""
    result = rdflib.Graph()
    result += graph
    pending = [subject for subject in set(replacement.subjects()) if isinstance(subject, URIRef)]
    while pending:
        subject = pending.pop()
        for _s, predicate, obj in list(result.triples((subject, None, None))):
            result.remove((subject, predicate, obj))
            if isinstance(obj, rdflib.BNode):
                pending.append(obj)
    result += replacement
    return result


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.stem)
def test_valid_fixture_conforms_within_the_graph(
    path, project_data, project_outcome, ontology, shapes, checks
):
    outcome = validate_graphs(_replace_nodes(project_data, parse_file(path)), ontology, shapes, checks)
    added = outcome_keys(outcome) - outcome_keys(project_outcome)
    assert not added, f"{path.name} adds results:\n{show(added)}\n\n{outcome.text_report()}"


def test_the_valid_fixtures_show_every_statement_kind(ontology):
    used = set()
    for path in VALID:
        used |= set(parse_file(path).objects(None, RDF.type))
    assert _subclasses(ontology, EXO.Statement) - used == set()


def test_a_year_is_not_before_a_day_within_it(fixture_context, ontology, shapes, checks, tmp_path):
    data = tmp_path / "same-year.ttl"
    data.write_text(
        (DATA / "invalid" / "end-before-start-violation.ttl")
        .read_text(encoding="utf-8")
        .split("exd:position-backwards")[0]
        + """exd:position-same-year a exo:PositionHeld ; rdfs:label "A position within 2023"@en ;
    exo:holder exd:john-schulman ; exo:positionOrganization exd:openai ;
    exo:startDate "2023"^^xsd:gYear ; exo:endDate "2023-01-01"^^xsd:date ;
    exo:certainty exv:stated ; exo:assertedBy exd:shidao ;
    exo:evidence [ exo:passage exd:article-p013 ; exo:quote "估值180億美元" ; exo:start 733 ; exo:end 741 ] .
""",
        encoding="utf-8",
    )
    outcome = validate_graphs(with_context(fixture_context, data), ontology, shapes, checks)
    assert outcome.results == [], outcome.text_report()


# The shapes themselves -----------------------------------------------------------------------


def test_the_shapes_pass_the_meta_shacl_check(shapes, fixture_context, ontology):
    """pySHACL's meta_shacl=True first validates the shapes against SHACL for SHACL (the spec's
    appendix C) and refuses to run when they fail; then validates as usual."""
    conforms, _report, text = pyshacl.validate(
        validation.combined_data_graph(fixture_context, ontology),
        shacl_graph=shapes,
        meta_shacl=True,
        inference="none",
        allow_warnings=True,
    )
    assert conforms, text


def test_a_broken_shape_fails_the_meta_shacl_check(fixture_context):
    """The check above can fail: a property shape with two sh:path values is not SHACL."""
    from pyshacl.errors import ReportableRuntimeError

    broken = rdflib.Graph()
    broken.add((EXSH.BrokenShape, RDF.type, SH.PropertyShape))
    broken.add((EXSH.BrokenShape, SH.path, EXO.quote))
    broken.add((EXSH.BrokenShape, SH.path, EXO.start))
    with pytest.raises(ReportableRuntimeError, match=r"(?i)does not validate against the SHACL Shapes SHACL"):
        pyshacl.validate(fixture_context, shacl_graph=broken, meta_shacl=True, inference="none")


def _subclasses(ontology: rdflib.Graph, cls: URIRef) -> set[URIRef]:
    return {node for node in ontology.transitive_subjects(RDFS.subClassOf, cls) if node != cls}


def test_every_hand_written_statement_kind_needs_evidence(ontology, shapes):
    targets = set(shapes.objects(EXSH.AssertedStatementShape, SH.targetClass))
    kinds = _subclasses(ontology, EXO.Statement) - {EXO.ConflictOfInterest}
    covered = {
        kind
        for kind in kinds
        if any(t in ontology.transitive_objects(kind, RDFS.subClassOf) for t in targets)
    }
    assert kinds - covered == set(), "statement kinds without the evidence requirement"
    assert EXO.ConflictOfInterest not in targets


def test_every_class_carrying_data_has_a_shape(project_data, ontology, shapes):
    data = project_data
    targeted = set(shapes.objects(None, SH.targetClass))
    for cls in {cls for cls in data.objects(None, RDF.type) if cls.startswith(str(EXO))}:
        ancestors = set(ontology.transitive_objects(cls, RDFS.subClassOf))
        assert ancestors & targeted, f"no shape targets {cls} or a superclass of it"


def _scheme_members(ontology: rdflib.Graph, scheme: URIRef) -> set[URIRef]:
    return set(ontology.subjects(SKOS.inScheme, scheme))


def _in_lists(shapes: rdflib.Graph, path: URIRef) -> list[set]:
    lists = []
    for shape in shapes.subjects(SH.path, path):
        for head in shapes.objects(shape, SH["in"]):
            lists.append(set(rdflib.collection.Collection(shapes, head)))
    return lists


@pytest.mark.parametrize(
    "path, scheme",
    [
        (EXO.departureKind, EXV["departure-kind"]),
        (EXO.bound, EXV.bound),
        (EXO.dealStatus, EXV["deal-status"]),
        (EXO.actionKind, EXV["board-action-kind"]),
        (EXO.kinshipKind, EXV["kinship-kind"]),
        (EXO.mentorshipKind, EXV["mentorship-kind"]),
        (EXO.countedRole, EXV["counted-role"]),
    ],
    ids=lambda value: str(value).rsplit("/", 1)[-1].rsplit("#", 1)[-1],
)
def test_value_sets_are_the_ontology_schemes(shapes, ontology, path, scheme):
    lists = _in_lists(shapes, path)
    assert lists, f"no sh:in for {path}"
    for members in lists:
        assert members == _scheme_members(ontology, scheme)


def test_certainty_levels_are_the_ranked_concepts(shapes, ontology):
    """The levels to assign are the ranked ones; exv:firm / exv:unconfirmed only group them."""
    (members,) = _in_lists(shapes, EXO.certainty)
    assert members == set(ontology.subjects(EXO.certaintyRank, None))
    assert members < _scheme_members(ontology, EXV.certainty)


def test_every_derived_property_is_forbidden_in_the_asserted_data(shapes, ontology):
    derived = {
        prop
        for prop, definition in ontology.subject_objects(SKOS.definition)
        if "Never asserted by hand" in str(definition) and str(prop).startswith(str(EXO))
    }
    assert derived, "the ontology marks no derived property"
    targets = set(shapes.objects(EXSH.DerivedPropertyShape, SH.targetSubjectsOf))
    forbidden = {
        shapes.value(node, SH.path)
        for node in shapes.objects(EXSH.DerivedPropertyShape, SH.property)
        if shapes.value(node, SH.maxCount) == Literal(0)
    }
    assert targets == derived
    assert forbidden == derived


# Checks --------------------------------------------------------------------------------------


def test_check_files_are_named_for_what_they_forbid(project, checks):
    assert len(checks) == len(project.check_files()) >= 10
    for check in checks:
        assert check.path.name.endswith("-violation.rq")
        assert check.summary and check.severity in SEVERITIES


def test_a_check_without_focus_node_is_an_input_error(tmp_path, fixture_context, ontology, shapes):
    path = tmp_path / "wrong-violation.rq"
    path.write_text("#+ summary: wrong\nSELECT ?s WHERE { ?s ?p ?o } LIMIT 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="focusNode"):
        validate_graphs(fixture_context, ontology, shapes, [sparql_checks.load_check(path)])


@pytest.fixture(scope="session")
def all_invalid_data(fixture_context, ontology):
    """Every invalid fixture at once, with the ontology: many results for the engines to agree on."""
    graph = with_context(fixture_context, *INVALID)
    return validation.combined_data_graph(graph, ontology)


def test_checks_give_the_same_rows_in_rdflib_and_oxigraph(all_invalid_data, checks):
    """The checks run in pyoxigraph; rdflib's independent SPARQL engine returns the same rows."""
    terms = TermMap()
    store = terms.store(all_invalid_data)
    total = 0
    for check in checks:
        oxigraph_rows = {
            tuple(
                result_key(
                    *(terms.from_ox(row[v]) for v in ("focusNode", "path", "value")),
                    None,
                    None,
                    None,
                )
            )
            for row in store.query(check.query)
        }
        rdflib_rows = {
            tuple(result_key(row.focusNode, row.path, row.value, None, None, None))
            for row in all_invalid_data.query(check.query)
        }
        assert oxigraph_rows == rdflib_rows, check.name
        total += len(oxigraph_rows)
    assert total >= len(checks)


# A second SHACL engine -----------------------------------------------------------------------


def _skolemized(graph: rdflib.Graph) -> rdflib.Graph:
    return graph.skolemize()


@pytest.fixture(scope="session")
def jena(tmp_path_factory):
    if not jena_shacl.available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Apache Jena is required in CI for the engine comparison: {jena_shacl.INSTALL_HINT}")
        pytest.skip(f"Apache Jena is not installed ({jena_shacl.INSTALL_HINT})")
    return tmp_path_factory.mktemp("jena")


@pytest.mark.parametrize("which", ["invalid-fixtures", "real-data"])
def test_jena_shacl_gives_the_same_report_as_pyshacl(
    which, jena, all_invalid_data, project_data, ontology, shapes
):
    """Both engines get the same files: blank nodes skolemized (so results can be matched) and
    the ontology mixed in. The reports must agree result by result, source shape included."""
    if which == "invalid-fixtures":
        data = all_invalid_data
    else:
        data = validation.combined_data_graph(project_data, ontology)
    data, skolem_shapes = _skolemized(data), _skolemized(shapes)
    (jena / f"{which}.nt").write_text(data.serialize(format="nt"), encoding="utf-8")
    (jena / "shapes.ttl").write_text(skolem_shapes.serialize(format="turtle"), encoding="utf-8")
    jena_report = jena_shacl.validate(jena / "shapes.ttl", jena / f"{which}.nt", jena)
    _conforms, pyshacl_report, _text = pyshacl.validate(
        data, shacl_graph=skolem_shapes, inference="none", allow_warnings=True
    )
    jena_keys, pyshacl_keys = report_keys(jena_report), report_keys(pyshacl_report)
    assert jena_keys == pyshacl_keys, (
        f"only Jena:\n{show(jena_keys - pyshacl_keys)}\nonly pySHACL:\n{show(pyshacl_keys - jena_keys)}"
    )
    if which == "invalid-fixtures":
        assert sum(jena_keys.values()) >= len(INVALID)


# The library API -----------------------------------------------------------------------------


BAD = DATA / "invalid" / "departure-kind.ttl"


def test_validate_for_build_raises_with_the_outcome(project, ontology, fixture_context):
    data = with_context(fixture_context, BAD)
    with pytest.raises(CheckFailed) as raised:
        validate_for_build(data, ontology, project=project)
    outcome = raised.value.outcome
    assert not outcome.conforms
    assert [r.focus_node for r in outcome.results] == [
        URIRef("https://w3id.org/exodus-kg/id/departure-fired")
    ]
    assert raised.value.exit_code == 1


def test_validate_for_build_returns_the_outcome_when_it_conforms(project, ontology, fixture_context):
    outcome = validate_for_build(fixture_context, ontology, project=project)
    assert outcome.conforms and outcome.results == []


def test_validate_for_build_takes_the_layers_build_py_passes(project, ontology, fixture_context):
    links = rdflib.Graph()
    links.add((URIRef("https://w3id.org/exodus-kg/id/openai"), RDFS.seeAlso, URIRef("https://example.org/x")))
    with pytest.raises(CheckFailed, match="1 violation"):
        validate_for_build(
            project=project, ontology=ontology, asserted=with_context(fixture_context, BAD), links=links
        )


def test_warnings_are_reported_but_do_not_fail(fixture_context, ontology, shapes, tmp_path):
    path = tmp_path / "note-missing-violation.rq"
    path.write_text(
        "#+ summary: A passage without an English label\n#+ severity: Warning\n"
        "#+ message: >-\n#+   {?focusNode} has no English label.\n"
        "PREFIX exo: <https://w3id.org/exodus-kg/ontology#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?focusNode WHERE { ?focusNode a exo:Passage ; exo:passageIndex 1 }\n",
        encoding="utf-8",
    )
    outcome = validate_graphs(fixture_context, ontology, shapes, [sparql_checks.load_check(path)])
    assert outcome.conforms
    assert outcome.counts() == {"Violation": 0, "Warning": 1, "Info": 0}
    text = outcome.text_report()
    assert 'Warning (1)\n  check note-missing-violation (1)\n    exd:article-p001 "passage 1"' in text
    assert "exd:article-p001 has no English label." in text


def test_text_report_groups_by_severity_then_shape_and_names_node_and_label(
    fixture_context, ontology, shapes, checks
):
    outcome = validate_graphs(
        with_context(
            fixture_context,
            DATA / "invalid" / "founding.ttl",
            DATA / "invalid" / "end-before-start-violation.ttl",
        ),
        ontology,
        shapes,
        checks,
    )
    text = outcome.text_report()
    assert text.startswith("The graph does not conform: 3 violation(s), 0 warning(s), 0 info(s).")
    sections = re.findall(r"^  (\S.*) \((\d+)\)$", text, flags=re.M)
    assert sections == [("check end-before-start-violation", "1"), ("shape exsh:FoundingShape", "2")]
    assert 'exd:founding-of-a-person "Someone founds Sam Altman"' in text
    assert (
        "path exo:foundedOrganization  value exd:sam-altman  constraint sh:ClassConstraintComponent" in text
    )
    assert "The end date 2023 lies before the start date 2024-08." in text


def test_a_blank_node_is_named_by_what_points_to_it(fixture_context, ontology, shapes, checks, tmp_path):
    path = tmp_path / "blank-evidence.ttl"
    path.write_text(
        (DATA / "invalid" / "evidence-quote-not-at-offsets-violation.ttl")
        .read_text(encoding="utf-8")
        .split("exd:claim-shifted")[0]
        + """exd:claim-blank a exo:Claim ; rdfs:label "A claim with blank evidence"@en ; exo:claimText "x"@en ;
    exo:certainty exv:stated ; exo:assertedBy exd:shidao ;
    exo:evidence [ exo:passage exd:article-p013 ; exo:quote "估值180億美元" ; exo:start 734 ; exo:end 742 ] .
""",
        encoding="utf-8",
    )
    outcome = validate_graphs(with_context(fixture_context, path), ontology, shapes, checks)
    (result,) = outcome.results
    assert result.focus_label == '[exo:evidence of exd:claim-blank "A claim with blank evidence"]'


def test_raw_reports(fixture_context, ontology, shapes, checks):
    outcome = validate_graphs(
        with_context(fixture_context, DATA / "invalid" / "stake-sum-violation.ttl"), ontology, shapes, checks
    )
    report = rdflib.Graph().parse(data=outcome.serialize("ttl"), format="turtle")
    (node,) = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(node, SH.conforms) == Literal(False)
    (result,) = report.objects(node, SH.result)
    assert report.value(result, SH.focusNode) == URIRef("https://w3id.org/exodus-kg/id/openai")
    assert report.value(result, SH.sourceShape) == URIRef(
        "https://w3id.org/exodus-kg/checks/stake-sum-violation"
    )
    assert rdflib.Graph().parse(data=outcome.serialize("jsonld"), format="json-ld").isomorphic(report)
    results = json.loads(outcome.serialize("json"))
    assert results["conforms"] is False
    assert results["results"][0]["focusLabel"] == 'exd:openai "OpenAI"'
    assert (
        results["results"][0]["message"]
        == "The equity stakes in this company add up to 109%, more than 100%."
    )


# The command ---------------------------------------------------------------------------------


@pytest.fixture
def run(mini_project):
    def invoke(*args):
        return CliRunner().invoke(cli, ["--project", str(mini_project), "validate", *args])

    return invoke


def test_cli_validate_the_real_graph_exit_code_0():
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "validate"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("The graph conforms: 0 violation(s)")


def test_cli_validate_a_users_file_exit_code_1_and_report(run):
    assert run().exit_code == 0
    result = run(str(BAD))
    assert result.exit_code == 1
    assert "shape exsh:DepartureShape (1)" in result.output
    assert 'exd:departure-fired "John Schulman is fired"' in result.output


@pytest.mark.parametrize("output_format", ["ttl", "jsonld", "json"])
def test_cli_validate_raw_formats(run, output_format):
    result = run(str(BAD), "-f", output_format)
    assert result.exit_code == 1
    assert result.stderr == "exodus: error: validation failed: 1 violation(s)\n"
    if output_format == "json":
        assert json.loads(result.stdout)["counts"]["Violation"] == 1
    else:
        graph = rdflib.Graph().parse(
            data=result.stdout, format="turtle" if output_format == "ttl" else "json-ld"
        )
        assert len(list(graph.objects(None, SH.result))) == 1


@pytest.mark.parametrize(
    "content, name",
    [("this is not turtle <<", "broken.ttl"), (None, "missing.ttl")],
    ids=["unparsable", "missing"],
)
def test_cli_validate_bad_input_exit_code_2(run, tmp_path, content, name):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 2
    assert name in result.stderr
