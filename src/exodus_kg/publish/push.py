"""Push the built dataset into a SPARQL 1.1 store, in batches, and check that it arrived.

Two ways in:

- ``update`` (the default): SPARQL 1.1 Update ``INSERT DATA`` requests sent with SPARQLWrapper. Every
  SPARQL 1.1 store has an update endpoint, and one request can write several named graphs, which keeps
  a blank node shared between two graphs (an evidence node the reasoner typed) one node.
- ``gsp``: the SPARQL 1.1 Graph Store HTTP Protocol, ``PUT``/``POST`` of Turtle to ``<store>?graph=``.
  One request writes one graph, so blank nodes shared between graphs cannot be kept; such a push is
  refused (use ``update``, or ``--graph`` to push everything into one graph).

Blank nodes are scoped to one request, so every batch holds whole blank-node components: the triples
linked through a blank node never straddle two batches.

``--replace`` (the default) is atomic from a reader's view: the data goes into temporary graphs under
``TEMP_GRAPH_BASE``, their triple counts are checked, and one update request moves each of them onto
its target (``MOVE <temp> TO <target>``), which a store applies as one transaction. A failure before
that request leaves the previous graphs as they were; the temporary graphs are dropped when the store
can still be reached, and named in the error when it cannot. ``--append`` adds to the target graphs,
batch by batch (not atomic). After either, the count of triples in each target graph is compared with
what was sent: a difference is a failed check (exit code 1).

Credentials come from ``EXODUS_ENDPOINT_USER`` / ``EXODUS_ENDPOINT_PASSWORD`` or from ``~/.netrc``
(``$NETRC``), are sent as HTTP Basic (or Digest) authentication, and never appear in a message.

>>> endpoints = Endpoints.derive("http://127.0.0.1:7878")
>>> endpoints.query, endpoints.update, endpoints.store
('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update', 'http://127.0.0.1:7878/store')
"""

from __future__ import annotations

import ast
import base64
import contextlib
import json
import netrc
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from exodus_kg.errors import CheckFailed, RemoteError, UsageError
from exodus_kg.project import resource_path

SPARQL_DIR = resource_path("sparql")
GRAPH_BASE = "https://w3id.org/exodus-kg/graph/"
TEMP_GRAPH_BASE = GRAPH_BASE + "push-temp/"
ENV_USER = "EXODUS_ENDPOINT_USER"
ENV_PASSWORD = "EXODUS_ENDPOINT_PASSWORD"
# Virtuoso 7 refuses an INSERT DATA of 5000 triples ("generated SQL text has exceeded 10000 lines").
DEFAULT_BATCH_SIZE = 2000
DEFAULT_TIMEOUT = 60.0
PROTOCOLS = ("update", "gsp")
MODES = ("replace", "append")
USER_AGENT = "exodus-kg push"

# Characters an IRI written as <...> in SPARQL may not hold.
_BAD_IRI_CHARACTERS = re.compile(r'[\x00-\x20<>"{}|^`\\]')


# --- endpoints and credentials -----------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    """Where to send queries (for the counts), updates and Graph Store requests."""

    query: str
    update: str | None = None
    store: str | None = None

    @classmethod
    def derive(
        cls,
        base: str | None = None,
        *,
        query: str | None = None,
        update: str | None = None,
        store: str | None = None,
    ) -> Endpoints:
        """Endpoints from an Oxigraph-style base URL (``BASE/query``, ``BASE/update``, ``BASE/store``),
        each overridden by an explicit URL."""
        if base:
            check_url(base, "--endpoint")
            root = base.rstrip("/")
            query = query or root + "/query"
            update = update or root + "/update"
            store = store or root + "/store"
        for url, option in (
            (query, "--query-endpoint"),
            (update, "--update-endpoint"),
            (store, "--store-endpoint"),
        ):
            if url:
                check_url(url, option)
        if not query:
            raise UsageError(
                "no query endpoint: give --endpoint BASE (an Oxigraph-style server) or --query-endpoint URL "
                "(the push counts the triples that arrived through it)"
            )
        return cls(query=query, update=update, store=store)


def check_url(url: str, option: str) -> None:
    """An http(s) URL without user name or password in it (those belong in the environment or netrc,
    where they are not shown in shell history and process lists)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option} {redact_url(url)}: expected an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"{option} {redact_url(url)}: do not put a user name or password in the URL; set "
            f"{ENV_USER} and {ENV_PASSWORD} or add the host to ~/.netrc"
        )


def redact_url(url: str) -> str:
    """The URL with any user:password@ part replaced by ***@."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, "***@" + host, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)
    scheme: str = "basic"  # or "digest" (Virtuoso's /sparql-auth)
    source: str = ""

    def secrets(self) -> list[str]:
        """Strings that must never be shown: the password and the Basic header made from it."""
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
        return [s for s in (self.password, token) if s]


def find_credentials(
    url: str, environ: dict[str, str] | None = None, scheme: str = "basic"
) -> Credentials | None:
    """Credentials for ``url``: the environment first, then the netrc file (``$NETRC`` or ~/.netrc)."""
    environ = os.environ if environ is None else environ
    user, password = environ.get(ENV_USER), environ.get(ENV_PASSWORD)
    if user or password:
        if not (user and password):
            missing = ENV_PASSWORD if user else ENV_USER
            raise UsageError(f"{missing} is not set; set both {ENV_USER} and {ENV_PASSWORD}, or neither")
        return Credentials(user, password, scheme, "environment")
    path = Path(environ.get("NETRC") or Path(environ.get("HOME") or Path.home()) / ".netrc")
    if not path.is_file():
        return None
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        entry = netrc.netrc(str(path)).authenticators(host)
    except netrc.NetrcParseError as error:
        # The parser's message can quote a token of the file, which may be a password.
        raise UsageError(f"{path}: cannot read it (line {error.lineno}); fix or move the file") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read it ({error.strerror or error})") from None
    if entry is None:
        return None
    login, _account, password = entry
    if not (login and password):
        return None
    return Credentials(login, password, scheme, str(path))


# --- talking to the store ------------------------------------------------------------------------


def _sparql_wrapper_class():
    from SPARQLWrapper import SPARQLWrapper

    class FirstWordsSPARQLWrapper(SPARQLWrapper):
        """SPARQLWrapper guesses the kind of a request (SELECT, INSERT, MOVE ...) with regular expressions
        over its whole text: that took seconds for a batch of INSERT DATA, and the word "add" in a
        comment made it send a SELECT query to the update endpoint. The requests this module sends
        (no PREFIX lines) start with their kind once the comment lines are left out."""

        def _parseQueryType(self, query: str):
            for line in query.splitlines():
                words = line.split("#", 1)[0].split()
                if words:
                    return words[0].upper()
            return None

    return FirstWordsSPARQLWrapper


def _load_query(name: str) -> str:
    return (SPARQL_DIR / name).read_text(encoding="utf-8")


def iri_ref(iri: str) -> str:
    """``<iri>`` for SPARQL text, refusing an IRI that could break out of the brackets."""
    if not iri or _BAD_IRI_CHARACTERS.search(iri) or ":" not in iri:
        raise UsageError(f"not an absolute IRI: {iri!r}")
    return f"<{iri}>"


def bind_graph(query: str, graph: str) -> str:
    """Bind ``?_graph_iri`` in a saved query to ``graph`` (an IRI checked by ``iri_ref``)."""
    return re.sub(r"\?_graph_iri\b", lambda _: iri_ref(graph), query)


class StoreClient:
    """HTTP to one store: SPARQLWrapper for queries and updates, urllib for the Graph Store Protocol.

    Every failure becomes a RemoteError (exit code 3) with one line naming the endpoint and what went
    wrong, with the credentials cut out.
    """

    def __init__(
        self, endpoints: Endpoints, credentials: Credentials | None = None, timeout: float = DEFAULT_TIMEOUT
    ):
        self.endpoints = endpoints
        self.credentials = credentials
        self.timeout = timeout
        self.requests = 0

    # SPARQL protocol (SPARQLWrapper)

    def _wrapper(self, update: bool):
        from SPARQLWrapper import DIGEST, JSON, POST

        wrapper = _sparql_wrapper_class()(
            self.endpoints.query, updateEndpoint=self.endpoints.update, agent=USER_AGENT
        )
        wrapper.setMethod(POST)
        if not update:
            wrapper.setReturnFormat(JSON)
        wrapper.setTimeout(max(1, round(self.timeout)))
        if self.credentials:
            if self.credentials.scheme == "digest":
                wrapper.setHTTPAuth(DIGEST)
            wrapper.setCredentials(self.credentials.user, self.credentials.password)
        return wrapper

    def select(self, query: str) -> list[dict]:
        wrapper = self._wrapper(update=False)
        wrapper.setQuery(query)
        self.requests += 1
        try:
            result = wrapper.queryAndConvert()
        except BaseException as error:
            raise self._failure(error, self.endpoints.query, "query") from None
        if not isinstance(result, dict) or "results" not in result:
            raise RemoteError(
                f"{self.endpoints.query}: the answer to a SELECT query is not SPARQL JSON results"
            )
        return result["results"]["bindings"]

    def count(self, query: str, variable: str) -> int:
        rows = self.select(query)
        try:
            return int(rows[0][variable]["value"]) if rows else 0
        except (KeyError, ValueError):
            raise RemoteError(f"{self.endpoints.query}: the count query returned no number") from None

    def update(self, request: str) -> None:
        if not self.endpoints.update:
            raise UsageError("no update endpoint: give --endpoint BASE or --update-endpoint URL")
        wrapper = self._wrapper(update=True)
        wrapper.setQuery(request)
        self.requests += 1
        try:
            response = wrapper.query().response
            response.read()
        except BaseException as error:
            raise self._failure(error, self.endpoints.update, "update") from None

    # Graph Store HTTP Protocol (urllib)

    def graph_store(self, method: str, graph: str, body: bytes | None = None) -> int:
        """PUT, POST or DELETE on ``<store>?graph=<graph>``; returns the HTTP status."""
        if not self.endpoints.store:
            raise UsageError("no Graph Store endpoint: give --endpoint BASE or --store-endpoint URL")
        separator = "&" if "?" in self.endpoints.store else "?"
        url = f"{self.endpoints.store}{separator}{urllib.parse.urlencode({'graph': graph})}"
        request = urllib.request.Request(url, data=body, method=method)
        request.add_header("User-Agent", USER_AGENT)
        if body is not None:
            # N-Triples is Turtle too, and every Graph Store implementation reads Turtle.
            request.add_header("Content-Type", "text/turtle; charset=utf-8")
        handlers = []
        if self.credentials and self.credentials.scheme == "digest":
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(
                None, self.endpoints.store, self.credentials.user, self.credentials.password
            )
            handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
        elif self.credentials:
            token = base64.b64encode(f"{self.credentials.user}:{self.credentials.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        self.requests += 1
        try:
            with urllib.request.build_opener(*handlers).open(request, timeout=self.timeout) as response:
                response.read()
                return response.status
        except BaseException as error:
            raise self._failure(error, self.endpoints.store, f"{method} graph") from None

    # errors

    def _failure(self, error: BaseException, url: str, action: str) -> BaseException:
        if isinstance(error, KeyboardInterrupt | SystemExit | GeneratorExit):
            return error
        return RemoteError(self.redact(describe_failure(error, url, action, self.timeout)))

    def redact(self, message: str) -> str:
        if self.credentials:
            for secret in self.credentials.secrets():
                message = message.replace(secret, "***")
        return message


_HTTP_ADVICE = {
    401: "the store wants credentials: set EXODUS_ENDPOINT_USER and EXODUS_ENDPOINT_PASSWORD or add the host "
    "to ~/.netrc (and --auth digest for Virtuoso's /sparql-auth)",
    403: "the store refused: the credentials may lack write access, or the server is read-only",
    404: "no such endpoint: check the URL (see README, 'Exporting and pushing to triple stores')",
    413: "the request is too large for the store: lower --batch-size",
    414: "the request URL is too long for the store",
}


def describe_failure(error: BaseException, url: str, action: str, timeout: float) -> str:
    """One line saying what failed; the caller redacts credentials from it."""
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    status, body = None, ""
    if isinstance(error, urllib.error.HTTPError):
        status = error.code
        try:
            body = error.read().decode("utf-8", "replace")
        except Exception:  # the body is only a hint
            body = ""
    elif isinstance(error, SPARQLWrapperException):
        status = {"QueryBadFormed": 400, "Unauthorized": 401, "EndPointNotFound": 404, "URITooLong": 414}.get(
            type(error).__name__, 500
        )
        # SPARQLWrapper keeps the response body only inside its message, as a bytes repr.
        _, _, body = str(error).partition("Response:")
        body = body.strip()
        if body.startswith(("b'", 'b"')):
            with contextlib.suppress(ValueError, SyntaxError):
                body = ast.literal_eval(body).decode("utf-8", "replace")
    if status is not None:
        reason = _REASONS.get(status, "error")
        detail = " ".join(str(body).split())[:200]
        advice = _HTTP_ADVICE.get(status, "")
        parts = [f"{url}: {action} failed with HTTP {status} {reason}"]
        if detail:
            parts.append(f"({detail})")
        if advice:
            parts.append(f"- {advice}")
        return " ".join(parts)
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError | socket.timeout) or "timed out" in str(reason):
        return f"{url}: {action}: no answer within {timeout:g} s (--timeout)"
    if isinstance(reason, ConnectionRefusedError):
        return f"{url}: {action}: connection refused (is the store running, and on this port?)"
    if isinstance(reason, socket.gaierror):
        return f"{url}: {action}: unknown host"
    if isinstance(reason, ConnectionError | OSError):
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return f"{url}: {action}: connection failed ({text})"
    return f"{url}: {action} failed ({type(error).__name__}: {' '.join(str(error).split())[:200]})"


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


# --- what to send --------------------------------------------------------------------------------


def target_graphs(quads: Iterable[ox.Quad], graph: str | None = None) -> dict[str, list[ox.Triple]]:
    """The distinct triples per target graph: each quad's own graph, or everything into ``graph``."""
    targets: dict[str, dict[ox.Triple, None]] = {}
    for quad in quads:
        if graph:
            name = graph
        elif isinstance(quad.graph_name, ox.NamedNode):
            name = quad.graph_name.value
        else:
            raise UsageError("the dataset has triples outside a named graph; push them with --graph IRI")
        targets.setdefault(name, {})[quad.triple] = None
    for name in targets:
        iri_ref(name)
    return {name: list(triples) for name, triples in targets.items()}


def _has_blank(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def blank_node_units(quads: list[ox.Quad]) -> list[list[ox.Quad]]:
    """Quads grouped so that quads linked through blank nodes share a group (a union-find over blank
    nodes); quads without blank nodes are groups of one. Order follows the input."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def find(node: ox.BlankNode) -> ox.BlankNode:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    for quad in quads:
        blanks = [t for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        if len(blanks) == 2:
            first, second = find(blanks[0]), find(blanks[1])
            if first != second:
                parent[second] = first
        elif blanks:
            find(blanks[0])
    units: dict[object, list[ox.Quad]] = {}
    for index, quad in enumerate(quads):
        blank = quad.subject if isinstance(quad.subject, ox.BlankNode) else quad.object
        key = find(blank) if isinstance(blank, ox.BlankNode) else index
        units.setdefault(key, []).append(quad)
    return list(units.values())


def make_batches(quads: list[ox.Quad], batch_size: int) -> list[list[ox.Quad]]:
    """Batches of at most ``batch_size`` quads, never splitting a blank-node unit (a unit larger than
    ``batch_size`` goes alone)."""
    if batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    batches: list[list[ox.Quad]] = []
    current: list[ox.Quad] = []
    for unit in blank_node_units(quads):
        if current and len(current) + len(unit) > batch_size:
            batches.append(current)
            current = []
        current.extend(unit)
    if current:
        batches.append(current)
    return batches


def _graph_blocks(quads: list[ox.Quad]) -> str:
    by_graph: dict[str, list[str]] = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name.value, []).append(f"    {quad.triple} .")
    return "\n".join(
        f"  GRAPH {iri_ref(graph)} {{\n" + "\n".join(lines) + "\n  }" for graph, lines in by_graph.items()
    )


def insert_request(quads: list[ox.Quad]) -> str:
    """One SPARQL Update request that inserts ``quads``.

    Triples without blank nodes go in one ``INSERT DATA``. Triples with blank nodes go in
    ``INSERT { ... } WHERE { }`` operations, which mean the same (fresh blank nodes, shared by the
    whole template) but which Virtuoso 7 accepts, while it refuses blank nodes in ``INSERT DATA``.
    Blank nodes used in a single graph get one operation per graph; only the components that span
    graphs share a multi-graph template (Virtuoso 7.2 inserts those but answers HTTP 500). No blank
    node label appears in two operations.
    """
    ground = [q for q in quads if not _has_blank(q.triple)]
    per_graph: dict[str, list[ox.Quad]] = {}
    spanning: list[ox.Quad] = []
    for unit in blank_node_units([q for q in quads if _has_blank(q.triple)]):
        graphs = {q.graph_name.value for q in unit}
        if len(graphs) == 1:
            per_graph.setdefault(graphs.pop(), []).extend(unit)
        else:
            spanning.extend(unit)
    operations = []
    if ground:
        operations.append("INSERT DATA {\n" + _graph_blocks(ground) + "\n}")
    for group in [*per_graph.values(), spanning]:
        if group:
            operations.append("INSERT {\n" + _graph_blocks(group) + "\n}\nWHERE { }")
    return " ;\n".join(operations) + "\n"


def turtle_body(triples: Iterable[ox.Triple]) -> bytes:
    return ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)


def values_rows(triples: Iterable[ox.Triple]) -> str:
    return "\n".join(f"    ({t.subject} {t.predicate} {t.object})" for t in triples)


# --- the push ------------------------------------------------------------------------------------


@dataclass
class PushEvent:
    """What ``push`` reports as it goes: ``stage`` is "start", "batch", "counted", "swap" or "done"."""

    stage: str
    message: str
    batch: int = 0
    batches: int = 0


@dataclass
class GraphResult:
    target: str
    sent: int  # distinct triples sent
    expected: int  # triples the target graph must hold afterwards
    found: int  # triples it holds
    before: int | None = None  # --append: triples it held before


@dataclass
class PushResult:
    mode: str
    protocol: str
    graphs: list[GraphResult]
    batches: int
    requests: int
    seconds: float

    @property
    def sent(self) -> int:
        return sum(g.sent for g in self.graphs)


def push(
    quads: Iterable[ox.Quad],
    endpoints: Endpoints,
    *,
    graph: str | None = None,
    mode: str = "replace",
    protocol: str = "update",
    batch_size: int = DEFAULT_BATCH_SIZE,
    timeout: float = DEFAULT_TIMEOUT,
    credentials: Credentials | None = None,
    progress: Callable[[PushEvent], None] | None = None,
) -> PushResult:
    """Load ``quads`` into the store at ``endpoints`` and check the triple counts there.

    Raises UsageError (2) for a push that cannot be done as asked, RemoteError (3) when the store fails
    or cannot be reached, CheckFailed (1) when the counts in the store differ from what was sent.
    """
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    if protocol not in PROTOCOLS:
        raise UsageError(f"unknown protocol {protocol!r}; choose one of: {', '.join(PROTOCOLS)}")
    if timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    say = progress or (lambda event: None)
    started = time.perf_counter()
    targets = target_graphs(quads, graph)
    if protocol == "gsp" and not endpoints.store:
        raise UsageError(
            "--protocol gsp needs a Graph Store endpoint: --endpoint BASE or --store-endpoint URL"
        )
    if (protocol == "update" or mode == "replace") and not endpoints.update:
        needed = (
            "--replace moves the pushed graphs into place with SPARQL Update" if mode == "replace" else ""
        )
        raise UsageError(
            "no update endpoint: give --endpoint BASE or --update-endpoint URL"
            + (f" ({needed})" if needed else "")
        )

    client = StoreClient(endpoints, credentials, timeout)
    if mode == "replace":
        token = uuid.uuid4().hex[:12]
        staging = {target: f"{TEMP_GRAPH_BASE}{token}/{index}" for index, target in enumerate(targets)}
    else:
        staging = {target: target for target in targets}
    outgoing = [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(staging[target]))
        for target, triples in targets.items()
        for t in triples
    ]
    batches = make_batches(outgoing, batch_size)
    if protocol == "gsp":
        _refuse_blank_nodes_across_graphs(batches)

    say(PushEvent("start", _plan_message(targets, mode, protocol, len(batches)), 0, len(batches)))
    if mode == "replace":
        results = _replace(client, targets, staging, batches, protocol, say)
    else:
        results = _append(client, targets, batches, protocol, say)
    elapsed = time.perf_counter() - started
    result = PushResult(mode, protocol, results, len(batches), client.requests, elapsed)
    say(PushEvent("done", f"pushed {result.sent} triples in {elapsed:.2f} s", len(batches), len(batches)))
    return result


def _plan_message(targets: dict[str, list[ox.Triple]], mode: str, protocol: str, batches: int) -> str:
    total = sum(len(t) for t in targets.values())
    return (
        f"{mode}: {total} triples into {len(targets)} graph(s) in {batches} batch(es) "
        f"by {'SPARQL Update' if protocol == 'update' else 'the Graph Store Protocol'}"
    )


def _refuse_blank_nodes_across_graphs(batches: list[list[ox.Quad]]) -> None:
    graphs_of_blank: dict[ox.BlankNode, set[str]] = {}
    for batch in batches:
        for quad in batch:
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.BlankNode):
                    graphs_of_blank.setdefault(term, set()).add(quad.graph_name.value)
    shared = sum(1 for graphs in graphs_of_blank.values() if len(graphs) > 1)
    if shared:
        raise UsageError(
            f"{shared} blank node(s) appear in more than one named graph, and the Graph Store Protocol "
            "writes one graph per request, which would split each into two nodes; use --protocol update "
            "(the default) or push everything into one graph with --graph IRI"
        )


def _send(client: StoreClient, batches: list[list[ox.Quad]], protocol: str, say, first_put: bool) -> None:
    written: set[str] = set()
    for number, batch in enumerate(batches, 1):
        if protocol == "update":
            client.update(insert_request(batch))
        else:
            by_graph: dict[str, list[ox.Triple]] = {}
            for quad in batch:
                by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)
            for graph_name, triples in by_graph.items():
                # PUT first: a temporary graph starts empty whatever a crashed push left under its name.
                method = "PUT" if first_put and graph_name not in written else "POST"
                client.graph_store(method, graph_name, turtle_body(triples))
                written.add(graph_name)
        say(PushEvent("batch", f"batch {number}/{len(batches)}: {len(batch)} triples", number, len(batches)))


def _count(client: StoreClient, graph: str) -> int:
    return client.count(bind_graph(_load_query("push-count-graph.rq"), graph), "triples")


def _replace(client, targets, staging, batches, protocol, say) -> list[GraphResult]:
    stage = "load"
    try:
        _send(client, batches, protocol, say, first_put=True)
        for target, triples in targets.items():
            found = _count(client, staging[target])
            say(PushEvent("counted", f"{staging[target]}: {found} of {len(triples)} triples arrived"))
            if found != len(triples):
                raise CheckFailed(
                    f"count check failed before replacing <{target}>: the temporary graph holds {found} "
                    f"triples, {len(triples)} were sent"
                )
        say(PushEvent("swap", "moving the temporary graphs onto their targets in one request"))
        stage = "swap"
        # Every target has triples (target_graphs makes targets from quads), so every MOVE has a source.
        client.update(" ;\n".join(f"MOVE {iri_ref(staging[t])} TO {iri_ref(t)}" for t in targets) + "\n")
    except BaseException as error:
        leftover = _drop_quietly(client, list(staging.values()))
        if not isinstance(error, RemoteError | CheckFailed):
            raise
        if stage == "load":
            note = "; the target graphs were left as they were"
        else:
            note = (
                "; the store did not confirm the swap, which it applies as one transaction: the targets hold "
                "either all the previous graphs or all the new ones"
            )
        if leftover:
            note += ". Temporary graphs may remain; drop them with: " + " ; ".join(
                f"DROP SILENT GRAPH <{g}>" for g in leftover
            )
        raise type(error)(error.message + note) from None
    results = []
    for target, triples in targets.items():
        found = _count(client, target)
        results.append(GraphResult(target, len(triples), len(triples), found))
    _check(results, "after replacing")
    return results


def _drop_quietly(client: StoreClient, graphs: list[str]) -> list[str]:
    """Drop the temporary graphs in one request; return them if the store could not be reached."""
    try:
        client.update(" ;\n".join(f"DROP SILENT GRAPH {iri_ref(g)}" for g in graphs) + "\n")
    except (RemoteError, UsageError):
        return graphs
    return []


def _append(client, targets, batches, protocol, say) -> list[GraphResult]:
    results = []
    for target, triples in targets.items():
        before = _count(client, target)
        present = 0
        if before:
            ground = [t for t in triples if not _has_blank(t)]
            template = bind_graph(_load_query("push-count-present.rq"), target)
            marker = "VALUES (?subject ?property ?value) {\n"
            for start in range(0, len(ground), 1000):
                rows = values_rows(ground[start : start + 1000])
                present += client.count(template.replace(marker, marker + rows + "\n", 1), "present")
        # Blank nodes are new in every request, so triples with blank nodes always add.
        results.append(GraphResult(target, len(triples), before + len(triples) - present, 0, before))
    _send(client, batches, protocol, say, first_put=False)
    for result in results:
        result.found = _count(client, result.target)
    _check(results, "after appending")
    return results


def _check(results: list[GraphResult], when: str) -> None:
    wrong = [r for r in results if r.found != r.expected]
    if wrong:
        details = "; ".join(f"<{r.target}> holds {r.found} triples, expected {r.expected}" for r in wrong)
        raise CheckFailed(
            f"count check failed {when}: {details} (another writer, or a store that rewrites literals?)"
        )


def result_summary(result: PushResult) -> str:
    """Lines for the terminal: one per graph, then the total."""
    lines = []
    for g in result.graphs:
        extra = f" (was {g.before})" if g.before is not None else ""
        lines.append(f"<{g.target}>: {g.found} triples{extra}, {g.sent} sent")
    lines.append(
        f"{result.mode} by {result.protocol}: {result.sent} triples in {result.batches} batch(es), "
        f"{result.requests} requests, {result.seconds:.2f} s; counts checked"
    )
    return "\n".join(lines)


def as_json(result: PushResult) -> str:
    return json.dumps(
        {
            "mode": result.mode,
            "protocol": result.protocol,
            "batches": result.batches,
            "requests": result.requests,
            "seconds": round(result.seconds, 3),
            "graphs": [g.__dict__ for g in result.graphs],
        },
        indent=2,
    )
