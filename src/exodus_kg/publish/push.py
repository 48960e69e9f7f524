"""Push the built dataset into a SPARQL 1.1 store and check that it arrived.

Three ways in (``protocol``), all through the one HTTP client (``sparql_client.py``):

- ``dataset``: the whole dataset in one request. ``--replace``: one SPARQL Update request that empties
  the target graphs and inserts the dataset, applied by the store as one transaction (no temporary
  graphs); a store that refuses a request that large (HTTP 413, 400, ...) gets the batched replace
  below instead. ``--append``: N-Quads in one ``POST`` to the Graph Store endpoint without ``?graph``
  (Oxigraph's ``/store``). The fastest; one request keeps blank nodes shared between graphs whole.
- ``update``: SPARQL 1.1 Update ``INSERT DATA`` requests, in batches. Every SPARQL 1.1 store has an
  update endpoint, and one request can write several named graphs.
- ``gsp``: the Graph Store Protocol one graph at a time, ``PUT``/``POST`` of N-Triples to
  ``<store>?graph=``. One request writes one graph, so blank nodes shared between graphs could not be
  kept; such a push is refused (the build skolemises its blank nodes, so its graphs stand alone).

``auto`` (the default) is ``dataset`` for an Oxigraph-style server (endpoints derived from ``--endpoint``)
and ``update`` for any other (Virtuoso's Graph Store endpoint, for one, accepts N-Quads without
``?graph`` and leaves their named graphs empty). In batches, every batch holds whole blank-node
components.

``--replace`` (the default) is atomic from a reader's view. In batches, the data goes into temporary graphs under
``TEMP_GRAPH_BASE``, their triple counts are checked, and one update request moves each of them onto its
target (``MOVE <temp> TO <target>``) and empties the graphs of the build that are empty now
(``clear``), which a store applies as one transaction. A failure before that request leaves the previous
graphs as they were; the temporary graphs are dropped when the store can still be reached, and named in
the error when it cannot. ``--append`` adds to the target graphs (not atomic). After either, the count of
triples in each target graph is compared with what was sent: a difference is a failed check (exit 1).

Credentials: ``EXODUS_ENDPOINT_USER`` / ``EXODUS_ENDPOINT_PASSWORD`` or ``~/.netrc`` (``$NETRC``) for HTTP
Basic or Digest, ``EXODUS_ENDPOINT_TOKEN`` for a bearer token, and extra headers (``--header``); none of
them appears in a message.

>>> endpoints = Endpoints.derive("http://127.0.0.1:7878")
>>> endpoints.query, endpoints.update, endpoints.store
('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update', 'http://127.0.0.1:7878/store')
"""

from __future__ import annotations

import json
import netrc
import os
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from exodus_kg import __version__
from exodus_kg.errors import CheckFailed, ExodusError, RemoteError, UsageError
from exodus_kg.publish.sparql_client import (
    Credentials,
    HttpStatusError,
    SparqlClient,
    check_endpoint_url,
    check_timeout,
    quoted,
    redact_url,
)
from exodus_kg.rdf.namespaces import EXG
from exodus_kg.rdf.query_files import package_query

__all__ = ["Credentials", "Endpoints", "push", "redact_url"]

GRAPH_BASE = EXG
TEMP_GRAPH_BASE = GRAPH_BASE + "push-temp/"
ENV_USER = "EXODUS_ENDPOINT_USER"
ENV_PASSWORD = "EXODUS_ENDPOINT_PASSWORD"
ENV_TOKEN = "EXODUS_ENDPOINT_TOKEN"
# Virtuoso 7 refuses an INSERT DATA of 5000 triples ("generated SQL text has exceeded 10000 lines").
DEFAULT_BATCH_SIZE = 2000
DEFAULT_TIMEOUT = 60.0
PROTOCOLS = ("auto", "dataset", "update", "gsp")
MODES = ("replace", "append")
USER_AGENT = f"exodus-kg/{__version__} push"
# Answers by which a store says it does not take a whole dataset at its Graph Store endpoint.
_NO_DATASET_STATUSES = (400, 405, 406, 415, 501)
# How long a push interrupted by Ctrl-C still tries to drop its temporary graphs.
CLEANUP_SECONDS = 5.0
EXIT_INTERRUPTED = 130

# Characters an IRI written as <...> in SPARQL may not hold.
_BAD_IRI_CHARACTERS = re.compile(r'[\x00-\x20<>"{}|^`\\]')


class PushInterrupted(ExodusError):
    """Ctrl-C during a push: the message says what the store was left with."""

    exit_code = EXIT_INTERRUPTED


# --- endpoints and credentials -----------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    """Where to send queries (for the counts), updates and Graph Store requests."""

    query: str
    update: str | None = None
    store: str | None = None
    # The store endpoint is an Oxigraph-style /store (derived from --endpoint), which takes a whole
    # dataset in one request; another store's Graph Store endpoint may file it elsewhere.
    store_takes_datasets: bool = False

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
        takes_datasets = bool(base) and not store
        if base:
            check_endpoint_url(base, "--endpoint")
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
                check_endpoint_url(url, option)
        if not query:
            raise UsageError(
                "no query endpoint: give --endpoint BASE (an Oxigraph-style server) or --query-endpoint URL "
                "(the push counts the triples that arrived through it)"
            )
        return cls(query=query, update=update, store=store, store_takes_datasets=takes_datasets)


def check_url(url: str, option: str) -> None:
    check_endpoint_url(url, option)


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def parse_header(text: str) -> tuple[str, str]:
    """``NAME: VALUE`` of ``--header`` as a pair, refusing what is not one HTTP header line."""
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _HEADER_NAME.match(name) or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise UsageError(f"--header {quoted(name, 40)!r}...: expected 'NAME: VALUE' on one line")
    return name, value


def find_credentials(
    url: str,
    environ: dict[str, str] | None = None,
    scheme: str = "basic",
    headers: Iterable[tuple[str, str]] = (),
) -> Credentials | None:
    """Credentials for ``url``: a token or user and password from the environment first, then the netrc
    file (``$NETRC`` or ~/.netrc); ``headers`` (from ``--header``) go with either, or alone."""
    environ = os.environ if environ is None else environ
    headers = tuple(headers)
    token = environ.get(ENV_TOKEN)
    user, password = environ.get(ENV_USER), environ.get(ENV_PASSWORD)
    if token and (user or password):
        raise UsageError(f"set either {ENV_TOKEN} or {ENV_USER} and {ENV_PASSWORD}, not both")
    if token or scheme == "bearer":
        if not token:
            raise UsageError(f"--auth bearer needs the token in {ENV_TOKEN}")
        return Credentials(scheme="bearer", token=token, headers=headers, source="environment")
    if user or password:
        if not (user and password):
            missing = ENV_PASSWORD if user else ENV_USER
            raise UsageError(f"{missing} is not set; set both {ENV_USER} and {ENV_PASSWORD}, or neither")
        return Credentials(user, password, scheme, headers=headers, source="environment")
    from_netrc = _netrc_entry(url, environ)
    if from_netrc:
        login, password, path = from_netrc
        return Credentials(login, password, scheme, headers=headers, source=path)
    return Credentials(headers=headers, source="--header") if headers else None


def _netrc_entry(url: str, environ) -> tuple[str, str, str] | None:
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
    return login, password, str(path)


# --- talking to the store ------------------------------------------------------------------------


def iri_ref(iri: str) -> str:
    """``<iri>`` for SPARQL text, refusing an IRI that could break out of the brackets."""
    if not iri or _BAD_IRI_CHARACTERS.search(iri) or ":" not in iri:
        raise UsageError(f"not an absolute IRI: {quoted(iri)!r}")
    return f"<{iri}>"


def resolve_graph_iri(text: str, prefixes: dict[str, str] | None = None) -> str:
    """The graph IRI a user gave (``--graph``): a prefixed name of the project (``exg:asserted``) expanded,
    then checked as an absolute IRI, so that a bad one is refused before anything is sent.

    >>> resolve_graph_iri("exg:asserted", {"exg": "https://w3id.org/exodus-kg/graph/"})
    'https://w3id.org/exodus-kg/graph/asserted'
    """
    if prefixes is None:
        from exodus_kg.query.engine import PREFIXES as prefixes
    prefix, colon, local = text.partition(":")
    if colon and prefix in prefixes and not local.startswith("//"):
        text = prefixes[prefix] + local
    try:
        iri_ref(text)
        ox.NamedNode(text)
    except (UsageError, ValueError):
        raise UsageError(f"--graph {quoted(text)!r}: not an absolute IRI (or a prefixed name like exg:asserted)") from None
    return text


def bind_graph(query: str, graph: str) -> str:
    """Bind ``?_graph_iri`` in a saved query to ``graph`` (an IRI checked by ``iri_ref``)."""
    return re.sub(r"\?_graph_iri\b", lambda _: iri_ref(graph), query)


class StoreClient:
    """The three endpoints of one store over the one HTTP client."""

    def __init__(
        self, endpoints: Endpoints, credentials: Credentials | None = None, timeout: float = DEFAULT_TIMEOUT
    ):
        self.endpoints = endpoints
        self.credentials = credentials
        self.timeout = timeout
        self.http = SparqlClient(timeout=timeout, user_agent=USER_AGENT, auth=credentials)
        self.writes_sent = 0  # write requests that reached the store (it may have applied them)

    @property
    def requests(self) -> int:
        return self.http.requests

    def close(self) -> None:
        self.http.close()

    def select(self, query: str) -> list[dict]:
        return self.http.select(self.endpoints.query, query).get("results", {}).get("bindings", [])

    def count(self, query: str, variable: str) -> int:
        rows = self.select(query)
        try:
            return int(rows[0][variable]["value"]) if rows else 0
        except (KeyError, ValueError):
            raise RemoteError(f"{self.endpoints.query}: the count query returned no number") from None

    def count_graphs(self, graphs: Iterable[str]) -> dict[str, int]:
        """The number of triples in each of ``graphs``, in one query (a graph with none: 0)."""
        graphs = list(graphs)
        template = package_query("push-count-graphs")
        marker = "VALUES ?graph {\n"
        query = template.replace(marker, marker + "".join(f"    {iri_ref(g)}\n" for g in graphs), 1)
        counts = dict.fromkeys(graphs, 0)
        for row in self.select(query):
            try:
                counts[row["graph"]["value"]] = int(row["triples"]["value"])
            except (KeyError, ValueError):
                raise RemoteError(f"{self.endpoints.query}: the count query returned no number") from None
        return counts

    def update(self, request: str) -> None:
        if not self.endpoints.update:
            raise UsageError("no update endpoint: give --endpoint BASE or --update-endpoint URL")
        self._write(lambda: self.http.update(self.endpoints.update, request))

    def graph_store(self, method: str, graph: str | None, body: bytes | None, content_type: str) -> None:
        """PUT, POST or DELETE on ``<store>?graph=<graph>`` (or on the whole dataset: ``graph`` None)."""
        if not self.endpoints.store:
            raise UsageError("no Graph Store endpoint: give --endpoint BASE or --store-endpoint URL")
        self._write(
            lambda: self.http.graph_store(
                method, self.endpoints.store, graph=graph, body=body, content_type=content_type
            )
        )

    def _write(self, send: Callable[[], None]) -> None:
        try:
            send()
        except RemoteError as error:
            if "connection refused" not in error.message:
                self.writes_sent += 1
            raise
        except BaseException:
            self.writes_sent += 1
            raise
        self.writes_sent += 1


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
    cleared: list[str]

    @property
    def sent(self) -> int:
        return sum(g.sent for g in self.graphs)


def push(
    quads: Iterable[ox.Quad],
    endpoints: Endpoints,
    *,
    graph: str | None = None,
    mode: str = "replace",
    protocol: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    timeout: float = DEFAULT_TIMEOUT,
    credentials: Credentials | None = None,
    clear: Iterable[str] = (),
    progress: Callable[[PushEvent], None] | None = None,
) -> PushResult:
    """Load ``quads`` into the store at ``endpoints`` and check the triple counts there.

    ``clear`` names graphs that must hold nothing afterwards (the graphs of the build that are empty
    now); ``--replace`` empties them in the same request as the swap. Raises UsageError (2) for a push
    that cannot be done as asked, RemoteError (3) when the store fails or cannot be reached,
    CheckFailed (1) when the counts in the store differ from what was sent, PushInterrupted (130) on
    Ctrl-C.
    """
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    if protocol not in PROTOCOLS:
        raise UsageError(f"unknown protocol {protocol!r}; choose one of: {', '.join(PROTOCOLS)}")
    check_timeout(timeout)
    if batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    say = progress or (lambda event: None)
    started = time.perf_counter()
    if graph:
        graph = resolve_graph_iri(graph)
    targets = target_graphs(quads, graph)
    clear = [g for g in dict.fromkeys(clear) if g not in targets] if mode == "replace" and not graph else []
    for name in clear:
        iri_ref(name)
    if protocol == "auto":
        protocol = "dataset" if endpoints.store and endpoints.store_takes_datasets else "update"
    if (protocol == "gsp" or (protocol == "dataset" and mode == "append")) and not endpoints.store:
        raise UsageError(
            f"--protocol {protocol} needs a Graph Store endpoint: --endpoint BASE or --store-endpoint URL"
        )
    if (protocol == "update" or mode == "replace") and not endpoints.update:
        needed = (
            "--replace moves the pushed graphs into place with SPARQL Update" if mode == "replace" else ""
        )
        raise UsageError(
            "no update endpoint: give --endpoint BASE or --update-endpoint URL"
            + (f" ({needed})" if needed else "")
        )

    if mode == "replace" and protocol != "dataset":
        token = uuid.uuid4().hex[:12]
        staging = {target: f"{TEMP_GRAPH_BASE}{token}/{index}" for index, target in enumerate(targets)}
    else:
        staging = {target: target for target in targets}
    outgoing = [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(staging[target]))
        for target, triples in targets.items()
        for t in triples
    ]
    plan = Plan(outgoing, protocol, batch_size)
    client = StoreClient(endpoints, credentials, timeout)
    try:
        say(PushEvent("start", _plan_message(targets, mode, plan), 0, plan.batches))
        if mode == "replace" and plan.protocol == "dataset":
            try:
                results = _replace_in_one_request(client, targets, plan, clear, say)
            except HttpStatusError as error:
                if error.status not in (413, *_NO_DATASET_STATUSES) or client.writes_sent > 1:
                    raise
                # The store takes no update that large: the same replace in batches, through
                # temporary graphs (nothing was written: the refused request was one transaction).
                say(PushEvent("batch", f"one request was refused ({error.message}); sending batches"))
                token = uuid.uuid4().hex[:12]
                staging = {t: f"{TEMP_GRAPH_BASE}{token}/{index}" for index, t in enumerate(targets)}
                plan = Plan(
                    [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(staging[q.graph_name.value])) for q in outgoing],
                    "update",
                    batch_size,
                )
                client.writes_sent = 0
                results = _replace(client, targets, staging, plan, clear, say)
        elif mode == "replace":
            results = _replace(client, targets, staging, plan, clear, say)
        else:
            results = _append(client, targets, plan, say)
    finally:
        client.close()
    elapsed = time.perf_counter() - started
    result = PushResult(mode, plan.protocol, results, plan.batches, client.requests, elapsed, clear)
    say(PushEvent("done", f"pushed {result.sent} triples in {elapsed:.2f} s", plan.batches, plan.batches))
    return result


class Plan:
    """The requests that carry the data: one dataset request, or batches by Update or Graph Store."""

    def __init__(self, quads: list[ox.Quad], protocol: str, batch_size: int):
        self.quads = quads
        self.protocol = protocol
        self.batch_size = batch_size
        self._batches: list[list[ox.Quad]] | None = None
        if protocol == "gsp":
            _refuse_blank_nodes_across_graphs(quads)

    @property
    def batches(self) -> int:
        return 1 if self.protocol == "dataset" else len(self.split())

    def split(self) -> list[list[ox.Quad]]:
        if self._batches is None:
            self._batches = make_batches(self.quads, self.batch_size)
        return self._batches

    def fall_back_to_update(self) -> None:
        self.protocol = "update"


def _plan_message(targets: dict[str, list[ox.Triple]], mode: str, plan: Plan) -> str:
    total = sum(len(t) for t in targets.values())
    how = {
        "update": f"in {plan.batches} batch(es) by SPARQL Update",
        "gsp": f"in {plan.batches} batch(es) by the Graph Store Protocol",
        "dataset": "in one Graph Store request (N-Quads)",
    }[plan.protocol]
    return f"{mode}: {total} triples into {len(targets)} graph(s) {how}"


def _refuse_blank_nodes_across_graphs(quads: list[ox.Quad]) -> None:
    graphs_of_blank: dict[ox.BlankNode, set[str]] = {}
    for quad in quads:
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.BlankNode):
                graphs_of_blank.setdefault(term, set()).add(quad.graph_name.value)
    shared = sum(1 for graphs in graphs_of_blank.values() if len(graphs) > 1)
    if shared:
        raise UsageError(
            f"{shared} blank node(s) appear in more than one named graph, and the Graph Store Protocol "
            "writes one graph per request, which would split each into two nodes; use --protocol dataset "
            "or update, or push everything into one graph with --graph IRI"
        )


def _send(client: StoreClient, plan: Plan, say, first_put: bool) -> None:
    if plan.protocol == "dataset":
        body = ox.serialize(plan.quads, format=ox.RdfFormat.N_QUADS)
        try:
            client.graph_store("POST", None, body, "application/n-quads")
        except HttpStatusError as error:
            if error.status not in _NO_DATASET_STATUSES:
                raise
            say(PushEvent("batch", f"the store does not take a dataset in one request ({error.message}); using SPARQL Update"))
            plan.fall_back_to_update()
        else:
            say(PushEvent("batch", f"sent {len(plan.quads)} quads in one request", 1, 1))
            return
    batches = plan.split()
    written: set[str] = set()
    for number, batch in enumerate(batches, 1):
        if plan.protocol == "update":
            client.update(insert_request(batch))
        else:
            by_graph: dict[str, list[ox.Triple]] = {}
            for quad in batch:
                by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)
            for graph_name, triples in by_graph.items():
                # PUT first: a temporary graph starts empty whatever a crashed push left under its name.
                method = "PUT" if first_put and graph_name not in written else "POST"
                client.graph_store(method, graph_name, turtle_body(triples), "application/n-triples")
                written.add(graph_name)
        say(PushEvent("batch", f"batch {number}/{len(batches)}: {len(batch)} triples", number, len(batches)))


def _replace(client, targets, staging, plan, clear, say) -> list[GraphResult]:
    stage = "load"
    try:
        _send(client, plan, say, first_put=True)
        counts = client.count_graphs(staging.values())
        for target, triples in targets.items():
            found = counts[staging[target]]
            say(PushEvent("counted", f"{staging[target]}: {found} of {len(triples)} triples arrived"))
            if found != len(triples):
                raise CheckFailed(
                    f"count check failed before replacing <{target}>: the temporary graph holds {found} "
                    f"triples, {len(triples)} were sent"
                )
        say(PushEvent("swap", "moving the temporary graphs onto their targets in one request"))
        stage = "swap"
        # Every target has triples (target_graphs makes targets from quads), so every MOVE has a source.
        operations = [f"MOVE {iri_ref(staging[t])} TO {iri_ref(t)}" for t in targets]
        operations += [f"DROP SILENT GRAPH {iri_ref(g)}" for g in clear]
        client.update(" ;\n".join(operations) + "\n")
    except BaseException as error:
        interrupted = not isinstance(error, ExodusError)
        if interrupted and not isinstance(error, KeyboardInterrupt):
            raise
        if client.writes_sent == 0:
            if interrupted:
                raise PushInterrupted("interrupted before anything was sent; the store was not changed") from None
            raise
        leftover = _drop_quietly(client, list(staging.values()), interrupted)
        if isinstance(error, UsageError):
            raise
        if stage == "load":
            note = "the target graphs were left as they were"
        else:
            note = (
                "the store did not confirm the swap, which it applies as one transaction: the targets hold "
                "either all the previous graphs or all the new ones"
            )
        if leftover:
            note += ". Temporary graphs may remain; drop them with: " + " ; ".join(
                f"DROP SILENT GRAPH <{g}>" for g in leftover
            )
        if interrupted:
            raise PushInterrupted(f"interrupted; {note}") from None
        error.message = f"{error.message}; {note}"
        error.args = (error.message,)
        raise error from None
    counts = client.count_graphs([*targets, *clear])
    results = [GraphResult(t, len(triples), len(triples), counts[t]) for t, triples in targets.items()]
    results += [GraphResult(g, 0, 0, counts[g]) for g in clear]
    _check(results, "after replacing")
    return results


def _replace_in_one_request(client, targets, plan, clear, say) -> list[GraphResult]:
    """The whole replace as one SPARQL Update request (empty every target and every emptied layer, then
    insert the dataset), which the store applies as one transaction; then the count check. No
    temporary graph: the request is applied whole or not at all."""
    operations = [f"DROP SILENT GRAPH {iri_ref(g)}" for g in [*targets, *clear]]
    request = " ;\n".join(operations) + " ;\n" + insert_request(plan.quads)
    try:
        client.update(request)
    except BaseException as error:
        if isinstance(error, HttpStatusError) and error.status in (413, *_NO_DATASET_STATUSES):
            raise  # the caller sends batches instead
        if not isinstance(error, RemoteError | KeyboardInterrupt) or client.writes_sent == 0:
            if isinstance(error, KeyboardInterrupt):
                raise PushInterrupted("interrupted before anything was sent; the store was not changed") from None
            raise
        if isinstance(error, HttpStatusError):
            note = "the target graphs were left as they were (the store refused the one request of the push)"
        else:
            note = (
                "the store did not confirm the push, one request that it applies as one transaction: the "
                "targets hold either all the previous graphs or all the new ones"
            )
        if isinstance(error, KeyboardInterrupt):
            raise PushInterrupted(f"interrupted; {note}") from None
        error.message = f"{error.message}; {note}"
        error.args = (error.message,)
        raise error from None
    say(PushEvent("batch", f"sent {len(plan.quads)} triples in one request", 1, 1))
    counts = client.count_graphs([*targets, *clear])
    results = [GraphResult(t, len(triples), len(triples), counts[t]) for t, triples in targets.items()]
    results += [GraphResult(g, 0, 0, counts[g]) for g in clear]
    _check(results, "after replacing")
    return results


def _drop_quietly(client: StoreClient, graphs: list[str], interrupted: bool) -> list[str]:
    """Drop the temporary graphs in one request; return them if that did not succeed. After Ctrl-C
    (or a timeout) a request the store had not answered may still land: the graphs are then named."""
    cleanup = client
    if interrupted:
        cleanup = StoreClient(client.endpoints, client.credentials, min(client.timeout, CLEANUP_SECONDS))
    try:
        cleanup.update(" ;\n".join(f"DROP SILENT GRAPH {iri_ref(g)}" for g in graphs) + "\n")
    except (RemoteError, UsageError, KeyboardInterrupt):
        return graphs
    finally:
        if cleanup is not client:
            cleanup.close()
    return graphs if interrupted else []


def _append(client, targets, plan, say) -> list[GraphResult]:
    results = []
    befores = client.count_graphs(targets)
    for target, triples in targets.items():
        before = befores[target]
        present = 0
        if before:
            ground = [t for t in triples if not _has_blank(t)]
            template = bind_graph(package_query("push-count-present"), target)
            marker = "VALUES (?subject ?property ?value) {\n"
            for start in range(0, len(ground), 1000):
                rows = values_rows(ground[start : start + 1000])
                present += client.count(template.replace(marker, marker + rows + "\n", 1), "present")
        # Blank nodes are new in every request, so triples with blank nodes always add.
        results.append(GraphResult(target, len(triples), before + len(triples) - present, 0, before))
    _send(client, plan, say, first_put=False)
    counts = client.count_graphs(targets)
    for result in results:
        result.found = counts[result.target]
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
        if g.target in result.cleared:
            lines.append(f"<{g.target}>: emptied (the build has no triples in it)")
            continue
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
            "cleared": result.cleared,
        },
        indent=2,
    )
