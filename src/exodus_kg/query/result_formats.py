"""Write query results: a readable table, or the standard formats through pyoxigraph's serializers.

SELECT: table (default), csv, tsv, json (SPARQL 1.1 Query Results JSON).
CONSTRUCT / DESCRIBE: ttl (default), nt.
ASK: true / false (json gives the SPARQL 1.1 JSON boolean result).
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from exodus_kg.errors import UsageError
from exodus_kg.query.engine import PREFIXES, QueryOutcome, compact_iri

FORMATS = ("table", "csv", "tsv", "json", "ttl", "nt")
SELECT_FORMATS = ("table", "csv", "tsv", "json")
GRAPH_FORMATS = ("table", "ttl", "nt")
ASK_FORMATS = ("table", "csv", "tsv", "json")

_RESULTS_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
}
_RDF_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}
_FORM_NAMES = {"SELECT": "SELECT", "ASK": "ASK", "GRAPH": "CONSTRUCT/DESCRIBE"}


def render(
    outcome: QueryOutcome,
    output_format: str = "table",
    *,
    prefixes: dict[str, str] | None = None,
    max_width: int | None = None,
) -> bytes:
    """The result in ``output_format`` as bytes (UTF-8). ``max_width`` fits a table to a terminal."""
    allowed = {"SELECT": SELECT_FORMATS, "ASK": ASK_FORMATS, "GRAPH": GRAPH_FORMATS}[outcome.form]
    if output_format not in allowed:
        raise UsageError(
            f"format {output_format} does not fit a {_FORM_NAMES[outcome.form]} query; "
            f"use one of: {', '.join(allowed)}"
        )
    prefixes = {**PREFIXES, **(prefixes or {})}
    if outcome.form == "ASK":
        if output_format == "json":
            return outcome.solutions_json
        return b"true\n" if outcome.boolean else b"false\n"
    if outcome.form == "GRAPH":
        rdf_format = _RDF_FORMATS["nt" if output_format == "nt" else "ttl"]
        used = _used_prefixes(outcome.triples, prefixes) if rdf_format == ox.RdfFormat.TURTLE else None
        return ox.serialize(outcome.triples, format=rdf_format, prefixes=used)
    if output_format == "table":
        solutions = outcome.solutions()
        variables = [variable.value for variable in solutions.variables]
        rows = [[format_term(solution[name], prefixes) for name in variables] for solution in solutions]
        return render_table(variables, rows, max_width=max_width).encode("utf-8")
    return outcome.solutions().serialize(format=_RESULTS_FORMATS[output_format])


def format_term(term, prefixes: dict[str, str] | None = None) -> str:
    """A term as a person reads it in a table: prefixed IRIs, literal values, ``_:id`` blank nodes."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact_iri(term.value, prefixes)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _truncate(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        char_width = display_width(char)
        if used + char_width > width - 1:
            break
        kept.append(char)
        used += char_width
    return "".join(kept) + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


# C0 and C1 controls, and the bidirectional overrides and isolates that reorder what a terminal shows.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(cell: str) -> str:
    """A cell on one line, with control characters escaped: a table goes to a terminal, where a
    value carrying ESC or BEL (from the data or a parameter) would otherwise send it commands."""
    if not _CONTROL.search(cell):
        return cell
    cell = cell.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub(lambda match: repr(match.group(0))[1:-1], cell)


def render_table(columns: list[str], rows: list[list[str]], max_width: int | None = None) -> str:
    """A plain-text table with a header rule and a row count; columns are shrunk (widest first)
    until the table fits ``max_width`` terminal columns."""
    rows = [[terminal_safe(cell) for cell in row] for row in rows]
    widths = [
        max([display_width(name)] + [display_width(row[i]) for row in rows]) for i, name in enumerate(columns)
    ]
    gap = 2
    if max_width is not None and columns:
        budget = max(max_width - gap * (len(columns) - 1), 4 * len(columns))
        while sum(widths) > budget:
            widest = max(range(len(widths)), key=lambda i: widths[i])
            if widths[widest] <= 4:
                break
            widths[widest] -= 1
    lines = [
        (" " * gap)
        .join(_pad(_truncate(name, widths[i]), widths[i]) for i, name in enumerate(columns))
        .rstrip(),
        (" " * gap).join("-" * width for width in widths),
    ]
    for row in rows:
        cells = (_pad(_truncate(cell, widths[i]), widths[i]) for i, cell in enumerate(row))
        lines.append((" " * gap).join(cells).rstrip())
    count = len(rows)
    lines.append(f"({count} row{'s' if count != 1 else ''})")
    return "\n".join(lines) + "\n"


def _used_prefixes(triples: list[ox.Triple], prefixes: dict[str, str]) -> dict[str, str]:
    """Only the prefixes the triples use, so that Turtle output starts with a short header."""
    iris = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    return {
        prefix: namespace
        for prefix, namespace in prefixes.items()
        if any(iri.startswith(namespace) for iri in iris)
    }
