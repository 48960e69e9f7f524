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
from exodus_kg.project import RDF_EXTENSIONS, rdf_extension
from exodus_kg.rdf.namespaces import RDF, XSD

# Formats whose files may hold named graphs: their triples are all loaded into the layer the file
# belongs to (a file's named graphs are not layers of the build), never dropped.
QUAD_FORMATS = ("trig", "nquads", "json-ld")
# Input files are read whole; past this size a path is not an RDF file a person keeps (/dev/zero).
MAX_INPUT_BYTES = 1 << 30


def rdf_format_for(path: Path) -> str:
    """rdflib's format name for a file, from its extension (``x.TTL``, ``x.nq.gz`` count too)."""
    extension = rdf_extension(path)
    if extension:
        return RDF_EXTENSIONS[extension]
    known = ", ".join(sorted(RDF_EXTENSIONS))
    raise InputError(f"{path}: unknown RDF file extension {path.suffix!r} (known: {known}, optionally .gz)")


def _decode(path: Path, data: bytes) -> str:
    from exodus_kg.rdf.files import decode_utf8

    return decode_utf8(data, path, "save the file as UTF-8")


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
    from exodus_kg.rdf.files import read_bytes

    _check_kind(path)
    rdf_format = rdf_format_for(path)
    data = read_bytes(path, limit=MAX_INPUT_BYTES)
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
    if rdf_format == "json-ld":
        _refuse_remote_contexts(path, text)
    try:
        if rdf_format in QUAD_FORMATS:
            dataset = rdflib.Dataset()
            dataset.parse(data=text, format=rdf_format, publicID=path.resolve().as_uri())
            for subject, predicate, obj, _graph in dataset.quads((None, None, None, None)):
                graph.add((subject, predicate, obj))
        else:
            graph.parse(data=text, format=rdf_format, publicID=path.resolve().as_uri())
    except InputError:
        raise
    except Exception as error:  # rdflib's parsers raise many unrelated types
        raise InputError(_describe_parse_error(path, text, error)) from None
    finally:
        term_logger.disabled = was_disabled
        rdflib.NORMALIZE_LITERALS = was_normalizing
    return text


def _check_kind(path: Path) -> None:
    """An InputError saying what ``path`` is when it is not a regular file (a FIFO would block the
    read, a device would never end), or that it is missing."""
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    if stat.S_ISREG(mode):
        return
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a FIFO (named pipe)",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    kind = next((name for test, name in kinds.items() if test(mode)), "not a regular file")
    raise InputError(f"{path}: is {kind}, not a file of RDF; give a Turtle, N-Triples, ... file")


def _refuse_remote_contexts(path: Path, text: str) -> None:
    """A JSON-LD document may name its @context (or @import one) by URL, which rdflib would fetch on
    every parse: no input is allowed to reach the network, so such a file is refused."""
    import json

    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg})") from None

    def contexts(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("@context", "@import"):
                    yield value
                yield from contexts(value)
        elif isinstance(node, list):
            for item in node:
                yield from contexts(item)

    def identifiers(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@id" and isinstance(value, str):
                    yield value
                yield from identifiers(value)
        elif isinstance(node, list):
            for item in node:
                yield from identifiers(item)

    import pyoxigraph as ox

    for identifier in identifiers(document):
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", identifier):
            try:
                ox.NamedNode(identifier)
            except ValueError as error:
                # JSON-LD drops a node whose @id is not an IRI, with everything said about it.
                where = _find_text(json.dumps(identifier)[1:-1], {path: text})
                raise InputError(f"{where}: <{shorten(identifier)}> is not a valid IRI ({error})") from None
    for context in contexts(document):
        for reference in context if isinstance(context, list) else [context]:
            if isinstance(reference, str):
                raise InputError(
                    f"{path}: the JSON-LD context {shorten(reference)!r} is a reference to another "
                    "document, which exodus never fetches; put the context object in the file"
                )


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, for a message that quotes an input."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


RDF_NS = RDF
XSD_NS = XSD


def _short_datatype(datatype: str) -> str:
    for prefix, namespace in (("xsd", XSD_NS), ("rdf", RDF_NS)):
        if datatype.startswith(namespace):
            return f"{prefix}:{datatype[len(namespace):]}"
    return f"<{shorten(datatype)}>"


def check_literals(graph: rdflib.Graph, texts: dict[Path, str] | None = None) -> None:
    """Raise InputError for the first term the built dataset cannot hold, naming the file and line
    where ``texts`` (path -> text parsed) shows it: a literal whose lexical form is not valid for its
    XSD datatype, an XSD datatype that does not exist, ``rdf:langString`` without a language, a
    language tag or an IRI that rdflib reads but pyoxigraph (the store) refuses."""
    from exodus_kg.rdf.xsd_lexical import XSD_DATATYPES, engine_range_problem, example, is_valid

    texts = texts or {}
    _check_iris(graph, texts)
    checked: set[rdflib.Literal] = set()
    for node in graph.objects():
        if not isinstance(node, rdflib.Literal) or node in checked:
            continue
        checked.add(node)
        if node.language is not None:
            _check_language(node, texts)
            continue
        if node.datatype is None:
            continue
        datatype = str(node.datatype)
        if datatype.startswith(XSD_NS) and datatype[len(XSD_NS):] not in XSD_DATATYPES:
            where = _find_literal(node, texts)
            raise InputError(
                f"{where}: unknown datatype {_short_datatype(datatype)} (not an XML Schema datatype) "
                f"for {shorten(str(node))!r}"
            )
        if datatype in (RDF_NS + "langString", RDF_NS + "dirLangString"):
            where = _find_literal(node, texts)
            raise InputError(
                f"{where}: {shorten(str(node))!r}^^{_short_datatype(datatype)} has no language tag; "
                'write "text"@en instead'
            )
        if is_valid(str(node), datatype) is not False and not node.ill_typed:
            beyond = engine_range_problem(str(node), datatype) if is_valid(str(node), datatype) else None
            if beyond:
                where = _find_literal(node, texts)
                raise InputError(f"{where}: {shorten(str(node))!r} is out of range: {beyond}")
            continue
        where = _find_literal(node, texts)
        hint = f" (example: {example(datatype)})" if example(datatype) else ""
        raise InputError(f"{where}: {shorten(str(node))!r} is not a valid {_short_datatype(datatype)}{hint}")


def _check_language(node: rdflib.Literal, texts: dict[Path, str]) -> None:
    import pyoxigraph as ox

    try:
        ox.Literal(str(node), language=node.language)
    except ValueError as error:
        where = _find_text(f"@{node.language}", texts)
        raise InputError(f"{where}: language tag @{shorten(node.language)} is not valid ({error})") from None


def _check_iris(graph: rdflib.Graph, texts: dict[Path, str]) -> None:
    """Every IRI of the graph is one pyoxigraph accepts (rdflib lets through spaces, |, ^, {}, %zz)."""
    import pyoxigraph as ox

    checked: set[str] = set()
    for triple in graph:
        for node in (*triple, getattr(triple[2], "datatype", None)):
            if not isinstance(node, rdflib.URIRef) or node in checked:
                continue
            checked.add(node)
            try:
                ox.NamedNode(str(node))
            except ValueError as error:
                where = _find_iri(str(node), texts)
                raise InputError(f"{where}: <{shorten(str(node))}> is not a valid IRI ({error})") from None


def _find_iri(iri: str, texts: dict[Path, str]) -> str:
    """Where an IRI is written: in full, else by its last segment (a prefixed name, a relative IRI)."""
    # As written, the IRI may hold escapes (\u0020 for the space): its plain start and a backslash.
    plain = re.match(r"[A-Za-z0-9:/._~?=&-]*", iri).group()
    for fragment in (iri, plain + "\\" if len(plain) > 8 else "", re.split(r"[/#:]", iri)[-1]):
        if fragment:
            where = _find_text(fragment, texts, default="")
            if where:
                return where
    return ", ".join(str(path) for path in texts) or "the graph"


def _find_text(fragment: str, texts: dict[Path, str], default: str | None = None) -> str:
    for path, text in texts.items():
        offset = text.find(fragment)
        if offset >= 0:
            return f"{path}:{text.count(chr(10), 0, offset) + 1}"
    return (", ".join(str(path) for path in texts) or "the graph") if default is None else default


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
        reason = getattr(error, "_why", str(error))
        if isinstance(offset, int) and document is not None and "unterminated string" in reason:
            # rdflib stops at the end of the file; the mistake is where the string opens.
            offset, reason = _string_opening(document, offset, reason)
        if isinstance(offset, int) and document is not None and 0 <= offset <= len(document):
            line = document.count("\n", 0, offset) + 1
            column = offset - (document.rfind("\n", 0, offset) + 1) + 1
            where = f"{path}:{line}:{column}"
        else:
            line = getattr(error, "lines", 0) + 1
            where = f"{path}:{line}"
        source_line = _line_of(text, line)
        shown = f"; near: {source_line.strip()[:80]}" if source_line.strip() else ""
        return f"{where}: Turtle syntax error: {reason}{shown}"
    line_number = getattr(error, "getLineNumber", None)
    if callable(line_number):
        return f"{path}:{line_number()}: RDF/XML syntax error: {error.getMessage()}"
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"{path}: cannot parse as {rdf_format_for(path)}: {message}"


def _string_opening(document: str, offset: int, reason: str) -> tuple[int, str]:
    """The offset of the long string (\"\"\" or \'\'\') left open before ``offset``, with the reason to give."""
    for quote in ('"""', "'''"):
        # An odd count of triple quotes before the failure: the last one opens, nothing closes it.
        if document.count(quote, 0, offset) % 2 == 1:
            return document.rfind(quote, 0, offset), f"a {quote} string opened here is never closed"
    return offset, reason


def _line_of(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""
