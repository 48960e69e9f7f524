"""Real HTTP servers on 127.0.0.1 that misbehave on purpose, for tests of what exodus does then.

- ``RecordingServer``: answers every request with a chosen status (200 with an empty SPARQL result, 401,
  403, 500 ...) and records each request, so a test can prove that nothing was sent to it at all.
- ``HangingServer``: accepts connections and never answers (a server that hangs).
- ``FailingProxy``: forwards to a real server (Oxigraph) and, from the Nth request on, answers 500
  without forwarding: a store that breaks in the middle of a push.
- ``ScriptedServer``: answers every request with one fixed response (any status, headers and body:
  a redirect, an HTML page, hostile text, JSON of the wrong shape), optionally after a delay.
- ``TrickleServer``: sends its answer one byte at a time with a pause between bytes, from the status
  line on or from the body on.
- ``SlowProxy``: forwards to a real server, holding each write back for a while (time to press Ctrl-C).
- ``SizeLimitProxy``: forwards to a real server, answering 413 to a request body larger than a limit.

Each is a ``http.server`` in a thread of the test process; none is a mock of exodus's own code.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
import urllib.error
import urllib.request

HOST = "127.0.0.1"
EMPTY_RESULTS = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
FORWARDED_HEADERS = ("Content-Type", "Accept")
REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error", 503: "Service Unavailable"}


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


def send_plain(handler: http.server.BaseHTTPRequestHandler, status: int, message: bytes, reason=None,
               headers: tuple[tuple[str, str], ...] = ()) -> None:
    """Answer with ``status`` and a text/plain body (plus any extra ``headers``)."""
    handler.send_response(status, reason)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", str(len(message)))
    handler.end_headers()
    handler.wfile.write(message)


def forward(handler: http.server.BaseHTTPRequestHandler, upstream: str, body: bytes | None) -> None:
    """Pass the request on to ``upstream`` (with its Content-Type and Accept) and its answer back."""
    request = urllib.request.Request(upstream + handler.path, data=body, method=handler.command)
    for name in FORWARDED_HEADERS:
        if handler.headers.get(name):
            request.add_header(name, handler.headers[name])
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, headers, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, payload = error.code, error.headers, error.read()
    handler.send_response(status)
    if headers.get("Content-Type"):
        handler.send_header("Content-Type", headers["Content-Type"])
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


class ThreadedServer:
    """An ``http.server`` on a free loopback port in a daemon thread, started and stopped by ``with``."""

    def _serve(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.server = http.server.ThreadingHTTPServer((HOST, 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class RecordingServer(ThreadedServer):
    """Answers every request with ``status``; ``requests`` lists (method, path) of what arrived."""

    def __init__(self, status: int = 200):
        self.status = status
        self.requests: list[tuple[str, str]] = []
        self.authorization: list[str | None] = []
        owner = self

        class Handler(_Quiet):
            def _answer(self):
                owner.requests.append((self.command, self.path))
                owner.authorization.append(self.headers.get("Authorization"))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = EMPTY_RESULTS if owner.status == 200 else f"{owner.status} on purpose".encode()
                self.send_response(owner.status, REASONS.get(owner.status))
                if owner.status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="exodus-test"')
                content_type = "application/sparql-results+json" if owner.status == 200 else "text/plain"
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

        self._serve(Handler)


class HangingServer:
    """Listens on a port, accepts every connection and never sends a byte."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind((HOST, 0))
        self.socket.listen(64)
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.socket.settimeout(0.1)
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.accepted.append(connection)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.socket.getsockname()[1]}"

    def __enter__(self) -> HangingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self.thread.join(timeout=10)
        for connection in self.accepted:
            connection.close()
        self.socket.close()


class FailingProxy(ThreadedServer):
    """Forwards to ``upstream`` until ``fail_from`` requests have passed; every later request that
    would change data (POST, PUT, DELETE) gets HTTP 500 without reaching the upstream server."""

    def __init__(self, upstream: str, fail_from: int):
        self.upstream = upstream.rstrip("/")
        self.fail_from = fail_from
        self.forwarded = 0
        self.refused = 0
        owner = self
        lock = threading.Lock()

        class Handler(_Quiet):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with lock:
                    writes = self.command != "GET" and not (
                        self.path.startswith("/query") and self.command == "POST"
                    )
                    fail = writes and owner.forwarded >= owner.fail_from
                    if fail:
                        owner.refused += 1
                    else:
                        owner.forwarded += 1
                if fail:
                    send_plain(self, 500, b"the store broke on purpose", "Internal Server Error")
                    return
                forward(self, owner.upstream, body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._serve(Handler)


class ScriptedServer(ThreadedServer):
    """Answers every request with ``status``, ``headers`` and ``body`` after ``delay`` seconds; records
    (method, path, Authorization header) of each request in ``requests``."""

    def __init__(self, status: int = 200, body: bytes = b"", headers: tuple[tuple[str, str], ...] = (),
                 content_type: str = "application/sparql-results+json", delay: float = 0.0):
        self.requests: list[tuple[str, str, str | None]] = []
        owner = self

        class Handler(_Quiet):
            def _answer(self):
                owner.requests.append((self.command, self.path, self.headers.get("Authorization")))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self._serve(Handler)


class TrickleServer(ThreadedServer):
    """Sends a 200 answer of ``size`` bytes one byte every ``pause`` seconds: from the status line on
    (``headers_too``) or once the headers are out. Stops when the client goes away."""

    def __init__(self, pause: float = 0.7, size: int = 200, headers_too: bool = False):
        self.connections = 0
        owner = self

        class Handler(_Quiet):
            def _answer(self):
                owner.connections += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = b'{"head":{"vars":[]},"results":{"bindings":[' + b" " * size + b"]}}"
                head = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                )
                if not headers_too:
                    self.wfile.write(head)
                    self.wfile.flush()
                try:
                    for byte in (head if headers_too else b"") + body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(pause)
                except OSError:
                    pass

            do_GET = do_POST = _answer

        self._serve(Handler)


class SlowProxy(ThreadedServer):
    """Forwards to ``upstream``, holding each request that writes (update, Graph Store) back ``delay``
    seconds before it passes it on."""

    def __init__(self, upstream: str, delay: float):
        self.upstream = upstream.rstrip("/")
        owner = self

        class Handler(_Quiet):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if not self.path.startswith("/query"):
                    time.sleep(delay)
                forward(self, owner.upstream, body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._serve(Handler)


class SizeLimitProxy(ThreadedServer):
    """Forwards to ``upstream``; a request whose body is larger than ``max_bytes`` gets HTTP 413 without
    reaching it (``refused`` counts them)."""

    def __init__(self, upstream: str, max_bytes: int):
        self.upstream = upstream.rstrip("/")
        self.refused = 0
        owner = self

        class Handler(_Quiet):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if length > max_bytes:
                    owner.refused += 1
                    send_plain(self, 413, b"request entity too large", "Payload Too Large")
                    return
                forward(self, owner.upstream, body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._serve(Handler)
