"""exodus serve: a real Oxigraph server over the built graph, on 127.0.0.1, stopped by Ctrl-C."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from exodus_kg.errors import UsageError
from exodus_kg.pipeline import build
from exodus_kg.project import find_project
from exodus_kg.publish import server
from support.oxigraph_server import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def entry() -> Path:
    return build.ensure_built(find_project(PROJECT_ROOT))


def exodus(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "exodus_kg", "--project", str(PROJECT_ROOT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        **kwargs,
    )


def read_lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def wait_for_line(lines: queue.Queue, needle: str, timeout: float = 120) -> list[str]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} not printed; got {seen}")


def sparql_select(url: str, query: str) -> list[dict]:
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode({"query": query}).encode(),
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["results"]["bindings"]


def port_is_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_answers_sparql_and_stops_cleanly(entry, stop_signal):
    port = free_port()
    process = exodus("serve", "--port", str(port))
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        try:
            printed = "".join(wait_for_line(lines, "Ctrl-C"))
        except AssertionError:
            process.kill()
            raise AssertionError(f"exodus serve did not start: {process.stderr.read()}") from None
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/query" in printed and f"{base}/" in printed and "no authentication" in printed

        union = sparql_select(f"{base}/query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        asserted = sparql_select(
            f"{base}/query",
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{build.ASSERTED_GRAPH}> {{ ?s ?p ?o }} }}",
        )
        manifest = json.loads((entry / build.MANIFEST_FILE).read_text())
        assert int(asserted[0]["n"]["value"]) == manifest["counts"][build.ASSERTED_GRAPH]
        built = ox.parse(path=str(entry / build.DATASET_FILE), format=ox.RdfFormat.N_QUADS)
        assert int(union[0]["n"]["value"]) == len({quad.triple for quad in built})  # union of the graphs
        with urllib.request.urlopen(f"{base}/", timeout=10) as page:
            assert page.status == 200  # the query UI

        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{base}/update",
                    data=b"INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }",
                    headers={"Content-Type": "application/sparql-update"},
                ),
                timeout=10,
            )
        assert refused.value.code == 403  # read-only

        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
        assert "Stopped." in "".join(iter(lines.get, None))
        assert port_is_closed(port)  # the Oxigraph child is gone too
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_refuses_an_address_beyond_loopback():
    process = exodus("serve", "--bind", "0.0.0.0", "--port", str(free_port()))
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "no authentication" in err and "--allow-remote" in err
    assert err.count("\n") == 1


def test_serve_refuses_a_busy_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = exodus("serve", "--port", str(port))
        _out, err = process.communicate(timeout=120)
    assert process.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_addresses_are_allowed(host):
    server.check_bind(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org"])
def test_other_addresses_need_allow_remote(host):
    with pytest.raises(UsageError, match="no authentication"):
        server.check_bind(host, allow_remote=False)
    server.check_bind(host, allow_remote=True)


def test_the_server_store_is_loaded_once_per_build(entry):
    first = server.server_store(entry)
    stamp = first.stat().st_mtime_ns
    assert server.server_store(entry) == first
    assert first.stat().st_mtime_ns == stamp
    assert first.parent == entry  # beside the build it was loaded from
