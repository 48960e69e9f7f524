"""Saved federated queries: ``queries/federated/*.rq`` join this graph with Wikidata through ``SERVICE``.

They have the same ``#+`` header as the other saved queries (see ``saved_queries.py``) and live in their own
folder, so ``exodus queries`` and the saved-query tests do not run them. They reach the network, so they run
only when the caller opts in (``allow_service=True``, ``exodus federated NAME --allow-service``).

How a SERVICE is evaluated. pyoxigraph sends the SERVICE pattern to the remote endpoint without the local
bindings, which against Wikidata means asking for every birth date it has. These queries therefore run on
rdflib, with this module's own SERVICE evaluation (registered in rdflib's ``CUSTOM_EVALS`` for the duration of
the query): for each local solution it sends the pattern with a ``VALUES`` clause binding the variables the
local side has already bound (a bind join), through the one HTTP client (``publish/sparql_client.py``) with an
identifying User-Agent and a deadline.
A query must put its SERVICE after the patterns that bind its join variables, inside ``OPTIONAL`` (rdflib
evaluates an OPTIONAL's right side once per left solution); a SERVICE call with none of its variables bound is
refused rather than sent. ``service_endpoints`` redirects a SERVICE IRI to another endpoint (a Wikidata mirror,
or a local test server) without touching the query text.

>>> outcome = run_federated(find_project(), "wikidata-people", allow_service=True)  # doctest: +SKIP
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from pathlib import Path

from exodus_kg.errors import RemoteError, UsageError
from exodus_kg.project import Project
from exodus_kg.publish.sparql_client import quoted
from exodus_kg.query.saved_queries import SavedQuery, load_query_file
from exodus_kg.rdf.sparql_text import service_targets, variables
from exodus_kg.wikidata.links import DEFAULT_TIMEOUT, WIKIDATA_ENDPOINT, select_remote

FEDERATED_SUBDIR = "federated"

_SERVICE_BLOCK = re.compile(r"^\s*service\s+(?:silent\s+)?<([^>]*)>\s*\{(.*)\}\s*$", re.I | re.S)
_EVAL_KEY = "exodus-kg-service"
_lock = threading.Lock()


# Opt-in ---------------------------------------------------------------------------------------------


def require_service_opt_in(text: str, allow_service: bool, source: str = "query") -> None:
    """Raise UsageError when ``text`` calls a remote SERVICE and the caller did not opt in.

    For every command that runs SPARQL: a SERVICE clause sends parts of the query, with the values it joins
    on, to a third party, so it never runs without ``--allow-service``.
    """
    targets = service_targets(text)
    if targets and not allow_service:
        shown = ", ".join(dict.fromkeys(targets))
        raise UsageError(
            f"{source} calls a remote SPARQL service ({shown}); it runs only with --allow-service, "
            "which lets it send the values it joins on to that service"
        )


# Discovery ------------------------------------------------------------------------------------------


def federated_dir(project: Project) -> Path:
    return project.queries_dir / FEDERATED_SUBDIR


def discover(project: Project) -> list[SavedQuery]:
    folder = federated_dir(project)
    return [load_query_file(path) for path in sorted(folder.glob("*.rq"))] if folder.is_dir() else []


def get(project: Project, name: str) -> SavedQuery:
    name = name.removesuffix(".rq")
    path = federated_dir(project) / f"{name}.rq"
    if not path.is_file():
        known = ", ".join(query.name for query in discover(project)) or "none"
        raise UsageError(f"no federated query named {name!r} (known: {known})")
    return load_query_file(path)


# Running --------------------------------------------------------------------------------------------


def load_dataset(project: Project, inference: bool = True):
    """The built dataset as an rdflib Dataset whose default graph is the union of its named graphs."""
    import rdflib

    from exodus_kg.pipeline.build import DATASET_FILE, INFERRED_GRAPH, ensure_built

    entry = ensure_built(project)
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(entry / DATASET_FILE, format="nquads")
    if not inference:
        dataset.remove_graph(dataset.graph(rdflib.URIRef(INFERRED_GRAPH)))
    return dataset


def run_federated(
    project: Project,
    name: str,
    params: dict[str, str] | None = None,
    *,
    allow_service: bool = False,
    service_endpoints: dict[str, str] | None = None,
    timeout: float | None = None,
    inference: bool = True,
    dataset=None,
):
    """Run the federated query ``name`` and return a ``query_engine.QueryOutcome`` (SELECT).

    ``service_endpoints`` maps a SERVICE IRI to the endpoint actually called (e.g.
    ``{WIKIDATA_ENDPOINT: "http://127.0.0.1:7878/query"}``). ``timeout`` bounds each remote call (and four
    times it the whole query: QueryTimeout). Raises UsageError without ``allow_service``, RemoteError when a
    service fails.
    """
    from exodus_kg.query.engine import PREFIXES

    saved = get(project, name)
    require_service_opt_in(saved.text, allow_service, str(saved.path))
    bound = saved.bind(params or {}, PREFIXES)
    if dataset is None:
        dataset = load_dataset(project, inference=inference)
    return run_text(
        dataset,
        saved.text,
        bindings=bound,
        allow_service=allow_service,
        service_endpoints=service_endpoints,
        timeout=timeout,
        source=saved.name,
    )


def run_text(
    dataset, text: str, *, bindings=None, service_endpoints=None, timeout=None, source="query", allow_service=True
):
    """Run a SELECT with SERVICE clauses over an rdflib Dataset (see the module docstring).

    Without ``allow_service`` a SERVICE is refused when it is reached, before anything is sent: the
    check of the text in require_service_opt_in is a regular expression, and a SERVICE written
    ``SERVICE<iri>``, with a hyphenated prefix or as ``\\u0053ERVICE`` (which rdflib unescapes) gets past it.
    """
    from exodus_kg.query.engine import QueryOutcome
    from exodus_kg.query.saved_queries import to_rdflib_bindings
    from exodus_kg.rdf.sparql_text import declared_prefixes

    evaluator = _ServiceEvaluator(
        allowed=allow_service,
        endpoints=service_endpoints or {},
        timeout=timeout or DEFAULT_TIMEOUT,
        prefixes=declared_prefixes(text),
    )
    outcome: dict = {}

    def work() -> None:
        try:
            with _registered(evaluator):
                result = dataset.query(text, initBindings=to_rdflib_bindings(bindings or []))
                if result.type != "SELECT":
                    raise UsageError(f"{source}: a federated query must be a SELECT")
                outcome["json"] = result.serialize(format="json")
                outcome["vars"] = [str(v) for v in result.vars]
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=work, name="exodus-federated", daemon=True)
    worker.start()
    worker.join(None if timeout is None else timeout * 4)
    if worker.is_alive():
        # The remote calls are what take the time: a remote failure (exit code 3), not a usage error.
        raise RemoteError(f"{source}: still running after {timeout * 4:g} s (four times --timeout), gave up")
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, (UsageError, RemoteError)):
            raise error
        # Whatever else the query engine (rdflib) stumbled on: said in a line, not as Python's repr.
        reason = quoted(str(error).strip("'\""), 160) or "no reason given"
        raise RemoteError(f"{source}: the federated query failed while rdflib evaluated it ({reason})") from None
    return QueryOutcome("SELECT", solutions_json=outcome["json"], variables=outcome["vars"])


@contextmanager
def _registered(evaluator):
    from rdflib.plugins.sparql import CUSTOM_EVALS

    with _lock:  # one federated query at a time: CUSTOM_EVALS is global
        CUSTOM_EVALS[_EVAL_KEY] = evaluator
        try:
            yield
        finally:
            CUSTOM_EVALS.pop(_EVAL_KEY, None)


class _ServiceEvaluator:
    """rdflib custom evaluation of ServiceGraphPattern: a bind join over the one HTTP client."""

    def __init__(self, endpoints: dict[str, str], timeout: float, prefixes: dict[str, str], allowed: bool = True):
        self.allowed = allowed
        self.endpoints = endpoints
        self.timeout = timeout
        self.prefixes = prefixes
        self.cache: dict[tuple[str, str], list[dict]] = {}
        self.calls = 0

    def __call__(self, ctx, part):
        if part.name != "ServiceGraphPattern":
            raise NotImplementedError
        return self._evaluate(ctx, part)

    def _evaluate(self, ctx, part):
        from rdflib import BNode, Variable
        from rdflib.plugins.sparql.sparql import FrozenBindings

        if not self.allowed:
            raise UsageError(
                "the query calls a remote SPARQL SERVICE; it runs only with --allow-service, which lets it "
                "send the values it joins on to that service"
            )
        match = _SERVICE_BLOCK.match(part.get("service_string", ""))
        if not match:
            raise UsageError("a SERVICE of a federated query must name its endpoint as an IRI <...>")
        iri, pattern = match.group(1), match.group(2)
        endpoint = self.endpoints.get(iri, iri)
        names = set(variables(pattern))
        bound = {}
        for name in sorted(names):
            value = ctx.get(Variable(name))
            if value is not None and not isinstance(value, BNode):
                bound[name] = value
        if not bound:
            raise UsageError(
                f"SERVICE <{iri}> was reached with none of its variables bound; it would ask the service for "
                "everything. Put it inside OPTIONAL, after the patterns that bind its join variables"
            )
        prologue = "".join(f"PREFIX {prefix}: <{namespace}>\n" for prefix, namespace in self.prefixes.items())
        values = "VALUES (" + " ".join(f"?{n}" for n in bound) + ") { (" + " ".join(v.n3() for v in bound.values()) + ") }"
        query = f"{prologue}SELECT * WHERE {{\n{values}\n{pattern}\n}}"
        key = (endpoint, query)
        if key not in self.cache:
            self.calls += 1
            answer = select_remote(endpoint, query, self.timeout, option="--service-endpoint")
            self.cache[key] = answer.get("results", {}).get("bindings", [])
        for row in self.cache[key]:
            yield FrozenBindings(ctx, {Variable(name): _term(cell) for name, cell in row.items()})


def _term(cell: dict):
    from rdflib import BNode, Literal, URIRef

    kind = cell["type"]
    if kind == "uri":
        return URIRef(cell["value"])
    if kind == "bnode":
        return BNode(cell["value"])
    datatype = cell.get("datatype")
    return Literal(cell["value"], lang=cell.get("xml:lang"), datatype=URIRef(datatype) if datatype else None)


def wikidata_redirect(endpoint: str | None) -> dict[str, str]:
    """``{WIKIDATA_ENDPOINT: endpoint}`` for ``--service-endpoint``, or no redirection."""
    return {WIKIDATA_ENDPOINT: endpoint} if endpoint else {}
