"""Counts that describe the built dataset: triples per graph, entities by type, statements by certainty."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from exodus_kg.pipeline.build import GRAPHS
from exodus_kg.query.engine import compact_iri, run_library_query


@dataclass
class Stats:
    triples_by_graph: dict[str, int] = field(default_factory=dict)
    entities_by_type: dict[str, int] = field(default_factory=dict)
    statements_by_certainty: dict[str, int] = field(default_factory=dict)

    @property
    def statements(self) -> int:
        return sum(self.statements_by_certainty.values())

    def to_json(self) -> dict:
        return {
            "triples": self.triples_by_graph,
            "entitiesByType": self.entities_by_type,
            "statementsByCertainty": self.statements_by_certainty,
            "statements": self.statements,
        }


def collect_stats(store: ox.Store) -> Stats:
    stats = Stats()
    counted = {row[0].value: int(row[1].value) for row in run_library_query(store, "stats-graphs").rows()}
    # Every layer is listed, an empty one with 0, so a missing layer is visible.
    for graph in GRAPHS:
        stats.triples_by_graph[compact_iri(graph)] = counted.pop(graph, 0)
    for graph, count in counted.items():
        stats.triples_by_graph[compact_iri(graph)] = count
    for type_, count in run_library_query(store, "stats-types").rows():
        stats.entities_by_type[compact_iri(type_.value)] = int(count.value)
    for certainty, count in run_library_query(store, "stats-certainty").rows():
        stats.statements_by_certainty[compact_iri(certainty.value)] = int(count.value)
    return stats


def render_stats(stats: Stats, max_width: int | None = None) -> str:
    from exodus_kg.query.result_formats import render_table

    total = sum(stats.triples_by_graph.values())
    sections = [
        "Triples by graph",
        render_table(
            ["graph", "triples"],
            [[name, str(count)] for name, count in stats.triples_by_graph.items()] + [["total", str(total)]],
            max_width=max_width,
        ),
        f"Statements by certainty ({stats.statements} statements)",
        render_table(
            ["certainty", "statements"],
            [[name, str(count)] for name, count in stats.statements_by_certainty.items()],
            max_width=max_width,
        ),
        "Entities by asserted type",
        render_table(
            ["type", "entities"],
            [[name, str(count)] for name, count in stats.entities_by_type.items()],
            max_width=max_width,
        ),
    ]
    return "\n".join(sections)
