"""saved_queries.py: the header format, parameter checking and binding, on both engines.

(tests/test_saved_queries.py checks the project's own queries; this file checks the machinery.)
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from exodus_kg.errors import InputError, UsageError
from exodus_kg.query.engine import PREFIXES, run_query
from exodus_kg.query.saved_queries import (
    Param,
    SavedQuery,
    check_value,
    discover,
    expand_iri,
    get,
    header_problems,
    parse_header,
    to_oxigraph_substitutions,
    to_rdflib_bindings,
)

XSD = "http://www.w3.org/2001/XMLSchema#"
EXD = "https://w3id.org/exodus-kg/id/"

HEADER = """\
#+ summary: People who left
#+ description: >-
#+   First line of the description,
#+   and its continuation.
#+ tags: [people, departures]
#+ params:
#+   - person: iri - the person who left
#+   - since: gYear - the first year
#+ defaults:
#+   - person: https://w3id.org/exodus-kg/id/alice
# An ordinary comment ends the header.
PREFIX exo: <https://w3id.org/exodus-kg/ontology#>
SELECT ?x WHERE { ?x exo:person ?_person_iri FILTER (?y >= ?_since) }
"""


def saved(text: str, name: str = "q") -> SavedQuery:
    header = parse_header(text, Path(f"{name}.rq"))
    return SavedQuery(
        name,
        Path(f"{name}.rq"),
        text,
        header["summary"],
        header["description"],
        header["tags"],
        header["params"],
    )


def test_header_is_parsed():
    query = saved(HEADER)
    assert query.summary == "People who left"
    assert query.description == "First line of the description, and its continuation."
    assert query.tags == ["people", "departures"]
    assert query.params == [
        Param("person", "iri", EXD + "alice", "the person who left"),
        Param("since", "gYear", None, "the first year"),
    ]
    assert [p.variable for p in query.params] == ["_person_iri", "_since"]
    assert query.params[1].required and not query.params[0].required
    assert query.used_parameters() == {"_person_iri", "_since"}
    assert header_problems(query) == []
    assert query.form == "SELECT"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("#+ sumary: typo", "unknown header key 'sumary'"),
        ("#+ params:\n#+   - person: iri", "a param is '- name: type - description'"),
        ("#+ params:\n#+   - person: uri - who", "unknown type 'uri'"),
        ("#+ params:\n#+   - person_iri: iri - who", "bad parameter name 'person_iri'"),
        ("#+ params:\n#+   - x2y: string - b\n#+   - 2x: string - b", "each item of 'params' is '- name: value'"),
        ("#+ params:\n#+   - a: string - b\n#+   - a: string - c", "'a' is given twice under 'params'"),
        ("#+ params:\n#+   - a: string - b\n#+ defaults:\n#+   - b: x", "'defaults' names 'b'"),
        ("#+ tags: people, departures", "'tags' is a list"),
    ],
)
def test_bad_header_lines_are_named_with_file_and_line(line, message):
    text = f"#+ summary: s\n{line}\nASK {{}}\n"
    number = line.count("\n") + 2
    with pytest.raises(InputError) as caught:
        parse_header(text, Path("queries/x.rq"))
    assert str(caught.value).startswith(f"queries/x.rq:{number}:")
    assert message in str(caught.value)


def test_header_problems_find_mismatched_parameters():
    text = "#+ summary: s\n#+ params:\n#+   - a: string - d\nSELECT ?_b WHERE {}\n"
    problems = header_problems(saved(text))
    assert "no '#+ description:' line" in problems
    assert "?_b is used but not declared under '#+ params:'" in problems
    assert "parameter ?_a is declared but not used" in problems


def test_variables_in_strings_iris_and_comments_are_not_parameters():
    text = (
        "#+ summary: s\n#+ description: d\n"
        'SELECT ?x WHERE { ?x <http://e/#?_no> "?_no" } # ?_no in a comment\n'
    )
    assert saved(text).used_parameters() == set()


@pytest.mark.parametrize(
    ("type_", "raw", "value", "datatype"),
    [
        ("string", "Sam Altman", "Sam Altman", XSD + "string"),
        ("integer", "-42", "-42", XSD + "integer"),
        ("decimal", "7.5", "7.5", XSD + "decimal"),
        ("boolean", "true", "true", XSD + "boolean"),
        ("date", "2024-08-05", "2024-08-05", XSD + "date"),
        ("gYear", "2023", "2023", XSD + "gYear"),
        ("gYearMonth", "2023-11", "2023-11", XSD + "gYearMonth"),
    ],
)
def test_literal_values_are_typed(type_, raw, value, datatype):
    bound = check_value(Param("p", type_, None, ""), raw, PREFIXES)
    assert (bound.kind, bound.value, bound.datatype) == ("literal", value, datatype)


@pytest.mark.parametrize(
    ("type_", "raw"),
    [
        ("integer", "4.5"),
        ("integer", "forty"),
        ("decimal", "1e5"),
        ("boolean", "yes"),
        ("date", "2024-13-01"),
        ("gYear", "24"),
        ("gYearMonth", "2023-13"),
    ],
)
def test_ill_typed_values_are_named(type_, raw):
    with pytest.raises(UsageError, match=rf"query q: parameter p: '{raw}' is not an? {type_}"):
        check_value(Param("p", type_, None, ""), raw, PREFIXES, "q")


@pytest.mark.parametrize(
    ("raw", "iri"),
    [
        ("<https://example.org/x>", "https://example.org/x"),
        ("https://example.org/x", "https://example.org/x"),
        ("exd:sam-altman", EXD + "sam-altman"),
        ("sam-altman", EXD + "sam-altman"),
        ("wd:Q42", "http://www.wikidata.org/entity/Q42"),
        ("urn:isbn:123", "urn:isbn:123"),
    ],
)
def test_iri_values(raw, iri):
    assert expand_iri(raw, PREFIXES) == iri


@pytest.mark.parametrize(
    ("raw", "message"), [("zzz:x", "unknown prefix zzz:"), ("two words", "is not an IRI")]
)
def test_bad_iri_values(raw, message):
    with pytest.raises(UsageError, match=message):
        check_value(Param("person", "iri", None, ""), raw, PREFIXES)


def test_bind_uses_defaults_and_names_the_problem():
    query = saved(HEADER)
    with pytest.raises(
        UsageError, match=r"missing parameter since \(gYear: the first year\); give it with -p since"
    ):
        query.bind({}, PREFIXES)
    with pytest.raises(
        UsageError, match=r"unknown parameter 'who'; it takes: person \(iri\), since \(gYear\)"
    ):
        query.bind({"who": "x", "since": "2020"}, PREFIXES)
    bound = query.bind({"since": "2020"}, PREFIXES)
    assert [(b.param.name, b.value) for b in bound] == [("person", EXD + "alice"), ("since", "2020")]
    # The variable name works as well as the parameter name.
    assert query.bind({"?_person_iri": "bob", "since": "2020"}, PREFIXES)[0].value == EXD + "bob"


def test_query_prefixes_expand_iri_values():
    text = (
        "#+ summary: s\n#+ params:\n#+   - x: iri - d\n#+ defaults:\n#+   - x: ex:thing\n"
        "PREFIX ex: <http://example.org/ns#>\nASK { ?_x_iri ?p ?o }\n"
    )
    assert saved(text).bind({}, {})[0].value == "http://example.org/ns#thing"


def test_unknown_query_name_gets_did_you_mean(fixture_project):
    with pytest.raises(
        UsageError, match=r"no saved query named 'peple'; did you mean people or people-count\?"
    ):
        get(fixture_project, "peple")
    with pytest.raises(UsageError, match=r"run `exodus queries` to list them"):
        get(fixture_project, "zzzzzz")
    assert get(fixture_project, "people.rq").name == "people"


def test_fixture_queries_have_complete_headers(fixture_project):
    queries = discover(fixture_project)
    assert [q.name for q in queries] == sorted(q.name for q in queries)
    for query in queries:
        assert header_problems(query) == [], query.name


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("departures-from", {}),
        ("departures-from", {"minAge": "40"}),
        ("people-count", {"olderThan": "36"}),
        ("people-count", {"olderThan": "100"}),
        ("has-departure", {"person": "exd:bob"}),
        ("has-departure", {"person": "exd:acme"}),
    ],
)
def test_both_engines_bind_parameters_alike(fixture_project, fixture_store, name, values):
    """pyoxigraph `substitutions` and rdflib `initBindings` give the same answers (by value)."""
    query = get(fixture_project, name)
    bound = query.bind(values, PREFIXES)
    outcome = run_query(fixture_store, query.text, substitutions=to_oxigraph_substitutions(bound))

    graph = rdflib.Graph()
    for quad in fixture_store:
        graph.parse(data=str(ox.Triple(quad.subject, quad.predicate, quad.object)) + " .", format="nt")
    result = graph.query(query.text, initBindings=to_rdflib_bindings(bound))
    if outcome.form == "ASK":
        assert outcome.boolean == result.askAnswer
        return
    oxigraph_rows = [[term.value if term is not None else None for term in row] for row in outcome.rows()]
    rdflib_rows = [[str(term) if term is not None else None for term in row] for row in result]
    assert oxigraph_rows == rdflib_rows
    assert outcome.variables == [str(v) for v in result.vars]
