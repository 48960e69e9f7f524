"""Parse RDF files into rdflib graphs, with errors that name the file and the line.

>>> from pathlib import Path
>>> graph = load_graphs([Path("ontology/exodus.ttl")])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from exodus_kg.errors import InputError
from exodus_kg.project import RDF_EXTENSIONS, rdf_extension
from exodus_kg.rdf.namespaces import RDF, XSD

if TYPE_CHECKING:
    import pyoxigraph as ox
    import rdflib

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
    import rdflib

    path = Path(path)
    graph = rdflib.Graph() if graph is None else graph
    text = _parse_into(path, graph)
    check_literals(graph, {path: text})
    return graph


def load_graphs(paths: Iterable[Path], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Parse every file in ``paths`` into one graph (the literals are checked once, at the end)."""
    import rdflib

    graph = rdflib.Graph() if graph is None else graph
    texts = {}
    for path in paths:
        texts[Path(path)] = _parse_into(Path(path), graph)
    check_literals(graph, texts)
    return graph


def _parse_into(path: Path, graph: rdflib.Graph) -> str:
    """Parse ``path`` into ``graph``; return the text that was parsed."""
    text = _read_text(path)
    _parse_text(path, text, graph)
    return text


# Formats Oxigraph parses straight into the store, with the triples rdflib gives (the tests compare the
# two on the project's files and every fixture). RDF/XML (external entities and DTDs), JSON-LD
# (rdflib's processing, remote contexts refused before the parse) and N3 (formulae) are read by
# rdflib as always and copied into the store.
OXIGRAPH_FORMATS = ("turtle", "nt", "nquads", "trig")
# Text that sends a file Oxigraph parses to rdflib, to keep rdflib's reading of it (see _needs_rdflib).
_DIRECTION = re.compile(rb"@[A-Za-z0-9-]*--")
_DOT_SEGMENT = re.compile(rb"(?:<|/)\.\.?(?=[/?#>])")
_VERSION = re.compile(rb"version\s*[\"']")
# Lexical forms of xsd:date, dateTime and time (already valid for their datatype) that rdflib's
# converters read on every Python this runs on: a year 0001 to 9999, an hour below 24, at most 6
# digits of fractions of a second. rdflib itself judges any other (see _ill_typed).
_SAFE_DATED = {
    XSD + "date": re.compile(r"(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?"),
    XSD + "dateTime": re.compile(
        r"(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
        r"(Z|[+-][0-9]{2}:[0-9]{2})?"
    ),
    XSD + "time": re.compile(r"([01][0-9]|2[0-3]):[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?"),
}
# rdflib's range checks of the sized integer types (term._check_well_formed_types), where they
# differ from what is_valid already checks; integer, long and the signed kinds have none.
_RDFLIB_INTEGER_RANGES = {
    XSD + "int": (-(2**31), 2**31 - 1),
    XSD + "short": (-(2**15), 2**15 - 1),
    XSD + "byte": (-(2**7), 2**7 - 1),
    XSD + "unsignedInt": (0, 2**32 - 1),
}
# Datatypes whose lexical forms rdflib reads with a converter that may fail (ill_typed) and which
# is_valid's table does not cover, or only in part: rdflib itself judges those.
_RDFLIB_JUDGES = frozenset(
    [XSD + name for name in ("duration", "dayTimeDuration", "yearMonthDuration", "hexBinary", "base64Binary",
                              "unsignedShort", "unsignedByte")]
    + [RDF + "XMLLiteral", RDF + "HTML"]
)
def load_into_store(
    paths: Iterable[Path], store: ox.Store, graph_name: str, *, literals: dict[ox.Literal, None] | None = None
) -> int:
    """Parse every file of ``paths`` into the named graph ``graph_name`` of ``store`` and return how
    many triples that added: the triples and the errors of ``load_graphs`` (file and line, the
    literal, IRI and language-tag checks, the named graphs of a TriG, N-Quads or JSON-LD file loaded
    into that one graph), parsed by Oxigraph where it reads a file as rdflib does.

    A file Oxigraph refuses is read again by rdflib, so its error is the one ``load_graphs`` gives
    (a syntax error, or an IRI or language tag rdflib reads and the store cannot hold); when rdflib
    reads it and its checks pass, its triples are copied in, as they are today. The literals are
    checked as the parser wrote them, before the store keeps them as values ("+5"^^xsd:int becomes
    "5"^^xsd:integer there). On an error the graph may hold part of the files: the caller gives up
    on the store.

    ``literals``, when given, receives every literal of the files as written, in the order read (a
    dict as an ordered set; the files rdflib read come last): the store keeps some literals in
    another form, and the build writes them back as written.

    >>> import pyoxigraph as ox
    >>> store = ox.Store()
    >>> load_into_store([Path("ontology/exodus.ttl")], store, "https://w3id.org/exodus-kg/graph/ontology")  # doctest: +SKIP
    1921
    """
    import pyoxigraph as ox

    paths = [Path(path) for path in paths]
    graph = ox.NamedNode(graph_name)
    before = len(store)
    parsed: dict[ox.Literal, None] = {}  # the literals of the files Oxigraph parsed, as written
    by_rdflib: dict[Path, str] = {}
    read = None
    for path in paths:
        data, text = _read(path)
        if _oxigraph_load(path, data, text, store, graph, parsed):
            continue
        # Oxigraph refused the file or cannot read it as rdflib does: rdflib's reading, and its error.
        if read is None:
            import rdflib

            read = rdflib.Graph()
        _parse_text(path, text, read)
        by_rdflib[path] = text
    if read is not None:
        from exodus_kg.rdf.terms import TermMap, is_rdf_triple

        try:
            check_literals(read, by_rdflib)
        except InputError:
            check_literals(read, _texts(paths))  # where load_graphs would say: the first file that shows it
            raise
        terms = TermMap()
        store.extend(terms.quad(triple, graph) for triple in read if is_rdf_triple(triple))
    _check_parsed_literals(parsed, paths, store, graph)
    if literals is not None:
        literals.update(parsed)
        if read is not None:
            literals.update((terms.to_ox(node), None) for node in read.objects() if isinstance(node, rdflib.Literal))
    return len(store) - before


def _texts(paths: list[Path]) -> dict[Path, str]:
    return {path: _read_text(path) for path in paths}


def _oxigraph_load(path: Path, data: bytes, text: str, store: ox.Store, graph: ox.NamedNode, literals: dict) -> bool:
    """Load ``text`` (read from ``data``) into ``graph`` with Oxigraph and add its literals, as written, to ``literals``;
    False (and nothing loaded) when rdflib must read it."""
    import pyoxigraph as ox

    rdf_format = rdf_format_for(path)
    if rdf_format == "json-ld" and _only_a_context(text):
        # No triples in any JSON-LD processor (ontology/context.jsonld): Oxigraph checks the context.
        _refuse_remote_contexts(path, text)
        try:
            list(ox.parse(text, format=ox.RdfFormat.JSON_LD, base_iri=path.resolve().as_uri()))
        except SyntaxError:
            return False
        return True
    if rdf_format not in OXIGRAPH_FORMATS or _needs_rdflib(data):
        return False
    base = path.resolve().as_uri()
    kind = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS,
            "trig": ox.RdfFormat.TRIG}[rdf_format]
    try:
        if rdf_format in QUAD_FORMATS:
            quads = list(ox.parse(text, format=kind, base_iri=base))
            store.extend(ox.Quad(quad.subject, quad.predicate, quad.object, graph) for quad in quads)
            objects = (quad.object for quad in quads)
        else:
            store.load(text, format=kind, base_iri=base, to_graph=graph)  # all or nothing
            # The store keeps numbers and dates as values, not as written: the literals for the
            # checks come from a second parse (the objects only, a third of the load's time).
            objects = (quad.object for quad in ox.parse(text, format=kind, base_iri=base))
    except SyntaxError:
        return False
    literal = ox.Literal
    literals.update(dict.fromkeys(node for node in objects if type(node) is literal))
    return True


def _needs_rdflib(data: bytes) -> bool:
    """Whether rdflib must read a file (its bytes) Oxigraph could parse, to keep rdflib's reading of
    it: RDF 1.2 syntax, which Oxigraph reads and rdflib refuses (triple terms, reifiers and
    annotations, base direction on language tags, a VERSION directive in any case), and relative IRIs
    rdflib resolves otherwise than RFC 3986 does (rdflib keeps dot segments, <g/../h>, and resolves
    <?y> against the base's folder). A match inside a string costs only rdflib's speed. Substring
    tests first, and bytes: a regular expression over the 24 MB of Turtle at 100x takes seconds."""
    if any(mark in data for mark in (b"<<", b"{|", b"~", b"<?")):
        return True
    if b"--" in data and _DIRECTION.search(data):
        return True
    if (b"/." in data or b"<." in data) and _DOT_SEGMENT.search(data):
        return True
    lowered = data.lower()
    for match in _VERSION.finditer(lowered):  # a directive: first on its line, or after a statement
        start = end = match.start()
        if start > 0 and lowered[start - 1 : start] == b"@":
            start = end = start - 1
        while start > 0 and lowered[start - 1 : start] in (b" ", b"\t", b"\r", b"\n"):
            start -= 1
        if start == 0 or lowered[start - 1 : start] in (b".", b">", b"}") or b"\n" in lowered[start:end]:
            return True
    return False


def _only_a_context(text: str) -> bool:
    """Whether a JSON-LD document is one object holding only ``@context`` (a context to share)."""
    import json

    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(document, dict) and list(document) == ["@context"]


def _check_parsed_literals(literals: Iterable, paths: list[Path], store: ox.Store, graph: ox.NamedNode) -> None:
    """check_literals for the ``literals`` Oxigraph parsed (each once, as written: Oxigraph itself refused
    the IRIs and language tags the store cannot hold, and those files went through rdflib); then
    rdflib's reading of xsd:normalizedString and xsd:token, whitespace collapsed, in ``graph``."""
    import pyoxigraph as ox

    for literal in literals:
        if literal.language is not None:
            continue
        lexical, datatype = literal.value, literal.datatype.value
        if datatype == XSD + "string":
            continue
        problem = literal_problem(lexical, datatype, _ill_typed(lexical, datatype))
        if problem:
            raise InputError(f"{_find_literal(lexical, _texts(paths))}: {problem}")
        normal = _rdflib_lexical_form(lexical, datatype)
        if normal != lexical:
            replacement = ox.Literal(normal, datatype=literal.datatype)
            for quad in list(store.quads_for_pattern(None, None, literal, graph)):
                store.remove(quad)
                store.add(ox.Quad(quad.subject, quad.predicate, replacement, graph))


def _ill_typed(lexical: str, datatype: str) -> bool:
    """rdflib's ``Literal(lexical, datatype=datatype).ill_typed``, without rdflib for the datatypes
    whose reading is known (numbers, booleans, ordinary dates): check_literals judges by it too."""
    from exodus_kg.rdf.xsd_lexical import is_valid

    dated = _SAFE_DATED.get(datatype)
    if dated is not None:
        if not dated.fullmatch(lexical):
            return _rdflib_ill_typed(lexical, datatype)
        return False
    if datatype in _RDFLIB_JUDGES:
        return _rdflib_ill_typed(lexical, datatype)
    bounds = _RDFLIB_INTEGER_RANGES.get(datatype)
    if bounds is not None and is_valid(lexical, datatype):
        return not bounds[0] <= int(lexical) <= bounds[1]
    # Numbers and booleans in is_valid's lexical space are read by int, Decimal and float; the
    # other datatypes rdflib either maps to their text (strings, anyURI) or does not convert (gYear).
    return False


def _rdflib_ill_typed(lexical: str, datatype: str) -> bool:
    import rdflib

    term_logger = logging.getLogger("rdflib.term")
    was_disabled, term_logger.disabled = term_logger.disabled, True
    try:
        return bool(rdflib.Literal(lexical, datatype=rdflib.URIRef(datatype)).ill_typed)
    finally:
        term_logger.disabled = was_disabled


def _rdflib_lexical_form(lexical: str, datatype: str) -> str:
    """The lexical form rdflib keeps: xsd:normalizedString and xsd:token lose tabs and line breaks
    (and a token its runs of spaces and its ends), whatever NORMALIZE_LITERALS says."""
    if datatype not in (XSD + "normalizedString", XSD + "token"):
        return lexical
    normal = lexical.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return re.sub(" +", " ", normal.strip()) if datatype == XSD + "token" else normal


def _read_text(path: Path) -> str:
    """The text of an RDF file as both parsers read it, or an InputError saying why it has none."""
    return _read(path)[1]


def _read(path: Path) -> tuple[bytes, str]:
    """The bytes of an RDF file (decompressed) and its text as both parsers read it."""
    from exodus_kg.rdf.files import read_bytes

    _check_kind(path)
    rdf_format_for(path)
    data = read_bytes(path, limit=MAX_INPUT_BYTES)
    if not data.strip():
        raise InputError(f"{path}: the file is empty; add triples to it or delete it")
    # Windows line endings: a checkout with CRLF must give the same graph (and `exodus fmt` reads
    # files with universal newlines), so a multi-line literal does not gain a carriage return.
    # A byte order mark (Windows editors write one) is not part of the Turtle.
    return data, _decode(path, data).replace("\r\n", "\n").removeprefix("\ufeff")


def _parse_text(path: Path, text: str, graph: rdflib.Graph) -> None:
    """Parse the ``text`` of ``path`` with rdflib into ``graph`` (every named graph's triples too)."""
    import rdflib

    rdf_format = rdf_format_for(path)
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
    import rdflib

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
        problem = literal_problem(str(node), str(node.datatype), bool(node.ill_typed))
        if problem:
            raise InputError(f"{_find_literal(str(node), texts)}: {problem}")


def literal_problem(lexical: str, datatype: str, ill_typed: bool) -> str | None:
    """What is wrong with the literal ``"lexical"^^<datatype>`` for the built dataset, or None: its
    datatype is an XSD name that does not exist, ``rdf:langString`` without a language, its lexical
    form is not of its datatype (or ``ill_typed``: rdflib could not read it as one), or it lies beyond
    what the query engine computes with. One home for the messages of both loaders."""
    from exodus_kg.rdf.xsd_lexical import XSD_DATATYPES, engine_range_problem, example, is_valid

    if datatype.startswith(XSD_NS) and datatype[len(XSD_NS):] not in XSD_DATATYPES:
        return (
            f"unknown datatype {_short_datatype(datatype)} (not an XML Schema datatype) "
            f"for {shorten(lexical)!r}"
        )
    if datatype in (RDF_NS + "langString", RDF_NS + "dirLangString"):
        return f'{shorten(lexical)!r}^^{_short_datatype(datatype)} has no language tag; write "text"@en instead'
    valid = is_valid(lexical, datatype)
    if valid is not False and not ill_typed:
        beyond = engine_range_problem(lexical, datatype) if valid else None
        return f"{shorten(lexical)!r} is out of range: {beyond}" if beyond else None
    hint = f" (example: {example(datatype)})" if example(datatype) else ""
    return f"{shorten(lexical)!r} is not a valid {_short_datatype(datatype)}{hint}"


def _check_language(node: rdflib.term.Literal, texts: dict[Path, str]) -> None:
    import pyoxigraph as ox

    try:
        ox.Literal(str(node), language=node.language)
    except ValueError as error:
        where = _find_text(f"@{node.language}", texts)
        raise InputError(f"{where}: language tag @{shorten(node.language)} is not valid ({error})") from None


def _check_iris(graph: rdflib.Graph, texts: dict[Path, str]) -> None:
    """Every IRI of the graph is one pyoxigraph accepts (rdflib lets through spaces, |, ^, {}, %zz)."""
    import pyoxigraph as ox
    import rdflib

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


def _find_literal(lexical: str, texts: dict[Path, str]) -> str:
    """The "file:line" where the literal is first written with a datatype, else the file names."""
    quoted = re.escape(lexical)
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


class Spellings(dict):
    """Literals a store keeps in another form than the one written (``respellings``): the stored
    form -> as written, and ``rewritten_datatypes``, the datatypes written that the store keeps as
    another datatype (Oxigraph 0.5 keeps ``"5"^^xsd:int`` as ``"5"^^xsd:integer`` and
    ``xsd:dateTimeStamp`` as ``xsd:dateTime``). A SHACL engine reading the store would see the
    other datatype, so validation hands such data to pySHACL (validation.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.rewritten_datatypes: set[str] = set()
        self._kept: set = set()  # stored forms first written as the store keeps them


def respellings(literals, spellings: Spellings) -> None:
    """Add to ``spellings`` the literals a store keeps in another form than the one written: Oxigraph
    stores numbers, booleans and dates as values ("10.0"^^xsd:decimal comes back as "10"), while
    the dataset keeps the input's spelling (a skolem IRI hashes it). The stored form -> as written;
    of two spellings of one value the first read wins (over every call), as in ``rdf.terms.TermMap``."""
    import pyoxigraph as ox

    candidates = [
        literal
        for literal in dict.fromkeys(literals)
        if literal.language is None and literal.datatype.value != XSD + "string"
    ]
    if not candidates:
        return
    scratch = ox.Store()
    predicate = ox.NamedNode("urn:exodus-kg:spelling")
    scratch.extend(
        ox.Quad(ox.NamedNode(f"urn:exodus-kg:{i}"), predicate, c) for i, c in enumerate(candidates)
    )
    stored = {int(quad.subject.value.rsplit(":", 1)[1]): quad.object for quad in scratch}
    for index, literal in enumerate(candidates):
        form = stored[index]
        if form == literal:
            spellings._kept.add(form)
            continue
        if form.datatype != literal.datatype:
            spellings.rewritten_datatypes.add(literal.datatype.value)
        if form not in spellings._kept:
            spellings.setdefault(form, literal)
