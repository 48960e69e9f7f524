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

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the query path
if TYPE_CHECKING:
    from collections.abc import Iterator

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

    from exodus_kg.project import RDF_EXTENSIONS
    from exodus_kg.rdf.files import check_compression, without_compression

    check_compression(path)
    extension = os.path.splitext(without_compression(path))[1].lower()
    implied = EXTENSIONS.get(extension)
    if implied is None and extension in RDF_EXTENSIONS:
        # x.nq.gz names N-Quads as plainly as x.csv names CSV: never write another format under it.
        raise UsageError(
            f"{path}: {extension} names an RDF format (for `exodus export`) that query results are not "
            f"written in; name the file for its format ({', '.join(sorted(EXTENSIONS))})"
        )
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
        return b"".join(line.encode("utf-8") + b"\n" for line in table_lines(variables, rows, max_width))
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


# An IRI in running text ends before a comma, semicolon or full stop that follows it. (Patterns
# here are compiled on first use, by re's cache: CSV and JSON output need none of them.)
_IRI_IN_TEXT = r"[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"{}|^`\\]*[^\s<>\"{}|^`\\,;.]"
_SEPARATORS = r"[\s,;|/]*"


def compact_iri_list(text: str, prefixes: dict[str, str] | None = None) -> str:
    """``text`` with its IRIs prefixed when it holds IRIs and separators only; else unchanged.
    A sentence that mentions an IRI keeps it as written."""
    if "://" not in text:
        return text
    iris = list(re.finditer(_IRI_IN_TEXT, text))
    gaps = re.split(_IRI_IN_TEXT, text)
    if not iris or not all(re.fullmatch(_SEPARATORS, gap) for gap in gaps):
        return text

    def shorten(match: re.Match) -> str:
        short = compact_iri(match.group(0), prefixes)
        return match.group(0) if short.startswith("<") else short

    return re.sub(_IRI_IN_TEXT, shorten, text)


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
    """The lines of ``table_lines`` as one text."""
    return "".join(line + "\n" for line in table_lines(columns, rows, max_width))


def table_lines(columns: list[str], rows: list[list[str]], max_width: int | None = None) -> Iterator[str]:
    """A plain-text table with a header rule and a row count. To fit ``max_width`` terminal columns,
    the widest columns narrow and their cells wrap (at spaces, else between characters); when the
    columns cannot all keep a readable width, each row becomes a record, one "name  value" line
    per column. Widths are counted as rich counts them (wide characters, combining marks, emoji);
    the layout is done here so that a table of 100,000 rows takes a second, not minutes. The lines
    come one by one, so that a large table is written out without being held whole as text."""
    rows = [[terminal_safe(cell) for cell in row] for row in rows]
    columns = [terminal_safe(name) for name in columns]
    count = len(rows)
    footer = f"({count} row{'s' if count != 1 else ''})"
    if not columns:
        yield footer
        return
    sizes = [[display_width(cell) for cell in row] for row in rows]
    header = [display_width(name) for name in columns]
    natural = [max([header[i]] + [size[i] for size in sizes]) for i in range(len(columns))]
    # Columns are parted by a space of padding and a space of divider.
    gaps = 2 * (len(columns) - 1)
    if max_width is None or sum(natural) + gaps <= max_width:
        yield from _table(columns, rows, natural, header, sizes)
    else:
        needed = [min(width, max(_MIN_COLUMN, header[i])) for i, width in enumerate(natural)]
        if sum(needed) + gaps > max_width:
            yield from _records(columns, rows, max_width)
        else:
            yield from _table(columns, rows, _narrowed(natural, needed, max_width - gaps), header, sizes)
    yield footer


def _narrowed(natural: list[int], needed: list[int], budget: int) -> list[int]:
    """Column widths that fit ``budget``: the widest columns give up space first, none below its
    ``needed`` width."""
    widths = list(natural)
    while sum(widths) > budget:
        candidates = [i for i in range(len(widths)) if widths[i] > needed[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        others = [widths[i] for i in candidates if i != widest]
        # Down to the next widest column (or as far as the budget asks) in one step.
        step = max(1, min(widths[widest] - max([*others, needed[widest]]), sum(widths) - budget))
        widths[widest] -= step
    return widths


def _table(columns, rows, widths, header, sizes) -> Iterator[str]:
    def pad(text: str, size: int, width: int) -> str:
        return text + " " * (width - size)

    def row_lines(cells: list[str], cell_sizes: list[int]) -> list[str]:
        if all(size <= width for size, width in zip(cell_sizes, widths, strict=True)):
            return [
                " ".join(
                    pad(c, s, w) + " " for c, s, w in zip(cells, cell_sizes, widths, strict=True)
                ).rstrip()
            ]
        wrapped = [_wrap(cell, width) for cell, width in zip(cells, widths, strict=True)]
        height = max(len(lines) for lines in wrapped)
        out = []
        for index in range(height):
            parts = []
            for lines, width in zip(wrapped, widths, strict=True):
                text = lines[index] if index < len(lines) else ""
                parts.append(pad(text, display_width(text), width) + " ")
            out.append(" ".join(parts).rstrip())
        return out

    yield from row_lines(columns, header)
    yield " ".join("-" * (width + 1) for width in widths)[:-1]
    for row, cell_sizes in zip(rows, sizes, strict=True):
        yield from row_lines(row, cell_sizes)


_WORD = r"\S+\s*|\s+"


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns: broken at spaces, and a word longer
    than a line between characters (never inside a wide character or before a combining mark)."""
    if display_width(text) <= width:
        return [text]
    lines: list[str] = []
    current, used = "", 0
    for word in re.findall(_WORD, text):
        bare = word.rstrip()
        size = display_width(bare)
        if used + size <= width:
            current += word
            used += display_width(word)
            continue
        if current.strip():
            lines.append(current.rstrip())
        current, used = "", 0
        if size > width:
            pieces = _chop(bare, width)
            lines.extend(pieces[:-1])
            bare = pieces[-1]
        current = bare + word[len(word.rstrip()) :]
        used = display_width(current)
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


def _chop(text: str, width: int) -> list[str]:
    """``text`` cut into pieces of at most ``width`` columns; a combining mark or a joined emoji,
    which adds no width, stays with the character before it."""
    pieces, current = [], ""
    for char in text:
        if current and display_width(current + char) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current]


def _records(columns: list[str], rows: list[list[str]], max_width: int) -> Iterator[str]:
    """One block per row: a "-[ row N ]-" rule, then each column name and its value, wrapped."""
    name_width = max(display_width(name) for name in columns)
    value_width = max(_MIN_COLUMN, max_width - name_width - 2)
    for number, row in enumerate(rows, start=1):
        title = f"-[ row {number} ]"
        yield title + "-" * max(0, min(max_width, 40) - len(title))
        for name, value in zip(columns, row, strict=True):
            label = name + " " * (name_width - display_width(name) + 2)
            for index, line in enumerate(_wrap(value, value_width)):
                yield ((label if index == 0 else " " * len(label)) + line).rstrip()


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


def table_width(stream=None) -> int | None:
    """The terminal's width when output goes to a terminal, else None (no truncation)."""
    import sys

    stream = stream or sys.stdout
    if not stream.isatty():
        return None
    import shutil

    return shutil.get_terminal_size((100, 24)).columns
