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
from support.oxigraph_server import OxigraphServer, free_port

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


class _Running:
    """`exodus serve` on a free port, started and stopped by a `with` block."""

    def __init__(self, *args: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = exodus("serve", "--port", str(self.port), *args)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=read_lines, args=(self.process.stdout, self.lines), daemon=True).start()

    def __enter__(self):
        try:
            self.printed = "".join(wait_for_line(self.lines, "Ctrl-C"))
        except AssertionError:
            self.process.kill()
            raise AssertionError(f"exodus serve did not start: {self.process.stderr.read()}") from None
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def raw_get(port: int, path: str, host: str) -> tuple[int, bytes]:
    """A GET with the Host header a browser would send for ``host`` (as after DNS rebinding)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def test_serve_answers_loopback_host_names_only(entry):
    """A page on another site that rebinds its name to 127.0.0.1 sends its own Host name: refused."""
    query = "/query?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    with _Running() as running:
        for host in (f"127.0.0.1:{running.port}", f"localhost:{running.port}", "localhost"):
            status, body = raw_get(running.port, query, host)
            assert status == 200, (host, body)
        for host in (f"evil.example:{running.port}", "evil.example", "127.0.0.1.evil.example", ""):
            status, body = raw_get(running.port, query, host)
            assert status == 403 and b"not accepted" in body, host
    with _Running("--allow-host", "kg.example") as running:
        assert raw_get(running.port, query, f"kg.example:{running.port}")[0] == 200
        assert raw_get(running.port, query, "evil.example")[0] == 403


def test_serve_refuses_service_unless_asked(entry, tmp_path):
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    with _Running() as running:
        for request in (
            urllib.request.Request(f"{running.base}/query?" + urllib.parse.urlencode({"query": service})),
            urllib.request.Request(
                f"{running.base}/query",
                data=urllib.parse.urlencode({"query": service}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            urllib.request.Request(
                f"{running.base}/query",
                data=service.encode(),
                headers={"Content-Type": "application/sparql-query"},
            ),
        ):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)
            assert refused.value.code == 403
            assert "SERVICE, refused" in refused.value.read().decode()
        # the word in a string is no SERVICE call
        rows = sparql_select(f"{running.base}/query", 'SELECT ("SERVICE" AS ?x) WHERE {}')
        assert rows[0]["x"]["value"] == "SERVICE"
    with OxigraphServer(tmp_path / "remote") as remote, _Running("--allow-service") as running:
        asked = f'SELECT ?x WHERE {{ SERVICE <{remote.query_url}> {{ BIND("remote" AS ?x) }} }}'
        assert sparql_select(f"{running.base}/query", asked)[0]["x"]["value"] == "remote"


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(word) for word in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_kill_9_of_serve_takes_the_oxigraph_child_down(entry):
    with _Running() as running:
        children = _children(running.process.pid)
        assert children, "exodus serve has no child process"
        engines = [pid for pid in children if "oxigraph" in Path(f"/proc/{pid}/cmdline").read_text()]
        assert engines
        running.process.send_signal(signal.SIGKILL)
        running.process.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in engines) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in engines), "the oxigraph child outlived exodus serve"
        assert port_is_closed(running.port)


def test_a_failing_request_gets_500_one_line_and_the_server_goes_on(capfd):
    """A bug behind one route must not print a traceback or stop the front."""
    from exodus_kg.publish.front_server import FrontServer

    class Broken:
        def answer(self, *_args, **_kwargs):
            raise RuntimeError("boom\x1b]0;retitled\x07")

    front = FrontServer("127.0.0.1", 0, "http://127.0.0.1:9", accepted_hosts={"127.0.0.1"}, reconciler=Broken())
    threading.Thread(target=front.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{front.server_address[1]}"
    try:
        for _ in range(2):
            with pytest.raises(urllib.error.HTTPError) as failed:
                urllib.request.urlopen(f"{base}/reconcile", timeout=10)
            assert failed.value.code == 500
        with pytest.raises(urllib.error.HTTPError) as engine_down:
            urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=10)
        assert engine_down.value.code == 502  # the engine is not listening: said so, not a hang
    finally:
        front.shutdown()
        front.server_close()
    err = capfd.readouterr().err
    assert "Traceback" not in err and err.count("failed: RuntimeError: boom") == 2
    assert "\x1b" not in err


def test_serve_describes_the_dataset_at_well_known_void(entry):
    """VoID section 7: the description at /.well-known/void, naming the endpoint the server really has."""
    from rdflib import Graph, URIRef

    with _Running() as running:
        assert f"{running.base}/.well-known/void" in running.printed
        with urllib.request.urlopen(running.base + "/.well-known/void", timeout=30) as answer:
            assert answer.headers["Content-Type"].startswith("text/turtle")
            graph = Graph().parse(data=answer.read(), format="turtle")
        void = "http://rdfs.org/ns/void#"
        dataset = URIRef("https://w3id.org/exodus-kg/dataset")
        assert graph.value(dataset, URIRef(void + "sparqlEndpoint")) == URIRef(running.base + "/query")
        assert int(graph.value(dataset, URIRef(void + "triples"))) > 10000


def test_a_port_taken_while_the_engine_starts_is_a_usage_error(entry, monkeypatch):
    """The front binds after Oxigraph has started; a port taken in between is one message, and the
    engine is stopped, not left running."""
    free = server.pick_port
    monkeypatch.setattr(server, "pick_port", lambda host, port: port or free(host, port))  # the engine's is real
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"port {port} on 127.0.0.1 is in use"):
            server.serve(entry, "127.0.0.1", port, say=lambda _line: None)
    assert not [p for p in Path("/proc").glob("[0-9]*") if _is_our_engine(p, entry)]


def _is_our_engine(proc: Path, entry: Path) -> bool:
    try:
        return str(entry) in (proc / "cmdline").read_text() and _alive(int(proc.name))
    except (OSError, ValueError):
        return False


def test_a_port_whose_last_connections_are_in_time_wait_is_free_to_serve_on():
    """Regression: `exodus serve` right after a stopped one said the port was in use, because the
    closed connections of the old server (TIME_WAIT) made a probe without SO_REUSEADDR fail."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server side closes first: its end of the connection goes to TIME_WAIT
    client.close()
    listener.close()
    assert server.pick_port("127.0.0.1", port) == port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", port))
        busy.listen()
        with pytest.raises(UsageError, match=f"port {port} on 127.0.0.1 is in use"):
            server.pick_port("127.0.0.1", port)
