"""Run SPARQL over the built dataset with pyoxigraph, with a time limit and readable syntax errors.

The default graph of every query is the union of the dataset's named graphs (see build.py).

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

from exodus_kg.errors import InputError, QueryTimeout, UsageError

# The project's prefixes (architecture.md) and the vocabularies it aligns with. Used for ad-hoc
# queries (`exodus sparql` may leave out PREFIX lines), for IRI arguments and for compact output.
PREFIXES = {
    "exo": "https://w3id.org/exodus-kg/ontology#",
    "exv": "https://w3id.org/exodus-kg/vocab/",
    "exd": "https://w3id.org/exodus-kg/id/",
    "exg": "https://w3id.org/exodus-kg/graph/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "time": "http://www.w3.org/2006/time#",
    "oa": "http://www.w3.org/ns/oa#",
    "dcterms": "http://purl.org/dc/terms/",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
}

_IRI_REF = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_STRING = re.compile(r"'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"", re.S)
_COMMENT = re.compile(r"#[^\n]*")
QUERY_FORM = re.compile(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", re.I)
_POSITION = re.compile(r"error at (\d+):(\d+): ?(.*)", re.S)
_CHAR_CLASS = re.compile(r"\[[^\]]*\]")


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
) -> QueryOutcome:
    """Run ``text`` over ``store`` (default graph = union of the named graphs) and materialise it.

    ``source`` names the query in messages (a file path or "query"); ``hidden`` names SELECT
    variables to leave out of the result (a saved query's parameters). Raises InputError for a
    SPARQL syntax error (with line and column), QueryTimeout past ``timeout`` seconds, and
    UsageError for a query that calls a remote SERVICE unless ``allow_service``.
    """
    if timeout is not None and not timeout > 0:  # also NaN, which would mean "no limit"
        raise UsageError(f"{source}: the timeout must be a positive number of seconds, not {timeout!r}")
    if not allow_service:
        refuse_service(text, source, prefixes)
    outcome: dict = {}
    hidden = set(hidden)
    if substitutions:
        text, added = project_variables(text, [variable.value for variable in substitutions])
        hidden |= set(added)

    def work() -> None:
        # pyoxigraph results may only be dropped by the thread that made them: keep them out of
        # the tracebacks handed to the caller's thread.
        try:
            result = store.query(
                text,
                use_default_graph_as_union=True,
                substitutions=substitutions or None,
                prefixes=prefixes,
            )
            try:
                outcome["value"] = _materialise(result, hidden)
            finally:
                del result
        except BaseException as error:
            outcome["error"] = error.with_traceback(None)

    worker = threading.Thread(target=work, name="exodus-query", daemon=True)
    worker.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    # Short joins keep Ctrl-C working while the query runs outside the GIL.
    while worker.is_alive():
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise QueryTimeout(
                f"{source}: still running after {timeout:g} s, gave up; raise --timeout or narrow the query"
            )
        worker.join(0.05 if remaining is None else min(0.05, remaining))
    if "error" in outcome:
        raise _user_error(outcome["error"], text, source) from None
    return outcome["value"]


_SERVICE_WORD = re.compile(r"(servic)(e)", re.I)


def refuse_service(text: str, source: str = "query", prefixes: dict[str, str] | None = None) -> None:
    """Raise UsageError when ``text`` calls a remote SERVICE: pyoxigraph would send it over the network.

    Scanning the text for the keyword cannot be trusted (strings, comments, IRIs and the ``<``
    operator make it a parser's job, and two parsers disagree at the edges), so pyoxigraph itself
    decides: every "service" in the text, in any case, becomes "servicx" and the twin is parsed on an
    empty store. Inside a string, comment, IRI or name that changes nothing; as the SERVICE keyword it
    is a syntax error. The query runs only when its twin parses, so a SERVICE can never slip through.
    """
    if not _SERVICE_WORD.search(text):
        return
    twin = _SERVICE_WORD.sub(lambda m: m.group(1) + ("X" if m.group(2) == "E" else "x"), text)
    try:
        ox.Store().query(twin, prefixes=prefixes)  # parsed now; an empty store has nothing to evaluate
        return
    except SyntaxError as error:
        problem = str(error)
    except Exception:  # parsed, then failed over nothing: no SERVICE in it either
        return
    match = _POSITION.match(problem)
    if match:
        lines = text.split("\n")
        line, column = int(match.group(1)), int(match.group(2))
        offset = sum(len(part) + 1 for part in lines[: line - 1]) + column - 1
        for word in _SERVICE_WORD.finditer(text):
            # pyoxigraph reports the failure one character past the word, or at the next token.
            between = _COMMENT.sub("", text[word.end() : offset]) if word.start() <= offset else "x"
            if word.start() <= offset <= word.end() + 1 or not between.strip():
                raise UsageError(
                    f"{source}:{text.count(chr(10), 0, word.start()) + 1}: the query calls a remote SPARQL "
                    "SERVICE, refused: exodus sends no query and none of its values over the network "
                    "(only the saved federated queries do, with `exodus federated NAME --allow-service`)"
                )
    raise InputError(describe_syntax_error(problem, text, source))


def mask_non_code(text: str) -> str:
    """The text with IRIs, string literals and comments blanked out, keeping every offset."""

    def blank(match: re.Match) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    return _COMMENT.sub(blank, _IRI_REF.sub(blank, _STRING.sub(blank, text)))


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


def _user_error(error: BaseException, text: str, source: str) -> BaseException:
    if isinstance(error, SyntaxError):
        if not mask_non_code(text).strip():
            return InputError(f"{source}: the query is empty")
        update = _UPDATE.match(mask_non_code(text))
        if update:
            return InputError(
                f"{source}: {update.group(1).upper()} is SPARQL Update; the built graph is read-only, "
                "only SELECT, ASK, CONSTRUCT and DESCRIBE queries run"
            )
        return InputError(describe_syntax_error(str(error), text, source))
    if isinstance(error, (OSError, RuntimeError, ValueError, TypeError)):
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return InputError(f"{source}: the query failed: {first_line}")
    return error


def describe_syntax_error(message: str, text: str, source: str) -> str:
    """pyoxigraph's "error at L:C: expected one of ..." -> "source:L:C: reason; near: the line"
    with a ">>" marking the column."""
    match = _POSITION.match(message)
    if not match:
        return f"{source}: SPARQL syntax error: {message.splitlines()[0] if message else '?'}"
    line, column, detail = int(match.group(1)), int(match.group(2)), match.group(3)
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    near = ""
    if source_line.strip():
        cut = max(0, min(column - 1, len(source_line)))
        near = f"; near: {source_line[:cut].lstrip()}>>{source_line[cut:].rstrip()}"
    reason = _simplify(detail)
    if reason.startswith("Prefix not found"):
        prefix = re.findall(r"([A-Za-z][\w.-]*)?:[\w.-]*$", source_line[: max(0, column - 1)])
        if prefix:
            reason = f"unknown prefix {prefix[-1]}: (declare it with PREFIX {prefix[-1]}: <...>)"
    return f"{source}:{line}:{column}: SPARQL syntax error: {reason}{near}"


_TOKEN = re.compile(r'\s*(?:"(?:[^"\\]|\\.)*"|[^,]+)')


def _simplify(detail: str) -> str:
    """Keep the readable parts of a parser message (quoted tokens, sentences), drop character classes."""
    detail = " ".join(detail.split())
    if not detail.startswith("expected one of"):
        return detail
    items = [item.strip() for item in _TOKEN.findall(_CHAR_CLASS.sub("", detail[len("expected one of") :]))]
    items = [item for item in items if item and item != "[_]"]
    sentences = [item for item in items if " " in item and not item.startswith('"')]
    if sentences:
        return "; ".join(sentences)
    return "expected one of " + ", ".join(items[:12]) if items else "unexpected input"


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


def library_query(name: str) -> str:
    """The text of one of the package's own queries (``src/exodus_kg/sparql/NAME.rq``)."""
    from exodus_kg.project import resource_path

    return resource_path("sparql", f"{name}.rq").read_text(encoding="utf-8")


def run_library_query(store: ox.Store, name: str, **bindings) -> QueryOutcome:
    """Run a package query with ``?_name`` variables bound from keyword arguments (pyoxigraph terms)."""
    substitutions = {ox.Variable("_" + key): value for key, value in bindings.items()}
    return run_query(store, library_query(name), substitutions=substitutions, source=f"sparql/{name}.rq")
