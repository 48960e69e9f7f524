"""The W3C Reconciliation API at /reconcile of `exodus serve`: answers validated against the API's own
JSON schemas (version 0.2, vendored in tests/data/reconciliation-api-0.2), right entity first, and a
sure match only when the name is one of the entity's labels."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from exodus_kg.publish.reconcile import Reconciler

SCHEMAS = Path(__file__).resolve().parent / "data" / "reconciliation-api-0.2"


def validator(name: str) -> jsonschema.protocols.Validator:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7)))
    registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, registry=registry)


@pytest.fixture(scope="module")
def service(article_project) -> Reconciler:
    from exodus_kg.pipeline.build import open_built

    return Reconciler.from_store(open_built(article_project))


def test_the_manifest_validates_against_the_schema(service):
    manifest = service.manifest("http://127.0.0.1:7878")
    validator("manifest").validate(manifest)
    assert {t["id"] for t in manifest["defaultTypes"]} == {"Person", "Organization"}
    assert "{{id}}" in manifest["view"]["url"]


def test_the_schema_check_catches_a_broken_manifest(service):
    broken = service.manifest("http://127.0.0.1:7878")
    broken["versions"] = ["0.1"]
    with pytest.raises(jsonschema.ValidationError):
        validator("manifest").validate(broken)


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Sam Altman", None, "sam-altman"),
        ("馬斯克", None, "elon-musk"),
        ("Anthropic PBC", None, "anthropic"),
        ("Perplexity.AI", None, "perplexity-ai"),
        ("perplexity ai", "Organization", "perplexity-ai"),
        ("OpenAI", "Organization", "openai"),
        ("Ilya Sutskever", "Person", "ilya-sutskever"),
    ],
)
def test_a_name_finds_its_entity_first_as_a_sure_match(service, name, kind, expected):
    query = {"query": name, **({"type": kind} if kind else {})}
    answer = {"q0": {"result": service.reconcile(query)}}
    validator("reconciliation-result-batch").validate(answer)
    first = answer["q0"]["result"][0]
    assert first["id"] == expected and first["match"] is True and first["score"] >= 95
    assert all(not other["match"] for other in answer["q0"]["result"][1:])


def test_a_part_of_a_name_is_a_candidate_not_a_match(service):
    results = service.reconcile({"query": "Sutskever Ilya the scientist"})
    assert results and results[0]["id"] == "ilya-sutskever" and not results[0]["match"]


def test_nonsense_gets_no_match(service):
    for name in ("Zorblax Quux", "qwertyuiop", "某某某公司"):
        assert not any(result["match"] for result in service.reconcile({"query": name})), name


def test_the_type_filter_keeps_to_its_type(service):
    people = service.reconcile({"query": "OpenAI", "type": "Person"})
    assert all(result["type"][0]["id"] == "Person" for result in people)
    assert not any(result["id"] == "openai" for result in people)
    assert service.reconcile({"query": "OpenAI", "type": "https://w3id.org/exodus-kg/ontology#Organization"})[0]["id"] == "openai"


def test_suggest_and_preview(service):
    suggestions = service.answer("/suggest/entity", {"prefix": "Schul"}, "http://x")[2]
    validator("suggest-entities-response").validate(suggestions)
    assert suggestions["result"][0]["id"] == "john-schulman"
    status, kind, body = service.answer("/preview", {"id": "john-schulman"}, "http://x")
    assert status == 200 and kind.startswith("text/html") and b"John Schulman" in body
    assert service.answer("/preview", {"id": "<script>"}, "http://x")[0] == 404


def test_bad_batches_are_refused_with_a_reason(service):
    for raw in ("not json", '["q0"]', '{"q0": "Sam Altman"}'):
        status, _kind, body = service.answer("", {"queries": raw}, "http://x")
        assert status == 400 and "queries" in body["error"]


def test_the_served_endpoint_answers_openrefine_batches(article_project):
    """Through `exodus serve`: GET for the manifest, a form POST for a batch, as OpenRefine sends them."""
    from test_serve import _Running

    with _Running() as running:
        with urllib.request.urlopen(f"{running.base}/reconcile", timeout=30) as answer:
            manifest = json.load(answer)
            assert answer.headers["Access-Control-Allow-Origin"] == "*"
        validator("manifest").validate(manifest)
        assert manifest["view"]["url"].startswith(running.base)
        batch = {"q0": {"query": "Sam Altman"}, "q1": {"query": "馬斯克", "type": "Person"}, "q2": {"query": "Zorblax"}}
        request = urllib.request.Request(
            f"{running.base}/reconcile",
            data=urllib.parse.urlencode({"queries": json.dumps(batch)}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            results = json.load(answer)
        validator("reconciliation-result-batch").validate(results)
        assert results["q0"]["result"][0]["id"] == "sam-altman" and results["q0"]["result"][0]["match"]
        assert results["q1"]["result"][0]["id"] == "elon-musk"
        assert not any(result["match"] for result in results["q2"]["result"])
        with urllib.request.urlopen(manifest["view"]["url"].replace("{{id}}", "sam-altman"), timeout=30) as answer:
            assert b"Sam Altman" in answer.read()
