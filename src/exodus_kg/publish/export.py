"""Write the built dataset in every common RDF format, atomically.

Quad formats (N-Quads, TriG, JSON-LD) keep the named graphs ``exg:ontology``, ``exg:asserted``,
``exg:links`` and ``exg:inferred``; triple formats (Turtle, N-Triples, RDF/XML) merge them into one graph.
JSON-LD is compacted with the context shipped in ``ontology/context.jsonld``.

A file is written through ``rdf.files`` (a temporary name in the same folder, flushed to disk and
renamed over the target, so an interrupted export leaves the previous file, never half of one; devices
and FIFOs written through). A name ending in ``.gz``, ``.bz2`` or ``.xz`` is compressed as it is
written, and its format comes from the full extension (``x.nq.gz`` is N-Quads).

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> store.add(ox.Quad(ox.NamedNode("https://w3id.org/exodus-kg/id/openai"),
...                   ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
...                   ox.Literal("OpenAI", language="en"),
...                   ox.NamedNode("https://w3id.org/exodus-kg/graph/asserted")))
>>> print(serialize(dataset_quads(store), FORMATS["nt"]).decode(), end="")
<https://w3id.org/exodus-kg/id/openai> <http://www.w3.org/2000/01/rdf-schema#label> "OpenAI"@en .
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from exodus_kg.errors import InputError, UsageError
from exodus_kg.pipeline.build import ASSERTED_GRAPH, INFERRED_GRAPH, LINKS_GRAPH, ONTOLOGY_GRAPH
from exodus_kg.rdf.files import compressed_output, without_compression
from exodus_kg.rdf.namespaces import RDF, XSD

# Order of the graphs in an export: what a reader wants first comes first.
GRAPH_ORDER = (ONTOLOGY_GRAPH, ASSERTED_GRAPH, LINKS_GRAPH, INFERRED_GRAPH)

CONTEXT_FILE = "context.jsonld"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    title: str
    extension: str
    media_type: str
    keeps_graphs: bool
    oxigraph_format: ox.RdfFormat | None  # None: compacted JSON-LD, written here


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("ttl", "Turtle", ".ttl", "text/turtle", False, ox.RdfFormat.TURTLE),
        ExportFormat("nt", "N-Triples", ".nt", "application/n-triples", False, ox.RdfFormat.N_TRIPLES),
        ExportFormat("nq", "N-Quads", ".nq", "application/n-quads", True, ox.RdfFormat.N_QUADS),
        ExportFormat("trig", "TriG", ".trig", "application/trig", True, ox.RdfFormat.TRIG),
        ExportFormat("jsonld", "JSON-LD", ".jsonld", "application/ld+json", True, None),
        ExportFormat("xml", "RDF/XML", ".rdf", "application/rdf+xml", False, ox.RdfFormat.RDF_XML),
    )
}

# Other names a user may type for a format, or find as a file extension.
FORMAT_ALIASES = {
    "turtle": "ttl",
    "ntriples": "nt",
    "n-triples": "nt",
    "nquads": "nq",
    "n-quads": "nq",
    "json-ld": "jsonld",
    "json": "jsonld",
    "rdf": "xml",
    "rdfxml": "xml",
    "rdf/xml": "xml",
    "owl": "xml",
}


@dataclass
class ExportResult:
    format: ExportFormat
    quads: int
    triples: int  # distinct triples once the graphs are merged (what a triple format holds)
    graphs: dict[str, int]
    bytes: int
    path: Path | None


def format_named(name: str) -> ExportFormat:
    key = name.lower().lstrip(".")
    key = FORMAT_ALIASES.get(key, key)
    if key not in FORMATS:
        raise UsageError(f"unknown export format {name!r}; choose one of: {', '.join(FORMATS)}")
    return FORMATS[key]


def format_for_path(path: str | os.PathLike[str]) -> ExportFormat | None:
    """The format a file name asks for by its extension (``.ttl``, ``.nq``, ``.nq.gz`` ...), or None."""
    suffix = without_compression(path).suffix.lower().lstrip(".")
    key = FORMAT_ALIASES.get(suffix, suffix)
    return FORMATS.get(key)


def choose_format(export_format: str | None, output: str | os.PathLike[str] | None) -> ExportFormat:
    """The format of an export: ``-f`` when given, else the output file's extension, else Turtle. An
    ``-f`` that the file's extension contradicts (``-f ttl -o x.nq``) is a UsageError: the file would
    lie about what it holds."""
    from exodus_kg.rdf.files import check_compression

    if output is not None:
        check_compression(output)
    by_name = format_for_path(output) if output is not None else None
    if export_format is None:
        return by_name or FORMATS["ttl"]
    chosen = format_named(export_format)
    if by_name is not None and by_name != chosen:
        raise UsageError(
            f"-o {output}: the extension says {by_name.title} but -f says {chosen.title}; "
            f"name the file *{chosen.extension} or leave out -f"
        )
    return chosen


def load_context(project_root: str | os.PathLike[str]) -> dict:
    """The JSON-LD ``@context`` object shipped in ``<project>/ontology/context.jsonld``."""
    path = Path(project_root) / "ontology" / CONTEXT_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"{path}: cannot read the JSON-LD context ({error.strerror or error})") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None
    if not isinstance(document, dict) or not isinstance(document.get("@context"), dict):
        raise InputError(f'{path}: expected an object with an "@context" object')
    return document["@context"]


def prefixes_of(context: dict) -> dict[str, str]:
    """The plain prefix definitions of a JSON-LD context (``"exo": "https://..."``)."""
    return {
        name: value
        for name, value in context.items()
        if isinstance(value, str) and not value.startswith("@") and value.endswith(("/", "#"))
    }


def graph_key(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    """A graph's IRI, or "" for the default graph (and a blank node's label for a blank-node graph)."""
    if isinstance(graph, ox.NamedNode):
        return graph.value
    return "" if isinstance(graph, ox.DefaultGraph) else str(graph)


def _graph_rank(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> tuple[int, str]:
    name = graph_key(graph)
    return (GRAPH_ORDER.index(name) if name in GRAPH_ORDER else len(GRAPH_ORDER), str(graph))


def dataset_quads(store: ox.Store | Iterable[ox.Quad], asserted_only: bool = False) -> list[ox.Quad]:
    """The quads to export, sorted by graph, subject, predicate and object so that Turtle and TriG group
    them and the same data gives the same file. ``asserted_only`` leaves out ``exg:inferred``: what the
    project's files state (ontology, asserted data, links), for a store that runs its own reasoner."""
    inferred = ox.NamedNode(INFERRED_GRAPH)
    quads = [q for q in store if not (asserted_only and q.graph_name == inferred)]
    quads.sort(key=lambda q: (_graph_rank(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
    return quads


def merged_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The union of all graphs: each distinct triple once, in first-seen order."""
    return list(dict.fromkeys(q.triple for q in quads))


def serialize(quads: list[ox.Quad], export_format: ExportFormat, context: dict | None = None) -> bytes:
    """The quads in ``export_format``; triple formats get the merged graph."""
    import io

    buffer = io.BytesIO()
    write(quads, export_format, buffer, context)
    return buffer.getvalue()


def write(quads: list[ox.Quad], export_format: ExportFormat, stream: BinaryIO, context: dict | None = None) -> None:
    """Serialize the quads in ``export_format`` into a binary stream, as they are produced."""
    context = context or {}
    if export_format.oxigraph_format is None:
        stream.write(_jsonld(quads, context))
        return
    data: list[ox.Quad] | list[ox.Triple] = quads if export_format.keeps_graphs else merged_triples(quads)
    prefixes = prefixes_of(context) if export_format.name in ("ttl", "trig", "xml") else None
    try:
        ox.serialize(data, output=stream, format=export_format.oxigraph_format, prefixes=prefixes)
    except ValueError as error:
        # RDF/XML cannot write a predicate IRI that does not end in an XML name.
        raise InputError(f"cannot write {export_format.title}: {error}") from None


class _CountingStream:
    """Counts the bytes that pass to ``stream`` (the size an export reports, before compression)."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()


RDF_TYPE = RDF + "type"
_CANONICAL_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


class _Compactor:
    """Compacts IRIs and values with a JSON-LD context made of prefixes and simple terms.

    The document it serves is in flattened form: one node object per subject and graph, every reference
    as ``{"id": ...}``. Embedding blank nodes would be prettier, but a blank node shared between two
    named graphs (an evidence node the reasoner typed) must stay one node, and rdflib's JSON-LD writer
    loses such triples (seen with rdflib 7.6).
    """

    def __init__(self, context: dict):
        self.prefixes = sorted(prefixes_of(context).items(), key=lambda item: -len(item[1]))
        self.id_key = next((k for k, v in context.items() if v == "@id"), "@id")
        self.type_key = next((k for k, v in context.items() if v == "@type"), "@type")
        # Terms that stand for a property with a language map: "label": {"en": ..., "zh-hant": ...}.
        self.language_terms = {
            self.expand(value["@id"]): term
            for term, value in context.items()
            if isinstance(value, dict) and value.get("@container") == "@language" and "@id" in value
        }
        self.reserved = set(context)

    def expand(self, name: str) -> str:
        prefix, _, local = name.partition(":")
        for known, namespace in self.prefixes:
            if known == prefix:
                return namespace + local
        return name

    def iri(self, iri: str) -> str:
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                local = iri[len(namespace) :]
                if not local.startswith("//") and f"{prefix}:{local}" not in self.reserved:
                    return f"{prefix}:{local}"
        return iri

    def node(self, term: ox.NamedNode | ox.BlankNode) -> str:
        return self.iri(term.value) if isinstance(term, ox.NamedNode) else f"_:{term.value}"

    def value(self, term: ox.NamedNode | ox.BlankNode | ox.Literal):
        if not isinstance(term, ox.Literal):
            return {self.id_key: self.node(term)}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        datatype = term.datatype.value
        if datatype == XSD + "string":
            return term.value
        if datatype == XSD + "boolean" and term.value in ("true", "false"):
            return term.value == "true"
        if datatype == XSD + "integer" and _CANONICAL_INTEGER.fullmatch(term.value):
            return int(term.value)  # read back as the same xsd:integer
        return {"@value": term.value, "@type": self.iri(datatype)}

    def node_object(self, subject: ox.NamedNode | ox.BlankNode, triples: list[ox.Triple]) -> dict:
        result: dict = {self.id_key: self.node(subject)}
        by_predicate: dict[str, list] = {}
        for triple in triples:
            by_predicate.setdefault(triple.predicate.value, []).append(triple.object)
        for predicate, objects in by_predicate.items():
            if predicate == RDF_TYPE and all(isinstance(o, ox.NamedNode) for o in objects):
                types = [self.iri(o.value) for o in objects]
                result[self.type_key] = types[0] if len(types) == 1 else types
                continue
            term = self.language_terms.get(predicate)
            if term and all(isinstance(o, ox.Literal) and o.language for o in objects):
                language_map: dict[str, list[str]] = {}
                for literal in objects:
                    language_map.setdefault(literal.language, []).append(literal.value)
                result[term] = {lang: v[0] if len(v) == 1 else v for lang, v in language_map.items()}
                continue
            values = [self.value(o) for o in objects]
            result[self.iri(predicate)] = values[0] if len(values) == 1 else values
        return result


def _jsonld(quads: list[ox.Quad], context: dict) -> bytes:
    """Flattened JSON-LD compacted with ``context``: one ``{"id": <graph>, "@graph": [...]}`` entry per
    named graph, triples of the default graph (if any) as top-level nodes."""
    compactor = _Compactor(context)
    graphs: dict[str, dict] = {}
    for quad in quads:  # sorted by graph and subject (dataset_quads)
        subjects = graphs.setdefault(graph_key(quad.graph_name), {})
        subjects.setdefault(quad.subject, []).append(quad.triple)
    top_level: list[dict] = []
    for name, subjects in graphs.items():
        nodes = [compactor.node_object(subject, triples) for subject, triples in subjects.items()]
        if name:
            top_level.append({compactor.id_key: compactor.iri(name), "@graph": nodes})
        else:
            top_level.extend(nodes)
    document = {"@context": context, "@graph": top_level}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export(
    store: ox.Store | Iterable[ox.Quad],
    export_format: ExportFormat | str,
    output: str | os.PathLike[str] | BinaryIO | None = None,
    *,
    asserted_only: bool = False,
    context: dict | None = None,
) -> tuple[ExportResult, bytes | None]:
    """Export the dataset; write it to ``output`` (a path, written through ``rdf.files``, compressed
    when it ends in ``.gz``, ``.bz2`` or ``.xz``; or a binary stream), or return the bytes when
    ``output`` is None. Returns the result summary and the bytes (None when written)."""
    if isinstance(export_format, str):
        export_format = format_named(export_format)
    quads = dataset_quads(store, asserted_only=asserted_only)
    graphs: dict[str, int] = {}
    for quad in quads:
        name = graph_key(quad.graph_name)
        graphs[name] = graphs.get(name, 0) + 1
    result = ExportResult(
        format=export_format,
        quads=len(quads),
        triples=len(merged_triples(quads)),
        graphs=graphs,
        bytes=0,
        path=None,
    )
    if output is None:
        data = serialize(quads, export_format, context)
        result.bytes = len(data)
        return result, data
    if isinstance(output, (str, os.PathLike)):
        with compressed_output(output) as stream:
            counting = _CountingStream(stream)
            write(quads, export_format, counting, context)
        result.path = Path(output)
    else:
        counting = _CountingStream(output)
        write(quads, export_format, counting, context)
        output.flush()
    result.bytes = counting.count
    return result, None
