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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from exodus_kg.errors import InputError
from exodus_kg.pipeline.validation_report import (
    CHECK_BASE,
    SEVERITIES,
    ValidationResult,
    describe_node,
    display,
)
from exodus_kg.rdf.namespaces import SH
from exodus_kg.rdf.query_files import LIST, TEXT, read_header, read_text
from exodus_kg.rdf.sparql_text import refuse_service

if TYPE_CHECKING:
    import pyoxigraph as ox
    import rdflib
    from rdflib import URIRef

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
        from rdflib import URIRef

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
    from exodus_kg.rdf.terms import TermMap

    terms = TermMap()
    store = terms.store(graph)
    results = run_checks_in_store(
        checks, store, None, terms.from_ox, lambda node: describe_node(graph, terms.from_ox(node))
    )
    add_to_report(report, results)
    return results


def run_checks_in_store(
    checks: Iterable[SparqlCheck],
    store: ox.Store,
    default_graph: Sequence[ox.NamedNode] | None,
    to_rdflib: Callable,
    describe: Callable,
) -> list[ValidationResult]:
    """Run every check once over ``store``, whose default graph is the union of ``default_graph``
    (graph names) when given. ``to_rdflib`` converts the terms of a row, ``describe`` names a focus
    node (given as a pyoxigraph term); neither is called when no check returns a row."""
    results = []
    for check in checks:
        results.extend(_run_check(check, store, default_graph, to_rdflib, describe))
    return results


def _run_check(check: SparqlCheck, store, default_graph, to_rdflib, describe) -> list[ValidationResult]:
    import pyoxigraph as ox

    try:
        if default_graph is None:
            rows = store.query(check.query)
        else:
            rows = store.query(check.query, default_graph=list(default_graph))
    except (SyntaxError, ValueError, OSError) as error:
        raise InputError(f"{check.path}: the check cannot run: {error}") from None
    if not isinstance(rows, ox.QuerySolutions):
        raise InputError(f"{check.path}: a check is a SELECT query")
    names = [variable.value for variable in rows.variables]
    if "focusNode" not in names:
        raise InputError(f"{check.path}: a check must SELECT ?focusNode (and may add ?path ?value ?message)")
    results = []
    for row in rows:
        focus_term = row["focusNode"]
        if focus_term is None:
            continue
        from rdflib import URIRef

        values = {name: to_rdflib(row[name]) for name in names}
        path, value = values.get("path"), values.get("value")
        message = str(values.get("message") or _fill_template(check.message, values) or check.summary)
        results.append(
            ValidationResult(
                severity=check.severity,
                source=check.iri,
                group=check.iri,
                component=URIRef(SH + "SPARQLConstraintComponent"),
                focus_node=values["focusNode"],
                focus_label=describe(focus_term),
                path=path,
                value=value,
                message=message,
            )
        )
    return results


def add_to_report(report: rdflib.Graph, results: Iterable[ValidationResult]) -> None:
    """The checks' results as sh:ValidationResult nodes of ``report`` (its one sh:ValidationReport)."""
    from rdflib import RDF, BNode, Literal, URIRef
    from rdflib.namespace import SH as SHACL

    report_node = next(report.subjects(RDF.type, SHACL.ValidationReport))
    for result in results:
        node = BNode()
        report.add((report_node, SHACL.result, node))
        report.add((node, RDF.type, SHACL.ValidationResult))
        report.add((node, SHACL.focusNode, result.focus_node))
        report.add((node, SHACL.resultSeverity, URIRef(SH + result.severity)))
        report.add((node, SHACL.sourceShape, result.source))
        report.add((node, SHACL.sourceConstraintComponent, result.component))
        report.add((node, SHACL.resultMessage, Literal(result.message, lang="en")))
        if result.path is not None:
            report.add((node, SHACL.resultPath, result.path))
        if result.value is not None:
            report.add((node, SHACL.value, result.value))


def _fill_template(template: str, values: dict) -> str:
    """``{?name}`` in a check's message becomes the row's value: an IRI compacted, a literal as is."""
    from rdflib import Literal

    def fill(match: re.Match) -> str:
        term = values.get(match.group(1))
        if term is None:
            return "?"
        return str(term) if isinstance(term, Literal) else display(term)

    return re.sub(r"\{[?$](\w+)\}", fill, template)
