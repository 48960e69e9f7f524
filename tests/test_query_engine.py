"""query_engine.py: running SPARQL on the built store, syntax errors, time limits, parameter projection."""

from __future__ import annotations

import subprocess
import sys
import time

import pyoxigraph as ox
import pytest

from exodus_kg.errors import InputError, QueryTimeout
from exodus_kg.query.engine import compact_iri, run_query
from exodus_kg.rdf.sparql_text import describe_syntax_error, project_variables

EXO = "https://w3id.org/exodus-kg/ontology#"
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


def test_select_runs_over_the_union_of_graphs(fixture_store):
    outcome = run_query(
        fixture_store, "SELECT ?p WHERE { ?p a exo:Person } ORDER BY ?p", prefixes={"exo": EXO}
    )
    assert outcome.form == "SELECT"
    assert outcome.variables == ["p"]
    assert [row[0].value for row in outcome.rows()] == [
        "https://w3id.org/exodus-kg/id/alice",
        "https://w3id.org/exodus-kg/id/bob",
    ]
    # rows() can be read again: the result is materialised.
    assert len(outcome.rows()) == 2


def test_ask_and_construct(fixture_store):
    assert run_query(fixture_store, "ASK { ?s ?p ?o }").boolean is True
    assert run_query(fixture_store, "ASK { <http://nothing> ?p ?o }").boolean is False
    outcome = run_query(fixture_store, "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 3")
    assert outcome.form == "GRAPH" and len(outcome.triples) == 3
    assert run_query(fixture_store, "DESCRIBE <https://w3id.org/exodus-kg/id/alice>").form == "GRAPH"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * WHERE { ?s foo:bar ?o }", "q.rq:1:28: SPARQL syntax error: unknown prefix foo:"),
        ("SELECT * WHERE {\n  ?s ?p ?o", 'q.rq:2:11: SPARQL syntax error: expected one of ",", ".", ";"'),
        ("SELECT ?x WHERE { ?s ?p ?o }\nGROUP BY ?s", "q.rq:2:12: SPARQL syntax error: The SELECT contains"),
    ],
    ids=["unknown-prefix", "unclosed-group", "ungrouped-variable"],
)
def test_syntax_errors_say_where(fixture_store, query, expected):
    with pytest.raises(InputError) as caught:
        run_query(fixture_store, query, source="q.rq")
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "near: " in message and ">>" in message
    assert "\n" not in message and "\\u{" not in message


def test_describe_syntax_error_without_position():
    assert (
        describe_syntax_error("something odd", "ASK {}", "x.rq") == "x.rq: SPARQL syntax error: something odd"
    )


class SlowStore:
    """Stands in for a store whose query takes a while (and then finishes, so no thread lingers)."""

    def query(self, *args, **kwargs):
        time.sleep(1.0)
        return []


def test_timeout_gives_up_in_time():
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"slow.rq: still running after 0.2 s, gave up"):
        run_query(SlowStore(), "ASK {}", source="slow.rq", timeout=0.2)
    assert time.monotonic() - started < 0.9


def test_cli_timeout_exits_without_waiting_for_the_query(fixture_project_dir):
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "exodus_kg",
            "--project",
            str(fixture_project_dir),
            "sparql",
            SLOW_QUERY,
            "--timeout",
            "0.5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "exodus: error: query: still running after 0.5 s, gave up; raise --timeout or narrow the query"
    )
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("error", [OSError("disk gone\nmore"), RuntimeError("boom"), ValueError("bad")])
def test_evaluation_errors_become_one_line_input_errors(error):
    from exodus_kg.query.engine import _user_error

    converted = _user_error(error, "ASK {}", "q.rq")
    assert isinstance(converted, InputError)
    assert str(converted) == f"q.rq: the query failed: {str(error).splitlines()[0]}"


@pytest.mark.parametrize(
    ("query", "expected", "added"),
    [
        ("SELECT ?a WHERE { ?a ?b ?_x }", "SELECT ?a ?_x WHERE { ?a ?b ?_x }", ["_x"]),
        ("SELECT DISTINCT ?a\nWHERE { ?a ?b ?_x }", "SELECT DISTINCT ?a ?_x\nWHERE { ?a ?b ?_x }", ["_x"]),
        (
            "SELECT ?a FROM <http://g#x> { ?a ?b ?_x }",
            "SELECT ?a ?_x FROM <http://g#x> { ?a ?b ?_x }",
            ["_x"],
        ),
        ("SELECT * { ?a ?b ?_x }", "SELECT * { ?a ?b ?_x }", []),
        ("SELECT ?_x ?a { ?a ?b ?_x }", "SELECT ?_x ?a { ?a ?b ?_x }", []),
        ("ASK { ?a ?b ?_x }", "ASK { ?a ?b ?_x }", []),
        (
            "SELECT (COUNT(?a) AS ?n) { ?a ?b ?c FILTER (?c > ?_x) }",
            "SELECT (COUNT(?a) AS ?n) (SAMPLE(?_x) AS ?_x) { ?a ?b ?c FILTER (?c > ?_x) }",
            ["_x"],
        ),
        (
            "SELECT ?a { ?a ?b ?_x } GROUP BY ?a",
            "SELECT ?a (SAMPLE(?_x) AS ?_x) { ?a ?b ?_x } GROUP BY ?a",
            ["_x"],
        ),
        (
            "SELECT ?a { { SELECT ?a { ?a ?b ?c } GROUP BY ?a } ?a ?p ?_x }",
            "SELECT ?a ?_x { { SELECT ?a { ?a ?b ?c } GROUP BY ?a } ?a ?p ?_x }",
            ["_x"],
        ),
        (
            '# SELECT ?nothing WHERE\nSELECT ?a WHERE { ?a ?b "SELECT ?c WHERE" }',
            '# SELECT ?nothing WHERE\nSELECT ?a ?_x WHERE { ?a ?b "SELECT ?c WHERE" }',
            ["_x"],
        ),
    ],
    ids=[
        "plain",
        "distinct",
        "from",
        "star",
        "already-projected",
        "ask",
        "implicit-group",
        "group-by",
        "grouped-subquery",
        "comment-and-string",
    ],
)
def test_parameters_are_added_to_the_projection(query, expected, added):
    assert project_variables(query, ["_x"]) == (expected, added)


def test_added_parameter_columns_are_hidden(fixture_store):
    query = "SELECT ?p WHERE { ?p a ?_type_iri } ORDER BY ?p"
    outcome = run_query(
        fixture_store, query, substitutions={ox.Variable("_type_iri"): ox.NamedNode(EXO + "Person")}
    )
    assert outcome.variables == ["p"] and len(outcome.rows()) == 2
    assert b"_type_iri" not in outcome.solutions_json


def test_projected_parameter_columns_stay(fixture_store):
    query = "SELECT ?p ?_type_iri WHERE { ?p a ?_type_iri }"
    outcome = run_query(
        fixture_store, query, substitutions={ox.Variable("_type_iri"): ox.NamedNode(EXO + "Person")}
    )
    assert outcome.variables == ["p", "_type_iri"]


@pytest.mark.parametrize(
    ("iri", "compact"),
    [
        ("https://w3id.org/exodus-kg/id/sam-altman", "exd:sam-altman"),
        ("https://w3id.org/exodus-kg/ontology#Departure", "exo:Departure"),
        ("http://www.wikidata.org/entity/Q42", "wd:Q42"),
        ("https://w3id.org/exodus-kg/id/a/b", "<https://w3id.org/exodus-kg/id/a/b>"),
        ("http://example.org/x", "<http://example.org/x>"),
    ],
)
def test_compact_iri(iri, compact):
    assert compact_iri(iri) == compact
