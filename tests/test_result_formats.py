"""result_formats.py: table, csv, tsv, json for SELECT; ttl, nt for graphs; true/false for ASK."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest

from exodus_kg.errors import UsageError
from exodus_kg.query.engine import run_query
from exodus_kg.query.result_formats import display_width, render, render_table

PEOPLE = """PREFIX exo: <https://w3id.org/exodus-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?person ?label WHERE { ?person a exo:Person ; rdfs:label ?label } ORDER BY ?person ?label"""
GRAPH = "CONSTRUCT { ?p <http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE { ?p a <https://w3id.org/exodus-kg/ontology#Person> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l }"


@pytest.fixture(scope="module")
def people(fixture_store):
    return run_query(fixture_store, PEOPLE)


def test_table_is_readable(people):
    text = render(people, "table").decode()
    lines = text.splitlines()
    assert lines[0].split() == ["person", "label"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split(maxsplit=1) == ["exd:alice", "Alice Example"]
    assert "exd:bob" in text and "鮑勃" in text
    assert lines[-1] == "(4 rows)"


def test_csv_and_tsv_come_from_the_standard_serializers(people):
    rows = list(csv.reader(io.StringIO(render(people, "csv").decode())))
    assert rows[0] == ["person", "label"]
    assert rows[1] == ["https://w3id.org/exodus-kg/id/alice", "Alice Example"]
    tsv = render(people, "tsv").decode().splitlines()
    assert tsv[0] == "?person\t?label"
    assert tsv[1] == '<https://w3id.org/exodus-kg/id/alice>\t"Alice Example"@en'


def test_json_is_sparql_results_json(people):
    data = json.loads(render(people, "json"))
    assert data["head"]["vars"] == ["person", "label"]
    first = data["results"]["bindings"][0]
    assert first["person"] == {"type": "uri", "value": "https://w3id.org/exodus-kg/id/alice"}
    assert first["label"]["xml:lang"] == "en"
    # pyoxigraph reads its own output back: the file is valid SPARQL JSON results.
    assert len(list(ox.parse_query_results(render(people, "json"), format=ox.QueryResultsFormat.JSON))) == 4


def test_graph_results_as_turtle_and_ntriples(fixture_store):
    outcome = run_query(fixture_store, GRAPH)
    turtle = render(outcome, "ttl").decode()
    assert "@prefix exd: <https://w3id.org/exodus-kg/id/>" in turtle
    assert "@prefix skos:" not in turtle  # only the prefixes the triples use
    parsed = list(ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE))
    assert len(parsed) == len(outcome.triples) == 4
    ntriples = render(outcome, "nt").decode().splitlines()
    assert len(ntriples) == 4 and all(line.endswith(" .") for line in ntriples)
    assert render(outcome, "table") == render(outcome, "ttl")


def test_ask(fixture_store):
    yes = run_query(fixture_store, "ASK { ?s ?p ?o }")
    no = run_query(fixture_store, "ASK { <http://nothing> ?p ?o }")
    assert render(yes, "table") == b"true\n" and render(no, "csv") == b"false\n"
    assert json.loads(render(yes, "json")) == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("query", "output_format", "message"),
    [
        (PEOPLE, "ttl", "format ttl does not fit a SELECT query; use one of: table, csv, tsv, json"),
        (GRAPH, "csv", "format csv does not fit a CONSTRUCT/DESCRIBE query; use one of: table, ttl, nt"),
        ("ASK {}", "nt", "format nt does not fit a ASK query"),
    ],
)
def test_a_format_that_does_not_fit_the_query_form(fixture_store, query, output_format, message):
    with pytest.raises(UsageError, match=message):
        render(run_query(fixture_store, query), output_format)


def test_table_fits_the_terminal_width_by_wrapping_not_cutting():
    """Regression: cells were cut to fit ("exd:a…"); now they wrap and nothing is lost."""
    rows = [["exd:a", "x" * 80, "短"], ["exd:bb", "適道" * 30, "y"]]
    text = render_table(["id", "long", "c"], rows, max_width=40)
    for line in text.splitlines()[:-1]:
        assert display_width(line) <= 40, line
    assert "…" not in text
    assert "".join(line[8:].split(" ")[0] for line in text.splitlines()[2:-1]).count("x") == 80
    assert "".join(text.split()).count("適道") == 30
    assert text.splitlines()[2].startswith("exd:a ")


@pytest.mark.parametrize(
    ("text", "width"),
    [("abc", 3), ("適道", 4), ("OpenAI留不住", 12), ("e\u0301", 1), ("\U0001f600", 2), ("\u200b", 0)],
)
def test_display_width_counts_wide_characters_and_combining_marks(text, width):
    """Regression: a combining mark counted one column, an emoji one."""
    assert display_width(text) == width


def test_a_table_with_combining_marks_and_emoji_stays_aligned():
    rows = [["cafe\u0301", "x"], ["\U0001f600\U0001f600", "y"], ["abcd", "z"]]
    lines = render_table(["k", "v"], rows).splitlines()
    assert {display_width(line[: line.rindex(" ") + 1]) for line in lines[2:5]} == {6}


def test_a_table_too_wide_to_wrap_becomes_records():
    columns = [f"column{i}" for i in range(13)]
    rows = [[f"exd:value-{i}-{j}" for j in range(13)] for i in range(2)]
    text = render_table(columns, rows, max_width=80)
    lines = text.splitlines()
    assert lines[0].startswith("-[ row 1 ]-") and "-[ row 2 ]-" in text
    assert lines[1].split() == ["column0", "exd:value-0-0"]
    assert lines[-1] == "(2 rows)"
    assert all(display_width(line) <= 80 for line in lines)


def test_a_wrapped_table_keeps_its_columns_aligned():
    """Every line of a wrapped row starts each column at the same terminal column as the header."""
    rows = [["exd:a", "適道" * 20 + " and some English words that wrap", "cafe\u0301 \U0001f600"]]
    text = render_table(["id", "text", "last"], rows, max_width=40)
    lines = text.splitlines()[:-1]
    starts = [
        display_width(lines[0][: lines[0].index("text")]),
        display_width(lines[0][: lines[0].index("last")]),
    ]
    for line in lines[2:]:
        for start in starts:
            before = ""
            for char in line:
                if display_width(before) >= start:
                    break
                before += char
            if before != line:  # the line reaches this column: a cell starts right there
                assert display_width(before) == start and before.endswith(" "), line


def test_table_without_width_keeps_everything():
    rows = [["a", "x" * 300]]
    assert "x" * 300 in render_table(["k", "v"], rows)


def test_table_keeps_rows_on_one_line():
    text = render_table(["v"], [["two\nlines\tand a tab"]])
    assert text.splitlines()[2] == "two lines and a tab"


def test_empty_result():
    assert render_table(["a", "b"], []).splitlines()[-1] == "(0 rows)"
    assert render_table(["a"], [["x"]]).splitlines()[-1] == "(1 row)"
