"""A real Oxigraph SPARQL server for tests: `oxigraph serve` from the `oxigraph` PyPI package, on a free
port of 127.0.0.1, with its data in a folder the test chooses (so a test can kill it and start it again
on the same data).

    with OxigraphServer(tmp_path / "store") as server:
        server.query_url, server.update_url, server.store_url
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

HOST = "127.0.0.1"


def oxigraph_binary() -> str:
    """The `oxigraph` executable installed beside this Python (the venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        pytest.skip("the `oxigraph` executable is not installed (pip install oxigraph)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers HTTP (any status); fail if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it answered")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class OxigraphServer:
    """`oxigraph serve --location DIR --bind 127.0.0.1:PORT`, started, waited for and stopped."""

    def __init__(self, location: Path, port: int | None = None, read_only: bool = False):
        self.location = Path(location)
        self.port = port or free_port()
        self.read_only = read_only
        self.process: subprocess.Popen | None = None
        self.log_path = self.location.parent / f"{self.location.name}-server.log"

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def update_url(self) -> str:
        return self.base_url + "/update"

    @property
    def store_url(self) -> str:
        return self.base_url + "/store"

    def start(self) -> OxigraphServer:
        self.location.mkdir(parents=True, exist_ok=True)
        command = "serve-read-only" if self.read_only else "serve"
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the life of the process
        self.process = subprocess.Popen(
            [oxigraph_binary(), command, "--location", str(self.location), "--bind", f"{HOST}:{self.port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        try:
            wait_until_serving(self.base_url + "/", self.process)
        except RuntimeError as error:
            self.stop()
            log_text = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{error}; its log:\n{log_text}") from None
        return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go within 10 s; always reaped."""
        if self.process is None or self.process.poll() is not None:
            return
        self.resume()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL: the server dies at once, as in a crash; its data folder stays as the kill left it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers (a hung server)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def restart(self) -> OxigraphServer:
        """Start again on the same folder and port (after ``kill`` or ``stop``)."""
        self.stop()
        return self.start()

    def query(self, sparql: str) -> dict:
        """Run a SELECT or ASK query and return the SPARQL JSON results."""
        import json

        request = urllib.request.Request(
            self.query_url,
            data=urllib.parse.urlencode({"query": sparql}).encode(),
            headers={"Accept": "application/sparql-results+json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def update(self, sparql: str) -> None:
        request = urllib.request.Request(
            self.update_url,
            data=sparql.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update"},
        )
        with urllib.request.urlopen(request, timeout=30):
            pass

    def load_default(self, turtle: Path) -> OxigraphServer:
        """Add a Turtle file to the default graph (a POST to the graph store endpoint); returns self."""
        request = urllib.request.Request(
            self.store_url + "?default", data=turtle.read_bytes(), headers={"Content-Type": "text/turtle"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30):
            pass
        return self

    def dump(self) -> bytes:
        """Every quad of the store as N-Quads (GET on the graph store endpoint without ?graph)."""
        request = urllib.request.Request(self.store_url, headers={"Accept": "application/n-quads"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
