"""Coverage is proved, not claimed: every passage is cited or says why it has no checkable claim."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from exodus_kg.cli import cli
from exodus_kg.pipeline.build import open_built
from exodus_kg.project import find_project
from exodus_kg.query.passage_coverage import passage_coverage

ROOT = Path(__file__).resolve().parents[1]
EXO = "https://w3id.org/exodus-kg/ontology#"


@pytest.fixture(scope="module")
def coverage_rows():
    return passage_coverage(open_built(find_project(str(ROOT)), inference=False))


def test_every_passage_is_cited_or_marked(coverage_rows):
    failing = [(row.index, row.status) for row in coverage_rows if not row.ok]
    assert len(coverage_rows) == 95
    assert failing == []


def test_claim_free_passages_give_a_reason(coverage_rows):
    for row in coverage_rows:
        if row.status == "no-claim":
            assert len(row.no_claim_reason.strip()) > 10, row.index


def test_uncited_unmarked_passage_fails_the_check():
    store = ox.Store()
    passage = ox.NamedNode("https://w3id.org/exodus-kg/id/article-p001")
    store.add(
        ox.Quad(
            passage,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(EXO + "Passage"),
        )
    )
    store.add(
        ox.Quad(
            passage,
            ox.NamedNode(EXO + "passageIndex"),
            ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        )
    )
    (row,) = passage_coverage(store)
    assert row.status == "MISSING" and not row.ok


def test_coverage_command_exits_zero_on_the_article():
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "coverage", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert '"status": "covered"' in result.output
