"""Hostile parameter values: quotes, braces, `} UNION {`, newlines, comments, IRIs with spaces
or `>` act as plain values and never change the query.

A parameter is bound by substitution (pyoxigraph ``substitutions``), never pasted into the text, so
whatever the text, the query that runs is the one in the file. The properties below check that from
the outside: the value comes back unchanged, and the rows are exactly those an independent reading of
the store predicts for that value (never more). They run the library function `exodus query` runs
(saved_queries.run_saved_query) in-process, so that hypothesis can try many values; a few of the values
also go through the real command line.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exodus_kg.errors import UsageError
from exodus_kg.pipeline.build import open_built
from exodus_kg.project import Project
from exodus_kg.query.engine import PREFIXES
from exodus_kg.query.saved_queries import Param, check_value, run_saved_query
from support.project_copies import clone_built_article, exodus_env

XSD = "http://www.w3.org/2001/XMLSchema#"
EXD = "https://w3id.org/exodus-kg/id/"

LABEL_QUERY = """#+ summary: Entities labelled exactly the given text (a test query of tests/test_injection.py)
#+ description: The parameter is compared with every label and projected, so that its value comes back.
#+ params:
#+   - label: string - the exact label
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?entity ?_label WHERE {
  ?entity rdfs:label ?name .
  FILTER (STR(?name) = ?_label)
}
ORDER BY ?entity
"""

ECHO_QUERY = """#+ summary: The given text, as the query received it (a test query of tests/test_injection.py)
#+ description: One row holding the parameter.
#+ params:
#+   - value: string - any text
SELECT ?_value WHERE { }
"""

ABOUT_QUERY = """#+ summary: Every predicate and object of one subject (a test query of tests/test_injection.py)
#+ description: The subject is an IRI parameter.
#+ params:
#+   - entity: iri - the subject
SELECT DISTINCT ?p ?o WHERE { ?_entity_iri ?p ?o }
"""

PAYLOADS = [
    '"',
    "'",
    '"""',
    '" } UNION { ?entity ?p ?o } #',
    "} UNION { ?entity ?p ?name }",
    '") || true || ("',
    "Sam Altman\" . ?entity ?p ?o . FILTER(\"",
    "Sam Altman\n} UNION {\n?entity ?p ?o",
    "Sam Altman # a comment",
    "# only a comment",
    "\\",
    '\\" } UNION { ?entity ?p ?o } #',
    "\\u0022 } UNION { ?entity ?p ?o } #",
    "<https://w3id.org/exodus-kg/id/sam-altman>",
    "?entity",
    "$entity",
    "{}",
    "'''",
    "Sam Altman\r\n",
    "\x00",
    "SELECT * WHERE { ?s ?p ?o }",
    "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    root = clone_built_article(tmp_path_factory.mktemp("injection") / "project")
    for name, text in (("label-lookup", LABEL_QUERY), ("echo", ECHO_QUERY), ("about", ABOUT_QUERY)):
        (root / "queries" / f"{name}.rq").write_text(text, encoding="utf-8")
    return Project(root)


@pytest.fixture(scope="module")
def store(project):
    return open_built(project)


@pytest.fixture(scope="module")
def labels(store) -> dict[str, set[str]]:
    """Oracle: every label's text -> the entities that carry it, read from the store directly."""
    found: dict[str, set[str]] = {}
    query = "SELECT ?entity ?name WHERE { ?entity <http://www.w3.org/2000/01/rdf-schema#label> ?name }"
    for row in store.query(query, use_default_graph_as_union=True):
        if isinstance(row["entity"], ox.NamedNode):
            found.setdefault(row["name"].value, set()).add(row["entity"].value)
    return found


def run(project, name: str, params: list[tuple[str, str]]) -> list[dict]:
    data = run_saved_query(project, name, params, "json")
    return json.loads(data)["results"]["bindings"]


def check_label_lookup(project, labels, text: str) -> None:
    rows = run(project, "label-lookup", [("label", text)])
    expected = labels.get(text, set())
    assert {row["entity"]["value"] for row in rows} == expected
    assert len(rows) == len(expected)  # never more rows than the value explains
    assert all(row["_label"]["value"] == text for row in rows)
    [echo] = run(project, "echo", [("value", text)])
    assert echo["_value"] == {"type": "literal", "value": text}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_string_is_a_plain_value(project, labels, payload):
    check_label_lookup(project, labels, payload)


def test_a_real_label_still_finds_its_entity(project, labels):
    rows = run(project, "label-lookup", [("label", "Sam Altman")])
    assert {row["entity"]["value"] for row in rows} == {EXD + "sam-altman"}


@pytest.mark.slow  # 150 generated texts, each through a saved query
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60))
@example(text='" } UNION { ?entity ?p ?o } #')
@example(text="Sam Altman")
def test_any_text_round_trips_and_finds_exactly_its_label(project, labels, text):
    check_label_lookup(project, labels, text)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    label=st.sampled_from(["Sam Altman", "OpenAI", "Anthropic", "山姆·奧特曼", "John Schulman"]),
    payload=st.sampled_from(PAYLOADS),
    before=st.booleans(),
)
def test_a_real_label_wrapped_in_sparql_matches_nothing_more(project, labels, label, payload, before):
    text = payload + label if before else label + payload
    check_label_lookup(project, labels, text)


def about_oracle(store, iri: str) -> set[tuple[str, str]]:
    subject = ox.NamedNode(iri)
    return {(quad.predicate.value, str(quad.object)) for quad in store.quads_for_pattern(subject, None, None, None)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(
    st.text(max_size=40),
    st.builds(lambda a, b: a + b, st.sampled_from(["exd:", "<https://w3id.org/exodus-kg/id/", "sam-altman",
                                                   "https://w3id.org/exodus-kg/id/"]), st.text(max_size=20)),
))
@example(text="<http://x> } UNION { ?s ?p ?o")
@example(text="exd:sam-altman> . ?s ?p ?o . <x")
@example(text="exd:sam altman")
@example(text="exd:sam-altman")
@example(text="exd:\x1b")
@example(text="exd:%zz")
@example(text="0\n:")
def test_an_iri_parameter_is_refused_or_names_exactly_one_subject(project, store, text):
    """Regression (found by this test): an IRI with a control character or a bad %-escape passed
    the parameter check and failed with a traceback when pyoxigraph bound it."""
    try:
        rows = run(project, "about", [("entity", text)])
    except UsageError as error:
        assert "parameter entity" in error.message and "\n" not in error.message
        return
    bound = check_value(Param("entity", "iri", None, ""), text, PREFIXES).value
    assert not any(character in bound for character in ' <>"{}|^`\\\n')
    assert {(row["p"]["value"], _term(row["o"])) for row in rows} == about_oracle(store, bound)


def _term(binding: dict) -> str:
    """A SPARQL JSON binding written as pyoxigraph's str() writes the term."""
    if binding["type"] == "uri":
        return f"<{binding['value']}>"
    if binding["type"] == "bnode":
        return f"_:{binding['value']}"
    return str(ox.Literal(binding["value"], language=binding.get("xml:lang"),
                          datatype=ox.NamedNode(binding["datatype"]) if "datatype" in binding else None))


TYPE_PROBES = {
    "date": "YEAR(?_v) > -100000",
    "gYear": "YEAR(?_v) > -100000",
    "gYearMonth": "MONTH(?_v) > 0",
    "integer": "?_v + 0 = ?_v",
    "decimal": "?_v + 0 = ?_v",
    "boolean": "(?_v || !?_v)",
}


def pyoxigraph_reads(lexical: str, datatype: str) -> bool:
    """Oracle: pyoxigraph computes with the literal, so it holds a valid value of the type."""
    store = ox.Store()
    literal = ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype))
    rows = list(store.query(f"SELECT ?_v ?ok WHERE {{ BIND({TYPE_PROBES[datatype]} AS ?ok) }}",
                            substitutions={ox.Variable("_v"): literal}))
    return rows[0]["ok"] is not None


@settings(max_examples=300, deadline=None)
@given(
    datatype=st.sampled_from(sorted(TYPE_PROBES)),
    text=st.one_of(
        st.text(max_size=16),
        st.text(alphabet="0123456789-+.:TZ eE", max_size=16),
        st.from_regex(r"\A-?[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?\Z"),
    ),
)
@example(datatype="date", text="20240805")
@example(datatype="date", text="2024-W32-1")
@example(datatype="date", text="2024-02-30")
@example(datatype="integer", text="２０２４")
@example(datatype="decimal", text="１.５")
@example(datatype="gYear", text="٢٠٢٤")
def test_a_typed_parameter_is_refused_or_a_value_of_its_type(datatype, text):
    """Regression: values Python reads but XSD does not ("20240805", full-width digits) were bound as
    ill-typed literals, which compare with nothing."""
    param = Param("v", datatype, None, "")
    try:
        bound = check_value(param, text, PREFIXES)
    except UsageError as error:
        assert "parameter v" in error.message and "\n" not in error.message
        return
    assert bound.value == text.strip() and bound.datatype == XSD + datatype
    assert pyoxigraph_reads(bound.value, datatype), f"{bound.value!r} bound as an ill-typed xsd:{datatype}"


@pytest.mark.parametrize(
    "value",
    ["2024-08-05", "2024", "2024-08", "-12", "+7", "0.5", ".5", "true", "0", "2024-08-05Z"],
)
def test_valid_typed_values_are_accepted(value):
    accepted = []
    for datatype in TYPE_PROBES:
        try:
            check_value(Param("v", datatype, None, ""), value, PREFIXES)
        except UsageError:
            continue
        accepted.append(datatype)
    assert accepted, f"{value!r} was refused as every type"


@pytest.mark.parametrize(
    "payload",
    ['" } UNION { ?s ?p ?o } #', "Sam Altman\n} UNION {\n?s ?p ?o", "\\u0022 . ?s ?p ?o #"],
)
def test_hostile_values_through_the_command_line(project, labels, payload):
    """`exodus query` (the click-free path) and `exodus sparql -p` (click) with the same values."""
    base = [sys.executable, "-m", "exodus_kg", "--project", str(project.root)]
    saved = subprocess.run([*base, "query", "label-lookup", "-p", "label", payload, "-f", "json"],
                           capture_output=True, text=True, env=exodus_env(), timeout=120)
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.stdout)["results"]["bindings"] == []
    adhoc = subprocess.run(
        [*base, "sparql", "SELECT ?_v ?entity WHERE { ?entity rdfs:label ?l FILTER(STR(?l) = ?_v) }",
         "-p", "v", payload, "-f", "json"],
        capture_output=True, text=True, env=exodus_env(), timeout=120,
    )
    assert adhoc.returncode == 0, adhoc.stderr
    assert json.loads(adhoc.stdout)["results"]["bindings"] == []
    iri = subprocess.run([*base, "query", "about", "-p", "entity", "exd:sam-altman" + payload],
                         capture_output=True, text=True, env=exodus_env(), timeout=120)
    assert iri.returncode == 2 and "Traceback" not in iri.stderr
    assert iri.stderr.startswith("exodus: error: query about: parameter entity:")


def test_control_characters_reach_a_table_escaped(project):
    """Regression: a value carrying ESC or BEL went raw to the terminal in the table format (a value
    from the data or a parameter could send the terminal commands); csv and json keep it exact."""
    value = "red\x1b[31mALERT\x1b[0m\x07 and\ta tab"
    base = [sys.executable, "-m", "exodus_kg", "--project", str(project.root), "query", "echo", "-p", "value", value]
    table = subprocess.run(base, capture_output=True, text=True, env=exodus_env(), timeout=120)
    assert table.returncode == 0, table.stderr
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout
    assert "red\\x1b[31mALERT\\x1b[0m\\x07 and a tab" in table.stdout
    exact = subprocess.run([*base, "-f", "json"], capture_output=True, text=True, env=exodus_env(), timeout=120)
    assert json.loads(exact.stdout)["results"]["bindings"][0]["_value"]["value"] == value
