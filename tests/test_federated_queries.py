"""Saved federated queries (queries/federated/): opt-in, and a real join with a local Oxigraph server that
stands in for Wikidata (tests/data/wikidata-fixture.ttl), reached through --service-endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from exodus_kg.cli import cli
from exodus_kg.errors import UsageError
from exodus_kg.query import saved_queries
from exodus_kg.rdf.sparql_text import service_targets
from exodus_kg.wikidata import federated
from exodus_kg.wikidata.federated import (
    load_dataset,
    require_service_opt_in,
    run_federated,
    run_text,
    wikidata_redirect,
)
from exodus_kg.wikidata.links import WIKIDATA_ENDPOINT
from support.oxigraph_server import OxigraphServer, free_port

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "wikidata-fixture.ttl"
EXD = "https://w3id.org/exodus-kg/id/"
WD = "http://www.wikidata.org/entity/"
NAMES = ("wikidata-companies", "wikidata-founders-compared", "wikidata-people")


def invoke(*args: str):
    return CliRunner().invoke(cli, ["--project", str(ROOT), *args], catch_exceptions=False)


# Opt-in --------------------------------------------------------------------------------------------------


def test_service_targets_ignore_strings_and_comments():
    text = '''# SERVICE <http://in.a.comment/>
    SELECT * WHERE { ?s ?p "SERVICE <http://in.a.string/>" .
      SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o }
      service silent ?endpoint { ?s ?p ?o } }'''
    assert service_targets(text) == ["https://query.wikidata.org/sparql", "?endpoint"]
    assert service_targets("SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }") == []


def test_a_service_call_needs_the_opt_in():
    text = "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
    with pytest.raises(UsageError, match="--allow-service"):
        require_service_opt_in(text, allow_service=False)
    require_service_opt_in(text, allow_service=True)
    require_service_opt_in("SELECT * WHERE { ?s ?p ?o }", allow_service=False)


def test_cli_refuses_without_allow_service_and_sends_nothing():
    # The endpoint is dead: had the query been sent, the exit code would be 3, not 2.
    dead = f"http://127.0.0.1:{free_port()}/query"
    result = invoke("federated", "wikidata-people", "--service-endpoint", dead)
    assert result.exit_code == 2
    assert "calls a remote SPARQL service (https://query.wikidata.org/sparql)" in result.stderr
    assert "--allow-service" in result.stderr and result.stdout == ""


def test_cli_lists_the_federated_queries():
    result = invoke("federated")
    assert result.exit_code == 0
    for name in NAMES:
        assert name in result.stdout


def test_cli_reports_an_unknown_federated_query():
    result = invoke("federated", "no-such-query", "--allow-service")
    assert result.exit_code == 2 and "no federated query named 'no-such-query'" in result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_federated_queries_have_a_header_call_wikidata_and_stay_out_of_the_saved_queries(article_project, name):
    query = federated.get(article_project, name)
    assert not saved_queries.header_problems(query), saved_queries.header_problems(query)
    assert "federated" in query.tags
    assert service_targets(query.text) == [WIKIDATA_ENDPOINT]
    assert name not in {saved.name for saved in saved_queries.discover(article_project)}


# A real join against a local server --------------------------------------------------------------------


@pytest.fixture(scope="module")
def wikidata_fixture(tmp_path_factory):
    server = OxigraphServer(tmp_path_factory.mktemp("wikidata") / "store").start().load_default(FIXTURE)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dataset(article_project):
    return load_dataset(article_project)


def run(article_project, dataset, server, name) -> list[dict]:
    outcome = run_federated(
        article_project,
        name,
        allow_service=True,
        service_endpoints=wikidata_redirect(server.query_url),
        dataset=dataset,
        timeout=30,
    )
    data = json.loads(outcome.solutions_json)
    return [{key: cell["value"] for key, cell in row.items()} for row in data["results"]["bindings"]]


def test_people_join_birth_dates_and_employers(article_project, dataset, wikidata_fixture):
    rows = run(article_project, dataset, wikidata_fixture, "wikidata-people")
    altman = [row for row in rows if row["person"] == EXD + "sam-altman"]
    assert {row["employerLabel"] for row in altman} == {"OpenAI", "Y Combinator"}
    assert {row["birthDate"][:10] for row in altman} == {"1900-01-01"}
    (musk,) = [row for row in rows if row["person"] == EXD + "elon-musk"]
    assert (musk["employer"], musk["employerLabel"]) == (WD + "Q478214", "Tesla, Inc.")
    # A linked person the fixture knows nothing about keeps a row (the SERVICE is OPTIONAL).
    (hinton,) = [row for row in rows if row["person"] == EXD + "geoffrey-hinton"]
    assert hinton["item"] == WD + "Q92894" and "birthDate" not in hinton
    # Unlinked people are not sent anywhere.
    assert not [row for row in rows if row["person"] == EXD + "john-schulman"]


def test_companies_join_inception_headquarters_and_website(article_project, dataset, wikidata_fixture):
    rows = run(article_project, dataset, wikidata_fixture, "wikidata-companies")
    (openai,) = [row for row in rows if row["organization"] == EXD + "openai"]
    assert openai["inception"].startswith("1901-01-01")
    assert (openai["headquarters"], openai["headquartersLabel"]) == (WD + "Q62", "San Francisco")
    assert openai["website"] == "https://example.org/openai"
    (anthropic,) = [row for row in rows if row["organization"] == EXD + "anthropic"]
    assert "website" not in anthropic
    assert {row["organization"] for row in rows} >= {EXD + "google", EXD + "helion", EXD + "the-wall-street-journal"}


def test_founders_compared_marks_which_founders_wikidata_lists(article_project, dataset, wikidata_fixture):
    rows = run(article_project, dataset, wikidata_fixture, "wikidata-founders-compared")
    openai = {row["founder"]: row.get("inWikidata") for row in rows if row["organization"] == EXD + "openai"}
    assert openai[EXD + "elon-musk"] == "true" and openai[EXD + "sam-altman"] == "true"
    assert openai[EXD + "greg-brockman"] is None  # the article says he co-founded it; the fixture does not
    assert EXD + "john-schulman" not in openai  # not linked, so not compared


def test_cli_runs_a_federated_query_against_the_redirected_endpoint(wikidata_fixture):
    result = invoke(
        "federated", "wikidata-founders-compared", "--allow-service", "--service-endpoint", wikidata_fixture.query_url,
        "-f", "csv",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split(",") == [
        "organization", "organizationLabel", "organizationItem", "founder", "founderLabel", "founderItem", "inWikidata",
    ]
    assert f"{EXD}openai,OpenAI,{WD}Q21708200,{EXD}elon-musk,Elon Musk,{WD}Q317521,true" in result.stdout


def test_cli_reports_a_dead_service_with_exit_code_3():
    dead = f"http://127.0.0.1:{free_port()}/query"
    result = invoke("federated", "wikidata-people", "--allow-service", "--service-endpoint", dead)
    assert result.exit_code == 3 and f"{dead}: query: connection refused" in result.stderr


def test_a_service_with_nothing_bound_is_refused_not_sent(dataset, wikidata_fixture):
    text = "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"
    with pytest.raises(UsageError, match="none of its variables bound"):
        run_text(dataset, text, service_endpoints=wikidata_redirect(wikidata_fixture.query_url), timeout=30)
