"""exodus push against a real Oxigraph server on 127.0.0.1 (started per test, in a temporary folder).

What comes back from the server is compared with what was sent by RDF Dataset Canonicalization, so a
blank node split in two, a lost triple or a triple in the wrong graph fails the test.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from exodus_kg.errors import EXIT_CHECK_FAILED, EXIT_REMOTE, CheckFailed, RemoteError, UsageError
from exodus_kg.publish import push
from support.auth_proxy import BasicAuthProxy, HeaderAuthProxy
from support.oxigraph_server import OxigraphServer, free_port

DATA = Path(__file__).parent / "data" / "export" / "dataset.trig"
EXG = "https://w3id.org/exodus-kg/graph/"
EXD = "https://w3id.org/exodus-kg/id/"
EXO = "https://w3id.org/exodus-kg/ontology#"
OTHER_GRAPH = "https://example.org/someone-elses-graph"


def small_dataset() -> list[ox.Quad]:
    return list(ox.parse(path=str(DATA), format=ox.RdfFormat.TRIG))


def second_version() -> list[ox.Quad]:
    """The small dataset without its ontology graph and with one label changed."""
    old_label = ox.Literal("OpenAI", language="en")
    quads = [
        q
        for q in small_dataset()
        if q.graph_name.value != EXG + "ontology"
        and not (q.graph_name.value == EXG + "asserted" and q.object == old_label)
    ]
    quads.append(
        ox.Quad(
            ox.NamedNode(EXD + "openai"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("OpenAI (v2)", language="en"),
            ox.NamedNode(EXG + "asserted"),
        )
    )
    return quads


def large_dataset(items: int = 3000) -> list[ox.Quad]:
    """Many small statements, each with an evidence blank node, over two graphs."""
    quads = []
    for index in range(items):
        subject = ox.NamedNode(f"{EXD}item-{index}")
        evidence = ox.BlankNode()
        graph = ox.NamedNode(EXG + ("asserted" if index % 3 else "links"))
        quads.append(ox.Quad(subject, ox.NamedNode(EXO + "index"), ox.Literal(str(index)), graph))
        quads.append(ox.Quad(subject, ox.NamedNode(EXO + "evidence"), evidence, graph))
        quads.append(ox.Quad(evidence, ox.NamedNode(EXO + "start"), ox.Literal(str(index * 7)), graph))
    return quads


def canonical(quads) -> list[str]:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(quad) for quad in dataset)


def stored(server: OxigraphServer) -> list[ox.Quad]:
    return [
        q
        for q in ox.parse(server.dump(), format=ox.RdfFormat.N_QUADS)
        if isinstance(q.graph_name, ox.NamedNode)
    ]


def graph_names(server: OxigraphServer) -> set[str]:
    return {q.graph_name.value for q in stored(server)}


def in_graphs(quads: list[ox.Quad], *names: str) -> list[ox.Quad]:
    return [q for q in quads if q.graph_name.value in names]


@pytest.fixture
def server(tmp_path):
    with OxigraphServer(tmp_path / "store") as running:
        yield running


def endpoints(server: OxigraphServer) -> push.Endpoints:
    return push.Endpoints.derive(server.base_url)


# --- loading and reading back -------------------------------------------------------------------------


@pytest.mark.parametrize(("protocol", "batch_size"), [("update", 1), ("update", 4), ("update", 5000), ("auto", 1)])
def test_push_keeps_the_dataset_and_its_blank_nodes(server, protocol, batch_size):
    quads = small_dataset()
    result = push.push(quads, endpoints(server), protocol=protocol, batch_size=batch_size)
    assert result.protocol == ("dataset" if protocol == "auto" else protocol)
    assert canonical(stored(server)) == canonical(quads)
    assert {g.target for g in result.graphs} == {
        EXG + n for n in ("ontology", "asserted", "links", "inferred")
    }
    assert all(g.found == g.expected == g.sent for g in result.graphs)
    assert result.sent == len({(q.triple, q.graph_name) for q in quads})


def test_gsp_push_into_one_graph(server):
    quads = small_dataset()
    result = push.push(quads, endpoints(server), protocol="gsp", graph=OTHER_GRAPH, batch_size=5)
    union = {q.triple for q in quads}
    assert canonical(stored(server)) == canonical(ox.Quad(*t, ox.NamedNode(OTHER_GRAPH)) for t in union)
    assert result.batches > 3 and result.graphs[0].found == len(union)


def test_gsp_keeps_blank_nodes_within_a_graph_across_batches(server):
    quads = large_dataset(200)
    push.push(quads, endpoints(server), protocol="gsp", graph=OTHER_GRAPH, batch_size=7)
    expected = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(OTHER_GRAPH)) for q in quads]
    assert canonical(stored(server)) == canonical(expected)


def test_gsp_refuses_blank_nodes_shared_between_graphs(server):
    with pytest.raises(UsageError, match="more than one named graph") as caught:
        push.push(small_dataset(), endpoints(server), protocol="gsp")
    assert caught.value.exit_code == 2
    assert stored(server) == []


def test_the_built_graph_arrives_whole(server):
    from exodus_kg.pipeline import build
    from exodus_kg.project import find_project

    quads = list(build.open_built(find_project(Path(__file__).resolve().parent.parent)))
    result = push.push(quads, endpoints(server))
    assert canonical(stored(server)) == canonical(quads)
    assert result.sent == len(quads)


def test_the_built_graph_goes_graph_by_graph_by_the_graph_store_protocol(server):
    """The build skolemises its blank nodes, so no node is shared between two named graphs and each
    graph can travel in its own Graph Store requests."""
    from exodus_kg.pipeline import build
    from exodus_kg.project import find_project

    quads = list(build.open_built(find_project(Path(__file__).resolve().parent.parent)))
    result = push.push(quads, endpoints(server), protocol="gsp")
    assert canonical(stored(server)) == canonical(quads)
    assert result.protocol == "gsp" and len(result.graphs) == 4


# --- replace and append ---------------------------------------------------------------------------------


def test_replace_swaps_the_pushed_graphs_and_leaves_the_rest(server):
    server.update(f'INSERT DATA {{ GRAPH <{OTHER_GRAPH}> {{ <urn:x:a> <urn:x:b> "kept" }} }}')
    push.push(small_dataset(), endpoints(server))
    push.push(second_version(), endpoints(server), batch_size=3)
    now = stored(server)
    assert canonical(in_graphs(now, EXG + "asserted", EXG + "links", EXG + "inferred")) == canonical(
        second_version()
    )
    # Graphs that were not pushed stay: the old ontology graph, and someone else's graph.
    assert canonical(in_graphs(now, EXG + "ontology")) == canonical(
        in_graphs(small_dataset(), EXG + "ontology")
    )
    assert len(in_graphs(now, OTHER_GRAPH)) == 1
    assert not any(name.startswith(push.TEMP_GRAPH_BASE) for name in graph_names(server))


def test_append_adds_to_the_graph_and_counts_what_was_new(server):
    quads = small_dataset()
    push.push(quads, endpoints(server), graph=OTHER_GRAPH)
    first = len(stored(server))
    result = push.push(second_version(), endpoints(server), graph=OTHER_GRAPH, mode="append")
    union_result = result.graphs[0]
    assert union_result.before == first
    assert union_result.found == union_result.expected == len(stored(server))
    # Blank nodes are new in every request: their triples add again; other triples only once.
    second_triples = {q.triple for q in second_version()}
    with_blank = sum(1 for t in second_triples if push._has_blank(t))
    new_ground = {t for t in second_triples if not push._has_blank(t)} - {q.triple for q in quads}
    assert union_result.found == first + with_blank + len(new_ground)


# --- the count check ------------------------------------------------------------------------------------


def test_a_count_that_differs_fails_the_check_and_keeps_the_previous_graphs(server):
    push.push(small_dataset(), endpoints(server))
    before = canonical(stored(server))

    def another_writer(event):
        if event.stage == "batch" and event.batch == 1:
            temporary = [g for g in graph_names(server) if g.startswith(push.TEMP_GRAPH_BASE)]
            server.update(f'INSERT DATA {{ GRAPH <{temporary[0]}> {{ <urn:x:a> <urn:x:b> "intruder" }} }}')

    with pytest.raises(CheckFailed, match="count check failed") as caught:
        push.push(second_version(), endpoints(server), protocol="update", batch_size=2, progress=another_writer)
    assert caught.value.exit_code == EXIT_CHECK_FAILED
    assert "left as they were" in caught.value.message
    assert canonical(stored(server)) == before  # and the temporary graphs were dropped


def test_append_count_check_fails_when_triples_go_missing(server):
    push.push(small_dataset(), endpoints(server), graph=OTHER_GRAPH)

    def remover(event):
        if event.stage == "batch" and event.batch == 1:
            server.update(f"DELETE WHERE {{ GRAPH <{OTHER_GRAPH}> {{ <{EXD}john-schulman> ?p ?o }} }}")

    with pytest.raises(CheckFailed, match=f"<{OTHER_GRAPH}> holds"):
        push.push(
            second_version(), endpoints(server), graph=OTHER_GRAPH, mode="append", progress=remover
        )


# --- failures halfway -----------------------------------------------------------------------------------


def test_a_server_killed_mid_push_loses_nothing(server):
    push.push(small_dataset(), endpoints(server))
    before = canonical(stored(server))
    seen = []

    def kill_after_three_batches(event):
        seen.append(event.stage)
        if event.stage == "batch" and event.batch == 3:
            server.kill()

    with pytest.raises(RemoteError) as caught:
        push.push(
            large_dataset(), endpoints(server), protocol="update", batch_size=100,
            progress=kill_after_three_batches,
        )
    assert caught.value.exit_code == EXIT_REMOTE
    message = caught.value.message
    assert "connection refused" in message and "left as they were" in message
    assert (
        "DROP SILENT GRAPH <" + push.TEMP_GRAPH_BASE in message
    )  # the store was gone: say what to drop
    assert "swap" not in seen

    server.start()  # same folder, same port
    now = stored(server)
    assert canonical(in_graphs(now, *{q.graph_name.value for q in small_dataset()})) == before
    leftovers = {g for g in graph_names(server) if g.startswith(push.TEMP_GRAPH_BASE)}
    assert leftovers and all(f"<{g}>" in message for g in leftovers)
    drops = message.split("drop them with: ", 1)[1]
    server.update(drops)
    assert canonical(stored(server)) == before

    # The next push goes through.
    push.push(large_dataset(50), endpoints(server), batch_size=100)


def test_a_failed_swap_changes_no_graph(server):
    push.push(small_dataset(), endpoints(server))
    before = canonical(stored(server))

    def drop_one_temporary_graph(event):
        if event.stage == "swap":
            temporary = sorted(g for g in graph_names(server) if g.startswith(push.TEMP_GRAPH_BASE))
            server.update(f"DROP GRAPH <{temporary[-1]}>")

    with pytest.raises(RemoteError, match="HTTP 500") as caught:
        push.push(second_version(), endpoints(server), protocol="update", progress=drop_one_temporary_graph)
    assert "all the previous graphs or all the new ones" in caught.value.message
    # Oxigraph applied none of the MOVEs (one transaction), and the temporary graphs are gone.
    assert canonical(stored(server)) == before


# --- errors from the store ------------------------------------------------------------------------------


def test_connection_refused_is_a_remote_error():
    closed = push.Endpoints.derive(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RemoteError, match="connection refused") as caught:
        push.push(small_dataset(), closed)
    assert caught.value.exit_code == EXIT_REMOTE
    assert "\n" not in caught.value.message


def test_a_hung_server_times_out(server):
    server.pause()
    try:
        with pytest.raises(RemoteError, match=r"no complete answer within 1 s \(--timeout\)"):
            push.push(small_dataset(), endpoints(server), timeout=1)
    finally:
        server.resume()


def test_a_read_only_server_answers_403(tmp_path):
    with OxigraphServer(tmp_path / "store"):
        pass  # creates the store, which read-only mode only opens
    with (
        OxigraphServer(tmp_path / "store", read_only=True) as read_only,
        pytest.raises(RemoteError, match="HTTP 403 Forbidden") as caught,
    ):
        push.push(small_dataset(), endpoints(read_only))
    assert "read-only" in caught.value.message
    assert caught.value.exit_code == EXIT_REMOTE


def test_a_missing_endpoint_answers_404(server):
    wrong = push.Endpoints.derive(server.base_url + "/sparql")
    with pytest.raises(RemoteError, match="HTTP 404"):
        push.push(small_dataset(), wrong)


# --- credentials ----------------------------------------------------------------------------------------


def test_credentials_from_the_environment_reach_the_store(server):
    with BasicAuthProxy(server.base_url, "editor", "s3cret-Pa55") as proxy:
        credentials = push.find_credentials(
            proxy.base_url, {"EXODUS_ENDPOINT_USER": "editor", "EXODUS_ENDPOINT_PASSWORD": "s3cret-Pa55"}
        )
        push.push(
            small_dataset(), push.Endpoints.derive(proxy.base_url), credentials=credentials
        )
        push.push(
            small_dataset(),
            push.Endpoints.derive(proxy.base_url),
            credentials=credentials,
            protocol="gsp",
            graph=OTHER_GRAPH,
        )
        assert proxy.seen_authorization and set(proxy.seen_authorization) == {proxy.expected}
    assert canonical(in_graphs(stored(server), *{q.graph_name.value for q in small_dataset()})) == canonical(
        small_dataset()
    )


def test_credentials_from_netrc(server, tmp_path):
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine 127.0.0.1 login editor password from-netrc-55\n")
    netrc_file.chmod(0o600)
    with BasicAuthProxy(server.base_url, "editor", "from-netrc-55") as proxy:
        credentials = push.find_credentials(proxy.base_url, {"NETRC": str(netrc_file)})
        assert credentials is not None and credentials.source == str(netrc_file)
        push.push(
            small_dataset(), push.Endpoints.derive(proxy.base_url), credentials=credentials
        )
    assert push.find_credentials("http://elsewhere.example/", {"NETRC": str(netrc_file)}) is None


@pytest.mark.parametrize("password", [None, "wrong-Pa55"])
def test_a_refusal_never_shows_the_password(server, password):
    with BasicAuthProxy(server.base_url, "editor", "right-Pa55") as proxy:
        credentials = push.Credentials("editor", password) if password else None
        with pytest.raises(RemoteError) as caught:
            push.push(
                small_dataset(), push.Endpoints.derive(proxy.base_url), credentials=credentials
            )
    message = caught.value.message
    assert caught.value.exit_code == EXIT_REMOTE
    if password is None:
        assert "HTTP 401 Unauthorized" in message and "EXODUS_ENDPOINT_USER" in message
    else:
        assert "HTTP 403 Forbidden" in message
        # The proxy echoed the Authorization header back; the message must not carry it.
        assert password not in message and credentials.secrets()[1] not in message
        assert "***" in message


def test_half_set_environment_credentials_are_a_usage_error():
    with pytest.raises(UsageError, match="EXODUS_ENDPOINT_PASSWORD is not set"):
        push.find_credentials("http://127.0.0.1/", {"EXODUS_ENDPOINT_USER": "editor"})


def test_a_password_in_the_url_is_refused_without_showing_it():
    with pytest.raises(UsageError) as caught:
        push.Endpoints.derive("http://editor:hunter22@127.0.0.1:7878")
    assert "hunter22" not in caught.value.message and "***@127.0.0.1:7878" in caught.value.message


# --- endpoints and batches ------------------------------------------------------------------------------


def test_endpoints_derive_from_a_base_url_and_can_be_overridden():
    derived = push.Endpoints.derive("http://127.0.0.1:7878/")
    assert derived == push.Endpoints(
        "http://127.0.0.1:7878/query", "http://127.0.0.1:7878/update", "http://127.0.0.1:7878/store", True
    )
    fuseki = push.Endpoints.derive(
        "http://127.0.0.1:3030/exodus", store="http://127.0.0.1:3030/exodus/data"
    )
    assert fuseki.query.endswith("/exodus/query") and fuseki.store.endswith("/exodus/data")
    assert not fuseki.store_takes_datasets  # a store endpoint given by hand: pushed by SPARQL Update
    with pytest.raises(UsageError, match="no query endpoint"):
        push.Endpoints.derive(update="http://127.0.0.1:7878/update")
    with pytest.raises(UsageError, match="http"):
        push.Endpoints.derive("ftp://127.0.0.1/")


def test_gsp_needs_a_store_endpoint_and_replace_an_update_endpoint():
    only_query = push.Endpoints(query="http://127.0.0.1:1/query")
    with pytest.raises(UsageError, match="Graph Store endpoint"):
        push.push(small_dataset(), only_query, protocol="gsp")
    with pytest.raises(UsageError, match="update endpoint"):
        push.push(
            small_dataset(),
            push.Endpoints(query="http://127.0.0.1:1/query", store="http://127.0.0.1:1/store"),
            protocol="gsp",
            graph=OTHER_GRAPH,
        )


def test_batches_never_split_a_blank_node_component():
    quads = large_dataset(100) + small_dataset()
    batches = push.make_batches(quads, 5)
    assert sorted(map(str, (q for b in batches for q in b))) == sorted(map(str, quads))
    home: dict[ox.BlankNode, int] = {}
    for number, batch in enumerate(batches):
        for quad in batch:
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.BlankNode):
                    assert home.setdefault(term, number) == number
    largest_unit = max(len(unit) for unit in push.blank_node_units(quads))
    assert largest_unit > 5  # the fixture has one, so the rule below is exercised
    assert max(len(b) for b in batches) == largest_unit  # only a unit larger than a batch goes over
    assert len(push.make_batches(quads, 10_000)) == 1
    with pytest.raises(UsageError):
        push.make_batches(quads, 0)


# --- the command line -----------------------------------------------------------------------------------

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def exodus_push(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EXODUS_ENDPOINT_")}
    environment.update(env or {})
    environment["NETRC"] = os.devnull  # never the developer's own ~/.netrc
    return subprocess.Popen(
        [sys.executable, "-m", "exodus_kg", "--project", str(PROJECT_ROOT), "push", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=environment,
    )


def test_cli_push_prints_the_counts_and_exits_0(server):
    process = exodus_push("--endpoint", server.base_url)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "counts checked" in out
    for graph in ("ontology", "asserted", "inferred"):
        assert f"<{EXG}{graph}>" in out
    assert not any(g.startswith(push.TEMP_GRAPH_BASE) for g in graph_names(server))


def test_cli_push_killed_server_mid_push_keeps_the_previous_graphs(server):
    push.push(small_dataset(), endpoints(server))
    before = canonical(stored(server))
    process = exodus_push("--endpoint", server.base_url, "--protocol", "update", "--batch-size", "40", "--verbose")
    killed_at = None
    for line in process.stderr:
        if "batch 5/" in line:
            server.kill()
            killed_at = line
            break
    out, err = process.communicate(timeout=300)
    assert killed_at is not None, "the push never reached batch 5"
    assert process.returncode == EXIT_REMOTE
    error_lines = [line for line in err.splitlines() if line.startswith("exodus: error:")]
    # The kill can land between requests (refused) or during one (reset by peer): both are the store dying.
    assert len(error_lines) == 1
    assert "connection refused" in error_lines[0] or "connection failed" in error_lines[0]
    assert "counts checked" not in out

    server.start()
    targets = {q.graph_name.value for q in small_dataset()}
    assert canonical(in_graphs(stored(server), *targets)) == before


@pytest.mark.parametrize("case", ["wrong-password", "refused", "accepted"])
def test_cli_push_never_prints_the_password(server, case):
    password = "Sup3r-s3cret-" + case
    user = "editor"
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    env = {"EXODUS_ENDPOINT_USER": user, "EXODUS_ENDPOINT_PASSWORD": password}
    right = password if case == "accepted" else "something-else"
    with BasicAuthProxy(server.base_url, user, right) as proxy:
        url = proxy.base_url if case != "refused" else f"http://127.0.0.1:{free_port()}"
        process = exodus_push("--endpoint", url, "--verbose", "--timeout", "20", env=env)
        out, err = process.communicate(timeout=300)
    assert password not in out + err and token not in out + err
    if case == "accepted":
        assert process.returncode == 0, err
        assert f"authenticating as {user}" in err
    else:
        assert process.returncode == EXIT_REMOTE
        assert ("HTTP 403" if case == "wrong-password" else "connection refused") in err


@pytest.mark.parametrize("how", ["bearer", "header"])
def test_cli_push_with_a_bearer_token_or_a_store_header(server, how):
    token = f"tok-{how}-Zx81q"
    if how == "bearer":  # EXODUS_ENDPOINT_TOKEN -> Authorization: Bearer
        header, expected, env, extra = "Authorization", f"Bearer {token}", {"EXODUS_ENDPOINT_TOKEN": token}, ()
    else:  # a store's own header, as QLever takes its access token
        header, expected, env, extra = "X-Access-Token", token, {}, ("--header", f"X-Access-Token: {token}")
    with HeaderAuthProxy(server.base_url, header, expected) as proxy:
        process = exodus_push("--endpoint", proxy.base_url, *extra, env=env)
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert "counts checked" in out
        assert proxy.seen_authorization and set(proxy.seen_authorization) == {expected}
    # Refused: exit code 3, and the token is not shown though the proxy echoes it back.
    with HeaderAuthProxy(server.base_url, header, "something-else") as proxy:
        process = exodus_push("--endpoint", proxy.base_url, *extra, env=env)
        out, err = process.communicate(timeout=300)
    assert process.returncode == EXIT_REMOTE and "HTTP 403" in err
    assert token not in out + err and "***" in err


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (("--header", "no colon here"), {}, "NAME: VALUE"),
        (("--header", "X-Bad\nName: v"), {}, "NAME: VALUE"),
        (("--auth", "bearer"), {}, "EXODUS_ENDPOINT_TOKEN"),
        ((), {"EXODUS_ENDPOINT_TOKEN": "t0ken", "EXODUS_ENDPOINT_USER": "u", "EXODUS_ENDPOINT_PASSWORD": "p"}, "not both"),
    ],
    ids=["header-without-colon", "header-with-newline", "bearer-without-token", "token-and-password"],
)
def test_cli_push_bad_authentication_options_exit_2(args, env, expected):
    process = exodus_push("--endpoint", f"http://127.0.0.1:{free_port()}", *args, env=env)
    _out, err = process.communicate(timeout=300)
    assert process.returncode == 2, err
    assert expected in err and "Traceback" not in err


def docs_push_examples() -> list[str]:
    text = (PROJECT_ROOT / "docs" / "publishing.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [line for block in blocks for line in block.splitlines() if "exodus push" in line]


@pytest.mark.parametrize("line", docs_push_examples())
def test_every_push_example_of_the_docs_runs(server, line):
    """Each `exodus push` line of docs/publishing.md, as printed, with the test server's address put in
    place of 127.0.0.1:7878 (and an authenticating front when the line carries a token)."""
    words = shlex.split(line)
    env = dict(word.split("=", 1) for word in words[: words.index("exodus")])
    args = words[words.index("push") + 1 :]
    front = contextlib.nullcontext(server)
    if "EXODUS_ENDPOINT_TOKEN" in env:
        front = HeaderAuthProxy(server.base_url, "Authorization", f"Bearer {env['EXODUS_ENDPOINT_TOKEN']}")
    elif "--header" in args:
        name, value = push.parse_header(args[args.index("--header") + 1])
        front = HeaderAuthProxy(server.base_url, name, value)
    with front as target:
        args = [arg.replace("http://127.0.0.1:7878", target.base_url) for arg in args]
        process = exodus_push(*args, env=env)
        out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "counts checked" in out
    assert len(docs_push_examples()) >= 6


def test_cli_push_usage_errors_exit_2():
    process = exodus_push("--query-endpoint", "http://127.0.0.1:1/query", "--protocol", "gsp")
    _out, err = process.communicate(timeout=300)
    assert process.returncode == 2
    assert "Graph Store endpoint" in err
