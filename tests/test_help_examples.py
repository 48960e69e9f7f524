"""Every example printed by `exodus --help` and `exodus COMMAND --help` runs, as printed, in a shell.

The examples are read from the help texts themselves (the lines under "Example:" / "Examples:"), so a
new or changed example is tested without touching this file. Each runs in a private copy of the built
article project (the current folder, as a user's checkout would be), with the files an example names
as the user's own (my-query.rq, my-statements.ttl) written first. Examples that talk to a store or
serve on a fixed loopback port get a real Oxigraph server on that port (tests never touch the
network): the run is skipped, saying why, only when another process holds the port. The two examples
that reach Wikidata itself are network tests, run only with `-m network`.
"""

from __future__ import annotations

import http.server
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from exodus_kg.cli import cli
from support.fault_servers import forward
from support.oxigraph_server import OxigraphServer
from support.project_copies import ROOT, clone_built_article, exodus_env

FIXTURE = ROOT / "tests" / "data" / "wikidata-fixture.ttl"


def help_examples() -> list[tuple[str, str]]:
    """(command, example) for every example line of every help text, in order."""
    found = []
    for name in ["", *cli.commands]:
        args = [name, "--help"] if name else ["--help"]
        text = CliRunner().invoke(cli, args, prog_name="exodus", terminal_width=400).output
        inside = False
        for line in text.splitlines():
            if re.fullmatch(r"\s*Examples?:\s*", line):
                inside = True
            elif inside and not line.strip():
                inside = False
            elif inside:
                found.append((name or "exodus", line.strip()))
    return found


EXAMPLES = help_examples()
# Reach the real Wikidata: opt-in only.
NETWORK = {"exodus link --check", "exodus federated wikidata-people --allow-service"}
# Talk to a store or a Wikidata stand-in on a fixed loopback port.
STORE_PORTS = {"127.0.0.1:7878": 7878, "localhost:7878": 7878, "localhost:3030": 3030}
# Serve until stopped.
SERVING = re.compile(r"^exodus serve\b")

USER_FILES = {
    "my-query.rq": "PREFIX exo: <https://w3id.org/exodus-kg/ontology#>\n"
    "SELECT ?departure WHERE { ?departure a exo:Departure } ORDER BY ?departure LIMIT 3\n",
    "my-statements.ttl": "@prefix exd: <https://w3id.org/exodus-kg/id/> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n"
    'exd:sam-altman rdfs:comment "A note of my own."@en .\n',
}


def test_the_help_texts_have_examples():
    assert len(EXAMPLES) >= 40
    assert all(example.startswith(("exodus ", "echo ")) for _, example in EXAMPLES), EXAMPLES


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = clone_built_article(tmp_path_factory.mktemp("examples") / "project")
    for name, text in USER_FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def shell(example: str, project: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = exodus_env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", example],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now. SO_REUSEADDR, as servers set it: connections
    of an earlier test still in TIME_WAIT do not hold the port (they made the serve example skip)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ids(examples):
    return [f"{command}:{example}"[:90] for command, example in examples]


def plain(examples):
    return [
        item
        for item in examples
        if item[1] not in NETWORK
        and not SERVING.match(item[1])
        and not any(p in item[1] for p in STORE_PORTS)
    ]


@pytest.mark.parametrize(("command", "example"), plain(EXAMPLES), ids=ids(plain(EXAMPLES)))
def test_an_example_runs_as_printed(project, command, example):
    result = shell(example, project)
    assert result.returncode == 0, f"{example}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr


# Examples that need a store or a Wikidata stand-in on a fixed port --------------------------------


class FusekiPaths(http.server.BaseHTTPRequestHandler):
    """Fuseki's URL layout (/DATASET, /DATASET/data) in front of an Oxigraph server."""

    upstream = ""

    def log_message(self, *args):
        pass

    def _relay(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        path, _, query = self.path.partition("?")
        mapped = {
            "/exodus": "/query",
            "/exodus/query": "/query",
            "/exodus/update": "/update",
            "/exodus/data": "/store",
        }
        self.path = mapped.get(path, path) + (f"?{query}" if query else "")
        if (
            self.path.startswith("/query")
            and body
            and self.headers.get("Content-Type", "").startswith("application/sparql-update")
        ):
            self.path = "/update"
        forward(self, self.upstream, body)

    do_GET = do_POST = do_PUT = do_DELETE = _relay


def serve_fixed(port: int, location: Path, wikidata: bool):
    """An Oxigraph server answering on ``port`` (directly, or behind Fuseki's paths on 3030)."""
    if port == 7878:
        server = OxigraphServer(location, port=7878).start()
        if wikidata:
            server.load_default(FIXTURE)
        return server, None
    server = OxigraphServer(location).start()
    handler = type("Handler", (FusekiPaths,), {"upstream": server.base_url})
    front = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    return server, front


STORE_EXAMPLES = [
    item for item in EXAMPLES if item[1] not in NETWORK and any(p in item[1] for p in STORE_PORTS)
]


@pytest.mark.parametrize(("command", "example"), STORE_EXAMPLES, ids=ids(STORE_EXAMPLES))
def test_an_example_with_a_local_store_runs_as_printed(project, tmp_path, command, example):
    port = next(number for text, number in STORE_PORTS.items() if text in example)
    if not port_is_free(port):
        pytest.skip(f"port {port} of 127.0.0.1 is held by another process; the example needs it")
    server, front = serve_fixed(port, tmp_path / "store", wikidata=command in ("link", "federated"))
    try:
        result = shell(example, project)
    finally:
        if front is not None:
            front.shutdown()
            front.server_close()
        server.stop()
    assert result.returncode == 0, f"{example}\n{result.stderr[-3000:]}"


SERVE_EXAMPLES = [item for item in EXAMPLES if SERVING.match(item[1])]


@pytest.mark.parametrize(("command", "example"), SERVE_EXAMPLES, ids=ids(SERVE_EXAMPLES))
def test_a_serve_example_serves_until_ctrl_c(project, command, example):
    port = int(re.search(r"--port (\d+)", example).group(1)) if "--port" in example else 7878
    if not port_is_free(port):
        pytest.skip(f"port {port} of 127.0.0.1 is held by another process; the example needs it")
    env = exodus_env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    process = subprocess.Popen(
        shlex.split(example), cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        answered = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", timeout=5
                ) as answer:
                    answered = answer.read()
                break
            except OSError:
                time.sleep(0.5)
        assert answered is not None and b"true" in answered, process.stderr.read() if process.poll() else ""
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert process.returncode in (0, 130, -signal.SIGINT), process.stderr.read()


@pytest.mark.network
@pytest.mark.parametrize("example", sorted(NETWORK))
def test_an_example_that_reaches_wikidata_runs_as_printed(project, example):
    assert any(example == printed for _, printed in EXAMPLES), f"{example} is no longer in the help"
    result = shell(example, project, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


# The examples of docs/queries.md -------------------------------------------------------------------

QUERIES_DOC = ROOT / "docs" / "queries.md"
DOC_BLOCKS = re.findall(r"```sh\n(.*?)```", QUERIES_DOC.read_text(encoding="utf-8"), re.S)


def test_the_queries_doc_has_examples():
    assert len(DOC_BLOCKS) >= 4


@pytest.mark.parametrize("block", DOC_BLOCKS, ids=[block.splitlines()[0][:60] for block in DOC_BLOCKS])
def test_a_queries_doc_example_runs_as_printed(project, block):
    """Each ```sh block of docs/queries.md, run as one script (a later line may read what an earlier
    one wrote), stops at the first failing command."""
    result = shell("set -e\n" + block, project)
    assert result.returncode == 0, f"{block}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr
