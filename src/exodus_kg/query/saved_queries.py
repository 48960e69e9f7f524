"""Saved SPARQL queries: one per ``queries/*.rq`` file, with a comment header grlc reads too.

The header is YAML in ``#+`` lines (the subset ``rdf/query_files.py`` reads), the keys grlc knows plus
``params``::

    #+ summary: People who left OpenAI, when, how and where they went
    #+ description: >-
    #+   One row per departure statement, with its certainty. Longer text goes on over more
    #+   lines, indented two more spaces.
    #+ tags: [people, departures]
    #+ params:
    #+   - person: iri - the person who left
    #+   - since: date - leave out departures before this day
    #+   - company: string - a company label, as the article writes it
    #+ defaults:
    #+   - person: https://w3id.org/exodus-kg/id/john-schulman
    #+   - since: 2015-01-01
    #+ enumerate:
    #+   - company:
    #+     - OpenAI
    #+     - Anthropic

Every ``params`` item is ``name: type - description``. The query uses the parameter as the variable
``?_name`` (``?_name_iri`` when the type is ``iri``: the names grlc derives its parameters from, so a
name has letters and digits only); the value is bound at run time (pyoxigraph ``substitutions``,
rdflib ``initBindings``), never pasted into the query text. A parameter without a ``defaults`` entry
is required; one with an ``enumerate`` entry takes only those values. Defaults and enumerated IRIs
are written in full, as grlc substitutes them. Types: iri, string, integer, decimal, boolean, date,
gYear, gYearMonth.

An IRI value may be written ``<https://...>``, ``https://...``, a prefixed name (``exd:sam-altman``,
with the query's own PREFIX lines or the project's prefixes), or a bare slug (``sam-altman`` means
``exd:sam-altman``).
"""

from __future__ import annotations

import re
from pathlib import Path

from exodus_kg.errors import InputError, UsageError, escape_for_terminal
from exodus_kg.project import Project, shown_path
from exodus_kg.rdf.namespaces import EXD, XSD
from exodus_kg.rdf.query_files import CHOICES, LIST, PAIRS, TEXT, read_header, read_text
from exodus_kg.rdf.sparql_text import declared_prefixes, mask_non_code, query_form

PARAM_TYPES = ("iri", "string", "integer", "decimal", "boolean", "date", "gYear", "gYearMonth")
QUERY_HEADER = {
    "summary": TEXT,
    "description": TEXT,
    "tags": LIST,
    "params": PAIRS,
    "defaults": PAIRS,
    "enumerate": CHOICES,
}

_PARAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_PARAM_VARIABLE = re.compile(r"[?$]_([A-Za-z0-9_]+)")


class _Record:
    """Fields, equality and repr for the small value classes below (dataclasses would cost every
    `exodus query` the import of inspect)."""

    __slots__ = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__ if name != "text")
        return f"{type(self).__name__}({fields})"


class Param(_Record):
    """One declared parameter. ``variable`` is the SPARQL variable name without ``?``."""

    __slots__ = ("choices", "default", "description", "name", "type")

    def __init__(
        self, name: str, type: str, default: str | None, description: str, choices: tuple[str, ...] = ()
    ):
        self.name = name
        self.type = type
        self.default = default
        self.description = description
        self.choices = choices  # the only values allowed (``#+ enumerate``), empty for any

    @property
    def variable(self) -> str:
        return f"_{self.name}_iri" if self.type == "iri" else f"_{self.name}"

    @property
    def required(self) -> bool:
        return self.default is None


class BoundValue(_Record):
    """A checked parameter value: ``kind`` is "iri" or "literal"; ``datatype`` only for literals."""

    __slots__ = ("datatype", "kind", "param", "value")

    def __init__(self, param: Param, kind: str, value: str, datatype: str | None = None):
        self.param = param
        self.kind = kind
        self.value = value
        self.datatype = datatype


class SavedQuery(_Record):
    """One saved query: its name (the file name without .rq), file, text and header."""

    __slots__ = ("description", "name", "params", "path", "summary", "tags", "text")

    def __init__(
        self,
        name: str,
        path: Path,
        text: str,
        summary: str = "",
        description: str = "",
        tags: list[str] | None = None,
        params: list[Param] | None = None,
    ):
        self.name = name
        self.path = path
        self.text = text
        self.summary = summary
        self.description = description
        self.tags = tags or []
        self.params = params or []

    __hash__ = None  # mutable

    @property
    def form(self) -> str:
        """SELECT, CONSTRUCT, ASK or DESCRIBE (the first query keyword outside strings and IRIs)."""
        return query_form(self.text)

    def prefixes(self) -> dict[str, str]:
        return declared_prefixes(self.text)

    def used_parameters(self) -> set[str]:
        """The ``?_name`` variables of the query text (names without the ``?``)."""
        return used_parameter_variables(self.text)

    def param(self, name: str) -> Param:
        for param in self.params:
            if name in (param.name, param.variable, "?" + param.variable):
                return param
        raise UsageError(f"query {self.name}: unknown parameter {name!r}; {self._describe_params()}")

    def bind(self, values: dict[str, str] | None = None, prefixes: dict[str, str] | None = None):
        """Check the given values (strings, as typed on the command line) and fill in defaults.

        Returns a list of BoundValue, one per declared parameter. Raises UsageError naming the
        unknown, missing or ill-typed parameter.
        """
        given: dict[str, str] = {}
        for name, value in (values or {}).items():
            given[self.param(name).name] = value
        known_prefixes = {**(prefixes or {}), **self.prefixes()}
        bound = []
        for param in self.params:
            if param.name in given:
                raw = given[param.name]
            elif param.default is not None:
                raw = param.default
            else:
                raise UsageError(
                    f"query {self.name}: missing parameter {param.name} ({param.type}: {param.description}); "
                    f"give it with -p {param.name} VALUE"
                )
            bound.append(check_value(param, raw, known_prefixes, self.name))
        return bound

    def _describe_params(self) -> str:
        if not self.params:
            return "it takes no parameters"
        return "it takes: " + ", ".join(f"{p.name} ({p.type})" for p in self.params)


def check_value(param: Param, raw: str, prefixes: dict[str, str], query_name: str = "") -> BoundValue:
    """Turn a raw string into a typed value for ``param`` or raise UsageError saying why not."""
    bound = _typed_value(param, raw, prefixes, query_name)
    if param.choices and bound.value not in param.choices:
        from exodus_kg.query.engine import compact_iri

        allowed = ", ".join(compact_iri(choice) if param.type == "iri" else choice for choice in param.choices)
        where = f"query {query_name}: " if query_name else ""
        raise UsageError(f"{where}parameter {param.name}: {raw!r} is not one of {allowed}")
    return bound


def _typed_value(param: Param, raw: str, prefixes: dict[str, str], query_name: str) -> BoundValue:
    where = f"query {query_name}: " if query_name else ""
    problem = f"{where}parameter {param.name}: {raw!r} is not "
    value = raw.strip()
    if param.type == "iri":
        return BoundValue(param, "iri", expand_iri(value, prefixes, problem))
    if param.type == "string":
        return BoundValue(param, "literal", raw, XSD + "string")
    if param.type in PARAM_TYPES:
        # The XSD lexical space, not Python's parsers: int() reads full-width digits and
        # date.fromisoformat reads "20240805", which would be bound as ill-typed literals.
        from exodus_kg.rdf.xsd_lexical import engine_range_problem, example, is_valid

        if not is_valid(value, XSD + param.type):
            article = "an" if param.type[0] in "aeiou" else "a"
            raise UsageError(problem + f"{article} {param.type} (example: {example(XSD + param.type)})")
        beyond = engine_range_problem(value, XSD + param.type)
        if beyond:
            raise UsageError(f"{where}parameter {param.name}: {value!r} is out of range: {beyond}")
        return BoundValue(param, "literal", value, XSD + param.type)
    raise UsageError(f"{where}parameter {param.name}: unknown type {param.type!r}")


def expand_iri(value: str, prefixes: dict[str, str], problem: str = "") -> str:
    """``<iri>``, an absolute IRI, ``prefix:local`` or a bare ``exd:`` slug -> the full IRI."""
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value) or value.startswith("urn:"):
        pass
    elif ":" in value:
        prefix, local = value.split(":", 1)
        if prefix not in prefixes:
            known = ", ".join(sorted(prefixes)) or "none"
            raise UsageError(
                f"{problem or repr(value) + ' is not '}an IRI: unknown prefix {escape_for_terminal(prefix)}: (known: {known})"
            )
        value = prefixes[prefix] + local
    elif re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", value):
        value = EXD + value
    else:
        raise UsageError(f"{problem or repr(value) + ' is not '}an IRI (example: exd:sam-altman)")
    if not value or re.search(r"[\s<>\"{}|^`\\]", value):
        raise UsageError(f"{problem or repr(value) + ' is not '}a valid IRI")
    # pyoxigraph's own check (RFC 3987) catches the rest: control characters, a bad %-escape...
    # which would otherwise fail later, with a traceback, when the value is bound.
    import pyoxigraph as ox

    try:
        ox.NamedNode(value)
    except ValueError as error:
        detail = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(error))
        raise UsageError(f"{problem or repr(value) + ' is not '}a valid IRI ({detail})") from None
    return value


def used_parameter_variables(text: str) -> set[str]:
    return {"_" + name for name in _PARAM_VARIABLE.findall(mask_non_code(text))}


def parse_header(text: str, path: Path) -> dict:
    """The ``#+`` header of a query file as {summary, description, tags, params}.

    Raises InputError naming the file and line for a malformed line.
    """
    fields = read_header(text, path, QUERY_HEADER)
    defaults = fields.get("defaults", {})
    choices = fields.get("enumerate", {})
    params = []
    for name, declaration in fields.get("params", {}).items():
        where = f"{path}:{fields.line('params', name)}"
        params.append(_parse_param(name, declaration, defaults.get(name), choices.get(name, ()), where))
    declared = {param.name for param in params}
    for key, names in (("defaults", defaults), ("enumerate", choices)):
        for name in names:
            if name not in declared:
                raise InputError(
                    f"{path}:{fields.line(key, name)}: '{key}' names {name!r}, which is not one of the declared params"
                )
    for param in params:
        if param.choices and param.default is not None and param.default not in param.choices:
            raise InputError(
                f"{path}:{fields.line('defaults', param.name)}: the default of {param.name} is not one of its "
                "enumerated values "
                "(write both in full, as the query receives them)"
            )
    return {
        "summary": fields.get("summary", ""),
        "description": fields.get("description", ""),
        "tags": fields.get("tags", []),
        "params": params,
    }


def _parse_param(name: str, declaration: str, default: str | None, choices, where: str) -> Param:
    type_, separator, description = declaration.partition(" - ")
    type_ = type_.strip()
    if not separator:
        raise InputError(f"{where}: a param is '- name: type - description', got {declaration!r}")
    if not _PARAM_NAME.match(name):
        # grlc reads the parameter name from the variable up to the first "_" (?_name_iri)
        raise InputError(f"{where}: bad parameter name {name!r} (letters and digits)")
    if type_ not in PARAM_TYPES:
        raise InputError(f"{where}: parameter {name}: unknown type {type_!r} (known: {', '.join(PARAM_TYPES)})")
    return Param(name, type_, default, description.strip(), tuple(choices))


def load_query_file(path: Path) -> SavedQuery:
    text = read_text(path)
    header = parse_header(text, path)
    return SavedQuery(
        name=path.stem,
        path=path,
        text=text,
        summary=header["summary"],
        description=header["description"],
        tags=header["tags"],
        params=header["params"],
    )


def discover(project: Project) -> list[SavedQuery]:
    """Every saved query of the project, sorted by name."""
    return [load_query_file(path) for path in sorted(project.saved_query_files(), key=lambda path: path.stem)]


def get(project: Project, name: str) -> SavedQuery:
    """The saved query called ``name``; an unknown name gets "did you mean" suggestions."""
    name = name.removesuffix(".rq")
    path = project.queries_dir / f"{name}.rq"
    try:
        found = "/" not in name and not name.startswith(".") and path.is_file()
    except OSError:  # a name longer than the file system allows (ENAMETOOLONG) names no query
        found = False
    if found:
        return load_query_file(path)
    import difflib

    paths = {path.stem: path for path in project.saved_query_files()}
    close = difflib.get_close_matches(name, list(paths), n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else "; run `exodus queries` to list them"
    shown = name if len(name) <= 80 else f"{name[:80]}... ({len(name):,} characters)"
    raise UsageError(f"no saved query named {shown!r}{hint}")


def header_problems(query: SavedQuery) -> list[str]:
    """What is wrong with a saved query's header (empty when it is complete and consistent)."""
    problems = []
    if not query.summary:
        problems.append("no '#+ summary:' line")
    if not query.description:
        problems.append("no '#+ description:' line")
    declared = {param.variable for param in query.params}
    used = query.used_parameters()
    for variable in sorted(used - declared):
        problems.append(f"?{variable} is used but not declared under '#+ params:'")
    for variable in sorted(declared - used):
        problems.append(f"parameter ?{variable} is declared but not used")
    return problems


def check_header(query: SavedQuery, shown: str | None = None) -> None:
    """Refuse to run a query whose header cannot be right (the header reader already refuses a
    parameter declared twice): a ``?_name``
    the query uses but the header does not declare (it would stay unbound and widen the answer),
    one declared but not used (a value given for it would be ignored), or a default that is not a
    value of its type. Raises InputError naming the file."""
    where = shown or str(query.path)
    declared = {param.variable for param in query.params}
    used = query.used_parameters()
    for variable in sorted(used - declared):
        raise InputError(
            f"{where}: the query uses ?{variable} but the header declares no such parameter "
            f"(add '#+   - {variable[1:].removesuffix('_iri')}: TYPE - DESCRIPTION' under '#+ params:')"
        )
    for variable in sorted(declared - used):
        raise InputError(f"{where}: parameter ?{variable} is declared in the header but the query never uses it")
    known = {**_project_prefixes(), **query.prefixes()}
    for param in query.params:
        if param.default is None:
            continue
        try:
            check_value(param, param.default, known, query.name)
        except UsageError as error:
            raise InputError(f"{where}: the default of parameter {param.name} is wrong: {error.message}") from None


def _project_prefixes() -> dict[str, str]:
    from exodus_kg.query.engine import PREFIXES

    return PREFIXES


def bound_query_text(query: SavedQuery, substitutions: dict) -> str:
    """The query's text with its parameters bound by VALUES blocks: plain SPARQL 1.1 that gives
    the same rows in any engine (WDQS, YASGUI, a triple store), with no substitution needed."""
    from exodus_kg.rdf.sparql_text import bind_with_values

    text, _ = bind_with_values(query.text.removeprefix("\ufeff"), substitutions)
    return text


def to_oxigraph_substitutions(bound: list[BoundValue]) -> dict:
    """Bound values as pyoxigraph ``substitutions`` for ``Store.query``."""
    import pyoxigraph as ox

    substitutions = {}
    for item in bound:
        if item.kind == "iri":
            term = ox.NamedNode(item.value)
        else:
            term = ox.Literal(item.value, datatype=ox.NamedNode(item.datatype))
        substitutions[ox.Variable(item.param.variable)] = term
    return substitutions


def to_rdflib_bindings(bound: list[BoundValue]) -> dict:
    """Bound values as rdflib ``initBindings`` for ``Graph.query``."""
    from rdflib import Literal, URIRef, Variable

    bindings = {}
    for item in bound:
        if item.kind == "iri":
            term = URIRef(item.value)
        else:
            term = Literal(item.value, datatype=URIRef(item.datatype))
        bindings[Variable(item.param.variable)] = term
    return bindings


# Running a saved query ----------------------------------------------------------------------------


def run_saved_query(
    project,
    name: str,
    params: list[tuple[str, str]],
    output_format: str = "table",
    no_inference: bool = False,
    timeout: float | None = None,
    max_width: int | None = None,
    memory_limit_mb: float | None = None,
) -> bytes:
    """Run the saved query ``name`` of ``project`` and return its output in ``output_format``,
    rendered within the same ``timeout`` and ``memory_limit_mb`` as the query.

    Raises ExodusError subclasses for the user's mistakes (unknown query, bad parameter, ...).
    """
    from exodus_kg.pipeline.build import open_store
    from exodus_kg.query.engine import run_query
    from exodus_kg.query.result_formats import render

    saved, substitutions = bind_saved_query(project, name, params)
    store = open_store(project, no_inference)
    return run_query(
        store,
        saved.text,
        substitutions=substitutions,
        source=shown_path(saved.path),
        timeout=timeout,
        memory_limit_mb=memory_limit_mb,
        then=lambda outcome: render(outcome, output_format, prefixes=saved.prefixes(), max_width=max_width),
    )


def bind_saved_query(project, name: str, params: list[tuple[str, str]]):
    """The saved query ``name`` with its header checked, and its parameters bound from ``params``
    (NAME, VALUE pairs as typed) as pyoxigraph substitutions."""
    from exodus_kg.query.engine import PREFIXES

    saved = get(project, name)
    check_header(saved, shown_path(saved.path))
    given: dict[str, str] = {}
    for param_name, value in params:
        if param_name in given:
            raise UsageError(f"query {saved.name}: parameter {param_name} given twice")
        given[param_name] = value
    return saved, to_oxigraph_substitutions(saved.bind(given, PREFIXES))
