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
import threading
import time

import pyoxigraph as ox

from exodus_kg.errors import InputError, QueryMemoryExceeded, QueryTimeout, UsageError, escape_for_terminal
from exodus_kg.rdf.namespaces import PREFIXES
from exodus_kg.rdf.sparql_text import (
    QUERY_FORM,
    describe_syntax_error,
    mask_non_code,
    refuse_service,
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
        insertions = _shift(insertions, _inserted_at(text, projected))
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
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:
            outcome["error"] = error.with_traceback(None)

    limit = _memory_limit_bytes(memory_limit_mb)
    worker = threading.Thread(target=target, name="exodus-query", daemon=True)
    worker.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    # Short joins keep Ctrl-C working while the query runs outside the GIL, and watch the memory.
    while worker.is_alive():
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
        worker.join(0.05 if remaining is None else min(0.05, remaining))
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
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as handle:
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
        with open("/proc/self/statm", encoding="ascii") as handle:
            resident = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    if _PAGE_SIZE is None:
        import os

        _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
    return resident * _PAGE_SIZE


# FROM as a keyword: not a variable, a prefixed name's local part or a longer word.
_DATASET_CLAUSE = re.compile(r"(?<![\w?$:.-])FROM(?=\s)", re.I)


def uses_dataset_clause(text: str) -> bool:
    """Whether the query names its dataset (FROM or FROM NAMED): then it is not the union."""
    return _DATASET_CLAUSE.search(mask_non_code(text)) is not None


_SUBSELECT = re.compile(r"(?<![\w?$:.-])SELECT\b", re.I)
_VALUES_HEAD = re.compile(r"VALUES\s*(\([^()]*\)|[?$]\w+)\s*$", re.I)


def bind_in_subqueries(text: str, substitutions: dict) -> tuple[str, list[tuple[int, int]]]:
    """The text with VALUES blocks binding the parameters inside every subquery that uses them;
    returns it with the insertions made, as (offset in ``text``, length).

    Substitution binds the variables of the outer query only: a subquery has its own scope, so a
    parameter used only there would stay unbound and the answer widen to every value.
    """
    return bind_with_values(text, substitutions, top_level=False)


def bind_with_values(
    text: str, substitutions: dict, *, top_level: bool = True
) -> tuple[str, list[tuple[int, int]]]:
    """The text with each parameter bound by a VALUES block at the start of every group that uses
    it (and of the WHERE group of every SELECT that uses it anywhere), so that a FILTER in a nested
    group or a subquery sees the value as it sees a substituted one. Plain SPARQL 1.1: the result
    runs unchanged in any engine. ``top_level=False`` leaves the groups outside subqueries alone
    (the outer query is bound by substitution). Returns the text and its insertions, as (offset in
    ``text``, length); the values are RDF terms written by pyoxigraph, never query text, and lines
    stay where they were.
    """
    masked = mask_non_code(text)
    names = [variable.value for variable in substitutions]
    form = QUERY_FORM.search(masked)
    mentions = {name: re.compile(rf"[?$]{re.escape(name)}(?!\w)") for name in names}

    def used(fragment: str) -> list[str]:
        return [name for name in names if mentions[name].search(fragment)]

    template = None
    if form is not None and form.group(1).upper() == "CONSTRUCT":
        after = masked[form.end() :]
        if after.lstrip().startswith("{"):
            template = form.end() + len(after) - len(after.lstrip())
    # The WHERE group of every SELECT, with the extent of that SELECT.
    selects = []
    for select in _SUBSELECT.finditer(masked):
        brace = _group_start(masked, select.end())
        if brace is not None:
            selects.append((select.start(), brace, _select_end(masked, select.start(), brace)))
    inside_subquery = [(brace, end) for start, brace, end in selects if form is None or start != form.start()]
    chosen: dict[int, list[str]] = {}
    for start, brace, end in selects:
        if top_level or (brace, end) in inside_subquery:
            chosen.setdefault(brace, []).extend(used(masked[start:end]))
    if top_level and form is not None and form.group(1).upper() != "SELECT":
        brace = _where_group(masked, form, template)
        if brace is not None:
            chosen.setdefault(brace, []).extend(used(masked))
    for position, char in enumerate(masked):
        if char != "{" or position == template or _VALUES_HEAD.search(masked, 0, position):
            continue
        if not top_level and not any(brace <= position < end for brace, end in inside_subquery):
            continue
        direct = _direct_content(masked, position)
        if re.match(r"\s*SELECT\b", direct, re.I):
            continue  # a group holding a subquery holds nothing else
        chosen.setdefault(position, []).extend(used(direct))
    insertions = []
    for position in sorted(chosen):
        wanted = list(dict.fromkeys(chosen[position]))
        if wanted:
            block = values_block(wanted, substitutions)
            if text[position + 1 : position + 2].isspace():
                block = block.rstrip(" ")  # no trailing blank before a line break
            insertions.append((position + 1, block))
    for offset, block in reversed(insertions):
        text = text[:offset] + block + text[offset:]
    return text, [(offset, len(block)) for offset, block in insertions]


def values_block(names: list[str], substitutions: dict) -> str:
    """`` VALUES (?a ?b) { (<x> "y") } `` for the given variables, written by pyoxigraph."""
    values = {variable.value: term for variable, term in substitutions.items()}
    terms = " ".join(str(values[name]) for name in names)
    variables = " ".join("?" + name for name in names)
    return f" VALUES ({variables}) {{ ({terms}) }} "


def _where_group(masked: str, form: re.Match, template: int | None) -> int | None:
    """The ``{`` of the WHERE group of an ASK, CONSTRUCT or DESCRIBE query (None: it has none)."""
    position = form.end()
    if template is not None:
        position = _group_end(masked, template) + 1
    brace = masked.find("{", position)
    return brace if brace >= 0 else None


def _select_end(masked: str, start: int, brace: int) -> int:
    """Where the SELECT starting at ``start`` ends: its WHERE group, then its solution modifiers up
    to the brace closing the group around it (or the end of the text)."""
    end = _group_end(masked, brace)
    depth = 0
    for position in range(end + 1, len(masked)):
        depth += masked[position] == "{"
        depth -= masked[position] == "}"
        if depth < 0:
            return position
    return len(masked)


def _direct_content(masked: str, brace: int) -> str:
    """The text of the group opening at ``brace``, without the groups nested in it."""
    depth = 0
    kept = []
    for position in range(brace, len(masked)):
        char = masked[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                break
        elif depth == 1:
            kept.append(char)
    return "".join(kept)


def _group_start(masked: str, position: int) -> int | None:
    """The ``{`` opening the WHERE group of the SELECT whose keyword ends at ``position``."""
    depth = 0
    while position < len(masked):
        char = masked[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "{" and depth == 0:
            return position
        elif char == "}" and depth == 0:
            return None
        position += 1
    return None


def _group_end(masked: str, brace: int) -> int:
    depth = 0
    for position in range(brace, len(masked)):
        depth += masked[position] == "{"
        depth -= masked[position] == "}"
        if depth == 0:
            return position
    return len(masked)


def _inserted_at(before: str, after: str) -> list[tuple[int, int]]:
    """The one insertion that turned ``before`` into ``after``, as [(offset, length)] (or [])."""
    if before == after:
        return []
    start = 0
    while start < len(before) and before[start] == after[start]:
        start += 1
    return [(start, len(after) - len(before))]


def _shift(earlier: list[tuple[int, int]], later: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Insertions into the original text, given ``earlier`` ones and ``later`` ones made after them
    (whose offsets count the earlier insertions)."""
    result = list(earlier)
    for offset, length in later:
        original = offset
        for at, size in earlier:
            if at < offset:
                original -= min(size, offset - at)
        result.append((original, length))
    return sorted(result)


def project_variables(text: str, variables: list[str]) -> tuple[str, list[str]]:
    """Add ``variables`` to the top-level SELECT projection where missing; return the new text and
    the variables added.

    pyoxigraph substitutes (SEP-0007) only variables of the projection, while a saved query may
    use a parameter in its pattern or a FILTER alone. Only the projection is changed; the values
    are still bound by substitution, never written into the text. run_query hides the added columns.
    """
    masked = mask_non_code(text)
    select = re.search(r"\bSELECT\b", masked, re.I)
    if not select or (QUERY_FORM.search(masked) or select).start() != select.start():
        return text, []
    position = select.end()
    modifier = re.match(r"\s+(DISTINCT|REDUCED)\b", masked[position:], re.I)
    if modifier:
        position += modifier.end()
    start, depth, stop = position, 0, None
    while position < len(masked):
        char = masked[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif (
            depth == 0
            and (char == "{" or re.match(r"(WHERE|FROM)\b", masked[position:], re.I))
            and not (position and (masked[position - 1].isalnum() or masked[position - 1] in "_?$"))
        ):
            stop = position
            break
        position += 1
    if stop is None:
        return text, []
    segment = masked[start:stop]
    if segment.strip() == "*":
        return text, []
    projected = set(re.findall(r"\bAS\s+[?$](\w+)", segment, re.I))
    depth = 0
    for index, char in enumerate(segment):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and char in "?$":
            match = re.match(r"[?$](\w+)", segment[index:])
            if match:
                projected.add(match.group(1))
    missing = [variable for variable in variables if variable not in projected]
    if not missing:
        return text, []
    if _is_aggregate(segment, masked[stop:]):
        # A grouped query may only project group keys and aggregates; SAMPLE of the substituted
        # constant keeps an aggregate without GROUP BY answering one row even over no solutions.
        added = " ".join(f"(SAMPLE(?{variable}) AS ?{variable})" for variable in missing)
    else:
        added = " ".join("?" + variable for variable in missing)
    # Right after the projection, on its line, so that line numbers in syntax errors still match.
    cut = len(text[:stop].rstrip())
    return f"{text[:cut]} {added}{text[cut:]}", missing


_AGGREGATE = re.compile(r"\b(COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\(", re.I)


def _is_aggregate(projection: str, rest: str) -> bool:
    """Whether the top-level SELECT groups: an aggregate in its projection, or GROUP BY / HAVING
    after its WHERE group (``rest`` starts at that group, masked)."""
    if _AGGREGATE.search(projection):
        return True
    opening = rest.find("{")
    depth = 0
    for index in range(opening, len(rest)) if opening >= 0 else ():
        depth += rest[index] == "{"
        depth -= rest[index] == "}"
        if depth == 0:
            return re.search(r"\b(GROUP\s+BY|HAVING)\b", rest[index:], re.I) is not None
    return False


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


# The start of a SPARQL Update, in text whose IRIs mask_non_code has blanked.
_UPDATE = re.compile(
    r"\s*(?:(?:PREFIX\s+(?:[A-Za-z][\w.-]*)?:|BASE)\s*)*(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b",
    re.I,
)


def _user_error(
    error: BaseException, text: str, source: str, insertions: list[tuple[int, int]] | None = None
) -> BaseException:
    insertions = insertions or []
    if isinstance(error, SyntaxError):
        if not mask_non_code(text).strip():
            return InputError(f"{source}: the query is empty")
        update = _UPDATE.match(mask_non_code(text))
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
