"""The SPARQL checks of ``queries/checks/NAME-violation.rq``: the rules of the graph beyond SHACL Core.

The file name is the contract (the ODK convention): the query must return no rows. The checks run once
over the whole graph in pyoxigraph, which takes milliseconds, where the same rules as SHACL-SPARQL
constraints cost pySHACL one rdflib query per focus node (minutes at the article's size). A check
projects ``?focusNode`` and may project ``?path``, ``?value``, ``?message`` and any variable its
message template names; its header (read by ``rdf/query_files.py``) names and grades it::

    #+ summary: A statement ends before it starts
    #+ description: >-
    #+   The longer explanation, on as many lines as it needs.
    #+ severity: Violation
    #+ message: >-
    #+   The end date {?value} lies before the start date {?start}.

``severity`` is Violation (when left out), Warning or Info. Each row becomes a result in the same
report as the SHACL results, with ``sh:sourceShape`` the check's IRI
(``https://w3id.org/exodus-kg/checks/NAME``) and ``sh:sourceConstraintComponent``
``sh:SPARQLConstraintComponent``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import RDF, BNode, Literal, URIRef
from rdflib.namespace import SH

from exodus_kg.errors import InputError
from exodus_kg.pipeline.validation_report import (
    CHECK_BASE,
    SEVERITIES,
    ValidationResult,
    describe_node,
    display,
)
from exodus_kg.rdf.query_files import LIST, TEXT, read_header, read_text
from exodus_kg.rdf.sparql_text import refuse_service
from exodus_kg.rdf.terms import TermMap

CHECK_HEADER = {"summary": TEXT, "description": TEXT, "severity": TEXT, "message": TEXT, "tags": LIST}


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
    tags: tuple[str, ...] = ()

    @property
    def iri(self) -> URIRef:
        return URIRef(CHECK_BASE + self.name)


def load_check(path: Path) -> SparqlCheck:
    """Read one check file; its name is the file name without ``.rq``."""
    path = Path(path)
    text = read_text(path, "check")
    header = read_header(text, path, CHECK_HEADER)
    severity = header.get("severity", "Violation")
    if severity not in SEVERITIES:
        raise InputError(f"{path}: severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    if not path.name.endswith("-violation.rq"):
        raise InputError(f"{path}: a check's file name ends in -violation.rq (it must return no rows)")
    if not header.get("summary"):
        raise InputError(f"{path}: the check has no '#+ summary:' line")
    refuse_service(text, str(path))  # validation never goes to the network
    return SparqlCheck(
        name=path.name[: -len(".rq")],
        path=path,
        query=text,
        summary=header["summary"],
        description=header.get("description", ""),
        severity=severity,
        message=header.get("message", ""),
        tags=tuple(header.get("tags", ())),
    )


def load_checks(paths: Iterable[Path]) -> list[SparqlCheck]:
    return [load_check(path) for path in paths]


def run_checks(
    checks: Iterable[SparqlCheck], graph: rdflib.Graph, report: rdflib.Graph
) -> list[ValidationResult]:
    """Run every check once over ``graph`` in pyoxigraph; add a result to ``report`` per row."""
    terms = TermMap()
    store = terms.store(graph)
    results = []
    for check in checks:
        results.extend(_run_check(check, store, terms, graph, report))
    return results


def _run_check(
    check: SparqlCheck, store, terms: TermMap, graph: rdflib.Graph, report: rdflib.Graph
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
        values = {name: terms.from_ox(row[name]) for name in names}
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


