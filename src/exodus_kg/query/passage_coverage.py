"""Coverage of the article: every passage is cited by a statement or says why it carries no claim.

``exodus coverage`` prints one row per passage and exits 1 when a passage is neither cited nor marked
with ``exo:noCheckableClaim`` (or is both: a passage marked as claim-free must not be cited).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from exodus_kg.query.engine import compact_iri, run_library_query


@dataclass
class PassageCoverage:
    index: int
    passage: str
    statements: list[tuple[str, str, str]] = field(default_factory=list)  # (statement, class, certainty)
    no_claim_reason: str | None = None

    @property
    def status(self) -> str:
        if self.statements and self.no_claim_reason:
            return "contradictory"
        if self.statements:
            return "covered"
        return "no-claim" if self.no_claim_reason else "MISSING"

    @property
    def ok(self) -> bool:
        return self.status in ("covered", "no-claim")


def passage_coverage(store: ox.Store) -> list[PassageCoverage]:
    cited: dict[str, list[tuple[str, str, str]]] = {}
    for passage, statement, type_, certainty in run_library_query(store, "coverage-statements").rows():
        cited.setdefault(passage.value, []).append(
            (compact_iri(statement.value), compact_iri(type_.value), compact_iri(certainty.value))
        )
    rows = []
    for passage, index, reason in run_library_query(store, "coverage").rows():
        rows.append(PassageCoverage(int(index.value), passage.value, cited.get(passage.value, []),
                                    reason.value if reason else None))
    return rows


def coverage_table(rows: list[PassageCoverage]) -> tuple[list[str], list[list[str]]]:
    columns = ["passage", "status", "statements", "cited by / reason"]
    table = []
    for row in rows:
        detail = (
            ", ".join(f"{s} ({t}, {c})" for s, t, c in row.statements)
            if row.statements else (row.no_claim_reason or "")
        )
        table.append([f"p{row.index:03d}", row.status, str(len(row.statements)), detail])
    return columns, table


def coverage_json(rows: list[PassageCoverage]) -> list[dict]:
    return [
        {
            "passage": row.passage,
            "index": row.index,
            "status": row.status,
            "statements": [{"statement": s, "class": t, "certainty": c} for s, t, c in row.statements],
            "noCheckableClaim": row.no_claim_reason,
        }
        for row in rows
    ]
