"""An HTTP Basic authentication front for a real Oxigraph server, as people put nginx in front of one.

Oxigraph itself has no authentication, so tests of credentials go through this: a request with the
right ``Authorization`` header is forwarded to Oxigraph and its answer passed back; any other gets
401 (no header) or 403 (wrong credentials). The refusal echoes the header it got, as a careless server
might, so a test can check that exodus keeps the password out of its messages even then.
"""

from __future__ import annotations

import base64
import http.server
import threading
import urllib.error
import urllib.request

FORWARDED_HEADERS = ("Content-Type", "Accept")


class BasicAuthProxy:
    def __init__(self, upstream: str, user: str, password: str):
        self.upstream = upstream.rstrip("/")
        self.expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.seen_authorization: list[str | None] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                given = self.headers.get("Authorization")
                proxy.seen_authorization.append(given)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if given != proxy.expected:
                    status = 401 if given is None else 403
                    message = f"refused; you sent Authorization: {given}".encode()
                    self.send_response(status)
                    if status == 401:
                        self.send_header("WWW-Authenticate", 'Basic realm="exodus-test"')
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(message)))
                    self.end_headers()
                    self.wfile.write(message)
                    return
                request = urllib.request.Request(proxy.upstream + self.path, data=body, method=self.command)
                for name in FORWARDED_HEADERS:
                    if self.headers.get(name):
                        request.add_header(name, self.headers[name])
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        status, headers, payload = response.status, response.headers, response.read()
                except urllib.error.HTTPError as error:
                    status, headers, payload = error.code, error.headers, error.read()
                self.send_response(status)
                if headers.get("Content-Type"):
                    self.send_header("Content-Type", headers["Content-Type"])
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> BasicAuthProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
