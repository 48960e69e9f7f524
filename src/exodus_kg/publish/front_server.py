"""The one port `exodus serve` opens: the site's files, the query UI, the Reconciliation API, and the
SPARQL endpoint, which is Oxigraph's own server on a private loopback port, reached through here.

The front answers only requests whose Host header names this machine (loopback names, the address it
listens on, or names the user allowed): a web page on another site that rebinds its DNS name to
127.0.0.1 sends its own name and gets 403. A query that calls a remote SERVICE is refused unless the
user asked for it: Oxigraph would otherwise fetch from any host a client names.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import mimetypes
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from exodus_kg.errors import ExodusError

ENGINE_PATHS = ("/query", "/store", "/update")
MAX_BODY = 1_000_000  # bytes of a request body; a SPARQL query or a reconciliation batch is far smaller
ENGINE_TIMEOUT = 300.0
CHUNK = 64 * 1024
# Headers of the engine's answer passed on to the client; the rest (connection handling) is ours.
PASSED_HEADERS = ("content-type", "content-disposition", "location", "allow", "vary")


class FrontServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        host: str,
        port: int,
        engine_url: str,
        *,
        accepted_hosts: set[str],
        allow_service: bool = False,
        site_dir: Path | None = None,
        reconciler=None,
        void_description: bytes | None = None,
    ):
        host = host.strip("[]")
        if ":" in host:
            import socket

            self.address_family = socket.AF_INET6
        self.engine = urllib.parse.urlsplit(engine_url)
        self.accepted_hosts = accepted_hosts
        self.allow_service = allow_service
        self.site_dir = site_dir.resolve() if site_dir is not None else None
        self.reconciler = reconciler
        self.void_description = void_description
        super().__init__((host, port), FrontHandler)

    def handle_error(self, request, client_address):
        # One line on stderr instead of socketserver's traceback; the client got a 500 or a cut answer.
        import sys

        from exodus_kg.query.result_formats import terminal_safe

        error = sys.exc_info()[1]
        print(
            terminal_safe(f"exodus serve: a request from {client_address[0]} failed: {type(error).__name__}: {error}"),
            file=sys.stderr,
        )


def host_name(header: str | None) -> str | None:
    """The name in a Host header without its port: ``[::1]:80`` -> ``::1``, ``a.b:80`` -> ``a.b``."""
    if not header:
        return None
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else None
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class FrontHandler(BaseHTTPRequestHandler):
    server: FrontServer
    protocol_version = "HTTP/1.1"
    server_version = "exodus-serve"

    def log_message(self, format, *args):
        pass  # the terminal shows the banner; a log line per request would bury it

    # One method per HTTP verb, all routed the same way.
    def do_GET(self):
        self._route()

    def do_HEAD(self):
        self._route()

    def do_POST(self):
        self._route()

    def do_PUT(self):
        self._route()

    def do_DELETE(self):
        self._route()

    def do_OPTIONS(self):
        self._route()

    def _route(self) -> None:
        name = host_name(self.headers.get("Host"))
        if name not in self.server.accepted_hosts:
            self._plain(
                403,
                f"Host {self.headers.get('Host')!r} is not accepted: this server answers loopback names "
                "only (exodus serve --allow-host NAME adds one)\n",
            )
            return
        try:
            self._dispatch()
        except Exception:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._plain(500, "internal error; see the terminal of exodus serve\n")
            raise

    def _dispatch(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        try:
            body = self._body()
        except ValueError as error:
            self._plain(413 if "large" in str(error) else 400, f"{error}\n")
            return
        if path == "/.well-known/void" and self.server.void_description is not None:
            # The dataset's VoID and DCAT description, where VoID's section 7 says to look for it.
            if self.command in ("GET", "HEAD"):
                self._send(200, "text/turtle; charset=utf-8", self.server.void_description)
            else:
                self._plain(405, "the dataset description is read-only\n")
        elif any(path == p or path.startswith(p + "/") for p in ENGINE_PATHS):
            self._to_engine(body)
        elif path == "/reconcile" or path.startswith("/reconcile/"):
            self._reconcile(path, body)
        elif self.server.site_dir is not None and self.command in ("GET", "HEAD"):
            self._site_file(path)
        elif self.server.site_dir is None:
            self._to_engine(body)
        else:
            self._plain(405, "the site is read-only\n")

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise ValueError("chunked request bodies are not accepted; send Content-Length")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            raise ValueError("bad Content-Length") from None
        if size < 0:
            raise ValueError("bad Content-Length")
        if size > MAX_BODY:
            raise ValueError(f"request body too large ({size} bytes; at most {MAX_BODY})")
        return self.rfile.read(size)

    # The SPARQL endpoint ---------------------------------------------------------------------------

    def _queries_in(self, body: bytes) -> list[str]:
        parts = urllib.parse.urlsplit(self.path)
        found = urllib.parse.parse_qs(parts.query).get("query", [])
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind == "application/x-www-form-urlencoded":
            found += urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("query", [])
        elif kind == "application/sparql-query":
            found.append(body.decode("utf-8", "replace"))
        return found

    def _to_engine(self, body: bytes) -> None:
        if not self.server.allow_service:
            from exodus_kg.rdf.sparql_text import refuse_service

            for text in self._queries_in(body):
                try:
                    refuse_service(text)
                except ExodusError as error:
                    self._plain(403 if "SERVICE" in str(error) else 400, f"{error}\n")
                    return
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() in ("accept", "content-type", "accept-language")
        }
        headers["Content-Length"] = str(len(body))
        engine = self.server.engine
        connection = http.client.HTTPConnection(engine.hostname, engine.port, timeout=ENGINE_TIMEOUT)
        started = False
        chunked = self.request_version == "HTTP/1.1" and self.command != "HEAD"
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            answer = connection.getresponse()
            started = True
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() in PASSED_HEADERS:
                    self.send_header(name, value)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.close_connection = True
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                return
            while chunk := answer.read(CHUNK):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError as error:
            self.close_connection = True
            if not started:
                with contextlib.suppress(OSError):
                    self._plain(502, f"the SPARQL engine did not answer: {error}\n")
        finally:
            connection.close()

    # Reconciliation ----------------------------------------------------------------------------------

    def _reconcile(self, path: str, body: bytes) -> None:
        if self.server.reconciler is None:
            self._plain(404, "no reconciliation service here\n")
            return
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if body and kind in ("application/x-www-form-urlencoded", ""):
            params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
        status, content_type, payload = self.server.reconciler.answer(
            path.removeprefix("/reconcile"), params, base=self._base_url()
        )
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, content_type, payload, cors=True)

    def _base_url(self) -> str:
        return f"http://{self.headers.get('Host')}"

    # The site ---------------------------------------------------------------------------------------

    def _site_file(self, path: str) -> None:
        root = self.server.site_dir
        relative = urllib.parse.unquote(path).lstrip("/")
        candidates = [root / relative]
        if not relative or relative.endswith("/"):
            candidates = [root / relative / "index.html"]
        else:
            candidates.append(root / (relative + ".html"))
        for candidate in candidates:
            try:
                resolved = candidate.resolve()
            except (OSError, RuntimeError):
                continue
            if resolved.is_relative_to(root) and resolved.is_file():
                kind = mimetypes.guess_type(resolved.name)[0] or "application/octet-stream"
                if kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml"):
                    kind += "; charset=utf-8"
                self._send(200, kind, resolved.read_bytes())
                return
        self._plain(404, f"not found: {path}\n")

    # Answers ----------------------------------------------------------------------------------------

    def _plain(self, status: int, text: str) -> None:
        self._send(status, "text/plain; charset=utf-8", text.encode("utf-8"))

    def _send(self, status: int, content_type: str, payload: bytes, cors: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if cors:  # OpenRefine's web page calls the reconciliation service from its own origin
            self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
