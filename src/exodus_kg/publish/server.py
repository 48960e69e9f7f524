"""Serve the built dataset over SPARQL with Oxigraph's own server, read-only, on a loopback address.

The `oxigraph` package on PyPI ships the server (``oxigraph serve-read-only``): a SPARQL 1.1 query
endpoint at ``/query``, a read-only Graph Store endpoint at ``/store`` and the YASGUI query page at
``/``. It has no authentication, so it listens on 127.0.0.1 unless the user insists.

The server's store folder is filled from the build's ``dataset.nq`` by ``oxigraph load`` itself (so the
store always matches the server's version) and kept in the build's cache folder, next to the dataset
it was made from: the second ``exodus serve`` starts at once, and a rebuild makes a new one.

>>> check_bind("127.0.0.1", allow_remote=False)
>>> check_bind("0.0.0.0", allow_remote=False)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
exodus_kg.errors.UsageError: refusing to serve on 0.0.0.0: ...
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from exodus_kg.errors import EXIT_REMOTE, ExodusError, UsageError

SERVER_STORE_DIR = "server-store"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


def oxigraph_executable() -> str:
    """The `oxigraph` program installed with this package (beside the Python running it), else on PATH."""
    beside = Path(sys.executable).parent / ("oxigraph.exe" if os.name == "nt" else "oxigraph")
    if beside.is_file():
        return str(beside)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise UsageError("the `oxigraph` server program is not installed; run `pip install oxigraph`")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name may resolve to any address


def check_bind(host: str, allow_remote: bool) -> None:
    if not is_loopback(host) and not allow_remote:
        raise UsageError(
            f"refusing to serve on {host}: Oxigraph's server has no authentication, so anyone who can "
            "reach that address could read the graph; use 127.0.0.1, or pass --allow-remote if you "
            "mean it (a firewall or an authenticating proxy is then up to you)"
        )


def url_host(host: str) -> str:
    host = host.strip("[]")
    return f"[{host}]" if ":" in host else host


def pick_port(host: str, port: int) -> int:
    """``port`` if it is free on ``host`` (0: any free port); a UsageError if it is taken."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            if port == 0:
                raise UsageError(f"cannot listen on {host}: {error.strerror or error}") from None
            raise UsageError(
                f"port {port} on {host} is in use ({error.strerror or error}); choose another with --port"
            ) from None
        return probe.getsockname()[1]


def server_store(entry: Path, progress: Callable[[str], None] | None = None) -> Path:
    """The Oxigraph store folder of a build entry, loaded from its ``dataset.nq`` on first use.

    Loaded under a temporary name and renamed into place, so an interrupted load is never served."""
    target = entry / SERVER_STORE_DIR
    if target.is_dir():
        return target
    say = progress or (lambda message: None)
    say("loading the built dataset into the server's store (once per build)")
    staging = Path(tempfile.mkdtemp(prefix=f".{SERVER_STORE_DIR}-", dir=entry))
    try:
        completed = subprocess.run(
            [oxigraph_executable(), "load", "--location", str(staging), "--file", str(entry / "dataset.nq")],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            detail = " ".join((completed.stderr or completed.stdout).split())[:300]
            raise ExodusError(f"oxigraph load failed (exit {completed.returncode}): {detail}")
        try:
            os.replace(staging, target)
        except OSError:
            if not target.is_dir():  # another `exodus serve` finished the same load first
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


@dataclass
class ServerUrls:
    base: str

    @property
    def ui(self) -> str:
        return self.base + "/"

    @property
    def query(self) -> str:
        return self.base + "/query"

    @property
    def store(self) -> str:
        return self.base + "/store"


def _wait_until_answering(url: str, process: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.05)
    return False


def _graph_counts(entry: Path) -> dict[str, int]:
    try:
        manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    counts = manifest.get("counts") or {}
    return {name: int(n) for name, n in counts.items() if int(n)}


def serve(
    entry: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    allow_remote: bool = False,
    say: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Run the read-only SPARQL server over the build ``entry`` until Ctrl-C (SIGINT) or SIGTERM;
    return 0 after a clean stop. Raises UsageError for a refused address or a busy port, and an
    ExodusError (exit code 3) when the server stops on its own."""
    check_bind(host, allow_remote)
    store = server_store(entry, progress)
    port = pick_port(host, port)
    urls = ServerUrls(f"http://{url_host(host)}:{port}")
    log_handle, log_name = tempfile.mkstemp(prefix="server-", suffix=".log", dir=entry)
    command = [
        oxigraph_executable(),
        "serve-read-only",
        "--location",
        str(store),
        "--bind",
        f"{url_host(host)}:{port}",
        # Saved queries see the union of the named graphs; the server does the same.
        "--union-default-graph",
    ]
    with os.fdopen(log_handle, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    stop_requested: list[int] = []

    def forward(signum, _frame):
        stop_requested.append(signum)
        if process.poll() is None:
            process.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if not _wait_until_answering(urls.ui, process, STARTUP_TIMEOUT):
            if stop_requested:
                return 0
            raise ExodusError(
                f"the Oxigraph server did not start: {_log_tail(log_name)}", exit_code=EXIT_REMOTE
            )
        counts = _graph_counts(entry)
        size = f"{sum(counts.values())} triples in {len(counts)} named graphs, " if counts else ""
        say(f"Serving the built exodus-kg dataset ({size}read-only, no authentication):")
        say(f"  query UI         {urls.ui}")
        say(f"  SPARQL query     {urls.query}   (default graph = union of the named graphs)")
        say(f"  graph store      {urls.store}   (GET; ?graph=IRI for one graph)")
        if not is_loopback(host):
            say(f"  WARNING: listening on {host} without authentication (--allow-remote)")
        say("Press Ctrl-C to stop.")
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.flush()
        while process.poll() is None:
            try:
                process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
        if not stop_requested:
            raise ExodusError(
                f"the Oxigraph server stopped on its own (exit {process.returncode}): {_log_tail(log_name)}",
                exit_code=EXIT_REMOTE,
            )
        say("Stopped.")
        return 0
    finally:
        _stop(process)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        with contextlib.suppress(OSError):
            os.unlink(log_name)


def _stop(process: subprocess.Popen) -> None:
    """Ask the server to stop, wait, then kill; always reap it."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


def _log_tail(log_name: str) -> str:
    try:
        text = Path(log_name).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "no log"
    return " ".join(text.split())[-300:] or "no output"
