"""Serve the built dataset on one loopback port: the site, a query UI, reconciliation and SPARQL.

The engine is Oxigraph's own server from the `oxigraph` PyPI package (``oxigraph serve-read-only``),
started on a private loopback port and tied to this process's life (a ``kill -9`` of `exodus serve`
takes it down too). Clients reach it through the front (front_server.py) at ``/query`` (SPARQL 1.1
query), ``/store`` (read-only Graph Store); the front checks Host names and refuses SERVICE. Nothing
has authentication, so the front listens on 127.0.0.1 unless the user insists.

The engine's store folder is filled from the build's ``dataset.nq`` by ``oxigraph load`` itself (so the
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
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
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
        # As the front server binds (allow_reuse_address): connections of a serve stopped a moment
        # ago, still in TIME_WAIT, do not hold the port; a server listening on it still does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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


SITE_DIR = "site"


def site_folder(entry: Path, project, store, progress: Callable[[str], None] | None = None) -> Path:
    """The site of a build entry (`exodus site` into the cache folder), written on first use: the
    entry's hash covers the package's templates too, so a kept site is never stale."""
    from exodus_kg.publish.site import build_site, graph_stats

    target = entry / SITE_DIR
    if not (target / "index.html").is_file():
        if progress:
            progress("writing the site (once per build)")
        report = build_site(project, store, target, stats=graph_stats(store))
        if report.pictures_left_out and progress:
            progress(f"warning: the site has no pictures: {report.pictures_left_out}")
    return target


class ServerUrls:
    def __init__(self, base: str):
        self.base = base

    @property
    def site(self) -> str:
        return self.base + "/"

    @property
    def ui(self) -> str:
        return self.base + "/sparql"

    @property
    def query(self) -> str:
        return self.base + "/query"

    @property
    def store(self) -> str:
        return self.base + "/store"

    @property
    def reconcile(self) -> str:
        return self.base + "/reconcile"


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


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A preexec function that makes the Linux kernel kill the child when ``parent`` dies, even by
    SIGKILL, so a killed `exodus serve` never leaves Oxigraph holding a port."""
    if not sys.platform.startswith("linux"):
        return None

    def arm() -> None:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request was armed
            os._exit(1)

    return arm


def start_engine(store: Path, log, timeout: float | None = None) -> tuple[subprocess.Popen, str]:
    """Start Oxigraph's read-only server over ``store`` on a free loopback port, tied to this process's
    life; return the process and its base URL. Only the front server talks to it."""
    port = pick_port(DEFAULT_HOST, 0)
    command = [
        oxigraph_executable(),
        "serve-read-only",
        "--location",
        str(store),
        "--bind",
        f"{DEFAULT_HOST}:{port}",
        # Saved queries see the union of the named graphs; the server does the same.
        "--union-default-graph",
    ]
    if timeout:
        command += ["--timeout-s", str(int(timeout))]
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent(os.getpid()),
    )
    return process, f"http://{DEFAULT_HOST}:{port}"


def serve(
    entry: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    allow_remote: bool = False,
    allowed_hosts: tuple[str, ...] = (),
    allow_service: bool = False,
    site_dir: Path | None = None,
    reconciler=None,
    description=None,
    say: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Serve the build ``entry`` on one port until Ctrl-C (SIGINT) or SIGTERM; return 0 after a clean
    stop. The SPARQL endpoint is Oxigraph's server behind a small front (front_server.py) that also
    serves ``site_dir``, the query UI and ``reconciler``. Raises UsageError for a refused address or a
    busy port, and an ExodusError (exit code 3) when the engine stops on its own."""
    from exodus_kg.publish.front_server import FrontServer

    check_bind(host, allow_remote)
    store = server_store(entry, progress)
    port = pick_port(host, port)
    urls = ServerUrls(f"http://{url_host(host)}:{port}")
    log_handle, log_name = tempfile.mkstemp(prefix="server-", suffix=".log", dir=entry)
    with os.fdopen(log_handle, "wb") as log:
        process, engine_url = start_engine(store, log)
    stop_requested: list[int] = []
    front: FrontServer | None = None

    def forward(signum, _frame):
        stop_requested.append(signum)
        if front is not None:
            threading.Thread(target=front.shutdown, daemon=True).start()
        if process.poll() is None:
            process.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if not _wait_until_answering(engine_url + "/query", process, STARTUP_TIMEOUT):
            if stop_requested:
                return 0
            raise ExodusError(
                f"the Oxigraph server did not start: {_log_tail(log_name)}", exit_code=EXIT_REMOTE
            )
        hosts = accepted_host_names(host, allowed_hosts)
        try:
            front = FrontServer(
                host, port, engine_url, accepted_hosts=hosts, allow_service=allow_service,
                site_dir=site_dir, reconciler=reconciler,
                void_description=description.to_bytes(urls.query) if description is not None else None,
            )
        except OSError as error:  # taken since pick_port looked, while the engine started
            raise UsageError(
                f"port {port} on {host} is in use ({error.strerror or error}); choose another with --port"
            ) from None
        threading.Thread(target=front.serve_forever, name="exodus-front", daemon=True).start()
        counts = _graph_counts(entry)
        size = f"{sum(counts.values())} triples in {len(counts)} named graphs, " if counts else ""
        say(f"Serving the built exodus-kg dataset ({size}read-only, no authentication):")
        if site_dir is not None:
            say(f"  site             {urls.site}")
        say(f"  query UI         {urls.ui}")
        say(f"  SPARQL query     {urls.query}   (default graph = union of the named graphs)")
        say(f"  graph store      {urls.store}   (GET; ?graph=IRI for one graph)")
        if description is not None:
            say(f"  dataset (VoID)   {urls.base}/.well-known/void")
        if reconciler is not None:
            say(f"  reconciliation   {urls.reconcile}   (W3C Reconciliation API, e.g. for OpenRefine)")
        say(f"  accepted Host names: {', '.join(sorted(hosts))}; SERVICE "
            + ("allowed (--allow-service)" if allow_service else "refused"))
        if not is_loopback(host):
            say(f"  WARNING: listening on {host} without authentication (--allow-remote)")
        say("Press Ctrl-C to stop.")
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.flush()
        while process.poll() is None and not stop_requested:
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
        if front is not None:
            front.shutdown()
            front.server_close()
        _stop(process)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        with contextlib.suppress(OSError):
            os.unlink(log_name)


def accepted_host_names(host: str, extra: tuple[str, ...] = ()) -> set[str]:
    """The Host header names the front answers: loopback names, the address it listens on, and the
    names given with --allow-host. Any other name is what a DNS-rebinding page would send."""
    names = {"localhost", "127.0.0.1", "::1"}
    names.add(host.strip("[]").lower())
    names.update(name.strip().strip("[]").lower() for name in extra if name.strip())
    return names


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
