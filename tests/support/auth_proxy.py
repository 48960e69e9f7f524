"""An authentication front for a real Oxigraph server, as people put nginx in front of one.

Oxigraph itself has no authentication, so tests of credentials go through this: a request with the
right header (``Authorization: Basic ...`` for ``BasicAuthProxy``, any header and value for
``HeaderAuthProxy``: a bearer token, a store's own access-token header) is forwarded to Oxigraph and its
answer passed back; any other gets 401 (no header) or 403 (wrong credentials). The refusal echoes the header it got, as a careless server
might, so a test can check that exodus keeps the password out of its messages even then.
"""

from __future__ import annotations

import base64

from support.fault_servers import ThreadedServer, _Quiet, forward, send_plain


class HeaderAuthProxy(ThreadedServer):
    def __init__(self, upstream: str, header: str, expected: str):
        self.upstream = upstream.rstrip("/")
        self.expected = expected
        self.seen_authorization: list[str | None] = []
        proxy = self

        class Handler(_Quiet):
            def _handle(self):
                given = self.headers.get(header)
                proxy.seen_authorization.append(given)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if given != proxy.expected:
                    status = 401 if given is None else 403
                    challenge = (("WWW-Authenticate", 'Basic realm="exodus-test"'),) if status == 401 else ()
                    send_plain(self, status, f"refused; you sent {header}: {given}".encode(), headers=challenge)
                    return
                forward(self, proxy.upstream, body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._serve(Handler)


class BasicAuthProxy(HeaderAuthProxy):
    def __init__(self, upstream: str, user: str, password: str):
        super().__init__(upstream, "Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
