"""A VoID and DCAT description of the built dataset (`exodus void`, and `exodus serve` at
``/.well-known/void``): what it is, under which licence, from which article, where to query it and where
to download it, with the counts a loader or a catalogue wants: triples per named graph (the numbers of
`exodus stats`), class and property partitions.

The fixed part is data (``data/void-dataset.ttl``); the counts come from the build through
``sparql/void-*.rq``; the endpoint and the dumps are the caller's (they depend on where it is served).

>>> description = DatasetDescription.from_store(open_built(find_project()))  # doctest: +SKIP
>>> data = description.to_bytes(endpoint="http://127.0.0.1:7878/query")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pyoxigraph as ox

from exodus_kg.errors import UsageError
from exodus_kg.pipeline.build import GRAPHS
from exodus_kg.project import resource_path
from exodus_kg.query.engine import run_library_query
from exodus_kg.rdf.namespaces import BASE, DCAT, DCTERMS, EXD, EXG, FOAF, RDF, SD, VOID, XSD

DATASET = BASE + "dataset"
RDF_TYPE = ox.NamedNode(RDF + "type")
XSD_INTEGER = ox.NamedNode(XSD + "integer")
DEFAULT_ENDPOINT = "http://127.0.0.1:7878/query"
# Media types of the dumps `exodus export` writes, by the file name's ending (longest first).
DUMP_TYPES = (
    (".nq.gz", "application/n-quads", "application/gzip"),
    (".nq", "application/n-quads", None),
    (".trig", "application/trig", None),
    (".ttl", "text/turtle", None),
    (".nt", "application/n-triples", None),
    (".jsonld", "application/ld+json", None),
    (".rdf", "application/rdf+xml", None),
)
FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "rdfxml": ox.RdfFormat.RDF_XML}
PREFIXES = {
    "void": VOID, "dcat": DCAT, "dcterms": DCTERMS, "sd": SD, "foaf": FOAF, "xsd": XSD, "exd": EXD, "exg": EXG,
}  # fmt: skip


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _count(value: ox.Literal | int) -> ox.Literal:
    return ox.Literal(str(int(value.value if isinstance(value, ox.Literal) else value)), datatype=XSD_INTEGER)


def _part(kind: str, iri: str) -> ox.NamedNode:
    """A stable IRI for a partition: a class or property IRI does not fit in a path, so a digest names it."""
    return _n(f"{DATASET}/{kind}/{hashlib.sha256(iri.encode()).hexdigest()[:16]}")


def _checked_url(url: str, option: str) -> str:
    if not url.startswith(("http://", "https://")) or any(c in url for c in ' <>"{}|\\^`\n\t'):
        raise UsageError(f"{option} {url!r} is not an http(s) URL")
    return url


class DatasetDescription:
    """The description of one build: the counts are read once (``from_store``); the endpoint and the
    dumps are added when it is written, so `exodus serve` can name the URL it really listens on."""

    def __init__(self, triples: list[ox.Triple]):
        self.triples = triples

    @classmethod
    def from_store(cls, store: ox.Store) -> DatasetDescription:
        return cls(_counted(store))

    def describe(self, endpoint: str | None = DEFAULT_ENDPOINT, dumps: Iterable[str] = ()) -> list[ox.Triple]:
        """The description as triples, in a stable order."""
        triples = self.triples + _access(endpoint, dumps)
        return sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))

    def to_bytes(self, endpoint: str | None = DEFAULT_ENDPOINT, dumps: Iterable[str] = (), format_name: str = "ttl") -> bytes:
        """The description serialized (Turtle unless ``format_name`` says nt or rdfxml)."""
        rdf_format = FORMATS[format_name]
        prefixes = PREFIXES if rdf_format is ox.RdfFormat.TURTLE else None
        return ox.serialize(self.describe(endpoint, dumps), format=rdf_format, prefixes=prefixes)


def void_bytes(
    store: ox.Store, endpoint: str | None = DEFAULT_ENDPOINT, dumps: Iterable[str] = (), format_name: str = "ttl"
) -> bytes:
    return DatasetDescription.from_store(store).to_bytes(endpoint, dumps, format_name)


def _counted(store: ox.Store) -> list[ox.Triple]:
    triples = [
        q.triple
        for q in ox.parse(path=str(resource_path("data", "void-dataset.ttl")), format=ox.RdfFormat.TURTLE)
    ]
    dataset = _n(DATASET)

    def add(subject, predicate: str, obj) -> None:
        triples.append(ox.Triple(subject, _n(predicate), obj))

    counted = {row[0].value: row for row in run_library_query(store, "void-graphs").rows()}
    total = sum(int(row[1].value) for row in counted.values())
    add(dataset, VOID + "triples", _count(total))
    for graph in [*GRAPHS, *sorted(set(counted) - set(GRAPHS))]:
        row = counted.get(graph)
        subset = _n(f"{DATASET}/graph/{graph.rsplit('/', 1)[-1]}")
        add(dataset, VOID + "subset", subset)
        triples.append(ox.Triple(subset, RDF_TYPE, _n(VOID + "Dataset")))
        add(subset, SD + "name", _n(graph))
        for index, name in enumerate(("triples", "distinctSubjects", "distinctObjects", "properties", "classes"), 1):
            add(subset, VOID + name, _count(row[index] if row else 0))
    for entity_class, entities in run_library_query(store, "void-class-partitions").rows():
        part = _part("class", entity_class.value)
        add(dataset, VOID + "classPartition", part)
        add(part, VOID + "class", entity_class)
        add(part, VOID + "entities", _count(entities))
    for prop, count, subjects, objects in run_library_query(store, "void-property-partitions").rows():
        part = _part("property", prop.value)
        add(dataset, VOID + "propertyPartition", part)
        add(part, VOID + "property", prop)
        add(part, VOID + "triples", _count(count))
        add(part, VOID + "distinctSubjects", _count(subjects))
        add(part, VOID + "distinctObjects", _count(objects))
    return triples


def _access(endpoint: str | None, dumps: Iterable[str]) -> list[ox.Triple]:
    triples: list[ox.Triple] = []
    dataset = _n(DATASET)

    def add(subject, predicate: str, obj) -> None:
        triples.append(ox.Triple(subject, _n(predicate), obj))

    if endpoint:
        url = _n(_checked_url(endpoint, "--endpoint"))
        add(dataset, VOID + "sparqlEndpoint", url)
        service = _n(f"{DATASET}/service")
        add(dataset, DCAT + "accessService", service)
        triples.append(ox.Triple(service, RDF_TYPE, _n(DCAT + "DataService")))
        add(service, DCAT + "endpointURL", url)
        add(service, DCAT + "servesDataset", dataset)
        add(service, DCTERMS + "conformsTo", _n("https://www.w3.org/TR/sparql11-protocol/"))
    for number, dump in enumerate(dumps, 1):
        url = _n(_checked_url(dump, "--dump"))
        add(dataset, VOID + "dataDump", url)
        distribution = _n(f"{DATASET}/distribution/{number}")
        add(dataset, DCAT + "distribution", distribution)
        triples.append(ox.Triple(distribution, RDF_TYPE, _n(DCAT + "Distribution")))
        add(distribution, DCAT + "downloadURL", url)
        add(distribution, DCTERMS + "license", _n("https://creativecommons.org/licenses/by/4.0/"))
        for ending, media_type, compression in DUMP_TYPES:
            if dump.endswith(ending):
                add(distribution, DCAT + "mediaType", _n("https://www.iana.org/assignments/media-types/" + media_type))
                if compression:
                    add(distribution, DCAT + "compressFormat", _n("https://www.iana.org/assignments/media-types/" + compression))
                break
    return triples
