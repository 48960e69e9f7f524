"""A misspelt exo:/exv: term in an ad-hoc query: found, with the closest defined term, and warned about."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from exodus_kg.cli import cli
from exodus_kg.query.unknown_terms import EXO, EXV, defined_terms, describe, unknown_terms

DEFINED = {EXO + "Departure", EXO + "person", EXO + "certainty", EXV + "firm", EXV + "stated"}


def names(text: str, prefixes=None) -> list[tuple[str, str | None]]:
    return [(term.name, term.suggestion) for term in unknown_terms(text, DEFINED, prefixes)]


def test_a_typo_gets_the_closest_defined_term():
    assert names("SELECT ?d WHERE { ?d a exo:Departur }") == [("exo:Departur", "exo:Departure")]
    assert names("ASK { ?s exo:certainty exv:frim }") == [("exv:frim", "exv:firm")]


def test_defined_terms_and_other_namespaces_pass():
    assert names("SELECT ?d WHERE { ?d a exo:Departure ; exo:person ?p ; exo:certainty exv:stated }") == []
    assert names("SELECT ?d WHERE { ?d exd:nobody ?x ; rdfs:labl ?l ; skos:broader* exv:firm }") == []


def test_a_term_with_nothing_close_is_still_named():
    assert names("ASK { ?s exo:zzzzqqq ?o }") == [("exo:zzzzqqq", None)]


def test_strings_comments_and_variables_are_not_terms():
    text = 'SELECT ?x WHERE { ?x ?p "exo:Departur" } # exo:Bogus\n'
    assert names(text) == []


def test_full_iris_and_a_prefix_the_query_declares_are_checked():
    text = (
        "PREFIX o: <https://w3id.org/exodus-kg/ontology#>\n"
        "SELECT ?d WHERE {\n  ?d a o:Departur ;\n    <https://w3id.org/exodus-kg/ontology#persn> ?p }"
    )
    found = unknown_terms(text, DEFINED)
    assert [(term.name, term.suggestion, term.line) for term in found] == [
        ("o:Departur", "o:Departure", 3),
        ("<https://w3id.org/exodus-kg/ontology#persn>", "<https://w3id.org/exodus-kg/ontology#person>", 4),
    ]
    assert describe(found[0], "q.rq") == (
        "q.rq:3: o:Departur is not defined by the ontology, so it matches nothing; did you mean o:Departure?"
    )


def test_each_term_is_named_once():
    assert names("ASK { ?a a exo:Departur . ?b a exo:Departur }") == [("exo:Departur", "exo:Departure")]


def test_the_built_ontology_defines_every_term_the_saved_queries_and_rules_use(article_project):
    from exodus_kg.pipeline.build import open_built
    from exodus_kg.query.saved_queries import discover

    defined = defined_terms(open_built(article_project))
    assert EXO + "Departure" in defined and EXV + "firm" in defined and EXO + "certaintyGroup" in defined
    texts = {query.name: query.text for query in discover(article_project)}
    texts |= {path.name: path.read_text(encoding="utf-8") for path in article_project.root.glob("queries/rules/*.rq")}
    assert {name: unknown_terms(text, defined) for name, text in texts.items() if unknown_terms(text, defined)} == {}


@pytest.mark.parametrize(
    "query, warning",
    [
        (
            "SELECT ?d WHERE { ?d a exo:Departur }",
            "exodus: warning: query:1: exo:Departur is not defined by the ontology, so it matches nothing; "
            "did you mean exo:Departure?",
        ),
        ("SELECT ?d WHERE { ?d a exo:Departure }", None),
    ],
)
def test_exodus_sparql_warns_on_stderr_and_still_answers(fixture_project_dir, query, warning):
    result = CliRunner().invoke(cli, ["--project", str(fixture_project_dir), "sparql", query, "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("d\r\n") or result.stdout.startswith("d\n")
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == ([warning] if warning else [])
