"""Parse RDF files into rdflib graphs, with errors that name the file and the line.

>>> from pathlib import Path
>>> graph = load_graphs([Path("ontology/exodus.ttl")])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import rdflib

from exodus_kg.errors import InputError
from exodus_kg.project import RDF_EXTENSIONS


def rdf_format_for(path: Path) -> str:
    """rdflib's format name for a file, from its extension."""
    try:
        return RDF_EXTENSIONS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(RDF_EXTENSIONS))
        raise InputError(f"{path}: unknown RDF file extension {path.suffix!r} (known: {known})") from None


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            f"{path}:{line}: not UTF-8 (byte {data[error.start]:#04x} at offset {error.start}); "
            "save the file as UTF-8"
        ) from None


def parse_file(path: Path, graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Parse one RDF file into ``graph`` (a new graph if none is given) and return it.

    Raises InputError for a missing, empty, non-UTF-8 or unparsable file, and for a literal that is
    not valid for its XSD datatype ("abc"^^xsd:date), naming file and line.
    """
    path = Path(path)
    graph = rdflib.Graph() if graph is None else graph
    text = _parse_into(path, graph)
    check_literals(graph, {path: text})
    return graph


def load_graphs(paths: Iterable[Path], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Parse every file in ``paths`` into one graph (the literals are checked once, at the end)."""
    graph = rdflib.Graph() if graph is None else graph
    texts = {}
    for path in paths:
        texts[Path(path)] = _parse_into(Path(path), graph)
    check_literals(graph, texts)
    return graph


def _parse_into(path: Path, graph: rdflib.Graph) -> str:
    """Parse ``path`` into ``graph``; return the text that was parsed."""
    rdf_format = rdf_format_for(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    if not data.strip():
        raise InputError(f"{path}: the file is empty; add triples to it or delete it")
    # Windows line endings: a checkout with CRLF must give the same graph (and `exodus fmt` reads
    # files with universal newlines), so a multi-line literal does not gain a carriage return.
    # A byte order mark (Windows editors write one) is not part of the Turtle.
    text = _decode(path, data).replace("\r\n", "\n").removeprefix("\ufeff")
    # rdflib logs a traceback for each literal it cannot convert, and by default "normalizes" the
    # lexical form of some ("yes"^^xsd:boolean becomes "false"): keep literals as written and let
    # check_literals report the ill-typed ones. Canonical files (`exodus fmt`) are unaffected.
    term_logger = logging.getLogger("rdflib.term")
    was_disabled, term_logger.disabled = term_logger.disabled, True
    was_normalizing, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:
        graph.parse(data=text, format=rdf_format, publicID=path.resolve().as_uri())
    except Exception as error:  # rdflib's parsers raise many unrelated types
        raise InputError(_describe_parse_error(path, text, error)) from None
    finally:
        term_logger.disabled = was_disabled
        rdflib.NORMALIZE_LITERALS = was_normalizing
    return text


def check_literals(graph: rdflib.Graph, texts: dict[Path, str] | None = None) -> None:
    """Raise InputError for the first literal whose lexical form is not valid for its XSD datatype,
    naming the file and line where ``texts`` (path -> text parsed) shows it."""
    from exodus_kg.rdf.xsd_lexical import example, is_valid

    checked: set[rdflib.Literal] = set()
    for node in graph.objects():
        if not isinstance(node, rdflib.Literal) or node.datatype is None or node in checked:
            continue
        checked.add(node)
        if is_valid(str(node), str(node.datatype)) is not False and not node.ill_typed:
            continue
        name = str(node.datatype).rsplit("#", 1)[-1]
        where = _find_literal(node, texts or {})
        hint = f" (example: {example(str(node.datatype))})" if example(str(node.datatype)) else ""
        raise InputError(f"{where}: {str(node)!r} is not a valid xsd:{name}{hint}")


def _find_literal(literal: rdflib.Literal, texts: dict[Path, str]) -> str:
    """The "file:line" where the literal is first written with a datatype, else the file names."""
    quoted = re.escape(str(literal))
    pattern = re.compile(f"([\"']){quoted}\\1\\s*\\^\\^")
    for path, text in texts.items():
        match = pattern.search(text)
        if match:
            return f"{path}:{text.count(chr(10), 0, match.start()) + 1}"
    return ", ".join(str(path) for path in texts) or "the graph"


def _describe_parse_error(path: Path, text: str, error: Exception) -> str:
    from rdflib.plugins.parsers.notation3 import BadSyntax

    if isinstance(error, BadSyntax):
        # BadSyntax keeps the parsed text and the offset of the failure; its own line counter
        # can run ahead (it counts some newlines twice), so line and column come from the offset.
        # The offset counts characters of the text, while the text is kept UTF-8 encoded: decode
        # it first, or every Chinese character before the error moves the line back.
        offset = getattr(error, "_i", None)
        buffer = getattr(error, "_str", None)
        document = buffer.decode("utf-8", "replace") if isinstance(buffer, bytes) else None
        if isinstance(offset, int) and document is not None and 0 <= offset <= len(document):
            line = document.count("\n", 0, offset) + 1
            column = offset - (document.rfind("\n", 0, offset) + 1) + 1
            where = f"{path}:{line}:{column}"
        else:
            line = getattr(error, "lines", 0) + 1
            where = f"{path}:{line}"
        reason = getattr(error, "_why", str(error))
        source_line = _line_of(text, line)
        shown = f"; near: {source_line.strip()[:80]}" if source_line.strip() else ""
        return f"{where}: Turtle syntax error: {reason}{shown}"
    line_number = getattr(error, "getLineNumber", None)
    if callable(line_number):
        return f"{path}:{line_number()}: RDF/XML syntax error: {error.getMessage()}"
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"{path}: cannot parse as {rdf_format_for(path)}: {message}"


def _line_of(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""
