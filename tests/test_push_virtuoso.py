"""exodus push against a real Virtuoso 7 (skipped when Debian's virtuoso-opensource is not installed).

Virtuoso differs from the SPARQL 1.1 texts in ways a push meets: updates and Graph Store requests go
to separate endpoints with Digest authentication, blank nodes are refused in INSERT DATA, and SELECT
results stop at ResultSetMaxRows (10,000) rows without an error.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from exodus_kg.errors import EXIT_REMOTE, RemoteError
from exodus_kg.publish import push
from support.virtuoso_server import VirtuosoServer, virtuoso_binaries
from test_push import EXG, canonical, second_version, small_dataset

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        virtuoso_binaries() is None, reason="Virtuoso is not installed (apt-get install virtuoso-opensource)"
    ),
]

USER, PASSWORD = "exodus", "virt-Pa55-word"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    with VirtuosoServer(tmp_path_factory.mktemp("virtuoso"), USER, PASSWORD) as server:
        yield server


def endpoints(server: VirtuosoServer) -> push.Endpoints:
    return push.Endpoints(
        query=f"{server.base_url}/sparql",
        update=f"{server.base_url}/sparql-auth",
        store=f"{server.base_url}/sparql-graph-crud-auth",
    )


def credentials(password: str = PASSWORD) -> push.Credentials:
    return push.Credentials(USER, password, "digest")


def graph_quads(server: VirtuosoServer, graph: str) -> list[ox.Quad]:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    request = urllib.request.Request(
        f"{server.base_url}/sparql?" + urllib.parse.urlencode({"query": query}),
        headers={"Accept": "text/turtle"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        triples = ox.parse(response.read(), format=ox.RdfFormat.TURTLE)
    return [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in triples]


def select_rows(server: VirtuosoServer, query: str) -> list[dict]:
    request = urllib.request.Request(
        f"{server.base_url}/sparql",
        data=urllib.parse.urlencode({"query": query}).encode(),
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["results"]["bindings"]


def temporary_graphs(server: VirtuosoServer) -> list[str]:
    rows = select_rows(
        server,
        f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{push.TEMP_GRAPH_BASE}")) }}',
    )
    return [row["g"]["value"] for row in rows]


def without_inferred(quads: list[ox.Quad], prefix: str) -> list[ox.Quad]:
    """The quads minus exg:inferred, moved to graphs under ``prefix`` so tests do not meet."""
    return [
        ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(prefix + q.graph_name.value.rsplit("/", 1)[1]))
        for q in quads
        if q.graph_name.value != EXG + "inferred"
    ]


def test_update_push_with_digest_authentication_and_blank_nodes(virtuoso):
    prefix = "https://example.org/virtuoso/update/"
    first, second = without_inferred(small_dataset(), prefix), without_inferred(second_version(), prefix)
    for version in (first, second):
        result = push.push(version, endpoints(virtuoso), credentials=credentials(), batch_size=3)
        assert all(g.found == g.expected for g in result.graphs)
        for graph in {q.graph_name.value for q in version}:
            assert canonical(graph_quads(virtuoso, graph)) == canonical(
                q for q in version if q.graph_name.value == graph
            )
    assert canonical(graph_quads(virtuoso, prefix + "ontology")) == canonical(
        q for q in first if q.graph_name.value == prefix + "ontology"
    )  # not in the second version: left alone
    assert temporary_graphs(virtuoso) == []


def test_graph_store_push_into_one_graph(virtuoso):
    graph = "https://example.org/virtuoso/gsp"
    quads = small_dataset()
    push.push(
        quads, endpoints(virtuoso), credentials=credentials(), protocol="gsp", graph=graph, batch_size=4
    )
    expected = [ox.Quad(*t, ox.NamedNode(graph)) for t in {q.triple for q in quads}]
    assert canonical(graph_quads(virtuoso, graph)) == canonical(expected)


def test_select_stops_at_10000_rows_while_the_count_check_sees_everything(virtuoso):
    from exodus_kg.pipeline import build
    from exodus_kg.project import find_project

    graph = "https://example.org/virtuoso/built"
    quads = list(build.open_built(find_project(PROJECT_ROOT)))
    result = push.push(quads, endpoints(virtuoso), credentials=credentials(), graph=graph)
    total = result.graphs[0].found
    assert total == len({q.triple for q in quads}) > 10_000
    rows = select_rows(virtuoso, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert len(rows) == 10_000  # ResultSetMaxRows: cut short, no error
    # The default batch size is small enough for Virtuoso's SPARQL compiler (5000 triples were not).
    assert result.batches > 1


def test_a_wrong_password_is_refused_without_showing_it(virtuoso):
    with pytest.raises(RemoteError, match="HTTP 401") as caught:
        push.push(small_dataset(), endpoints(virtuoso), credentials=credentials("wrong-" + PASSWORD))
    assert caught.value.exit_code == EXIT_REMOTE
    assert PASSWORD not in caught.value.message


def test_blank_nodes_shared_between_graphs_fail_and_leave_the_previous_graphs(virtuoso):
    """Virtuoso 7.2 answers HTTP 500 (SR002) to an INSERT whose template spans graphs, after inserting;
    the push must fail (exit 3) and leave the previous graphs and no temporary graph."""
    prefix = "https://example.org/virtuoso/shared/"
    moved = [
        ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(prefix + q.graph_name.value.rsplit("/", 1)[1]))
        for q in small_dataset()
    ]
    before = without_inferred(small_dataset(), prefix)
    push.push(before, endpoints(virtuoso), credentials=credentials())
    with pytest.raises(RemoteError, match="HTTP 500") as caught:
        push.push(moved, endpoints(virtuoso), credentials=credentials())
    assert "left as they were" in caught.value.message
    for graph in {q.graph_name.value for q in before}:
        assert canonical(graph_quads(virtuoso, graph)) == canonical(
            q for q in before if q.graph_name.value == graph
        )
    assert temporary_graphs(virtuoso) == []


def test_the_built_graph_without_inferences_goes_in_whole(virtuoso):
    """The README's way to push to Virtuoso: --asserted-only (no blank node spans two graphs)."""
    from exodus_kg.pipeline import build
    from exodus_kg.project import find_project
    from exodus_kg.publish import export

    quads = export.dataset_quads(build.open_built(find_project(PROJECT_ROOT)), asserted_only=True)
    result = push.push(quads, endpoints(virtuoso), credentials=credentials())
    assert {g.target for g in result.graphs} == {EXG + "ontology", EXG + "asserted", EXG + "links"}
    assert all(g.found == g.expected == g.sent for g in result.graphs)
    links = [q for q in quads if q.graph_name.value == EXG + "links"]
    assert canonical(graph_quads(virtuoso, EXG + "links")) == canonical(links)


def test_the_whole_built_graph_goes_in_by_update_and_by_the_graph_store_protocol(virtuoso):
    """With the build's blank nodes skolemised no insert spans two graphs, so Virtuoso takes the whole
    build, inferences included, both ways."""
    from exodus_kg.pipeline import build
    from exodus_kg.project import find_project

    quads = list(build.open_built(find_project(PROJECT_ROOT)))
    for protocol in ("update", "gsp"):
        prefix = f"https://example.org/virtuoso/whole-{protocol}/"
        moved = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(prefix + q.graph_name.value.rsplit("/", 1)[1]))
                 for q in quads]
        result = push.push(moved, endpoints(virtuoso), credentials=credentials(), protocol=protocol)
        assert all(g.found == g.expected == g.sent for g in result.graphs)
        for graph in {q.graph_name.value for q in moved}:
            # Virtuoso gives an xsd:decimal with no fraction back as xsd:integer: compare lexical forms.
            assert loose(graph_quads(virtuoso, graph)) == loose(q for q in moved if q.graph_name.value == graph)
    assert temporary_graphs(virtuoso) == []


def loose(quads) -> set[tuple[str, str, str]]:
    return {(str(q.subject), str(q.predicate), q.object.value if isinstance(q.object, ox.Literal) else str(q.object))
            for q in quads}
