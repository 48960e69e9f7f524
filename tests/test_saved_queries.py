"""Saved queries (queries/*.rq): headers, parameters, two engines agreeing, results equal to golden files.

Every saved query runs with its default parameters on the built article graph, once on pyoxigraph
(``substitutions``, as ``exodus query`` runs it) and once on rdflib (``initBindings``); the two answers
must agree value by value and row by row (every SELECT has an ORDER BY), and must equal
``tests/golden/<query>.csv``, a file whose header says what was checked by hand against the article.

To rewrite the rows of the golden files after a deliberate change (the hand-written header lines are
kept; a new file gets a header that fails the test until someone checks it against the article)::

    EXODUS_UPDATE_GOLDEN=1 python -m pytest tests/test_saved_queries.py -k golden
"""

from __future__ import annotations

import csv
import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.sparql import prepareQuery

from exodus_kg.pipeline import build
from exodus_kg.project import find_project
from exodus_kg.query.engine import run_query
from exodus_kg.query.saved_queries import (
    SavedQuery,
    discover,
    header_problems,
    to_oxigraph_substitutions,
    to_rdflib_bindings,
)
from exodus_kg.rdf.sparql_text import mask_non_code

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
PROJECT = find_project(str(ROOT))
QUERIES = {query.name: query for query in discover(PROJECT)}
NAMES = sorted(QUERIES)
SELECTS = [name for name in NAMES if QUERIES[name].form in ("SELECT", "ASK")]

XSD = "http://www.w3.org/2001/XMLSchema#"
EXV_FIRM = "https://w3id.org/exodus-kg/vocab/firm"
NUMERIC = {
    XSD + name
    for name in (
        "integer",
        "decimal",
        "double",
        "float",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "unsignedInt",
        "unsignedLong",
    )
}
# Golden files write IRIs of the project's namespaces as prefixed names, all others in full.
GOLDEN_PREFIXES = {
    "exd": "https://w3id.org/exodus-kg/id/",
    "exo": "https://w3id.org/exodus-kg/ontology#",
    "exv": "https://w3id.org/exodus-kg/vocab/",
}
UNCHECKED = "# NOT YET CHECKED BY HAND"
FIRM = {"exv:stated", "exv:reported"}


# ---------------------------------------------------------------- terms as comparable values


def _iri(value: str) -> str:
    for prefix, namespace in GOLDEN_PREFIXES.items():
        if value.startswith(namespace) and re.fullmatch(r"[\w.-]+", value[len(namespace) :]):
            return f"{prefix}:{value[len(namespace) :]}"
    return f"<{value}>"


def _number(text: str) -> str:
    return format(Decimal(text).normalize(), "f")


def value_of(kind: str, text: str, datatype: str | None, language: str | None) -> tuple:
    """A term as (kind, value, language, datatype) where numbers of any type compare by value."""
    if kind != "literal":
        return (kind, _iri(text) if kind == "iri" else "_:", None, None)
    if datatype in NUMERIC:
        return ("literal", _number(text), None, "number")
    return ("literal", text, language.lower() if language else None, datatype if not language else None)


def from_rdflib(term) -> tuple | None:
    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return value_of("iri", str(term), None, None)
    if isinstance(term, rdflib.BNode):
        return value_of("blank", str(term), None, None)
    datatype = str(term.datatype) if term.datatype else (None if term.language else XSD + "string")
    return value_of("literal", str(term), datatype, term.language)


def from_oxigraph(term) -> tuple | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return value_of("iri", term.value, None, None)
    if isinstance(term, ox.BlankNode):
        return value_of("blank", term.value, None, None)
    language = term.language
    datatype = None if language else term.datatype.value
    return value_of("literal", term.value, datatype, language)


def cell(value: tuple | None) -> str:
    """How a value is written in a golden CSV file: empty when unbound, else its text."""
    return "" if value is None else value[1]


# ---------------------------------------------------------------- running a saved query


def run_on_oxigraph(store: ox.Store, query: SavedQuery, values: dict | None = None):
    bound = query.bind(values or {})
    outcome = run_query(store, query.text, substitutions=to_oxigraph_substitutions(bound), source=query.name)
    if outcome.form == "ASK":
        return ["ask"], [[("literal", str(outcome.boolean).lower(), None, XSD + "boolean")]]
    return outcome.variables, [[from_oxigraph(term) for term in row] for row in outcome.rows()]


def run_on_rdflib(dataset: rdflib.Graph, query: SavedQuery, values: dict | None = None):
    bound = query.bind(values or {})
    result = dataset.query(query.text, initBindings=to_rdflib_bindings(bound))
    if result.type == "ASK":
        return ["ask"], [[("literal", str(bool(result.askAnswer)).lower(), None, XSD + "boolean")]]
    variables = [str(variable) for variable in result.vars]
    return variables, [[from_rdflib(row[index]) for index in range(len(variables))] for row in result]


@pytest.fixture(scope="session")
def built_entry() -> Path:
    return build.ensure_built(PROJECT)


@pytest.fixture(scope="session")
def store(built_entry) -> ox.Store:
    store = ox.Store()
    store.load(path=str(built_entry / build.DATASET_FILE), format=ox.RdfFormat.N_QUADS)
    return store


@pytest.fixture(scope="session")
def dataset(built_entry) -> rdflib.Graph:
    """The union of the built dataset's named graphs as one rdflib graph (the default graph of a query)."""
    store = ox.Store()
    store.load(path=str(built_entry / build.DATASET_FILE), format=ox.RdfFormat.N_QUADS)
    union = ox.serialize((quad.triple for quad in store), format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=union, format="nt")


@pytest.fixture(scope="session")
def answers(store) -> dict:
    """Each saved query's answer with its defaults on pyoxigraph, computed once."""
    return {name: run_on_oxigraph(store, QUERIES[name]) for name in SELECTS}


# ---------------------------------------------------------------- the files themselves


def test_there_are_at_least_fifteen_saved_queries():
    assert len(QUERIES) >= 15, sorted(QUERIES)


@pytest.mark.parametrize("name", NAMES)
def test_name_is_kebab_case(name):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name


@pytest.mark.parametrize("name", NAMES)
def test_header_is_complete_and_parameters_match(name):
    query = QUERIES[name]
    assert header_problems(query) == []
    assert query.tags, "no '#+ tags:' line"
    for param in query.params:
        assert param.description, f"parameter {param.name} has no description"
        assert param.default is not None, f"parameter {param.name} has no default"


@pytest.mark.parametrize("name", NAMES)
def test_query_parses_on_both_engines(name):
    query = QUERIES[name]
    prepareQuery(query.text)
    bound = query.bind({})
    run_query(ox.Store(), query.text, substitutions=to_oxigraph_substitutions(bound), source=name)


@pytest.mark.parametrize("name", SELECTS)
def test_select_is_ordered(name):
    """Row order is part of the answer, so it must not depend on the engine."""
    if QUERIES[name].form == "SELECT":
        assert re.search(r"\bORDER\s+BY\b", mask_non_code(QUERIES[name].text), re.I)


# ---------------------------------------------------------------- answers on the article graph


@pytest.mark.parametrize("name", SELECTS)
def test_answer_is_not_empty_with_defaults(name, answers):
    _variables, rows = answers[name]
    assert rows, f"{name} returns no rows with its default parameters"


@pytest.mark.parametrize("name", SELECTS)
def test_rdflib_and_oxigraph_agree(name, answers, dataset):
    assert run_on_rdflib(dataset, QUERIES[name]) == answers[name]


@pytest.mark.parametrize("name", SELECTS)
def test_answer_equals_golden(name, answers):
    variables, rows = answers[name]
    path = GOLDEN / f"{name}.csv"
    actual = [variables] + [[cell(value) for value in row] for row in rows]
    if os.environ.get("EXODUS_UPDATE_GOLDEN"):
        write_golden(path, actual)
    assert path.is_file(), f"no golden file {path.relative_to(ROOT)}"
    header, expected = read_golden(path)
    assert header and not any(line.startswith(UNCHECKED) for line in header), (
        f"{path.name}: its header must say what was checked by hand against the article"
    )
    assert actual == expected


def test_every_golden_file_belongs_to_a_saved_query():
    orphans = sorted(path.name for path in GOLDEN.glob("*.csv") if path.stem not in QUERIES)
    assert orphans == []


def read_golden(path: Path) -> tuple[list[str], list[list[str]]]:
    """The '#' comment lines at the top, and the CSV rows (the first is the variable names)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    header = []
    while lines and lines[0].startswith("#"):
        header.append(lines.pop(0).rstrip("\n"))
    return header, [row for row in csv.reader(io.StringIO("".join(lines)))]


def write_golden(path: Path, rows: list[list[str]]) -> None:
    header = read_golden(path)[0] if path.is_file() else []
    if not header:
        header = [
            f"{UNCHECKED}: check every row against triples/source/article.txt, then say here what was checked"
        ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text("\n".join(header) + "\n" + out.getvalue(), encoding="utf-8")


# ---------------------------------------------------------------- firm facts and parameters


def _column(answer, name):
    variables, rows = answer
    index = variables.index(name)
    return [cell(row[index]) for row in rows]


FIRM_BY_DEFAULT = [
    name
    for name in NAMES
    if any(param.name == "certainty" and param.default == EXV_FIRM for param in QUERIES[name].params)
]


@pytest.mark.parametrize("name", FIRM_BY_DEFAULT)
def test_fact_queries_return_only_firm_statements_by_default(name, answers):
    assert set(_column(answers[name], "certainty")) <= FIRM


def test_unconfirmed_claims_are_never_firm(answers):
    certainties = set(_column(answers["unconfirmed-claims"], "certainty"))
    assert certainties and not certainties & FIRM


def test_departures_certainty_parameter_shows_the_rest(store):
    query = QUERIES["departures"]
    everyone = run_on_oxigraph(store, query, {"certainty": "exv:certainty"})
    rest = run_on_oxigraph(store, query, {"certainty": "exv:unconfirmed"})
    firm = run_on_oxigraph(store, query)
    assert len(everyone[1]) == len(firm[1]) + len(rest[1])
    assert not set(_column(rest, "certainty")) & FIRM


def test_departures_person_parameter_narrows_to_one_person(store, dataset):
    query = QUERIES["departures"]
    values = {"person": "exd:greg-brockman", "certainty": "exv:certainty"}
    answer = run_on_oxigraph(store, query, values)
    assert set(_column(answer, "person")) == {"exd:greg-brockman"}
    assert run_on_rdflib(dataset, query, values) == answer


@pytest.mark.parametrize("entity", ["exd:helen-toner", "exd:openai", "exd:reddit"])
def test_evidence_for_other_entities_agrees_on_both_engines(entity, store, dataset):
    query = QUERIES["evidence-for"]
    answer = run_on_oxigraph(store, query, {"entity": entity})
    assert answer[1], f"no statement involves {entity}"
    assert run_on_rdflib(dataset, query, {"entity": entity}) == answer
