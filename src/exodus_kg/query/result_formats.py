"""Write query results: a readable table, or the standard formats through pyoxigraph's serializers.

SELECT: table (default), csv, tsv, json (SPARQL 1.1 Query Results JSON), xml (SPARQL Query Results
XML), markdown (a Markdown table).
CONSTRUCT / DESCRIBE: ttl (default), nt.
ASK: true / false (json and xml give the standard boolean result).

The human formats (table, markdown) show IRIs as prefixed names (exd:sam-altman), also inside a
value made of IRIs alone, as GROUP_CONCAT writes them; the standard formats keep full IRIs.
Every format ends with a newline.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from exodus_kg.errors import UsageError
from exodus_kg.query.engine import PREFIXES, QueryOutcome, compact_iri, escape_for_terminal

FORMATS = ("table", "csv", "tsv", "json", "xml", "markdown", "ttl", "nt")
SELECT_FORMATS = ("table", "csv", "tsv", "json", "xml", "markdown")
GRAPH_FORMATS = ("table", "ttl", "nt")
ASK_FORMATS = ("table", "csv", "tsv", "json", "xml", "markdown")

# `-o FILE` picks the format from the file's extension, as `oxigraph query --results-file` does.
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".srj": "json",
    ".xml": "xml",
    ".srx": "xml",
    ".md": "markdown",
    ".markdown": "markdown",
    ".ttl": "ttl",
    ".nt": "nt",
    ".txt": "table",
}

_RESULTS_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
}
_RDF_FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}
_FORM_NAMES = {"SELECT": "SELECT", "ASK": "ASK", "GRAPH": "CONSTRUCT/DESCRIBE"}


def format_for_file(path: str, given: str | None = None) -> str:
    """The output format for ``-o path``: ``given`` (-f) when the extension agrees or says nothing,
    else the extension's. A format that contradicts the extension is a usage error."""
    import os

    from exodus_kg.rdf.files import check_compression, without_compression

    check_compression(path)
    extension = os.path.splitext(without_compression(path))[1].lower()
    implied = EXTENSIONS.get(extension)
    if given is None:
        if implied is None:
            known = ", ".join(sorted(EXTENSIONS))
            raise UsageError(f"{path}: cannot tell the format from the extension (known: {known}); give -f")
        return implied
    if implied is not None and implied != given and not (given == "table" and implied == "ttl"):
        raise UsageError(f"-f {given} contradicts the extension of {path} ({implied}); give one or the other")
    return given


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
            return _newline(outcome.solutions_json)
        if output_format == "xml":
            boolean = ox.parse_query_results(outcome.solutions_json, format=ox.QueryResultsFormat.JSON)
            return _newline(boolean.serialize(format=ox.QueryResultsFormat.XML))
        return b"true\n" if outcome.boolean else b"false\n"
    if outcome.form == "GRAPH":
        rdf_format = _RDF_FORMATS["nt" if output_format == "nt" else "ttl"]
        used = _used_prefixes(outcome.triples, prefixes) if rdf_format == ox.RdfFormat.TURTLE else None
        return ox.serialize(outcome.triples, format=rdf_format, prefixes=used)
    if output_format in ("table", "markdown"):
        solutions = outcome.solutions()
        variables = [variable.value for variable in solutions.variables]
        rows = [[format_term(solution[name], prefixes) for name in variables] for solution in solutions]
        if output_format == "markdown":
            return render_markdown(variables, rows).encode("utf-8")
        return render_table(variables, rows, max_width=max_width).encode("utf-8")
    if output_format == "json":
        return _newline(outcome.solutions_json)
    return _newline(outcome.solutions().serialize(format=_RESULTS_FORMATS[output_format]))


def _newline(data: bytes) -> bytes:
    return data if data.endswith(b"\n") else data + b"\n"


def format_term(term, prefixes: dict[str, str] | None = None) -> str:
    """A term as a person reads it in a table: prefixed IRIs, literal values, ``_:id`` blank nodes.
    A literal made of IRIs and separators alone (GROUP_CONCAT of IRIs) shows them prefixed too."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact_iri(term.value, prefixes)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return compact_iri_list(term.value, prefixes)
    return str(term)


# An IRI in running text ends before a comma, semicolon or full stop that follows it.
_IRI_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"{}|^`\\]*[^\s<>\"{}|^`\\,;.]")
_SEPARATORS = re.compile(r"[\s,;|/]*")


def compact_iri_list(text: str, prefixes: dict[str, str] | None = None) -> str:
    """``text`` with its IRIs prefixed when it holds IRIs and separators only; else unchanged.
    A sentence that mentions an IRI keeps it as written."""
    if "://" not in text:
        return text
    iris = list(_IRI_IN_TEXT.finditer(text))
    gaps = _IRI_IN_TEXT.split(text)
    if not iris or not all(_SEPARATORS.fullmatch(gap) for gap in gaps):
        return text

    def shorten(match: re.Match) -> str:
        short = compact_iri(match.group(0), prefixes)
        return match.group(0) if short.startswith("<") else short

    return _IRI_IN_TEXT.sub(shorten, text)


def terminal_safe(cell: str) -> str:
    """A cell on one line, with control and bidirectional-override characters escaped: a table
    goes to a terminal, where a value carrying ESC, BEL, NUL or U+202E (from the data or a
    parameter) would otherwise send it commands or reorder what it shows."""
    if "\n" in cell or "\r" in cell or "\t" in cell:
        cell = cell.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return escape_for_terminal(cell)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide characters two, combining marks none), as rich
    counts them."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


# Below this many terminal columns a column is too narrow to read wrapped; a table that cannot give
# every column that much becomes one record per row.
_MIN_COLUMN = 10


def render_table(columns: list[str], rows: list[list[str]], max_width: int | None = None) -> str:
    """A plain-text table with a header rule and a row count. To fit ``max_width`` terminal columns,
    long cells wrap (rich lays the table out); when the columns cannot all get a readable width,
    each row becomes a record, one "name  value" line per column."""
    rows = [[terminal_safe(cell) for cell in row] for row in rows]
    columns = [terminal_safe(name) for name in columns]
    count = len(rows)
    footer = f"({count} row{'s' if count != 1 else ''})\n"
    if not columns:
        return footer
    widths = [
        max([display_width(name)] + [display_width(row[i]) for row in rows]) for i, name in enumerate(columns)
    ]
    # Columns are parted by one space of padding and one of divider, as rich lays them out.
    if max_width is None or sum(widths) + 2 * len(widths) - 2 <= max_width:
        return _plain_table(columns, rows, widths) + footer
    needed = [
        min(width, max(_MIN_COLUMN, display_width(name))) for width, name in zip(widths, columns, strict=True)
    ]
    if sum(needed) + 2 * len(needed) - 2 <= max_width:
        return _rich_table(columns, rows, max_width) + footer
    return _records(columns, rows, max_width) + footer


def _plain_table(columns: list[str], rows: list[list[str]], widths: list[int]) -> str:
    """The table as rich draws it when nothing needs wrapping, without importing rich."""

    def line(cells: list[str]) -> str:
        return " ".join(
            cell + " " * (width - display_width(cell) + 1) for cell, width in zip(cells, widths, strict=True)
        ).rstrip()

    # The last column has no padding after it (rich's pad_edge=False).
    lines = [line(columns), " ".join("-" * (width + 1) for width in widths)[:-1]]
    lines += [line(row) for row in rows]
    return "\n".join(lines) + "\n"


def _console(width: int):
    import io

    from rich.console import Console

    return Console(
        file=io.StringIO(),
        width=width,
        color_system=None,
        force_terminal=False,
        legacy_windows=False,
        emoji=False,
        markup=False,
        highlight=False,
        soft_wrap=False,
    )


def _rich_table(columns: list[str], rows: list[list[str]], max_width: int) -> str:
    from rich.box import Box
    from rich.table import Table
    from rich.text import Text

    # No frame: a rule of dashes under the header, one space between columns.
    rule_only = Box("    \n    \n -  \n    \n    \n    \n    \n    \n", ascii=True)
    table = Table(box=rule_only, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), header_style=None)
    for name in columns:
        table.add_column(Text(name), overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console = _console(max_width)
    console.print(table)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines()) + "\n"


def _records(columns: list[str], rows: list[list[str]], max_width: int) -> str:
    """One block per row: a "-[ row N ]-" rule, then each column name and its value, wrapped."""
    from rich.table import Table
    from rich.text import Text

    console = _console(max_width)
    name_width = max(display_width(name) for name in columns)
    for number, row in enumerate(rows, start=1):
        title = f"-[ row {number} ]"
        console.print(title + "-" * max(0, min(max_width, 40) - len(title)))
        grid = Table.grid(padding=(0, 2, 0, 0))
        grid.add_column(width=name_width, no_wrap=True)
        grid.add_column(overflow="fold")
        for name, value in zip(columns, row, strict=True):
            grid.add_row(Text(name), Text(value))
        console.print(grid)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines()) + ("\n" if rows else "")


def render_markdown(columns: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table (pipes escaped, line breaks as <br>)."""

    def cell(text: str) -> str:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        escaped = (escape_for_terminal(line.replace("\\", "\\\\").replace("|", "\\|")) for line in lines)
        return "<br>".join(escaped) or " "

    lines = ["| " + " | ".join(cell(name) for name in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
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
