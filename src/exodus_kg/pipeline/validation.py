"""Validation of the graph: the SHACL shapes of ``ontology/shapes/`` and the SPARQL checks of
``queries/checks/*-violation.rq``, reported together.

The data graph the shapes run on is the asserted data *together with the ontology*, without RDFS
inference: SHACL's own class semantics (``rdf:type/rdfs:subClassOf*`` in the data graph) is what
makes ``sh:targetClass exo:Statement`` reach an ``exo:Departure``. RDFS inference is deliberately not
used: it would type every object of ``exo:foundedOrganization`` as an ``exo:Organization`` through
the property's ``rdfs:range``, so ``sh:class`` could never catch a person (or a misspelt IRI) put
where an organization belongs. The same combined graph is what a second engine (Apache Jena) is
given in the tests, so the two see identical input.

The shapes are SHACL Core; the rules beyond Core are the SPARQL checks of ``sparql_checks.py``, whose
rows join the SHACL results in one report (``validation_report.py``: the outcome, its text, JSON and
the SHACL report graph).

>>> outcome = validate(find_project())  # doctest: +SKIP
>>> outcome.conforms, len(outcome.results)  # doctest: +SKIP
(True, 0)
>>> print(outcome.text_report())  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import rdflib
from rdflib import RDF, BNode, Literal, URIRef
from rdflib.namespace import SH

from exodus_kg.errors import ExodusError
from exodus_kg.pipeline.graph_loading import load_graphs, parse_file
from exodus_kg.pipeline.sparql_checks import SparqlCheck, load_checks, run_checks
from exodus_kg.pipeline.validation_report import (
    DISPLAY_PREFIXES,
    SEVERITIES,
    ValidationOutcome,
    ValidationResult,
    describe_node,
    display,
    result_sort_key,
)


def load_shapes(paths: Iterable[Path]) -> rdflib.Graph:
    return load_graphs(paths)


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
    started = time.perf_counter()
    graph = combined_data_graph(data, ontology)
    combined = time.perf_counter() - started
    return _validate_combined(graph, len(data), shapes, checks, {"combine": combined})


def _validate_combined(
    graph: rdflib.Graph,
    data_triples: int,
    shapes: rdflib.Graph,
    checks: Iterable[SparqlCheck],
    timings: dict[str, float],
) -> ValidationOutcome:
    """Validate ``graph``, the data and the ontology already in one graph (read, never changed)."""
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    checks = list(checks)
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
        results.extend(run_checks(checks, graph, report))
        timings["checks"] = time.perf_counter() - started

    report_node = next(report.subjects(RDF.type, SH.ValidationReport))
    report.set((report_node, SH.conforms, Literal(not results)))
    for prefix, namespace in DISPLAY_PREFIXES.items():
        report.bind(prefix, namespace, override=True)
    results.sort(key=result_sort_key)
    shape_count = len(set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(SH.path, None)))
    return ValidationOutcome(
        results=results,
        report_graph=report,
        data_graph=graph,
        triples=data_triples,
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

    project = project or find_project()
    shapes = load_shapes(project.shape_files())
    checks = load_checks(project.check_files())
    if ontology_graph is None:
        ontology_graph = ontology
    if data_graph is not None:
        outcome = validate_graphs(data_graph, ontology_graph, shapes, checks)
    else:
        # The layers go into one graph in one step: each copy of a large rdflib graph costs
        # seconds, so the data is not gathered in a graph of its own first and then copied
        # again with the ontology.
        started = time.perf_counter()
        graph = rdflib.Graph()
        for layer in (asserted, links):
            if layer is not None:
                graph += layer
        data_triples = len(graph)
        if ontology_graph is not None:
            graph += ontology_graph
        timings = {"combine": time.perf_counter() - started}
        outcome = _validate_combined(graph, data_triples, shapes, checks, timings)
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


# SHACL results ---------------------------------------------------------------------------------------


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


