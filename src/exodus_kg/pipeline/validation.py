"""Validation of the graph: the SHACL shapes of ``ontology/shapes/`` and the SPARQL checks of
``queries/checks/*-violation.rq``, reported together.

The data graph the shapes run on is the asserted data *together with the ontology*, without RDFS
inference: SHACL's own class semantics (``rdf:type/rdfs:subClassOf*`` in the data graph) is what
makes ``sh:targetClass exo:Statement`` reach an ``exo:Departure``. RDFS inference is deliberately not
used: it would type every object of ``exo:foundedOrganization`` as an ``exo:Organization`` through
the property's ``rdfs:range``, so ``sh:class`` could never catch a person (or a misspelt IRI) put
where an organization belongs. The same combined graph is what a second engine (Apache Jena) is
given in the tests, so the two see identical input.

The shapes are SHACL Core. The rules beyond Core are SPARQL checks, ``queries/checks/NAME-violation.rq``
(the ODK convention: the file name is the contract, the query must return no rows). They run once over
the whole graph in pyoxigraph, which takes milliseconds, where the same rules as SHACL-SPARQL
constraints cost pySHACL one rdflib query per focus node (minutes at the article's size). A check
projects ``?focusNode`` and may project ``?path``, ``?value``, ``?message`` and any variable its
message template names; its header names and grades it::

    #+ summary: A statement ends before it starts
    #+ description: ... (continued lines start with "#+" and two spaces)
    #+ severity: Violation            (or Warning, Info; Violation when left out)
    #+ message: The end date {?value} lies before the start date {?start}.

Each row becomes a result in the same report as the SHACL results, with ``sh:sourceShape`` the
check's IRI (``https://w3id.org/exodus-kg/checks/NAME``) and ``sh:sourceConstraintComponent``
``sh:SPARQLConstraintComponent``.

``conforms`` means: no result of severity Violation (warnings and infos are reported, they do not
fail the build). The raw report graph keeps SHACL's own ``sh:conforms`` (false when it has any result).

>>> outcome = validate(find_project())  # doctest: +SKIP
>>> outcome.conforms, len(outcome.results)  # doctest: +SKIP
(True, 0)
>>> print(outcome.text_report())  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.namespace import SH, XSD

from exodus_kg.errors import CheckFailed, ExodusError, InputError
from exodus_kg.pipeline.graph_loading import load_graphs, parse_file

CHECK_BASE = "https://w3id.org/exodus-kg/checks/"
SHAPES_BASE = "https://w3id.org/exodus-kg/shapes#"
SEVERITIES = ("Violation", "Warning", "Info")
REPORT_FORMATS = ("text", "ttl", "jsonld", "json")

DISPLAY_PREFIXES = {
    "exd": "https://w3id.org/exodus-kg/id/",
    "exo": "https://w3id.org/exodus-kg/ontology#",
    "exv": "https://w3id.org/exodus-kg/vocab/",
    "exsh": SHAPES_BASE,
    "check": CHECK_BASE,
    "wd": "http://www.wikidata.org/entity/",
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "sh": str(SH),
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "schema": "https://schema.org/",
    "dcterms": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

_HEADER_LINE = re.compile(r"^#\+\s?(\s*)(\w+)?\s*:?\s*(.*)$")


class ShapeViolations(CheckFailed):
    """Validation found violations; ``outcome`` holds the full report."""

    def __init__(self, outcome: ValidationOutcome, hint: str = ""):
        counts = outcome.counts()
        super().__init__(f"validation failed: {counts['Violation']} violation(s){hint}")
        self.outcome = outcome


@dataclass(frozen=True)
class SparqlCheck:
    """One ``queries/checks/NAME-violation.rq`` file."""

    name: str
    path: Path
    query: str
    summary: str
    description: str = ""
    severity: str = "Violation"
    message: str = ""

    @property
    def iri(self) -> URIRef:
        return URIRef(CHECK_BASE + self.name)


@dataclass(frozen=True)
class ValidationResult:
    """One result: a SHACL validation result or one row of a SPARQL check."""

    severity: str  # Violation, Warning or Info
    source: rdflib.term.Identifier  # the shape (sh:sourceShape) or the check's IRI
    group: (
        rdflib.term.Identifier
    )  # the named shape the source belongs to (for a property shape, its node shape)
    component: URIRef | None  # sh:sourceConstraintComponent
    focus_node: rdflib.term.Identifier
    focus_label: str
    path: rdflib.term.Identifier | None
    value: rdflib.term.Identifier | None
    message: str

    @property
    def from_check(self) -> bool:
        return isinstance(self.source, URIRef) and str(self.source).startswith(CHECK_BASE)


@dataclass
class ValidationOutcome:
    """What validation found. ``conforms`` is true when no result is a Violation."""

    results: list[ValidationResult]
    report_graph: rdflib.Graph
    data_graph: rdflib.Graph
    triples: int = 0
    shape_count: int = 0
    check_count: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        return not any(result.severity == "Violation" for result in self.results)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for result in self.results:
            counts[result.severity] = counts.get(result.severity, 0) + 1
        return counts

    def raise_for_violations(self, hint: str = "") -> ValidationOutcome:
        if not self.conforms:
            raise ShapeViolations(self, hint)
        return self

    def text_report(self) -> str:
        return text_report(self)

    def serialize(self, output_format: str) -> str:
        return serialize_report(self, output_format)


# Loading shapes and checks ---------------------------------------------------------------------


def load_shapes(paths: Iterable[Path]) -> rdflib.Graph:
    return load_graphs(paths)


def load_check(path: Path) -> SparqlCheck:
    """Read one check file; its name is the file name without ``.rq``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the check ({error})") from None
    header: dict[str, str] = {
        "summary": "",
        "description": "",
        "severity": "Violation",
        "message": "",
        "tags": "",
    }
    last_key = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#+"):
            if line.strip() and not line.startswith("#"):
                break
            continue
        match = _HEADER_LINE.match(line)
        indent, key, value = match.group(1), match.group(2), match.group(3)
        if indent and last_key in ("summary", "description", "message"):
            header[last_key] = f"{header[last_key]} {line[2:].strip()}".strip()
            continue
        if key is None:
            continue
        if key not in header:
            raise InputError(f"{path}:{number}: unknown header key {key!r} (known: {', '.join(header)})")
        last_key = key
        header[key] = value.strip()
        if key == "severity" and header[key] not in SEVERITIES:
            raise InputError(f"{path}:{number}: severity must be one of {', '.join(SEVERITIES)}")
    if not path.name.endswith("-violation.rq"):
        raise InputError(f"{path}: a check's file name ends in -violation.rq (it must return no rows)")
    if not header["summary"]:
        raise InputError(f"{path}: the check has no '#+ summary:' line")
    from exodus_kg.query.engine import refuse_service

    refuse_service(text, str(path))  # validation never goes to the network
    return SparqlCheck(
        name=path.name[: -len(".rq")],
        path=path,
        query=text,
        summary=header["summary"],
        description=header["description"],
        severity=header["severity"],
        message=header["message"],
    )


def load_checks(paths: Iterable[Path]) -> list[SparqlCheck]:
    return [load_check(path) for path in paths]


# Validating ------------------------------------------------------------------------------------


def combined_data_graph(data: rdflib.Graph, ontology: rdflib.Graph | None) -> rdflib.Graph:
    """The graph the shapes and checks run on: the data plus the ontology (see the module doc)."""
    combined = rdflib.Graph()
    combined += data
    if ontology is not None:
        combined += ontology
    return combined


def validate_graphs(
    data: rdflib.Graph,
    ontology: rdflib.Graph | None,
    shapes: rdflib.Graph,
    checks: Iterable[SparqlCheck] = (),
) -> ValidationOutcome:
    """Validate ``data`` (with ``ontology`` mixed in) against ``shapes`` and ``checks``."""
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    checks = list(checks)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    graph = combined_data_graph(data, ontology)
    timings["combine"] = time.perf_counter() - started

    started = time.perf_counter()
    try:
        _conforms, report, _text = pyshacl.validate(
            graph,
            shacl_graph=shapes,
            inference="none",
            abort_on_first=False,
            allow_warnings=True,
            allow_infos=True,
            advanced=False,
        )
    except ReportableRuntimeError as error:
        raise ExodusError(f"SHACL validation could not run: {error.message}") from None
    timings["shacl"] = time.perf_counter() - started

    results = [_shacl_result(report, node, graph, shapes) for node in report.objects(None, SH.result)]
    if checks:
        started = time.perf_counter()
        store = to_oxigraph(graph)
        for check in checks:
            results.extend(_run_check(check, store, graph, report))
        timings["checks"] = time.perf_counter() - started

    report_node = next(report.subjects(RDF.type, SH.ValidationReport))
    report.set((report_node, SH.conforms, Literal(not results)))
    for prefix, namespace in DISPLAY_PREFIXES.items():
        report.bind(prefix, namespace, override=True)
    results.sort(key=_result_sort_key)
    shape_count = len(set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(SH.path, None)))
    return ValidationOutcome(
        results=results,
        report_graph=report,
        data_graph=graph,
        triples=len(data),
        shape_count=shape_count,
        check_count=len(checks),
        timings=timings,
    )


def validate_for_build(
    data_graph: rdflib.Graph | None = None,
    ontology_graph: rdflib.Graph | None = None,
    *,
    project=None,
    ontology: rdflib.Graph | None = None,
    asserted: rdflib.Graph | None = None,
    links: rdflib.Graph | None = None,
) -> ValidationOutcome:
    """Validate the asserted data (and links) of a build with the project's shapes and checks.

    Returns the outcome when there is no violation (warnings may remain); raises
    ``ShapeViolations`` (a ``CheckFailed``, exit code 1) carrying the outcome otherwise.
    ``ontology``/``asserted``/``links`` are the keyword form used by ``build.py``.
    """
    from exodus_kg.project import find_project

    if data_graph is None:
        data_graph = rdflib.Graph()
        for layer in (asserted, links):
            if layer is not None:
                data_graph += layer
    if ontology_graph is None:
        ontology_graph = ontology
    project = project or find_project()
    outcome = validate_graphs(
        data_graph,
        ontology_graph,
        load_shapes(project.shape_files()),
        load_checks(project.check_files()),
    )
    return outcome.raise_for_violations("; run `exodus validate` for the report")


def validate(project=None, extra_files: Iterable[Path] = ()) -> ValidationOutcome:
    """Validate the project's asserted data and links, together with ``extra_files`` (a user's own
    Turtle, N-Triples, JSON-LD ... files). Never raises for violations: look at ``conforms``."""
    from exodus_kg.project import find_project

    project = project or find_project()
    started = time.perf_counter()
    ontology = load_graphs(project.ontology_files())
    data = load_graphs(project.asserted_files())
    load_graphs(project.link_files(), data)
    for path in extra_files:
        # parse_file says what a path is when it is not a file (missing, a FIFO, /dev/null).
        parse_file(Path(path), data)
    shapes = load_shapes(project.shape_files())
    checks = load_checks(project.check_files())
    loaded = time.perf_counter() - started
    outcome = validate_graphs(data, ontology, shapes, checks)
    outcome.timings = {"load": loaded, **outcome.timings}
    return outcome


# Results ---------------------------------------------------------------------------------------


def _severity_name(node) -> str:
    name = str(node).rsplit("#", 1)[-1]
    return name if name in SEVERITIES else "Violation"


def _named_shape(shapes: rdflib.Graph, shape):
    """The named node shape a (blank) property shape hangs from, or the shape itself."""
    seen = set()
    while isinstance(shape, BNode) and shape not in seen:
        seen.add(shape)
        parent = next(shapes.subjects(SH.property, shape), None)
        if parent is None:
            break
        shape = parent
    return shape


def _shacl_result(report: rdflib.Graph, node, data: rdflib.Graph, shapes: rdflib.Graph) -> ValidationResult:
    focus = report.value(node, SH.focusNode)
    source = report.value(node, SH.sourceShape)
    messages = sorted(str(message) for message in report.objects(node, SH.resultMessage))
    english = [str(m) for m in report.objects(node, SH.resultMessage) if getattr(m, "language", None) == "en"]
    return ValidationResult(
        severity=_severity_name(report.value(node, SH.resultSeverity)),
        source=source,
        group=_named_shape(shapes, source),
        component=report.value(node, SH.sourceConstraintComponent),
        focus_node=focus,
        focus_label=describe_node(data, focus),
        path=_path_term(report, report.value(node, SH.resultPath)),
        value=report.value(node, SH.value),
        message=(english or messages or [""])[0],
    )


def _path_term(report: rdflib.Graph, path):
    """A predicate path as its IRI; a complex path (a blank node) as a SPARQL-like string."""
    if path is None or isinstance(path, URIRef):
        return path
    inverse = report.value(path, SH.inversePath)
    if inverse is not None:
        return Literal(f"^{display(inverse)}")
    return Literal(path.n3())


def to_oxigraph(graph: rdflib.Graph):
    """The graph as an in-memory pyoxigraph Store. Blank nodes keep their rdflib ids, so that a
    check's results point at the same nodes as the SHACL results."""
    import pyoxigraph as ox

    def term(node):
        if isinstance(node, URIRef):
            return ox.NamedNode(str(node))
        if isinstance(node, BNode):
            return ox.BlankNode(str(node))
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))

    store = ox.Store()
    store.extend(
        ox.Quad(term(s), term(p), term(o), ox.DefaultGraph())
        for s, p, o in graph
        if not isinstance(s, Literal) and isinstance(p, URIRef)
    )
    return store


def _from_oxigraph(term):
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype is not None and term.datatype.value != str(XSD.string):
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    return Literal(term.value)


def _run_check(
    check: SparqlCheck, store, graph: rdflib.Graph, report: rdflib.Graph
) -> list[ValidationResult]:
    import pyoxigraph as ox

    try:
        rows = store.query(check.query)
    except (SyntaxError, ValueError, OSError) as error:
        raise InputError(f"{check.path}: the check cannot run: {error}") from None
    if not isinstance(rows, ox.QuerySolutions):
        raise InputError(f"{check.path}: a check is a SELECT query")
    names = [variable.value for variable in rows.variables]
    if "focusNode" not in names:
        raise InputError(f"{check.path}: a check must SELECT ?focusNode (and may add ?path ?value ?message)")
    severity = SH[check.severity]
    report_node = next(report.subjects(RDF.type, SH.ValidationReport))
    results = []
    for row in rows:
        values = {name: _from_oxigraph(row[name]) for name in names}
        focus = values.get("focusNode")
        if focus is None:
            continue
        path, value = values.get("path"), values.get("value")
        message = str(values.get("message") or _fill_template(check.message, values) or check.summary)
        node = BNode()
        report.add((report_node, SH.result, node))
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.focusNode, focus))
        report.add((node, SH.resultSeverity, severity))
        report.add((node, SH.sourceShape, check.iri))
        report.add((node, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
        report.add((node, SH.resultMessage, Literal(message, lang="en")))
        if path is not None:
            report.add((node, SH.resultPath, path))
        if value is not None:
            report.add((node, SH.value, value))
        results.append(
            ValidationResult(
                severity=check.severity,
                source=check.iri,
                group=check.iri,
                component=SH.SPARQLConstraintComponent,
                focus_node=focus,
                focus_label=describe_node(graph, focus),
                path=path,
                value=value,
                message=message,
            )
        )
    return results


def _fill_template(template: str, values: dict) -> str:
    """``{?name}`` in a check's message becomes the row's value: an IRI compacted, a literal as is."""

    def fill(match: re.Match) -> str:
        term = values.get(match.group(1))
        if term is None:
            return "?"
        return str(term) if isinstance(term, Literal) else display(term)

    return re.sub(r"\{[?$](\w+)\}", fill, template)


def _result_sort_key(result: ValidationResult):
    return (
        SEVERITIES.index(result.severity) if result.severity in SEVERITIES else 9,
        display(result.group),
        result.focus_label,
        display(result.path),
        display(result.value),
        result.message,
    )


def display(term) -> str:
    """A term as a reader wants to see it: ``exd:sam-altman``, ``"text"@en``, ``"49"^^xsd:integer``."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        iri = str(term)
        best = max(
            ((prefix, ns) for prefix, ns in DISPLAY_PREFIXES.items() if iri.startswith(ns)),
            key=lambda item: len(item[1]),
            default=None,
        )
        if best is not None and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", iri[len(best[1]) :] or "_"):
            return f"{best[0]}:{iri[len(best[1]) :]}"
        return f"<{iri}>"
    if isinstance(term, Literal):
        if term.datatype is not None:
            return f'"{term}"^^{display(term.datatype)}'
        return f'"{term}"@{term.language}' if term.language else f'"{term}"'
    if isinstance(term, BNode):
        return "[]"
    return str(term)


def _english_label(graph: rdflib.Graph, node) -> str | None:
    labels = list(graph.objects(node, RDFS.label))
    for label in labels:
        if isinstance(label, Literal) and label.language == "en":
            return str(label)
    return str(labels[0]) if labels else None


def describe_node(graph: rdflib.Graph, node) -> str:
    """``exd:x "its English label"``; a blank node is described by what points to it:
    ``[exo:evidence of exd:founding-openai "Elon Musk ... found OpenAI"]``."""
    if node is None:
        return ""
    if isinstance(node, BNode):
        for subject, predicate in graph.subject_predicates(node):
            if not isinstance(subject, BNode):
                owner = describe_node(graph, subject)
                return f"[{display(predicate)} of {owner}]"
        return "[blank node]"
    label = _english_label(graph, node)
    return f'{display(node)} "{label}"' if label else display(node)


# Reports ---------------------------------------------------------------------------------------


def text_report(outcome: ValidationOutcome) -> str:
    """A readable report: results grouped by severity, then by shape or check."""
    counts = outcome.counts()
    lines = []
    verdict = "conforms" if outcome.conforms else "does not conform"
    summary = ", ".join(f"{counts[severity]} {severity.lower()}(s)" for severity in SEVERITIES)
    total = sum(outcome.timings.values())
    lines.append(
        f"The graph {verdict}: {summary}. "
        f"{outcome.triples} data triples, {outcome.shape_count} shapes, {outcome.check_count} SPARQL checks, "
        f"{total:.2f} s."
    )
    by_severity: dict[str, dict[str, list[ValidationResult]]] = defaultdict(lambda: defaultdict(list))
    for result in outcome.results:
        by_severity[result.severity][_source_name(result)].append(result)
    for severity in SEVERITIES:
        groups = by_severity.get(severity)
        if not groups:
            continue
        lines.append("")
        lines.append(f"{severity} ({counts[severity]})")
        for source in sorted(groups):
            results = groups[source]
            lines.append(f"  {source} ({len(results)})")
            for result in results:
                lines.append(f"    {result.focus_label}")
                details = []
                if result.path is not None:
                    details.append(f"path {display(result.path)}")
                if result.value is not None:
                    details.append(f"value {display(result.value)}")
                if result.component is not None and not result.from_check:
                    details.append(f"constraint {display(result.component)}")
                if details:
                    lines.append("      " + "  ".join(details))
                lines.append(f"      {result.message}")
    return "\n".join(lines) + "\n"


def _source_name(result: ValidationResult) -> str:
    if result.from_check:
        return f"check {str(result.source)[len(CHECK_BASE) :]}"
    if isinstance(result.group, BNode):
        return "shape [anonymous]"
    return f"shape {display(result.group)}"


def _json_term(term):
    if term is None:
        return None
    if isinstance(term, Literal):
        return str(term)
    if isinstance(term, BNode):
        return None
    return str(term)


def results_as_json(outcome: ValidationOutcome) -> dict:
    return {
        "conforms": outcome.conforms,
        "counts": outcome.counts(),
        "results": [
            {
                "severity": result.severity,
                "source": _json_term(result.group),
                "constraintComponent": _json_term(result.component),
                "focusNode": _json_term(result.focus_node),
                "focusLabel": result.focus_label,
                "path": _json_term(result.path),
                "value": _json_term(result.value),
                "message": result.message,
            }
            for result in outcome.results
        ],
    }


def serialize_report(outcome: ValidationOutcome, output_format: str) -> str:
    """``text`` (readable), ``ttl`` or ``jsonld`` (the SHACL report graph), ``json`` (the results)."""
    if output_format == "text":
        return text_report(outcome)
    if output_format == "ttl":
        return outcome.report_graph.serialize(format="turtle")
    if output_format == "jsonld":
        return outcome.report_graph.serialize(format="json-ld", indent=2)
    if output_format == "json":
        return json.dumps(results_as_json(outcome), ensure_ascii=False, indent=2) + "\n"
    raise ExodusError(f"unknown report format {output_format!r} (known: {', '.join(REPORT_FORMATS)})")
