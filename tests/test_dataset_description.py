"""`exodus void`: the VoID and DCAT description of the built dataset, and `exodus serve` answering with it
at /.well-known/void. The counts must be those of the build (`exodus stats`), the partitions must add up,
and the fixed part must name the licence and the source article."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from exodus_kg.cli import cli
from exodus_kg.pipeline.build import GRAPHS, open_built
from exodus_kg.publish.dataset_description import DATASET, DatasetDescription
from exodus_kg.query.stats import collect_stats

ROOT = Path(__file__).resolve().parents[1]
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
EXO = Namespace("https://w3id.org/exodus-kg/ontology#")
DS = URIRef(DATASET)


@pytest.fixture(scope="module")
def store(article_project):
    return open_built(article_project)


@pytest.fixture(scope="module")
def description(store) -> Graph:
    data = DatasetDescription.from_store(store).to_bytes(dumps=["https://example.org/exodus.nq.gz"])
    return Graph().parse(data=data, format="turtle")


def number(graph: Graph, subject, predicate) -> int:
    (value,) = graph.objects(subject, predicate)
    return int(value)


def test_triples_per_named_graph_are_those_of_exodus_stats(description, store):
    stats = collect_stats(store).triples_by_graph
    subsets = {description.value(s, SD.name): s for s in description.objects(DS, VOID.subset)}
    assert set(map(str, subsets)) == set(GRAPHS)
    for graph, subset in subsets.items():
        assert (subset, RDF.type, VOID.Dataset) in description
        assert number(description, subset, VOID.triples) == stats["exg:" + str(graph).rsplit("/", 1)[-1]]
        assert number(description, subset, VOID.distinctSubjects) > 0
    assert number(description, DS, VOID.triples) == sum(stats.values())


def test_partitions_add_up_and_count_the_entities(description, store):
    properties = list(description.objects(DS, VOID.propertyPartition))
    assert sum(number(description, p, VOID.triples) for p in properties) == number(description, DS, VOID.triples)
    classes = {description.value(p, VOID["class"]): p for p in description.objects(DS, VOID.classPartition)}
    people = {row[0] for row in store.query("SELECT DISTINCT ?p WHERE { GRAPH ?g { ?p a <https://w3id.org/exodus-kg/ontology#Person> } }")}
    assert number(description, classes[EXO.Person], VOID.entities) == len(people) > 20
    departures = classes[EXO.Departure]
    assert number(description, departures, VOID.entities) >= 10


def test_the_fixed_part_names_licence_source_endpoint_and_dump(description):
    assert (DS, RDF.type, DCAT.Dataset) in description
    assert (DS, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in description
    assert (DS, DCTERMS.source, URIRef("https://w3id.org/exodus-kg/id/article")) in description
    assert (DS, VOID.uriSpace, Literal("https://w3id.org/exodus-kg/id/")) in description
    assert (DS, VOID.sparqlEndpoint, URIRef("http://127.0.0.1:7878/query")) in description
    service = description.value(DS, DCAT.accessService)
    assert description.value(service, DCAT.endpointURL) == URIRef("http://127.0.0.1:7878/query")
    dump = URIRef("https://example.org/exodus.nq.gz")
    assert (DS, VOID.dataDump, dump) in description
    (distribution,) = description.objects(DS, DCAT.distribution)
    assert description.value(distribution, DCAT.downloadURL) == dump
    assert description.value(distribution, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/application/n-quads")
    assert description.value(distribution, DCAT.compressFormat) == URIRef("https://www.iana.org/assignments/media-types/application/gzip")


def test_the_same_build_gives_the_same_bytes(store):
    assert DatasetDescription.from_store(store).to_bytes() == DatasetDescription.from_store(store).to_bytes()


@pytest.mark.parametrize("example", ["", "--dump https://example.org/exodus.nq.gz -o void.ttl"])
def test_help_examples_run_as_printed(example, tmp_path, monkeypatch):
    assert f"exodus void {example}".rstrip() + "\n" in cli.get_command(None, "void").help + "\n"
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "void", *example.split()])
    assert result.exit_code == 0, result.stderr
    text = result.stdout or (tmp_path / "void.ttl").read_text(encoding="utf-8")
    graph = Graph().parse(data=text, format="turtle")
    assert (DS, RDF.type, VOID.Dataset) in graph


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dump", "ftp://example.org/x.nq"], "--dump 'ftp://example.org/x.nq' is not an http(s) URL"),
        (["--endpoint", "http://exa mple.org/q"], "is not an http(s) URL"),
    ],
)
def test_a_bad_url_is_a_usage_error(args, message):
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "void", *args])
    assert result.exit_code == 2 and message in result.stderr
    assert result.stdout == ""


def test_without_an_endpoint_none_is_named():
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "void", "--endpoint", "", "-f", "nt"])
    assert result.exit_code == 0, result.stderr
    assert "sparqlEndpoint" not in result.stdout and "void#triples" in result.stdout


# The w3id plan: docs/publishing-iris.md's .htaccess, emulated for the two kinds of client ------------------

DOC = ROOT / "docs" / "publishing-iris.md"
W3ID = "https://w3id.org/exodus-kg/"
RDF_CLIENT, BROWSER = "text/turtle", "text/html,application/xhtml+xml"


def htaccess_rules() -> list[tuple[list[str], str, str]]:
    """(Accept conditions, pattern, target) for each RewriteRule, in order."""
    import re

    (block,) = re.findall(r"```apache\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    rules, conditions = [], []
    for line in block.splitlines():
        words = line.split()
        if words[:2] == ["RewriteCond", "%{HTTP_ACCEPT}"]:
            conditions.append(words[2])
        elif words[:1] == ["RewriteRule"]:
            assert words[3] in ("[R=303,L]", "[R=303,NE,L]"), line
            rules.append((conditions, words[1], words[2]))
            conditions = []
    return rules


def dereference(iri: str, accept: str) -> str | None:
    """Where w3id would send ``accept`` for ``iri``: the first rule whose conditions and pattern match."""
    import re

    path = iri.removeprefix(W3ID).split("#")[0]
    for conditions, pattern, target in htaccess_rules():
        if all(re.search(condition, accept) for condition in conditions):
            match = re.search(pattern, path)
            if match:
                target = target.replace("\\%", "%")
                return re.sub(r"\$(\d)", lambda m, found=match: found.group(int(m.group(1))) or "", target)
    return None


def test_the_doc_examples_of_exodus_void_are_those_the_help_shows():
    import re

    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    lines = [line for block in blocks for line in block.splitlines() if line.startswith("exodus void")]
    assert lines == ["exodus void", "exodus void --dump https://example.org/exodus.nq.gz -o void.ttl"]
    for line in lines:
        assert line in cli.get_command(None, "void").help  # and test_help_examples_run_as_printed runs them


def test_every_iri_of_the_build_dereferences_for_rdf_clients_and_browsers(store):
    import urllib.parse

    minted = set()
    for quad in store:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            value = getattr(term, "value", None)
            if isinstance(value, str) and value.startswith(W3ID) and value != W3ID:
                minted.add(value)
    assert len(minted) > 900
    for iri in sorted(minted):
        for accept in (RDF_CLIENT, BROWSER):
            assert dereference(iri, accept), (iri, accept)
    # RDF clients get the thing itself described: the DESCRIBE names exactly this IRI.
    for iri in (W3ID + "id/sam-altman", W3ID + ".well-known/genid/" + "0" * 24):
        target = dereference(iri, RDF_CLIENT)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)["query"][0]
        assert query == f"DESCRIBE <{iri}>"
    assert dereference(W3ID + "id/sam-altman", BROWSER).endswith("/entity/sam-altman.html")
    assert dereference(W3ID + "id/article-p007", BROWSER).endswith("/article.html#article-p007")
    assert dereference(W3ID + "ontology#Person", RDF_CLIENT).endswith("/ontology/exodus.ttl")
    assert dereference(W3ID + "graph/asserted", RDF_CLIENT).endswith(
        "/store?graph=" + urllib.parse.quote(W3ID + "graph/asserted", safe="")
    )
    assert dereference(W3ID + "dataset", BROWSER).endswith("/.well-known/void")
    # A shape the graph never mints (a quote or a space could break out of the DESCRIBE) matches nothing.
    for odd in ("id/a>%20UNION", "id/Sam_Altman", "id/../etc"):
        assert dereference(W3ID + odd, RDF_CLIENT) is None


def test_the_entity_pages_the_browser_rule_names_are_those_exodus_site_writes():
    """The site names its entity pages entity/SLUG.html after the exd: slug."""
    source = (ROOT / "src" / "exodus_kg" / "publish" / "site.py").read_text(encoding="utf-8")
    assert "f\"entity/{entity['slug']}.html\"" in source
