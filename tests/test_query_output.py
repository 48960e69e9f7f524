"""What `exodus query` and `exodus sparql` write: every result format (SPARQL XML and Markdown among
them), `-o FILE` with the format from the extension, prefixed names in the human formats only,
`--print-query`, and the saved-query header checked before a query runs."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from exodus_kg.cli import cli
from exodus_kg.query import result_formats
from exodus_kg.query.engine import run_query
from exodus_kg.query.result_formats import compact_iri_list, format_for_file, render
from exodus_kg.query.run_options import OUTPUT_FORMATS

SPARQL_RESULTS = "{http://www.w3.org/2005/sparql-results#}"
EXD = "https://w3id.org/exodus-kg/id/"


@pytest.fixture
def run(fixture_project_dir):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(
            cli, ["--project", str(fixture_project_dir), *args], input=input, prog_name="exodus"
        )

    return invoke


def test_every_output_format_is_rendered_for_some_query_form():
    """The formats both command parsers accept (run_options) are the ones result_formats renders."""
    assert set(OUTPUT_FORMATS) == set(result_formats.SELECT_FORMATS) | set(result_formats.GRAPH_FORMATS)


# Formats -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["json", "xml", "csv", "tsv", "markdown", "table"])
def test_every_select_format_ends_with_a_newline(run, output_format):
    """Regression: `-f json` had no trailing newline (a shell prompt ran on after the closing brace)."""
    result = run("query", "people", "-f", output_format)
    assert result.exit_code == 0, result.stderr
    assert result.output.endswith("\n") and not result.output.endswith("\n\n")


@pytest.mark.parametrize("query", ["ASK { ?s ?p ?o }", "ASK { <http://none> ?p ?o }"])
def test_ask_as_json_and_xml(run, query):
    answer = run("sparql", query, "-f", "json")
    assert answer.output.endswith("}\n")
    expected = json.loads(answer.output)["boolean"]
    document = ET.fromstring(run("sparql", query, "-f", "xml").output)
    assert document.find(f"{SPARQL_RESULTS}boolean").text == str(expected).lower()


def test_select_as_sparql_xml_results(run):
    """SPARQL Query Results XML, read back by pyoxigraph and by an XML parser."""
    result = run("query", "people", "-f", "xml")
    assert result.exit_code == 0, result.stderr
    document = ET.fromstring(result.output)
    names = [v.get("name") for v in document.find(f"{SPARQL_RESULTS}head")]
    assert names == ["person", "label", "age"]
    parsed = list(ox.parse_query_results(result.output.encode(), format=ox.QueryResultsFormat.XML))
    csv_rows = list(csv.reader(io.StringIO(run("query", "people", "-f", "csv").output)))[1:]
    assert [[term.value for term in row] for row in parsed] == csv_rows
    assert parsed[0]["person"] == ox.NamedNode(EXD + "alice")


def test_select_as_a_markdown_table(run):
    text = run("query", "people", "-f", "markdown").output
    lines = text.splitlines()
    assert lines[0] == "| person | label | age |"
    assert lines[1] == "|---|---|---|"
    assert lines[2] == "| exd:alice | Alice Example | 41 |"


def test_markdown_escapes_pipes_and_line_breaks():
    text = result_formats.render_markdown(["v"], [["a|b\nc\\d\u202e"]])
    assert text.splitlines()[2] == "| a\\|b<br>c\\\\d\\u202e |"


# Prefixed names in results --------------------------------------------------------------------------

CONCAT = """PREFIX exo: <https://w3id.org/exodus-kg/ontology#>
SELECT (GROUP_CONCAT(STR(?p); SEPARATOR=", ") AS ?people) WHERE { ?p a exo:Person }"""


def test_group_concat_of_iris_shows_prefixed_names_in_the_table(fixture_store):
    """Regression: a GROUP_CONCAT of IRIs showed full IRIs in the table; CSV, JSON and XML keep them."""
    outcome = run_query(fixture_store, CONCAT)
    table = render(outcome, "table").decode()
    assert "exd:alice" in table and EXD not in table
    assert "exd:alice" in render(outcome, "markdown").decode()
    for standard in ("csv", "json", "xml", "tsv"):
        data = render(outcome, standard).decode()
        assert EXD + "alice" in data and "exd:alice" not in data, standard


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"{EXD}a, {EXD}b", "exd:a, exd:b"),
        (f"{EXD}a|https://example.org/x", "exd:a|https://example.org/x"),
        (f"see {EXD}a for more", f"see {EXD}a for more"),
        ("no iri at all", "no iri at all"),
        (f"{EXD}a.", f"{EXD}a."),
    ],
)
def test_only_a_list_of_iris_is_prefixed(text, shown):
    assert compact_iri_list(text) == shown


# -o FILE ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("people.csv", lambda text: text.startswith("person,label,age\n")),
        ("people.tsv", lambda text: text.startswith("?person\t?label\t?age\n")),
        ("people.json", lambda text: json.loads(text)["head"]["vars"] == ["person", "label", "age"]),
        ("people.srx", lambda text: text.startswith("<?xml")),
        ("people.md", lambda text: text.startswith("| person | label | age |")),
        ("people.txt", lambda text: text.splitlines()[0].split() == ["person", "label", "age"]),
    ],
)
def test_output_file_takes_its_format_from_the_extension(run, tmp_path, name, check):
    target = tmp_path / name
    result = run("query", "people", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert check(target.read_text(encoding="utf-8"))
    assert f"wrote {target.stat().st_size} bytes to" in result.stderr


def test_output_file_for_a_construct_and_an_ad_hoc_query(run, tmp_path):
    graph = tmp_path / "bob.nt"
    assert run("query", "person-graph", "-p", "person", "bob", "-o", str(graph)).exit_code == 0
    assert all(line.endswith(" .") for line in graph.read_text(encoding="utf-8").splitlines())
    answer = tmp_path / "answer.json"
    assert run("sparql", "ASK { ?s ?p ?o }", "-o", str(answer)).exit_code == 0
    assert json.loads(answer.read_text(encoding="utf-8"))["boolean"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "json", "-o", "x.csv"], "-f json contradicts the extension of"),
        (["-o", "x.data"], "cannot tell the format from the extension"),
        (["-f", "csv", "-o", "x.nq.gz"], ".nq names an RDF format (for `exodus export`)"),
        (["-o", "x.trig"], ".trig names an RDF format (for `exodus export`)"),
    ],
)
def test_an_output_file_whose_extension_does_not_say_or_disagrees(run, tmp_path, args, message):
    args = [arg.replace("x.", str(tmp_path / "x.")) for arg in args]
    result = run("query", "people", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_format_for_file():
    assert format_for_file("a.CSV") == "csv"
    assert format_for_file("a.srj.gz") == "json"
    assert format_for_file("a.md", "markdown") == "markdown"
    assert format_for_file("a.ttl", "table") == "table"  # table means ttl for a graph
    assert format_for_file("results", "csv") == "csv"


def test_a_compressed_output_file(run, tmp_path):
    import gzip

    target = tmp_path / "people.csv.gz"
    assert run("query", "people", "-o", str(target)).exit_code == 0
    assert gzip.decompress(target.read_bytes()).decode().startswith("person,label,age\r\n")
    refused = run("query", "people", "-o", str(tmp_path / "people.csv.zst"))
    assert refused.exit_code == 2 and ".zst compression is not supported" in refused.stderr


def test_a_failed_query_leaves_no_output_file(run, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("previous\n", encoding="utf-8")
    result = run("sparql", "SELECT * WHERE { ?s ?p }", "-o", str(target))
    assert result.exit_code == 2
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.csv"]


# --print-query -------------------------------------------------------------------------------------


def rows_of(store: ox.Store, text: str) -> list[tuple]:
    result = store.query(text, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        return [(bool(result),)]
    if isinstance(result, ox.QuerySolutions):
        names = [variable.value for variable in result.variables]
        return sorted(tuple(str(solution[name]) for name in names) for solution in result)
    return sorted(str(triple) for triple in result)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("departures-from", []),
        ("departures-from", ["-p", "minAge", "40"]),
        ("people-count", ["-p", "olderThan", "36"]),
        ("has-departure", ["-p", "person", "bob"]),
        ("person-graph", ["-p", "person", "exd:bob"]),
        ("people", []),
    ],
)
def test_the_printed_query_runs_unchanged_and_gives_the_same_rows(run, fixture_store, name, params):
    """`exodus query NAME --print-query` prints plain SPARQL 1.1 with the parameters bound by VALUES:
    run as printed by pyoxigraph, without substitutions, it answers as `exodus query` does."""
    printed = run("query", name, *params, "--print-query")
    assert printed.exit_code == 0, printed.stderr
    text = printed.output
    if params:
        assert "VALUES" in text
    answer = run("query", name, *params, "-f", "json" if name != "person-graph" else "nt")
    assert answer.exit_code == 0
    if name == "person-graph":
        expected = sorted(str(t) for t in ox.parse(answer.output.encode(), format=ox.RdfFormat.N_TRIPLES))
    elif name == "has-departure":
        expected = [(json.loads(answer.output)["boolean"],)]
    else:
        results = ox.parse_query_results(answer.output.encode(), format=ox.QueryResultsFormat.JSON)
        names = [variable.value for variable in results.variables]
        expected = sorted(tuple(str(solution[n]) for n in names) for solution in results)
    assert rows_of(fixture_store, text) == expected


def test_the_printed_query_binds_a_parameter_inside_a_subquery(tmp_path, fixture_store):
    from exodus_kg.query.saved_queries import bound_query_text, load_query_file, to_oxigraph_substitutions

    path = tmp_path / "labelled.rq"
    path.write_text(
        "#+ summary: s\n#+ description: d\n#+ params:\n#+   - label: string - the label\n"
        "#+ defaults:\n#+   - label: Alice Example\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?e WHERE { { SELECT ?e WHERE { ?e rdfs:label ?l FILTER (STR(?l) = ?_label) } } }\n",
        encoding="utf-8",
    )
    saved = load_query_file(path)
    text = bound_query_text(saved, to_oxigraph_substitutions(saved.bind({})))
    assert rows_of(fixture_store, text) == [(f"<{EXD}alice>",)]


# The saved-query header, checked when the query runs ------------------------------------------------


def broken_copy(scratch_project, name: str, header: str, body: str) -> Path:
    path = scratch_project.queries_dir / f"{name}.rq"
    path.write_text(header + "PREFIX exo: <https://w3id.org/exodus-kg/ontology#>\n" + body, encoding="utf-8")
    return path


BODY = "SELECT ?p WHERE { ?p a exo:Person ; exo:age ?age FILTER (?age > ?_min) }\n"


@pytest.mark.parametrize(
    ("header", "body", "message"),
    [
        (
            "#+ summary: s\n#+ description: d\n#+ params:\n#+   - min: integer - the age\n#+ defaults:\n#+   - min: forty\n",
            BODY,
            "the default of parameter min is wrong: query broken: parameter min: 'forty' is not an integer",
        ),
        (
            "#+ summary: s\n#+ description: d\n#+ params:\n#+   - min: integer - a\n#+   - min: integer - b\n",
            BODY,
            "broken.rq:5: 'min' is given twice under 'params'",
        ),
        (
            "#+ summary: s\n#+ description: d\n",
            BODY,
            "the query uses ?_min but the header declares no such parameter",
        ),
        (
            "#+ summary: s\n#+ description: d\n#+ params:\n#+   - min: integer - a\n#+   - max: integer - b\n",
            BODY,
            "parameter ?_max is declared in the header but the query never uses it",
        ),
    ],
)
def test_a_header_mistake_stops_the_query_before_it_runs(scratch_project, header, body, message):
    """Regression: a bad default, a parameter declared twice or an undeclared ?_x (left unbound, so
    the answer widened) went unnoticed when the query ran."""
    path = broken_copy(scratch_project, "broken", header, body)
    result = CliRunner().invoke(cli, ["--project", str(scratch_project.root), "query", "broken"])
    assert result.exit_code == 2
    assert message in result.stderr.strip(), result.stderr
    assert path.name in result.stderr


def test_a_byte_order_mark_keeps_the_header(scratch_project):
    """Regression: a saved query starting with a BOM lost its header (summary, parameters)."""
    path = scratch_project.queries_dir / "bom.rq"
    path.write_text(
        "\ufeff#+ summary: With a BOM\n#+ description: d\n#+ params:\n#+   - min: integer - the age\n"
        "#+ defaults:\n#+   - min: 40\n"
        "PREFIX exo: <https://w3id.org/exodus-kg/ontology#>\n" + BODY,
        encoding="utf-8",
    )
    listing = CliRunner().invoke(cli, ["--project", str(scratch_project.root), "queries"])
    assert "With a BOM" in listing.output
    result = CliRunner().invoke(cli, ["--project", str(scratch_project.root), "query", "bom", "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["p", EXD + "alice"]


ARTICLE_QUERIES = sorted(path.stem for path in (Path(__file__).resolve().parents[1] / "queries").glob("*.rq"))


@pytest.mark.parametrize("name", ARTICLE_QUERIES)
def test_every_saved_query_printed_with_its_defaults_gives_the_same_rows(article_project, name):
    """The VALUES binding of --print-query against pyoxigraph's substitution, over every saved
    query of the article with its defaults (subqueries, aggregates, OPTIONAL and FILTER among them)."""
    from exodus_kg.pipeline.build import open_built
    from exodus_kg.query.saved_queries import bind_saved_query, bound_query_text, run_saved_query

    saved, substitutions = bind_saved_query(article_project, name, [])
    store = open_built(article_project)
    text = bound_query_text(saved, substitutions)
    if saved.form == "SELECT":
        ran = run_saved_query(article_project, name, [], "json")
        results = ox.parse_query_results(ran, format=ox.QueryResultsFormat.JSON)
        names = [variable.value for variable in results.variables]
        expected = sorted(tuple(str(solution[n]) for n in names) for solution in results)
        printed = store.query(text, use_default_graph_as_union=True)
        assert [v.value for v in printed.variables] == names
        assert sorted(tuple(str(solution[n]) for n in names) for solution in printed) == expected
    elif saved.form == "ASK":
        ran = json.loads(run_saved_query(article_project, name, [], "json"))["boolean"]
        assert rows_of(store, text) == [(ran,)]
    else:
        ran = run_saved_query(article_project, name, [], "nt")
        assert rows_of(store, text) == sorted(str(t) for t in ox.parse(ran, format=ox.RdfFormat.N_TRIPLES))
