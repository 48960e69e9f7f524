"""The benchmarks' synthetic projects are what docs/performance.md says they are: every copy
validates on its own, and the graph grows by one article's statements per copy (the article and its
passages, which every copy cites, stay one)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from rdflib import RDFS, URIRef

from exodus_kg.pipeline.build import ASSERTED_GRAPH, LINKS_GRAPH, build, load_inputs
from exodus_kg.pipeline.graph_loading import load_graphs
from exodus_kg.project import Project

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic_project import EXD, KEPT, write_project  # noqa: E402


@pytest.mark.slow
def test_a_synthetic_project_of_three_copies_builds_and_grows_by_whole_copies(tmp_path, article_project):
    synthetic = Project(write_project(3, tmp_path / "3x", source=article_project.root))
    result = build(synthetic)  # raises if any copy failed validation or reasoning

    article = load_inputs(article_project)
    shared = sum(1 for subject, _predicate, _object in article.asserted if KEPT.match(str(subject)))
    per_copy = len(article.asserted) - shared
    assert shared > 0 and per_copy > 0
    assert result.counts[ASSERTED_GRAPH] == len(article.asserted) + 2 * per_copy
    assert result.counts[LINKS_GRAPH] == 3 * len(article.links)

    copy = load_graphs(sorted((synthetic.triples_dir / "synthetic").glob("*.ttl"))[-1:])
    assert (URIRef(EXD + "sam-altman-c2"), RDFS.label, None) in copy
    assert not any(re.search(r"article(-p\d+)?-c\d", str(term)) for term in copy.all_nodes())
