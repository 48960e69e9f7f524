"""The one HTTP client of exodus-kg: every request to a remote SPARQL endpoint or triple store (``exodus
push``, ``exodus link --check``, ``exodus federated``) goes through :class:`SparqlClient`, on httpx.

What it guarantees, whoever calls it:

- ``timeout`` is a deadline for the whole request (connecting, sending, every byte of the answer and any
  redirect), not a bound on each socket read: a server that trickles one byte at a time is given up on.
- Redirects: an update or a Graph Store write answered by a redirect is a failure (it was not carried
  out; the message names the new URL). A query follows a redirect on the same host (scheme, host and
  port), and to another host only when no credentials go with it.
- Answers are capped (``max_answer_bytes``); a SELECT answer must be SPARQL 1.1 JSON results of the
  right shape, else one line and exit code 3.
- Every failure is a :class:`RemoteError` (exit code 3) of one line that names the URL; text quoted from
  the server is escaped for a terminal (``terminal_safe``), cut to ``MAX_QUOTED_CHARS``, and never holds a
  password, token or custom header value.

>>> check_timeout(2.5)
2.5
>>> check_endpoint_url("http://[::1", "--endpoint")
Traceback (most recent call last):
  ...
exodus_kg.errors.UsageError: --endpoint 'http://[::1': not a valid URL (Invalid IPv6 URL)
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from exodus_kg.errors import RemoteError, UsageError
from exodus_kg.query.result_formats import terminal_safe

# An answer larger than this is refused: a count or a Wikidata check answers in kilobytes, and a
# runaway result must not fill the memory.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
# Of an error body, only so much is read and shown.
MAX_ERROR_BYTES = 64 * 1024
MAX_QUOTED_CHARS = 200
# A day: longer is not a timeout, and larger values (1e308) overflow the socket layer.
MAX_TIMEOUT = 86_400.0
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)

_REASONS = {
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Payload Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class HttpStatusError(RemoteError):
    """The server answered with an HTTP error status (kept in ``status``)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


# --- checking what the user gave -----------------------------------------------------------------


def check_timeout(value: float, option: str = "--timeout") -> float:
    """``value`` if it is a usable number of seconds (finite, more than 0, at most a day), else UsageError."""
    if not isinstance(value, int | float) or math.isnan(value) or not 0 < value <= MAX_TIMEOUT:
        raise UsageError(f"{option} {value!r}: expected a number of seconds, more than 0 and at most {MAX_TIMEOUT:g}")
    return float(value)


def check_endpoint_url(url: str, option: str) -> str:
    """``url`` if it is an http(s) URL with a host, a valid port and no user name or password in it
    (those belong in the environment or netrc, not in shell history and process lists)."""
    shown = repr(quoted(redact_url(url)))
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number or out of range
    except ValueError as error:
        raise UsageError(f"{option} {shown}: not a valid URL ({terminal_safe(str(error))})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option} {shown}: not an http(s) URL (expected http://HOST[:PORT]/PATH)")
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"{option} {shown}: do not put a user name or password in the URL; set "
            "EXODUS_ENDPOINT_USER and EXODUS_ENDPOINT_PASSWORD or add the host to ~/.netrc"
        )
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise UsageError(f"{option} {shown}: a URL cannot hold spaces or control characters")
    host = parts.hostname
    if ":" not in host and (len(host) > 253 or any(len(label) > 63 for label in host.split("."))):
        raise UsageError(f"{option} {shown}: not a valid URL (its host name is too long)")
    return url


def redact_url(url: str) -> str:
    """The URL with any user:password@ part replaced by ***@ (also in a URL that does not parse)."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@", r"\1***@", url)


def quoted(text: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """Text from outside (a server's error body, a label) made safe for one line of a terminal: white
    space collapsed, control characters escaped, cut to ``limit`` characters."""
    text = terminal_safe(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- authentication ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """How to authenticate: HTTP Basic or Digest with a user and password, a bearer token, and any extra
    headers (an access token under a store's own header name). Every secret is kept out of messages."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    scheme: str = "basic"  # "basic", "digest" or "bearer"
    token: str | None = field(default=None, repr=False)
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    source: str = ""

    def secrets(self) -> list[str]:
        """Strings that must never be shown: password, token, header values, and the Basic header."""
        found = [self.password or "", self.token or "", *(value for _name, value in self.headers)]
        if self.user and self.password:
            found.append(base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii"))
        return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)

    def httpx_auth(self):
        import httpx

        if self.user and self.password is not None:
            if self.scheme == "digest":
                return httpx.DigestAuth(self.user, self.password)
            return httpx.BasicAuth(self.user, self.password)
        return None

    def header_items(self) -> list[tuple[str, str]]:
        items = list(self.headers)
        if self.token:
            items.append(("Authorization", f"Bearer {self.token}"))
        return items


# --- the client ----------------------------------------------------------------------------------


class SparqlClient:
    """SPARQL 1.1 Protocol queries and updates, and Graph Store Protocol requests, to any endpoint.

    ``requests`` counts what was sent. Use as a context manager, or call ``close``.
    """

    def __init__(
        self,
        *,
        timeout: float,
        user_agent: str,
        auth: Credentials | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ):
        import httpx

        self.timeout = check_timeout(timeout)
        self.auth = auth
        self.max_answer_bytes = max_answer_bytes
        self.requests = 0
        headers = {"User-Agent": user_agent}
        for name, value in auth.header_items() if auth else ():
            headers[name] = value
        # Redirects are handled here (see _send), never by httpx, so that no write is redirected and no
        # credential goes to another host.
        self._http = httpx.Client(
            headers=headers,
            auth=auth.httpx_auth() if auth else None,
            follow_redirects=False,
            timeout=httpx.Timeout(self.timeout),
        )

    def __enter__(self) -> SparqlClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # the requests

    def select(self, url: str, query: str) -> dict:
        """Run a SELECT (or ASK) with POST and return SPARQL 1.1 JSON results, checked for their shape."""
        body = self.send(
            "POST",
            url,
            action="query",
            form={"query": query},
            accept="application/sparql-results+json",
            write=False,
        )
        try:
            answer = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise RemoteError(
                f"{url}: the answer is not SPARQL JSON results (it starts: {quoted(body[:80].decode('utf-8', 'replace'), 80)})"
            ) from None
        problem = json_results_problem(answer)
        if problem:
            raise RemoteError(f"{url}: the answer is not SPARQL JSON results ({problem})")
        return answer

    def update(self, url: str, request: str) -> None:
        """Send a SPARQL 1.1 Update request (POST, form-encoded, which every store reads)."""
        self.send("POST", url, action="update", form={"update": request}, write=True)

    def graph_store(
        self,
        method: str,
        url: str,
        *,
        graph: str | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> None:
        """PUT, POST or DELETE on a Graph Store endpoint: ``?graph=<graph>``, or the whole dataset."""
        if graph is not None:
            separator = "&" if "?" in url else "?"
            url = f"{url}{separator}{urllib.parse.urlencode({'graph': graph})}"
        action = f"{method} graph" if graph is not None else f"{method} dataset"
        self.send(method, url, action=action, content=body, content_type=content_type, write=True)

    # the machinery

    def send(
        self,
        method: str,
        url: str,
        *,
        action: str,
        write: bool,
        form: dict[str, str] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        accept: str | None = None,
    ) -> bytes:
        """One request with every guarantee of the module; the body of a 2xx answer."""
        if form is not None:
            content = urllib.parse.urlencode(form).encode("utf-8")
            content_type = "application/x-www-form-urlencoded"
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        if accept:
            headers["Accept"] = accept
        cancelled = threading.Event()
        self.requests += 1
        return self._within_deadline(
            lambda: self._exchange(method, url, headers, content, action, write, cancelled), url, action, cancelled
        )

    def _within_deadline(self, work: Callable[[], bytes], url: str, action: str, cancelled: threading.Event):
        """Run ``work`` in a worker thread and wait at most ``timeout`` for all of it: httpx's own
        timeouts bound each socket operation, and a trickle of bytes would pass each of them."""
        outcome: dict = {}
        done = threading.Event()

        def run() -> None:
            try:
                outcome["value"] = work()
            except BaseException as error:  # handed to the waiting thread
                outcome["error"] = error
            finally:
                done.set()

        worker = threading.Thread(target=run, name="exodus-http", daemon=True)
        worker.start()
        try:
            finished = done.wait(self.timeout)
        finally:
            if not done.is_set():
                cancelled.set()  # Ctrl-C or the deadline: the worker stops at its next chunk
        if not finished:
            raise RemoteError(self._redact(f"{url}: {action}: no complete answer within {self.timeout:g} s (--timeout)"))
        if "error" in outcome:
            error = outcome["error"]
            if isinstance(error, RemoteError | UsageError | KeyboardInterrupt | SystemExit):
                raise error
            raise RemoteError(self._redact(describe_transport_error(error, url, action, self.timeout))) from None
        return outcome["value"]

    def _exchange(self, method, url, headers, content, action, write, cancelled) -> bytes:
        first_url = url
        for _hop in range(MAX_REDIRECTS + 1):
            with self._http.stream(method, url, headers=headers, content=content) as response:
                status = response.status_code
                if status in _REDIRECTS and "location" in response.headers:
                    target = str(response.url.join(response.headers["location"]))
                    self._refuse_redirect(first_url, url, target, status, action, write)
                    if status == 303:
                        method, content = "GET", None
                        headers = {k: v for k, v in headers.items() if k != "Content-Type"}
                    url = target
                    continue
                if not 200 <= status < 300:
                    body = self._read(response, MAX_ERROR_BYTES, cancelled, url, action, truncate=True)
                    raise HttpStatusError(self._redact(describe_status(status, body, url, action)), status)
                return self._read(response, self.max_answer_bytes, cancelled, url, action)
        raise RemoteError(f"{first_url}: {action}: more than {MAX_REDIRECTS} redirects")

    def _refuse_redirect(self, first_url, url, target, status, action, write) -> None:
        shown = quoted(redact_url(target))
        if write:
            raise RemoteError(
                f"{first_url}: {action} answered with a redirect (HTTP {status}) to {shown}: it was not "
                "carried out; give the endpoint's own URL"
            )
        here, there = urllib.parse.urlsplit(url), urllib.parse.urlsplit(target)
        same_origin = (here.scheme, here.hostname, here.port) == (there.scheme, there.hostname, there.port)
        if not same_origin and self.auth is not None:
            raise RemoteError(
                f"{first_url}: {action} redirected (HTTP {status}) to another host, {shown}; credentials are "
                "never sent to another host: give that URL as the endpoint if you trust it"
            )
        if there.scheme not in ("http", "https"):
            raise RemoteError(f"{first_url}: {action} redirected (HTTP {status}) to {shown}, not an http(s) URL")

    def _read(self, response, limit: int, cancelled: threading.Event, url: str, action: str, truncate=False) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            if cancelled.is_set():
                raise RemoteError(f"{url}: {action}: given up")
            size += len(chunk)
            if size > limit:
                if truncate:
                    chunks.append(chunk[: limit - (size - len(chunk))])
                    break
                shown = f"{limit / 1048576:g} MiB" if limit >= 1048576 else f"{limit} bytes"
                raise RemoteError(f"{url}: {action}: the answer is larger than {shown}; refused")
            chunks.append(chunk)
        return b"".join(chunks)

    def _redact(self, message: str) -> str:
        for secret in self.auth.secrets() if self.auth else ():
            message = message.replace(secret, "***")
        return message


# --- what went wrong -----------------------------------------------------------------------------

_HTTP_ADVICE = {
    401: "the store wants credentials: set EXODUS_ENDPOINT_USER and EXODUS_ENDPOINT_PASSWORD (or "
    "EXODUS_ENDPOINT_TOKEN) or add the host to ~/.netrc (and --auth digest for Virtuoso's /sparql-auth)",
    403: "the store refused: the credentials may lack write access, or the server is read-only",
    404: "no such endpoint: check the URL (see docs/publishing.md)",
    413: "the request is too large for the store: lower --batch-size",
    414: "the request URL is too long for the store",
}


def describe_status(status: int, body: bytes, url: str, action: str) -> str:
    """One line for an HTTP error answer, quoting the start of its body safely."""
    detail = quoted(body.decode("utf-8", "replace"))
    parts = [f"{url}: {action} failed with HTTP {status} {_REASONS.get(status, 'error')}"]
    if detail:
        parts.append(f"({detail})")
    if status in _HTTP_ADVICE:
        parts.append(f"- {_HTTP_ADVICE[status]}")
    return " ".join(parts)


def describe_transport_error(error: BaseException, url: str, action: str, timeout: float) -> str:
    """One line for a failure below HTTP: refused, reset, unknown host, a timeout."""
    import httpx

    causes = []
    current: BaseException | None = error
    while current is not None and len(causes) < 8:
        causes.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(str(c) for c in causes)
    if isinstance(error, httpx.TimeoutException):
        return f"{url}: {action}: no complete answer within {timeout:g} s (--timeout)"
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "Connection refused" in text:
        return f"{url}: {action}: connection refused (is the server running, and on this port?)"
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return f"{url}: {action}: unknown host (offline, or a wrong URL?)"
    if isinstance(error, httpx.TransportError | OSError):
        reason = "reset" if "reset" in text.lower() or "disconnected" in text.lower() else quoted(str(error) or type(error).__name__, 80)
        return f"{url}: {action}: connection failed ({reason})"
    if isinstance(error, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return f"{url}: {action}: not a usable URL ({quoted(str(error), 80)})"
    return f"{url}: {action} failed ({type(error).__name__}: {quoted(str(error), 120)})"


_CELL_TYPES = {"uri", "literal", "bnode", "typed-literal", "triple"}


def json_results_problem(answer) -> str | None:
    """What is wrong with ``answer`` as SPARQL 1.1 JSON results, or None when it is fine.

    >>> json_results_problem({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "uri", "value": "u"}}]}})
    >>> json_results_problem({"results": {"bindings": [{"x": 1}]}})
    'binding 1, ?x: not a {"type", "value"} object'
    """
    if not isinstance(answer, dict):
        return f"a JSON {type(answer).__name__}, not an object"
    if "boolean" in answer:
        return None if isinstance(answer["boolean"], bool) else '"boolean" is not true or false'
    results = answer.get("results")
    if not isinstance(results, dict) or not isinstance(results.get("bindings"), list):
        return 'no "results": {"bindings": [...]}'
    for number, binding in enumerate(results["bindings"], 1):
        if not isinstance(binding, dict):
            return f"binding {number} is not an object"
        for name, cell in binding.items():
            if (
                not isinstance(cell, dict)
                or cell.get("type") not in _CELL_TYPES
                or not isinstance(cell.get("value"), str | dict)
            ):
                return f'binding {number}, ?{quoted(str(name), 40)}: not a {{"type", "value"}} object'
    return None
