"""The article is stored byte-exact, its passages are in sync, and every quote sits at its offsets."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef

from exodus_kg.maintain.article_source import passages_graph, read_article_text, sha256_hex, split_passages
from exodus_kg.maintain.turtle_format import canonical_turtle

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "triples" / "source"
EXO = Namespace("https://w3id.org/exodus-kg/ontology#")
ARTICLE = URIRef("https://w3id.org/exodus-kg/id/article")
TEXT = read_article_text(SOURCE / "article.txt")


def test_article_hash_matches_the_recorded_one():
    metadata = Graph().parse(SOURCE / "article-metadata.ttl")
    assert str(metadata.value(ARTICLE, EXO.sha256)) == sha256_hex(SOURCE / "article.txt")


def test_passages_file_is_generated_from_the_article():
    expected = canonical_turtle(passages_graph(TEXT))
    assert (SOURCE / "passages.ttl").read_text(encoding="utf-8") == expected, "run `exodus passages`"


def test_passages_cover_every_non_empty_line_exactly():
    passages = split_passages(TEXT)
    assert len(passages) == 95
    assert all(TEXT[p.start:p.end] == p.text for p in passages)
    assert "".join(p.text for p in passages) == TEXT.replace("\n", "")


def evidence_nodes():
    graph = Graph()
    for path in sorted((ROOT / "triples").rglob("*.ttl")):
        graph.parse(path, format="turtle")
    rows = []
    for statement, evidence in graph.subject_objects(EXO.evidence):
        rows.append(pytest.param(
            str(graph.value(evidence, EXO.quote)), graph.value(evidence, EXO.start),
            graph.value(evidence, EXO.end), str(graph.value(evidence, EXO.passage)),
            id=f"{str(statement).rsplit('/', 1)[-1]}@{graph.value(evidence, EXO.start)}",
        ))
    return rows


@pytest.mark.parametrize(("quote", "start", "end", "passage"), evidence_nodes())
def test_every_quote_sits_at_its_offsets_inside_its_passage(quote, start, end, passage):
    assert start is not None and end is not None, "run `exodus fmt` to fill the offsets"
    assert TEXT[int(start):int(end)] == quote
    index = int(passage.rsplit("-p", 1)[1])
    cited = split_passages(TEXT)[index - 1]
    assert cited.start <= int(start) and int(end) <= cited.end
