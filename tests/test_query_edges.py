"""The edges of running a query: the dataset a query names, parameters inside subqueries, a byte
order mark, syntax errors placed in the text as written, runaway queries, and text from the data
or the query that would command the terminal.

Each test is a regression test: it failed before the fix it is named after.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exodus_kg.errors import InputError, QueryMemoryExceeded, QueryTimeout, escape_for_terminal
from exodus_kg.query.engine import run_query
from exodus_kg.rdf.sparql_text import bind_in_subqueries, describe_syntax_error, uses_dataset_clause
from support.project_copies import assert_fails_cleanly, clone_built_article, run_exodus

EXO = "https://w3id.org/exodus-kg/ontology#"
EXD = "https://w3id.org/exodus-kg/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
GRAPHS = "https://w3id.org/exodus-kg/graph/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def count(outcome) -> int:
    return int(outcome.rows()[0][0].value)


def graph_sizes(store) -> dict[str, int]:
    sizes = {}
    for quad in store:
        if isinstance(quad.graph_name, ox.NamedNode):
            sizes[quad.graph_name.value] = sizes.get(quad.graph_name.value, 0) + 1
    return sizes


# FROM and FROM NAMED ---------------------------------------------------------------------------------


def test_from_names_the_default_graph(fixture_store):
    """Regression: FROM was ignored (the union was always the default graph)."""
    sizes = graph_sizes(fixture_store)
    asserted = GRAPHS + "asserted"
    assert 0 < sizes[asserted] < sum(sizes.values())
    outcome = run_query(fixture_store, f"SELECT (COUNT(*) AS ?n) FROM <{asserted}> WHERE {{ ?s ?p ?o }}")
    assert count(outcome) == sizes[asserted]
    union = run_query(fixture_store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert count(union) == len(set((q.subject, q.predicate, q.object) for q in fixture_store))


def test_from_a_graph_that_is_not_there_finds_nothing(fixture_store):
    outcome = run_query(fixture_store, "SELECT (COUNT(*) AS ?n) FROM <http://example.org/none> { ?s ?p ?o }")
    assert count(outcome) == 0
    assert not run_query(fixture_store, "ASK FROM <http://example.org/none> { ?s ?p ?o }").boolean


def test_from_named_limits_the_graphs_graph_sees(fixture_store):
    sizes = graph_sizes(fixture_store)
    outcome = run_query(
        fixture_store,
        f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{GRAPHS}ontology> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g",
    )
    assert [(row[0].value, int(row[1].value)) for row in outcome.rows()] == [
        (GRAPHS + "ontology", sizes[GRAPHS + "ontology"])
    ]
    # FROM NAMED alone: the default graph is empty, as SPARQL 1.1 defines the dataset.
    empty = run_query(fixture_store, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{GRAPHS}ontology> {{ ?s ?p ?o }}")
    assert count(empty) == 0


@pytest.mark.parametrize(
    ("query", "names_dataset"),
    [
        ("SELECT * FROM <g> { ?s ?p ?o }", True),
        ("select *\nfrom\tnamed <g> { ?s ?p ?o }", True),
        ("SELECT * FROM exg:asserted { ?s ?p ?o }", True),
        ("SELECT ?from { ?from ?p 'FROM <g>' } # FROM <g>", False),
        ("SELECT * { ?s exo:FROM ?o }", False),
        ("SELECT * { ?s <http://x/FROM> ?o }", False),
    ],
)
def test_a_dataset_clause_is_told_from_the_word(query, names_dataset):
    assert uses_dataset_clause(query) is names_dataset


def test_from_through_the_command_line(tmp_path):
    project = clone_built_article(tmp_path / "project")
    asserted = run_exodus(
        "sparql", "SELECT (COUNT(*) AS ?n) FROM exg:asserted WHERE { ?s ?p ?o }", "-f", "csv", project=project
    )
    union = run_exodus("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "-f", "csv", project=project)
    stats = run_exodus("stats", "-f", "json", project=project)
    assert asserted.returncode == union.returncode == stats.returncode == 0, asserted.stderr
    import json

    graphs = json.dumps(json.loads(stats.stdout))
    in_asserted = int(asserted.stdout.split()[1])
    assert 1000 < in_asserted < int(union.stdout.split()[1])
    assert str(in_asserted) in graphs


# Parameters inside subqueries --------------------------------------------------------------------


SUBQUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?entity WHERE {
  { SELECT ?entity WHERE { ?entity rdfs:label ?name FILTER (STR(?name) = ?_label) } }
}
ORDER BY ?entity"""


def labelled(store, label: str) -> set[str]:
    outcome = run_query(store, SUBQUERY, substitutions={ox.Variable("_label"): ox.Literal(label)})
    return {row[0].value for row in outcome.rows()}


def test_a_parameter_used_only_in_a_subquery_is_bound(fixture_store):
    """Regression: the parameter stayed unbound inside the subquery, so every labelled entity came
    back (the answer widened) whatever the value."""
    assert labelled(fixture_store, "Alice Example") == {EXD + "alice"}
    assert labelled(fixture_store, "nobody has this label") == set()


def test_a_parameter_in_a_grouped_subquery_is_bound(fixture_store):
    query = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?n WHERE { { SELECT (COUNT(?e) AS ?n) WHERE { ?e rdfs:label ?l FILTER (STR(?l) = ?_label) } } }"""
    outcome = run_query(
        fixture_store, query, substitutions={ox.Variable("_label"): ox.Literal("Alice Example")}
    )
    assert count(outcome) == 1
    none = run_query(fixture_store, query, substitutions={ox.Variable("_label"): ox.Literal("no such label")})
    assert count(none) == 0


def test_a_hostile_value_in_a_subquery_stays_a_value(fixture_store):
    for payload in ['"} } UNION { ?entity ?p ?o } #', 'x" ) } } #\n', "\\", "'''", "<http://x>"]:
        assert labelled(fixture_store, payload) == set()


def test_the_values_block_goes_on_the_subquery_line():
    text = "SELECT ?a {\n  { SELECT ?a { ?a ?p ?_x } }\n}"
    bound, insertions = bind_in_subqueries(text, {ox.Variable("_x"): ox.Literal("v")})
    assert bound.splitlines()[1] == '  { SELECT ?a { VALUES (?_x) { ("v") } ?a ?p ?_x } }'
    assert len(insertions) == 1 and bound.count("\n") == text.count("\n")


# Byte order mark, syntax-error positions ---------------------------------------------------------


def test_a_byte_order_mark_before_a_query_is_ignored(fixture_store):
    """Regression: a BOM at the start of a query gave "error at 1:10: expected CONSTRUCT"."""
    assert run_query(fixture_store, "\ufeffASK { ?s ?p ?o }").boolean is True


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?a WHERE { ?a ?b ?_x . ?a %% ?c }",
        "SELECT ?a WHERE { { SELECT ?a { ?a ?b ?_x } } FILTER(?a = ) }",
        "SELECT ?a WHERE {\n  { SELECT ?a { ?a ?b ?_x } }\n  ?a ?b ?c , , .\n}",
        "SELECT (COUNT(?a) AS ?n) WHERE { ?a ?b ?_x { SELECT ?a { ?a ?p ?_x } } ?a ?b ?c . ?a ?a ?a ?a }",
    ],
)
def test_a_syntax_error_is_placed_as_if_no_parameter_were_bound(fixture_store, text):
    """Regression: columns were off by the parameter variables added to the projection, and the
    quoted line was the changed one, not the file's."""
    with pytest.raises(InputError) as plain:
        run_query(fixture_store, text, source="q.rq")
    with pytest.raises(InputError) as bound:
        run_query(fixture_store, text, source="q.rq", substitutions={ox.Variable("_x"): ox.Literal("v")})
    assert str(bound.value) == str(plain.value)
    assert "VALUES" not in str(bound.value) and "?a ?_x" not in str(bound.value)


# Runaway queries ---------------------------------------------------------------------------------


CARTESIAN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_a_cartesian_query_stops_at_the_memory_limit(fixture_store):
    """Regression: nothing bounded a query's memory; a cartesian SELECT grew until the machine ran
    out (or, under a cap, Rust aborted with a backtrace)."""
    with pytest.raises(QueryMemoryExceeded, match=r"q.rq: the query outgrew 1 MB of memory and was stopped"):
        run_query(fixture_store, CARTESIAN, source="q.rq", memory_limit_mb=1)


def test_rendering_counts_against_the_timeout(fixture_store):
    """Regression: --timeout covered the query only; writing out a large result took as long again."""
    import time

    def slow_render(outcome):
        time.sleep(5)
        return b""

    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        run_query(fixture_store, "ASK {}", timeout=0.3, then=slow_render)
    assert time.monotonic() - started < 3


@pytest.mark.slow  # grows a real process to 300 MB: 10 s of CPU, 20 s and more of wall time
def test_a_cartesian_query_through_the_command_line_ends_with_one_line(tmp_path):
    project = clone_built_article(tmp_path / "project")
    result = run_exodus("sparql", CARTESIAN, "--memory-limit", "300", project=project, timeout=120)
    assert_fails_cleanly(result, 2, "the query outgrew 300 MB of memory and was stopped")


# Escaping for the terminal -----------------------------------------------------------------------


def test_bidi_overrides_and_nul_are_escaped_in_messages():
    assert escape_for_terminal("a\u202eb\x00c\x1b") == "a\\u202eb\\x00c\\x1b"
    message = describe_syntax_error("error at 1:5: expected x", "ASK \u202e{\x00", "q")
    assert "\u202e" not in message and "\x00" not in message and "\\u202e" in message


def test_bidi_overrides_and_nul_from_the_data_and_the_query_reach_the_terminal_escaped(tmp_path):
    """Regression: a right-to-left override (U+202E) and NUL in a value or in a broken query reached
    the terminal raw (the override reverses what follows it on screen)."""
    project = clone_built_article(tmp_path / "project")
    (project / "triples" / "bidi.ttl").write_text(
        "@prefix exd: <https://w3id.org/exodus-kg/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n"
        'exd:sam-altman rdfs:comment "safe\\u202Eevil\\u0000end"@en .\n',
        encoding="utf-8",
    )
    table = run_exodus("sparql", "SELECT ?c WHERE { exd:sam-altman rdfs:comment ?c }", project=project)
    assert table.returncode == 0, table.stderr
    assert "\u202e" not in table.stdout and "\x00" not in table.stdout
    assert "safe\\u202eevil\\x00end" in table.stdout
    broken = run_exodus("sparql", "SELECT ?x WHERE { ?x \u202e ?y }", project=project)
    assert_fails_cleanly(broken, 2, "SPARQL syntax error", "\\u202e")
    assert "\u202e" not in broken.stderr


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40))
@example(text="Alice Example")
@example(text='Alice Example" } } UNION { ?entity ?p ?o } #')
def test_any_text_bound_in_a_subquery_finds_exactly_its_label(fixture_store, text):
    """The VALUES block holds the value as an RDF term: whatever the text (quotes, braces, newlines,
    `} UNION {`), the subquery finds the entities labelled exactly that and nothing more."""
    expected = {
        quad.subject.value
        for quad in fixture_store.quads_for_pattern(None, ox.NamedNode(RDFS_LABEL), None)
        if isinstance(quad.object, ox.Literal) and quad.object.value == text
    }
    assert labelled(fixture_store, text) == expected
