"""Validation results and their reports: the text a reader sees, the SHACL report graph, JSON.

``ValidationOutcome`` holds what validation.py found (SHACL results and SPARQL check rows alike, as
``ValidationResult``); ``conforms`` means no result of severity Violation (warnings and infos are
reported, they do not fail the build). The raw report graph keeps SHACL's own ``sh:conforms`` (false
when it has any result).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from exodus_kg.errors import CheckFailed, ExodusError
from exodus_kg.rdf.namespaces import CHECKS, EXSH, RDFS, REPORT_PREFIXES

if TYPE_CHECKING:  # rdflib is imported only when there is something to report (it costs ~150 ms)
    import rdflib
    from rdflib import URIRef

CHECK_BASE = CHECKS
SHAPES_BASE = EXSH
SEVERITIES = ("Violation", "Warning", "Info")
REPORT_FORMATS = ("text", "ttl", "jsonld", "json")

DISPLAY_PREFIXES = REPORT_PREFIXES


class ShapeViolations(CheckFailed):
    """Validation found violations; ``outcome`` holds the full report."""

    def __init__(self, outcome: ValidationOutcome, hint: str = ""):
        counts = outcome.counts()
        super().__init__(f"validation failed: {counts['Violation']} violation(s){hint}")
        self.outcome = outcome


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
        from rdflib import URIRef

        return isinstance(self.source, URIRef) and str(self.source).startswith(CHECK_BASE)


class ValidationOutcome:
    """What validation found. ``conforms`` is true when no result is a Violation.

    ``report_graph`` (the SHACL validation report, for ``-f ttl`` and ``-f jsonld``) is made on first
    use by ``report_factory`` when it is not given: a conforming build never builds it."""

    def __init__(
        self,
        results: list[ValidationResult],
        report_graph: rdflib.Graph | None = None,
        *,
        report_factory: Callable[[ValidationOutcome], rdflib.Graph] | None = None,
        triples: int = 0,
        shape_count: int = 0,
        check_count: int = 0,
        timings: dict[str, float] | None = None,
        engine: str = "core",
        fallback: str | None = None,
    ):
        self.results = results
        self.engine = engine  # "core" (shacl_core.py) or "pyshacl"
        self.fallback = fallback  # why pySHACL ran instead of the engine, when it did
        self._report_graph = report_graph
        self._report_factory = report_factory
        self.triples = triples
        self.shape_count = shape_count
        self.check_count = check_count
        self.timings = timings if timings is not None else {}

    @property
    def report_graph(self) -> rdflib.Graph:
        if self._report_graph is None:
            self._report_graph = self._report_factory(self)
        return self._report_graph

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


def result_sort_key(result: ValidationResult):
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
    from rdflib import BNode, Literal, URIRef

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
    from rdflib import Literal, URIRef

    labels = sorted(str(label) for label in graph.objects(node, URIRef(RDFS + "label")))
    english = sorted(
        str(label)
        for label in graph.objects(node, URIRef(RDFS + "label"))
        if isinstance(label, Literal) and label.language == "en"
    )
    return (english or labels or [None])[0]


def describe_node(graph: rdflib.Graph, node) -> str:
    """``exd:x "its English label"``; a blank node is described by what points to it:
    ``[exo:evidence of exd:founding-openai "Elon Musk ... found OpenAI"]``. Where there is a choice
    (two English labels, two nodes pointing to a blank node) the first in order is taken."""
    from rdflib import BNode

    if node is None:
        return ""
    if isinstance(node, BNode):
        owners = sorted(
            (str(subject), str(predicate), subject, predicate)
            for subject, predicate in graph.subject_predicates(node)
            if not isinstance(subject, BNode)
        )
        if owners:
            _s, _p, subject, predicate = owners[0]
            return f"[{display(predicate)} of {describe_node(graph, subject)}]"
        return "[blank node]"
    label = _english_label(graph, node)
    return f'{display(node)} "{label}"' if label else display(node)


class StoreDescriber:
    """``describe_node`` over the union of named graphs of a pyoxigraph store, for a node given as a
    pyoxigraph term: results name their nodes alike whichever engine found them. ``to_rdflib``
    converts the store's terms for ``display``."""

    def __init__(self, store, graphs, to_rdflib):
        import pyoxigraph as ox

        self.store = store
        self.graphs = [ox.NamedNode(g) if isinstance(g, str) else g for g in graphs]
        self.to_rdflib = to_rdflib
        self._label = ox.NamedNode(RDFS + "label")

    def _quads(self, subject, predicate, obj):
        for graph in self.graphs:
            yield from self.store.quads_for_pattern(subject, predicate, obj, graph)

    def __call__(self, term) -> str:
        import pyoxigraph as ox

        if term is None:
            return ""
        if isinstance(term, ox.BlankNode):
            owners = sorted(
                (quad.subject.value, quad.predicate.value, quad.subject, quad.predicate)
                for quad in self._quads(None, None, term)
                if not isinstance(quad.subject, ox.BlankNode)
            )
            if owners:
                _s, _p, subject, predicate = owners[0]
                return f"[{display(self.to_rdflib(predicate))} of {self(subject)}]"
            return "[blank node]"
        shown = display(self.to_rdflib(term))
        if isinstance(term, ox.Literal):
            return shown
        labels = [quad.object for quad in self._quads(term, self._label, None)]
        english = sorted(
            label.value for label in labels if isinstance(label, ox.Literal) and label.language == "en"
        )
        label = (english or sorted(label.value for label in labels) or [None])[0]
        return f'{shown} "{label}"' if label else shown


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
    from rdflib import BNode

    if result.from_check:
        return f"check {str(result.source)[len(CHECK_BASE) :]}"
    if isinstance(result.group, BNode):
        return "shape [anonymous]"
    return f"shape {display(result.group)}"


def _json_term(term):
    from rdflib import BNode, Literal

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
