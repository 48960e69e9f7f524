"""Run SPARQL over the built dataset with pyoxigraph, within a time and memory limit, with readable
syntax errors.

The default graph of a query is the union of the dataset's named graphs (see build.py), unless the
query names its own dataset with FROM / FROM NAMED, which is then honoured as SPARQL defines it.

>>> from exodus_kg.project import find_project
>>> from exodus_kg.pipeline.build import open_built
>>> outcome = run_query(open_built(find_project()), "ASK { ?s ?p ?o }")  # doctest: +SKIP
>>> outcome.boolean  # doctest: +SKIP
True
"""

from __future__ import annotations

import re
import time

import pyoxigraph as ox

from exodus_kg.errors import InputError, QueryMemoryExceeded, QueryTimeout, UsageError, escape_for_terminal
from exodus_kg.rdf.namespaces import PREFIXES
from exodus_kg.rdf.sparql_text import (
    bind_in_subqueries,
    describe_syntax_error,
    inserted_at,
    mask_non_code,
    project_variables,
    refuse_service,
    shift_insertions,
    uses_dataset_clause,
)


class QueryOutcome:
    """The materialised result of one query.

    ``form`` is "SELECT", "ASK" or "GRAPH" (CONSTRUCT and DESCRIBE). SELECT and ASK results are
    kept as SPARQL 1.1 JSON bytes written by pyoxigraph, from which the output formats are derived.
    """

    __slots__ = ("boolean", "form", "solutions_json", "triples", "variables")

    def __init__(
        self,
        form: str,
        solutions_json: bytes | None = None,
        triples: list[ox.Triple] | None = None,
        boolean: bool | None = None,
        variables: list[str] | None = None,
    ):
        self.form = form
        self.solutions_json = solutions_json
        self.triples = triples
        self.boolean = boolean
        self.variables = variables

    def __repr__(self) -> str:
        return f"QueryOutcome(form={self.form!r}, variables={self.variables!r}, boolean={self.boolean!r})"

    def solutions(self) -> ox.QuerySolutions:
        """A fresh iterator over the SELECT solutions."""
        return ox.parse_query_results(self.solutions_json, format=ox.QueryResultsFormat.JSON)

    def rows(self) -> list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]]:
        solutions = self.solutions()
        names = [variable.value for variable in solutions.variables]
        return [[solution[name] for name in names] for solution in solutions]


def run_query(
    store: ox.Store,
    text: str,
    *,
    substitutions: dict | None = None,
    source: str = "query",
    timeout: float | None = None,
    prefixes: dict[str, str] | None = None,
    hidden: set[str] | frozenset[str] = frozenset(),
    allow_service: bool = False,
    memory_limit_mb: float | None = None,
    then=None,
):
    """Run ``text`` over ``store`` (default graph = union of the named graphs) and materialise it.

    ``source`` names the query in messages (a file path or "query"); ``hidden`` names SELECT
    variables to leave out of the result (a saved query's parameters). Raises InputError for a
    SPARQL syntax error (with line and column), QueryTimeout past ``timeout`` seconds,
    QueryMemoryExceeded when the process grows past ``memory_limit_mb``, and UsageError for a query
    that calls a remote SERVICE unless ``allow_service``. ``then``, given a function of the
    QueryOutcome, runs it within the same limits and returns what it returns (the rendered output:
    a large result can take longer to write out than to compute).
    """
    if timeout is not None and not timeout > 0:  # also NaN, which would mean "no limit"
        raise UsageError(f"{source}: the timeout must be a positive number of seconds, not {timeout!r}")
    text = text.removeprefix("\ufeff")  # a byte order mark left by an editor is no part of the query
    if not allow_service:
        refuse_service(text, source, prefixes)
    hidden = set(hidden)
    insertions: list[tuple[int, int]] = []
    if substitutions:
        names = [variable.value for variable in substitutions]
        text, inserted = bind_in_subqueries(text, substitutions)
        insertions += inserted
        projected, added = project_variables(text, names)
        insertions = shift_insertions(insertions, inserted_at(text, projected))
        text = projected
        hidden |= set(added)
    union = not uses_dataset_clause(text)

    def work():
        # pyoxigraph results may only be dropped by the thread that made them: keep them out of
        # the tracebacks handed to the caller's thread.
        try:
            result = store.query(
                text,
                use_default_graph_as_union=union,
                substitutions=substitutions or None,
                prefixes=prefixes,
            )
            try:
                outcome = _materialise(result, hidden)
            finally:
                del result
        except (SyntaxError, OSError, RuntimeError, ValueError, TypeError) as error:
            failure = _user_error(error, text, source, insertions)
        else:
            return then(outcome) if then is not None else outcome
        failure.__context__ = None
        raise failure

    return run_limited(work, source, timeout, memory_limit_mb)


def run_limited(work, source: str, timeout: float | None, memory_limit_mb: float | None = None):
    """Call ``work()`` in a worker thread and return its value; give up with QueryTimeout after
    ``timeout`` seconds, or QueryMemoryExceeded once this process holds more than
    ``memory_limit_mb`` megabytes. The worker is abandoned, not stopped (native code cannot be
    interrupted): the command line ends the process right after the message."""
    # _thread, not threading: this is on the path of every `exodus query`, and threading's import
    # costs more than the thread. The worker is a daemon either way: nothing waits for it at exit.
    import _thread

    outcome: dict = {}
    finished = _thread.allocate_lock()
    finished.acquire()

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:
            outcome["error"] = error.with_traceback(None)
        finally:
            finished.release()

    limit = _memory_limit_bytes(memory_limit_mb)
    _thread.start_new_thread(target, ())
    deadline = None if timeout is None else time.monotonic() + timeout
    # Short waits keep Ctrl-C working while the query runs outside the GIL, and watch the memory.
    while finished.locked():
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise QueryTimeout(
                f"{source}: still running after {timeout:g} s, gave up; raise --timeout or narrow the query"
            )
        if limit is not None:
            used = _memory_in_use()
            if used is not None and used > limit:
                raise QueryMemoryExceeded(
                    f"{source}: the query outgrew {limit / 2**20:,.0f} MB of memory and was stopped "
                    "(a cartesian product or a very large result?); add a LIMIT, narrow the query, "
                    "or raise --memory-limit"
                )
        if finished.acquire(timeout=0.05 if remaining is None else min(0.05, remaining)):
            break
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _memory_limit_bytes(memory_limit_mb: float | None) -> float | None:
    """The limit in bytes, lowered under a tighter cap set on the process (ulimit -v) or its cgroup,
    where growing into the cap would end in an allocation failure and a Rust abort instead."""
    if memory_limit_mb is None:
        return None
    limit = memory_limit_mb * 2**20
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            # Address space counts mappings never touched; keep well below it.
            limit = min(limit, soft * 0.4)
    except (ImportError, ValueError, OSError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max", "rb") as handle:
            cap = handle.read().strip()
        if cap.isdigit():
            limit = min(limit, int(cap) * 0.8)
    except OSError:
        pass
    return limit


_PAGE_SIZE = None


def _memory_in_use() -> int | None:
    """Resident memory of this process in bytes (Linux; None where /proc is not there)."""
    global _PAGE_SIZE
    try:
        with open("/proc/self/statm", "rb") as handle:
            resident = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    if _PAGE_SIZE is None:
        import os

        _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
    return resident * _PAGE_SIZE


def _materialise(result, hidden: set[str] | frozenset[str]) -> QueryOutcome:
    if isinstance(result, ox.QuerySolutions):
        variables = [variable.value for variable in result.variables]
        data = result.serialize(format=ox.QueryResultsFormat.JSON)
        if hidden & set(variables):
            data = _drop_variables(data, hidden)
            variables = [name for name in variables if name not in hidden]
        return QueryOutcome("SELECT", solutions_json=data, variables=variables)
    if isinstance(result, ox.QueryBoolean):
        # Kept serialized too: a QueryBoolean cannot be made again later for the JSON format.
        return QueryOutcome(
            "ASK", boolean=bool(result), solutions_json=result.serialize(format=ox.QueryResultsFormat.JSON)
        )
    return QueryOutcome("GRAPH", triples=list(result))


def _drop_variables(data: bytes, hidden: set[str] | frozenset[str]) -> bytes:
    import json

    results = json.loads(data)
    results["head"]["vars"] = [name for name in results["head"]["vars"] if name not in hidden]
    for binding in results["results"]["bindings"]:
        for name in hidden:
            binding.pop(name, None)
    return json.dumps(results, ensure_ascii=False).encode("utf-8")


# The start of a SPARQL Update, in text whose IRIs mask_non_code has blanked (compiled on first use,
# by re's cache: only a syntax error needs it).
_UPDATE = (
    r"(?i)\s*(?:(?:PREFIX\s+(?:[A-Za-z][\w.-]*)?:|BASE)\s*)*"
    r"(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b"
)


def _user_error(
    error: BaseException, text: str, source: str, insertions: list[tuple[int, int]] | None = None
) -> BaseException:
    insertions = insertions or []
    if isinstance(error, SyntaxError):
        if not mask_non_code(text).strip():
            return InputError(f"{source}: the query is empty")
        update = re.match(_UPDATE, mask_non_code(text))
        if update:
            return InputError(
                f"{source}: {update.group(1).upper()} is SPARQL Update; the built graph is read-only, "
                "only SELECT, ASK, CONSTRUCT and DESCRIBE queries run"
            )
        return InputError(describe_syntax_error(str(error), text, source, insertions))
    if isinstance(error, (OSError, RuntimeError, ValueError, TypeError)):
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return InputError(f"{source}: the query failed: {escape_for_terminal(first_line)}")
    return error


def compact_iri(iri: str, prefixes: dict[str, str] | None = None) -> str:
    """``exd:sam-altman`` for a known namespace, else ``<iri>``."""
    best = ""
    best_prefix = None
    for prefix, namespace in (prefixes or PREFIXES).items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            local = iri[len(namespace) :]
            if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", local or "_") and not local.endswith("."):
                best, best_prefix = namespace, prefix
    if best_prefix is not None:
        return f"{best_prefix}:{iri[len(best) :]}"
    return f"<{iri}>"


def run_library_query(store: ox.Store, name: str, **bindings) -> QueryOutcome:
    """Run a package query with ``?_name`` variables bound from keyword arguments (pyoxigraph terms)."""
    substitutions = {ox.Variable("_" + key): value for key, value in bindings.items()}
    from exodus_kg.rdf.query_files import package_query

    return run_query(store, package_query(name), substitutions=substitutions, source=f"sparql/{name}.rq")
