"""The edges of every remote call (push, link --check, federated), against real servers on 127.0.0.1:
redirects and credentials, hostile server text, trickling servers, bad timeouts and URLs, answers of
the wrong shape or size, and the push's own edges (empty layers, bad graph IRIs, Ctrl-C).

Each test guards one failure found by trying exodus as a hostile user would; the fault servers are in
tests/support/fault_servers.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from exodus_kg.cli import cli
from exodus_kg.errors import EXIT_REMOTE, EXIT_USAGE, RemoteError, UsageError
from exodus_kg.publish import push
from exodus_kg.publish.sparql_client import Credentials, SparqlClient
from exodus_kg.wikidata import links as wikidata_links
from support.fault_servers import EMPTY_RESULTS, ScriptedServer, SizeLimitProxy, SlowProxy, TrickleServer
from support.oxigraph_server import OxigraphServer
from test_push import EXG, canonical, in_graphs, large_dataset, small_dataset, stored

ROOT = Path(__file__).resolve().parents[1]
WD = "http://www.wikidata.org/entity/"
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\u202egnp.exe\x00"


def invoke(*args: str):
    return CliRunner().invoke(cli, ["--project", str(ROOT), *args], catch_exceptions=False)


def one_clean_line(stderr: str) -> str:
    """The one error line of ``stderr`` (progress lines aside), checked for what must not be there."""
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("exodus: error:")]
    assert len(errors) == 1 and all(line.startswith("exodus: ") for line in lines), stderr
    assert "Traceback" not in stderr and "Warning" not in stderr
    assert not any(c in stderr for c in "\x1b\x07\x00\u202e")
    return errors[0]


@pytest.fixture
def server(tmp_path):
    with OxigraphServer(tmp_path / "store") as running:
        yield running


# --- redirects and credentials ---------------------------------------------------------------------


def redirect_to(target: str, status: int = 302) -> ScriptedServer:
    return ScriptedServer(status, b"moved", headers=(("Location", target),), content_type="text/plain")


def test_credentials_never_follow_a_redirect_to_another_host():
    secret = Credentials("editor", "s3cret-Pa55")
    with ScriptedServer(200, EMPTY_RESULTS) as elsewhere:
        other_host = elsewhere.base_url.replace("127.0.0.1", "localhost") + "/query"
        with redirect_to(other_host, 307) as moved:
            with SparqlClient(timeout=10, user_agent="test", auth=secret) as client, pytest.raises(
                RemoteError, match="another host"
            ) as caught:
                client.select(moved.base_url + "/query", "SELECT * {}")
            assert moved.requests and moved.requests[0][2].startswith("Basic ")
        assert elsewhere.requests == []
        assert "s3cret" not in caught.value.message
        # Without credentials a query may follow the redirect, and gets its answer there.
        with redirect_to(other_host, 307) as moved, SparqlClient(timeout=10, user_agent="test") as client:
            assert client.select(moved.base_url + "/query", "SELECT * {}")["results"]["bindings"] == []
        assert [(method, auth) for method, _path, auth in elsewhere.requests] == [("POST", None)]


def test_a_push_answered_by_a_redirect_fails_and_sends_no_credentials_on(server):
    with ScriptedServer(200, b"<html>Welcome</html>", content_type="text/html") as page:
        with redirect_to(page.base_url + "/login", 302) as moved:
            endpoints = push.Endpoints(query=server.query_url, update=moved.base_url + "/update")
            with pytest.raises(RemoteError, match=r"redirect \(HTTP 302\).*not carried out") as caught:
                push.push(
                    small_dataset(), endpoints, protocol="update", credentials=Credentials("editor", "pw-123456")
                )
        assert caught.value.exit_code == EXIT_REMOTE
        assert page.requests == []  # neither the update nor the credentials went on
    assert stored(server) == []


@pytest.mark.parametrize(
    ("location", "expected"),
    [("file:///etc/passwd", "not an http(s) URL"), ("/query", "more than 5 redirects"), (None, "HTTP 302 Found")],
    ids=["to-a-file", "a-loop", "no-location"],
)
def test_a_query_redirected_nowhere_useful_is_one_line_and_exit_3(location, expected):
    headers = (("Location", location),) if location else ()
    with ScriptedServer(302, b"moved", headers=headers, content_type="text/plain") as endpoint:
        result = invoke("link", "--check", "--endpoint", endpoint.base_url + "/query")
    assert result.exit_code == EXIT_REMOTE
    assert expected in one_clean_line(result.stderr)


# --- text from the server ------------------------------------------------------------------------------


def test_a_hostile_error_body_is_escaped_and_cut():
    body = (HOSTILE + "x" * 100_000).encode()
    with ScriptedServer(500, body, content_type="text/plain") as hostile:
        result = invoke("link", "--check", "--endpoint", hostile.base_url + "/query")
    assert result.exit_code == EXIT_REMOTE
    line = one_clean_line(result.stderr)
    assert "HTTP 500" in line and "\\x1b]0;pwned\\x07" in line
    assert len(line) < 500


def test_labels_from_the_endpoint_are_escaped_in_every_format():
    answer = {
        "head": {"vars": ["item", "label"]},
        "results": {"bindings": [{
            "item": {"type": "uri", "value": WD + "Q7407093"},
            "label": {"type": "literal", "value": "Sam Altman" + HOSTILE},
        }]},
    }
    with ScriptedServer(200, json.dumps(answer).encode()) as endpoint:
        for output_format in ("table", "csv"):
            result = invoke("link", "--check", "--endpoint", endpoint.base_url + "/query", "-f", output_format)
            assert result.exit_code == 1  # the other links are missing at this endpoint
            assert "Sam Altman" in result.stdout
            assert not any(c in result.stdout + result.stderr for c in "\x1b\x07\x00\u202e")


# --- deadlines, timeouts and URLs ----------------------------------------------------------------------


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "status-line"])
def test_a_trickling_server_is_given_up_on_at_the_deadline(headers_too):
    with TrickleServer(pause=0.7, size=200, headers_too=headers_too) as trickle:
        started = time.monotonic()
        with pytest.raises(RemoteError, match="no complete answer within 2 s") as caught:
            wikidata_links.fetch_item_facts(["Q5"], trickle.base_url + "/query", timeout=2)
        elapsed = time.monotonic() - started
    # A per-read timeout would wait for the whole answer: 140 s (or 41 s for a shorter one).
    assert elapsed < 6, elapsed
    assert caught.value.exit_code == EXIT_REMOTE


def test_push_keeps_its_deadline_per_request_with_a_trickling_store():
    with TrickleServer(pause=0.7, size=200) as trickle:
        started = time.monotonic()
        with pytest.raises(RemoteError, match="within 2 s"):
            push.push(small_dataset(), push.Endpoints.derive(trickle.base_url), timeout=2)
        assert time.monotonic() - started < 8


REMOTE_COMMANDS = {
    "push": ("push", "--endpoint", "http://127.0.0.1:9"),
    "link": ("link", "--check", "--endpoint", "http://127.0.0.1:9/query"),
    "federated": ("federated", "wikidata-people", "--allow-service", "--service-endpoint", "http://127.0.0.1:9/q"),
}


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "-1", "0", "abc"])
@pytest.mark.parametrize("command", sorted(REMOTE_COMMANDS))
def test_a_timeout_that_is_not_a_usable_number_is_a_usage_error(command, value):
    result = invoke(*REMOTE_COMMANDS[command], "--timeout", value)
    assert result.exit_code == EXIT_USAGE, result.output
    assert "Traceback" not in result.output and "--timeout" in result.stderr


MALFORMED_URLS = [
    "http://[::1", "http://127.0.0.1:abc/query", "http://127.0.0.1:99999/query", "ftp://x/q", "http:///q",
    "http://127.0.0.1/\x1b]0;x\x07", "http://" + "a" * 100_000,
]


@pytest.mark.parametrize("url", MALFORMED_URLS)
@pytest.mark.parametrize("option", ["push --endpoint", "push --store-endpoint", "link --endpoint", "federated"])
def test_a_malformed_endpoint_url_is_a_usage_error(option, url):
    if option == "federated":
        args = ["federated", "wikidata-people", "--allow-service", "--service-endpoint", url]
    elif option == "link --endpoint":
        args = ["link", "--check", "--endpoint", url]
    else:
        args = ["push", *option.split()[1:], url]
        if "--store-endpoint" in args:
            args += ["--query-endpoint", "http://127.0.0.1:9/query"]
    result = invoke(*args)
    assert result.exit_code == EXIT_USAGE, result.output
    line = one_clean_line(result.stderr)
    assert "URL" in line and len(line) < 400


# --- answers of the wrong shape or size ----------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        b"[]",
        b'{"results": {"bindings": [{"item": 1}]}}',
        b'{"results": {"bindings": [{"label": {"type": "literal", "value": "no item"}}]}}',
        b'{"results": {"bindings": "none"}}',
        b'{"head": {}}',
        b"<html><body>Service unavailable</body></html>",
    ],
    ids=["array", "cell-not-object", "no-item", "bindings-not-list", "no-results", "html"],
)
def test_link_check_against_an_answer_of_the_wrong_shape_is_one_line_and_exit_3(answer):
    with ScriptedServer(200, answer) as endpoint:
        result = invoke("link", "--check", "--endpoint", endpoint.base_url + "/query")
    assert result.exit_code == EXIT_REMOTE, result.output
    assert "SPARQL JSON results" in one_clean_line(result.stderr) or "check query" in result.stderr
    assert result.stdout == ""


def test_an_answer_larger_than_the_cap_is_refused():
    big = b'{"head":{"vars":[]},"results":{"bindings":[' + b" " * 20_000 + b"]}}"
    with ScriptedServer(200, big) as endpoint:
        with (
            SparqlClient(timeout=10, user_agent="test", max_answer_bytes=10_000) as client,
            pytest.raises(RemoteError, match="larger than 10000 bytes"),
        ):
            client.select(endpoint.base_url + "/query", "SELECT * {}")
        with SparqlClient(timeout=10, user_agent="test", max_answer_bytes=30_000) as client:
            assert client.select(endpoint.base_url + "/query", "SELECT * {}")["results"]["bindings"] == []


def test_federated_shows_no_raw_python_error_text():
    answer = b'{"head": {"vars": ["birth"]}, "results": {"bindings": [{"birth": {"value": "1985"}}]}}'
    with ScriptedServer(200, answer) as service:
        result = invoke("federated", "wikidata-people", "--allow-service", "--service-endpoint",
                        service.base_url + "/query")
    assert result.exit_code == EXIT_REMOTE
    line = one_clean_line(result.stderr)
    assert "SPARQL JSON results" in line and "KeyError" not in line


def test_federated_cap_on_the_whole_query_exits_3():
    with ScriptedServer(200, EMPTY_RESULTS, delay=0.4) as slow:
        result = invoke("federated", "wikidata-people", "--allow-service", "--service-endpoint",
                        slow.base_url + "/query", "--timeout", "0.5")
    assert result.exit_code == EXIT_REMOTE, result.output
    # Each call answers within --timeout: it is the whole query that ran too long.
    assert "still running after 2 s" in one_clean_line(result.stderr)
    assert slow.requests


# --- the push's own edges ----------------------------------------------------------------------------


def test_replace_empties_a_layer_of_the_build_that_is_empty_now(server):
    push.push(small_dataset(), push.Endpoints.derive(server.base_url))
    assert in_graphs(stored(server), EXG + "links")
    without_links = [q for q in small_dataset() if q.graph_name.value != EXG + "links"]
    layers = [EXG + name for name in ("ontology", "asserted", "links", "inferred")]
    result = push.push(without_links, push.Endpoints.derive(server.base_url), clear=layers)
    assert in_graphs(stored(server), EXG + "links") == []
    assert canonical(stored(server)) == canonical(without_links)
    assert result.cleared == [EXG + "links"]
    assert f"<{EXG}links>: emptied" in push.result_summary(result)


def test_nothing_sent_means_no_word_of_temporary_graphs():
    closed = push.Endpoints.derive("http://127.0.0.1:9")
    with pytest.raises(RemoteError, match="connection refused") as caught:
        push.push(small_dataset(), closed)
    assert "emporary" not in caught.value.message and "DROP" not in caught.value.message


@pytest.mark.parametrize("graph", ["http://[bad", "not an iri", "relative/path", "http://a b", "exg:a b"])
def test_a_bad_graph_iri_is_refused_before_anything_is_sent(graph):
    with ScriptedServer(200, EMPTY_RESULTS) as store:
        with pytest.raises(UsageError, match="--graph"):
            push.push(small_dataset(), push.Endpoints.derive(store.base_url), graph=graph)
        assert store.requests == []


def test_graph_as_a_prefixed_name_is_expanded(server):
    result = push.push(small_dataset(), push.Endpoints.derive(server.base_url), graph="exg:everything")
    assert [g.target for g in result.graphs] == [EXG + "everything"]
    assert {q.graph_name.value for q in stored(server)} == {EXG + "everything"}


def test_cli_push_bad_graph_iri_is_a_usage_error_before_building_or_sending():
    with ScriptedServer(200, EMPTY_RESULTS) as store:
        result = invoke("push", "--endpoint", store.base_url, "--graph", "http://[x")
        assert result.exit_code == EXIT_USAGE
        assert store.requests == []
    assert "--graph" in one_clean_line(result.stderr)


def test_ctrl_c_during_a_push_leaves_no_unnamed_temporary_graph(server):
    with SlowProxy(server.base_url, delay=0.5) as slow:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("EXODUS_ENDPOINT_")}
        environment["NETRC"] = os.devnull
        process = subprocess.Popen(
            [sys.executable, "-m", "exodus_kg", "--project", str(ROOT), "push", "--endpoint", slow.base_url,
             "--protocol", "update", "--batch-size", "500", "--verbose"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=environment,
        )
        seen = ""
        for line in process.stderr:
            seen += line
            if "batch 2/" in line:
                process.send_signal(signal.SIGINT)
                break
        _out, err = process.communicate(timeout=120)
        time.sleep(1.5)  # a write the proxy still held may land now
    assert "batch 2/" in seen, seen + err
    assert process.returncode == push.EXIT_INTERRUPTED, err
    assert "interrupted" in err and "Traceback" not in err
    left = {q.graph_name.value for q in stored(server) if q.graph_name.value.startswith(push.TEMP_GRAPH_BASE)}
    assert all(f"<{graph}>" in err for graph in left), (left, err)
    assert not any(g.startswith(EXG) and not g.startswith(push.TEMP_GRAPH_BASE)
                   for g in {q.graph_name.value for q in stored(server)})


def test_a_dataset_push_is_one_request_and_keeps_shared_blank_nodes(server):
    quads = small_dataset()
    shared = {t for q in quads for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
    assert shared
    result = push.push(quads, push.Endpoints.derive(server.base_url), protocol="dataset")
    assert canonical(stored(server)) == canonical(quads)
    # One update that empties the targets and inserts everything (one transaction), one count.
    assert result.requests == 2 and result.batches == 1
    assert not any(g.startswith(push.TEMP_GRAPH_BASE) for g in {q.graph_name.value for q in stored(server)})
    # --append: the dataset as N-Quads in one POST to the store, then the counts.
    push.push(quads, push.Endpoints.derive(server.base_url), protocol="dataset", mode="append")


def test_a_store_that_refuses_one_large_request_gets_the_replace_in_batches(server):
    with SizeLimitProxy(server.base_url, max_bytes=50_000) as limited:
        quads = small_dataset() + large_dataset(400)
        result = push.push(quads, push.Endpoints.derive(limited.base_url), batch_size=100)
        assert limited.refused == 1
    assert result.protocol == "update" and result.batches > 1
    assert canonical(stored(server)) == canonical(quads)
