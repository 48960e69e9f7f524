"""exodus export: every format re-parses (with rdflib, not the library that wrote it) to the same data."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from exodus_kg.errors import InputError, UsageError
from exodus_kg.pipeline import build
from exodus_kg.project import find_project
from exodus_kg.publish import export

DATA = Path(__file__).parent / "data" / "export"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
RDFLIB_FORMAT = {
    "ttl": "turtle",
    "nt": "nt",
    "nq": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "xml": "xml",
}


def small_dataset() -> ox.Store:
    store = ox.Store()
    store.load(path=str(DATA / "dataset.trig"), format=ox.RdfFormat.TRIG)
    return store


@pytest.fixture(scope="session")
def built_store() -> ox.Store:
    return build.open_built(find_project(PROJECT_ROOT))


@pytest.fixture(scope="session")
def context() -> dict:
    return export.load_context(PROJECT_ROOT)


def as_rdflib_dataset(quads: list[ox.Quad]) -> rdflib.Dataset:
    dataset = rdflib.Dataset()
    dataset.parse(data=ox.serialize(quads, format=ox.RdfFormat.N_QUADS), format="nquads")
    return dataset


def graphs_of(dataset: rdflib.Dataset) -> dict[str, rdflib.Graph]:
    """Non-empty named graphs by IRI."""
    return {
        str(g.identifier): g for g in dataset.graphs() if len(g) and g.identifier != DATASET_DEFAULT_GRAPH_ID
    }


def quads_as_graph(dataset: rdflib.Dataset) -> rdflib.Graph:
    """One graph whose isomorphism is the dataset's: each quad becomes a triple whose predicate also names
    the graph. Comparing graph by graph alone would miss a blank node shared between two graphs coming
    back as two blank nodes."""
    encoded = rdflib.Graph()
    for s, p, o, g in dataset.quads((None, None, None, None)):
        graph_name = g.identifier if isinstance(g, rdflib.Graph) else g
        encoded.add((s, rdflib.URIRef(f"{p}#in-graph={graph_name}"), o))
    return encoded


def union_graph(dataset: rdflib.Dataset) -> rdflib.Graph:
    union = rdflib.Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def same_graph(first: rdflib.Graph, second: rdflib.Graph) -> bool:
    """rdflib's isomorphism, made fast: triples without blank nodes must be equal as sets, and only the
    triples with blank nodes go through its canonicalisation (an isomorphism maps blank nodes only)."""

    def split(graph):
        ground, with_blank = set(), rdflib.Graph()
        for triple in graph:
            if any(isinstance(term, rdflib.BNode) for term in triple):
                with_blank.add(triple)
            else:
                ground.add(triple)
        return ground, with_blank

    (first_ground, first_blank), (second_ground, second_blank) = split(first), split(second)
    return first_ground == second_ground and isomorphic(first_blank, second_blank)


def canonical(quads) -> list[str]:
    """The dataset's quads after W3C RDF Dataset Canonicalization (RDFC-1.0): equal lists mean
    isomorphic datasets, blank nodes shared between graphs included."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(quad) for quad in dataset)


def from_rdflib(dataset: rdflib.Dataset | rdflib.Graph) -> list[ox.Quad]:
    data = dataset.serialize(format="nquads" if isinstance(dataset, rdflib.Dataset) else "nt")
    return list(ox.parse(data.encode("utf-8"), format=ox.RdfFormat.N_QUADS))


def assert_same_data(quads: list[ox.Quad], data: bytes, export_format: export.ExportFormat) -> None:
    """Parse ``data`` with rdflib (not the library that wrote it) and compare: quad formats graph by
    graph and as a whole dataset, triple formats with the union of the graphs."""
    rdflib_format = RDFLIB_FORMAT[export_format.name]
    if export_format.keeps_graphs:
        parsed = rdflib.Dataset()
        parsed.parse(data=data, format=rdflib_format)
        expected_graphs, parsed_graphs = graphs_of(as_rdflib_dataset(quads)), graphs_of(parsed)
        assert sorted(parsed_graphs) == sorted(expected_graphs)
        for name, graph in expected_graphs.items():
            assert len(parsed_graphs[name]) == len(graph), f"graph {name}: triple count"
        assert canonical(from_rdflib(parsed)) == canonical(quads)
    else:
        parsed = rdflib.Graph()
        parsed.parse(data=data, format=rdflib_format)
        union = export.merged_triples(quads)
        assert len(parsed) == len(union)
        assert canonical(from_rdflib(parsed)) == canonical(ox.Quad(*t) for t in union)


@pytest.mark.parametrize("name", list(export.FORMATS))
def test_small_dataset_round_trips(name, context):
    quads = export.dataset_quads(small_dataset())
    result, data = export.export(quads, name, context=context)
    assert_same_data(quads, data, export.FORMATS[name])
    # A second, independent comparison: rdflib's own isomorphism.
    expected = as_rdflib_dataset(quads)
    if export.FORMATS[name].keeps_graphs:
        parsed = rdflib.Dataset().parse(data=data, format=RDFLIB_FORMAT[name])
        for graph_name, graph in graphs_of(expected).items():
            assert isomorphic(graphs_of(parsed)[graph_name], graph)
        assert isomorphic(quads_as_graph(parsed), quads_as_graph(expected))
    else:
        assert isomorphic(rdflib.Graph().parse(data=data, format=RDFLIB_FORMAT[name]), union_graph(expected))
    assert result.quads == 36 and result.triples == 35  # "OpenAI"@en sits in two graphs


@pytest.mark.parametrize("name", list(export.FORMATS))
def test_built_dataset_round_trips(name, built_store, context, tmp_path):
    target = tmp_path / f"exodus{export.FORMATS[name].extension}"
    result, data = export.export(built_store, name, target, context=context)
    assert data is None and result.path == target
    written = target.read_bytes()
    assert result.bytes == len(written)
    assert {build.ONTOLOGY_GRAPH, build.ASSERTED_GRAPH, build.INFERRED_GRAPH} <= set(result.graphs)
    assert set(result.graphs) <= set(build.GRAPHS)
    assert_same_data(export.dataset_quads(built_store), written, export.FORMATS[name])


def test_quad_formats_keep_the_four_layers_apart(built_store, context):
    _, data = export.export(built_store, "nq", context=context)
    graph_names = {q.graph_name.value for q in ox.parse(data, format=ox.RdfFormat.N_QUADS)}
    assert {build.ONTOLOGY_GRAPH, build.ASSERTED_GRAPH, build.INFERRED_GRAPH} <= graph_names
    assert graph_names <= set(build.GRAPHS)


def test_asserted_only_leaves_out_the_inferred_graph(context):
    full = export.dataset_quads(small_dataset())
    result, data = export.export(small_dataset(), "trig", asserted_only=True, context=context)
    parsed = rdflib.Dataset()
    parsed.parse(data=data, format="trig")
    assert set(graphs_of(parsed)) == {build.ONTOLOGY_GRAPH, build.ASSERTED_GRAPH, build.LINKS_GRAPH}
    assert result.quads == len(full) - 2
    assert_same_data(
        [q for q in full if q.graph_name.value != build.INFERRED_GRAPH], data, export.FORMATS["trig"]
    )


def test_jsonld_is_compacted_with_the_shipped_context(context):
    _, data = export.export(small_dataset(), "jsonld", context=context)
    document = json.loads(data)
    assert document["@context"] == context
    text = data.decode("utf-8")
    assert '"exd:openai"' in text and "https://w3id.org/exodus-kg/id/openai" not in text
    assert "離職" in text  # written as UTF-8, not as \u escapes
    named = {entry["id"] for entry in document["@graph"]}
    assert named == {"exg:ontology", "exg:asserted", "exg:links", "exg:inferred"}


def test_shipped_context_defines_the_project_namespaces_and_no_triples(context):
    prefixes = export.prefixes_of(context)
    assert prefixes["exo"] == "https://w3id.org/exodus-kg/ontology#"
    assert prefixes["exv"] == "https://w3id.org/exodus-kg/vocab/"
    assert prefixes["exd"] == "https://w3id.org/exodus-kg/id/"
    assert prefixes["exg"] == build.GRAPH_BASE
    # Every prefix the ontology declares means the same in the context (a user's JSON-LD tools and
    # the Turtle files must agree).
    ontology = rdflib.Graph().parse(PROJECT_ROOT / "ontology" / "exodus.ttl")
    declared = {p: str(ns) for p, ns in ontology.namespaces() if p in prefixes}
    assert declared and all(prefixes[p] == ns for p, ns in declared.items())
    # The context sits in ontology/, which the build reads: it must add nothing to the ontology.
    assert len(rdflib.Graph().parse(PROJECT_ROOT / "ontology" / export.CONTEXT_FILE, format="json-ld")) == 0


def test_triple_formats_merge_and_say_so():
    for name, export_format in export.FORMATS.items():
        assert export_format.keeps_graphs == (name in ("nq", "trig", "jsonld"))


def test_the_comparison_can_fail():
    graph = rdflib.Graph().parse(
        data=ox.serialize([q.triple for q in small_dataset()], format=ox.RdfFormat.N_TRIPLES), format="nt"
    )
    changed = rdflib.Graph()
    for s, p, o in graph:
        changed.add(
            (
                s,
                p,
                rdflib.Literal("11", datatype=o.datatype)
                if o == rdflib.Literal("12", datatype=rdflib.XSD.integer)
                else o,
            )
        )
    assert same_graph(graph, graph) and not same_graph(graph, changed)
    assert canonical(from_rdflib(graph)) != canonical(from_rdflib(changed))
    merged_blanks = rdflib.Graph()
    single = rdflib.BNode()
    for s, p, o in graph:
        merged_blanks.add(
            (single if isinstance(s, rdflib.BNode) else s, p, single if isinstance(o, rdflib.BNode) else o)
        )
    assert not same_graph(graph, merged_blanks)
    assert canonical(from_rdflib(graph)) != canonical(from_rdflib(merged_blanks))


def test_same_data_gives_the_same_bytes(built_store, context):
    first = export.export(built_store, "ttl", context=context)[1]
    second = export.export(built_store, "ttl", context=context)[1]
    assert first == second


def test_format_names_and_extensions():
    assert export.format_named("Turtle").name == "ttl"
    assert export.format_named("rdfxml").name == "xml"
    assert export.format_for_path("out/kg.nq").name == "nq"
    assert export.format_for_path("kg.jsonld").name == "jsonld"
    assert export.format_for_path("kg.txt") is None
    with pytest.raises(UsageError, match="choose one of"):
        export.format_named("csv")


def test_writing_into_a_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot write"):
        export.export(small_dataset(), "nt", tmp_path / "missing" / "kg.nt")


# --- the command line -----------------------------------------------------------------------------------


def run_cli(*args: str):
    from click.testing import CliRunner

    from exodus_kg.cli import cli

    return CliRunner().invoke(cli, ["--project", str(PROJECT_ROOT), *args], catch_exceptions=False)


def test_cli_export_writes_standard_output(built_store):
    result = run_cli("export", "-f", "nq")
    assert result.exit_code == 0, result.output
    exported = list(ox.parse(result.stdout_bytes, format=ox.RdfFormat.N_QUADS))
    assert canonical(exported) == canonical(built_store)


def test_cli_export_takes_the_format_from_the_file_name(tmp_path):
    target = tmp_path / "exodus.trig"
    result = run_cli("export", "-o", str(target), "--asserted-only")
    assert result.exit_code == 0, result.output
    assert "as TriG" in result.stderr and result.stdout == ""
    names = {q.graph_name.value for q in ox.parse(path=str(target), format=ox.RdfFormat.TRIG)}
    assert build.INFERRED_GRAPH not in names and build.ASSERTED_GRAPH in names


def test_cli_export_rejects_an_unknown_format():
    result = run_cli("export", "-f", "csv")
    assert result.exit_code == 2


def test_cli_export_format_names_match_the_library():
    from exodus_kg import cli

    assert set(cli.EXPORT_FORMAT_NAMES) == set(export.FORMATS)


def test_oxigraph_load_accepts_a_gzipped_nquads_export(built_store, tmp_path):
    """The .nq.gz an export writes is what Oxigraph's own loader takes (it decompresses by name)."""
    import subprocess

    from support.oxigraph_server import oxigraph_binary

    target = tmp_path / "exodus.nq.gz"
    result = run_cli("export", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:2] == b"\x1f\x8b"  # gzip's magic number
    loaded = subprocess.run(
        [oxigraph_binary(), "load", "--location", str(tmp_path / "store"), "--file", str(target)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    store = ox.Store.read_only(str(tmp_path / "store"))
    assert canonical(list(store)) == canonical(built_store)
