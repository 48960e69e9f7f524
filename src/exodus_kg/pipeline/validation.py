"""Validation of the graph: the SHACL shapes of ``ontology/shapes/`` and the SPARQL checks of
``queries/checks/*-violation.rq``, reported together.

The data graph the shapes run on is the asserted data *together with the ontology*, without RDFS
inference: SHACL's own class semantics (``rdf:type/rdfs:subClassOf*`` in the data graph) is what
makes ``sh:targetClass exo:Statement`` reach an ``exo:Departure``. RDFS inference is deliberately not
used: it would type every object of ``exo:foundedOrganization`` as an ``exo:Organization`` through
the property's ``rdfs:range``, so ``sh:class`` could never catch a person (or a misspelt IRI) put
where an organization belongs. The same combined graph is what a second engine (Apache Jena) is
given in the tests, so the two see identical input.

The shapes are SHACL Core, evaluated by ``shacl_core.py`` (an engine of the project over a pyoxigraph
store, giving pySHACL's results at a small part of its cost); when the shapes use something that
engine does not support, the whole validation falls back to pySHACL, which is also the reference the
tests hold the engine to (``engine="pyshacl"``). The rules beyond Core are the SPARQL checks of
``sparql_checks.py``, run on the same store, whose rows join the SHACL results in one report
(``validation_report.py``: the outcome, its text, JSON and the SHACL report graph, which pySHACL
writes when asked for).

``validate_store`` validates named graphs of a store (the build's layers) without an rdflib copy;
``validate_graphs`` and ``validate_for_build`` take rdflib graphs and copy them into a store;
``validate`` is ``exodus validate``.

>>> outcome = validate(find_project())  # doctest: +SKIP
>>> outcome.conforms, len(outcome.results)  # doctest: +SKIP
(True, 0)
>>> print(outcome.text_report())  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from exodus_kg.errors import ExodusError
from exodus_kg.pipeline import shacl_core
from exodus_kg.pipeline.sparql_checks import (
    SparqlCheck,
    add_to_report,
    load_checks,
    run_checks,
    run_checks_in_store,
)
from exodus_kg.pipeline.validation_report import (
    DISPLAY_PREFIXES,
    SEVERITIES,
    StoreDescriber,
    ValidationOutcome,
    ValidationResult,
    describe_node,
    display,
    result_sort_key,
)

if TYPE_CHECKING:
    import pyoxigraph as ox
    import rdflib

ENGINES = ("core", "pyshacl")
BUILD_HINT = "; run `exodus validate` for the report"


def load_shapes(paths: Iterable[Path]) -> rdflib.Graph:
    from exodus_kg.pipeline.graph_loading import load_graphs

    return load_graphs(paths)


# Validating ------------------------------------------------------------------------------------


def combined_data_graph(data: rdflib.Graph, ontology: rdflib.Graph | None) -> rdflib.Graph:
    """The graph the shapes and checks run on: the data plus the ontology (see the module doc)."""
    import rdflib

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
    *,
    engine: str = "core",
) -> ValidationOutcome:
    """Validate ``data`` (with ``ontology`` mixed in) against ``shapes`` and ``checks``, with the
    project's engine (``core``, falling back to pySHACL when it must) or with ``pyshacl`` alone."""
    if engine not in ENGINES:
        raise ExodusError(f"unknown validation engine {engine!r} (known: {', '.join(ENGINES)})")
    started = time.perf_counter()
    graph = combined_data_graph(data, ontology)
    timings = {"combine": time.perf_counter() - started}
    if engine == "pyshacl":
        return _validate_combined(graph, len(data), shapes, checks, timings)
    return _validate_rdflib_graph(graph, len(data), shapes, checks, timings)


def _validate_rdflib_graph(graph, data_triples: int, shapes, checks, timings) -> ValidationOutcome:
    """The engine on an rdflib graph: copied into a store, results in the graph's own terms."""
    from exodus_kg.rdf.terms import TermMap

    checks = list(checks)
    try:
        shape_set = shacl_core.compile_shapes_graph(shapes)
    except shacl_core.Unsupported as reason:
        return _validate_combined(graph, data_triples, shapes, checks, timings, fallback=str(reason))
    started = time.perf_counter()
    terms = TermMap()
    store = terms.store(graph)
    timings["copy"] = time.perf_counter() - started
    rewritten = _store_rewrites(_rewritten_datatypes(graph, terms))
    if rewritten:
        return _validate_combined(graph, data_triples, shapes, checks, timings, fallback=rewritten)
    import pyoxigraph as ox

    outcome = _validate_with_core(
        store,
        [ox.DefaultGraph()],
        shape_set,
        checks,
        timings,
        data_triples=data_triples,
        to_rdflib=terms.from_ox,
        rdflib_graph=lambda: graph,
    )
    if isinstance(outcome, str):
        return _validate_combined(graph, data_triples, shapes, checks, timings, fallback=outcome)
    return outcome


def validate_store(
    store: ox.Store,
    project=None,
    *,
    data_graphs: Sequence[str],
    ontology_graph: str | None,
    spellings: dict | None = None,
    sources: Mapping[str, Sequence[Path]] | None = None,
) -> ValidationOutcome:
    """Validate the named graphs ``data_graphs`` of ``store`` together with ``ontology_graph`` (graph
    names), with the project's shapes and checks, on the store itself: no copy of the data, and no
    rdflib unless there is something to report (or the shapes need pySHACL). ``spellings`` (stored
    literal -> literal as written, build.py's) makes results show literals as the files write them.

    Returns the outcome when there is no violation (warnings may remain); raises ``ShapeViolations``
    (a ``CheckFailed``, exit code 1) carrying the outcome otherwise, as ``validate_for_build``."""
    return validate_store_outcome(
        store,
        project,
        data_graphs=data_graphs,
        ontology_graph=ontology_graph,
        spellings=spellings,
        sources=sources,
    ).raise_for_violations(BUILD_HINT)


def validate_store_outcome(
    store: ox.Store,
    project=None,
    *,
    data_graphs: Sequence[str],
    ontology_graph: str | None,
    spellings: dict | None = None,
    sources: Mapping[str, Sequence[Path]] | None = None,
    _terms=None,
) -> ValidationOutcome:
    """``validate_store`` without raising for violations (``_terms``: the TermMap that filled the
    store from rdflib graphs, so that results come back in those graphs' terms).

    ``sources`` (graph name -> the files loaded into it) lets pySHACL read the files themselves when
    the store keeps some literal as another datatype than written (``Spellings``): the store cannot
    tell ``"5"^^xsd:int`` from ``"5"^^xsd:integer`` any more, the files can."""
    from exodus_kg.project import find_project

    project = project or find_project()
    timings: dict[str, float] = {}
    checks = load_checks(project.check_files())
    data_graphs = list(data_graphs)
    graphs = data_graphs + ([ontology_graph] if ontology_graph else [])
    started = time.perf_counter()
    data_triples, overlap = _union_size(store, data_graphs, graphs)
    timings["count"] = time.perf_counter() - started
    to_rdflib = _terms.from_ox if _terms is not None else _LazyTerms(spellings)

    def rdflib_graph():
        import rdflib

        graph = rdflib.Graph()
        for term in shacl_core.graph_terms(graphs):
            for quad in store.quads_for_pattern(None, None, None, term):
                graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        return graph

    rewritten = _store_rewrites(getattr(spellings, "rewritten_datatypes", ()))
    try:
        shape_set = shacl_core.compile_shapes(project.shape_files())
        if rewritten:
            raise shacl_core.Unsupported(rewritten)
    except shacl_core.Unsupported as reason:
        outcome = str(reason)
    else:
        outcome = _validate_with_core(
            store,
            graphs,
            shape_set,
            checks,
            timings,
            data_triples=data_triples,
            to_rdflib=to_rdflib,
            rdflib_graph=rdflib_graph,
            overlap=overlap,
        )
    if isinstance(outcome, str):
        written = rewritten and sources is not None and all(name in sources for name in graphs)
        return _validate_combined(
            _files_graph([path for name in graphs for path in sources[name]]) if written else rdflib_graph(),
            data_triples,
            load_shapes(project.shape_files()),
            checks,
            timings,
            fallback=outcome,
        )
    return outcome


def _store_rewrites(datatypes) -> str | None:
    """Why the engine cannot judge data whose literals the store keeps as another datatype (a
    ``sh:datatype xsd:int`` would see ``xsd:integer``), or None: such data goes to pySHACL."""
    if not datatypes:
        return None
    xsd = "http://www.w3.org/2001/XMLSchema#"
    names = ", ".join(sorted(f"xsd:{d[len(xsd):]}" if d.startswith(xsd) else f"<{d}>" for d in datatypes))
    return f"the data has {names} literals, which the store keeps as another datatype"


def _files_graph(paths: list[Path]):
    from exodus_kg.pipeline.graph_loading import load_graphs

    return load_graphs(paths)


def _rewritten_datatypes(graph, terms) -> set[str]:
    from rdflib import Literal

    from exodus_kg.pipeline.graph_loading import Spellings, respellings

    spellings = Spellings()
    respellings((terms.to_ox(node) for node in graph.objects() if isinstance(node, Literal)), spellings)
    return spellings.rewritten_datatypes


class _LazyTerms:
    """pyoxigraph -> rdflib terms through a TermMap made on first use (rdflib is not imported before);
    a literal the store keeps in another form than written comes back as written (``spellings``)."""

    def __init__(self, spellings: dict | None = None):
        self._map = None
        self._spellings = spellings or {}

    def __call__(self, node):
        if self._map is None:
            from exodus_kg.rdf.terms import TermMap

            self._map = TermMap()
        return self._map.from_ox(self._spellings.get(node, node))


def _union_size(store, data_graphs: list[str], graphs: list[str]) -> tuple[int, bool]:
    """The number of distinct triples in the data graphs, and whether any triple is in two of
    ``graphs`` (then the SPARQL checks, which would see it twice, run on a merged copy)."""
    import pyoxigraph as ox

    def count(query: str) -> int:
        return int(next(iter(store.query(query)))["n"].value)

    total = sum(count(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{g}> {{ ?s ?p ?o }} }}") for g in data_graphs)
    shared = {}
    for i, first in enumerate(graphs):
        for second in graphs[i + 1 :]:
            shared[(first, second)] = count(
                f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{first}> {{ ?s ?p ?o }} GRAPH <{second}> {{ ?s ?p ?o }} }}"
            )
    data_shared = [n for (a, b), n in shared.items() if a in data_graphs and b in data_graphs and n]
    if len(data_graphs) > 2 and data_shared:  # inclusion-exclusion past two graphs: count the union itself
        seen = set()
        for g in data_graphs:
            seen.update(
                (q.subject, q.predicate, q.object)
                for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))
            )
        total = len(seen)
    else:
        total -= sum(data_shared)
    return total, any(shared.values())


def _validate_with_core(
    store,
    graphs: list,
    shape_set: shacl_core.ShapeSet,
    checks: list[SparqlCheck],
    timings: dict[str, float],
    *,
    data_triples: int,
    to_rdflib,
    rdflib_graph,
    overlap: bool = False,
) -> ValidationOutcome | str:
    """The engine's outcome, or why it cannot give one (a string: the caller runs pySHACL)."""
    import pyoxigraph as ox

    checks = list(checks)
    started = time.perf_counter()
    try:
        raw = shacl_core.validate(store, shape_set, graphs)
    except shacl_core.Unsupported as reason:
        return str(reason)
    timings["shacl"] = time.perf_counter() - started
    describe = StoreDescriber(store, graphs, to_rdflib)
    results = _core_results(raw, shape_set, store, graphs, to_rdflib, describe, rdflib_graph) if raw else []
    if checks:
        started = time.perf_counter()
        check_store, default_graph = store, shacl_core.graph_terms(graphs)
        if overlap:  # a triple in two graphs would be seen twice by the checks: merge them first
            check_store = ox.Store()
            check_store.extend(
                ox.Quad(q.subject, q.predicate, q.object)
                for g in default_graph
                for q in store.quads_for_pattern(None, None, None, g)
            )
            default_graph = None
        results.extend(run_checks_in_store(checks, check_store, default_graph, to_rdflib, describe))
        timings["checks"] = time.perf_counter() - started
    results.sort(key=result_sort_key)

    def report_factory(outcome: ValidationOutcome):
        return _pyshacl_report(rdflib_graph(), shape_set.rdflib_graph(), outcome.results)

    outcome = ValidationOutcome(
        results,
        report_factory=report_factory,
        triples=data_triples,
        shape_count=shape_set.shape_count,
        check_count=len(checks),
        timings=timings,
        engine="core",
    )
    return outcome


def _core_results(raw, shape_set, store, graphs, to_rdflib, describe, rdflib_graph) -> list[ValidationResult]:
    """The engine's results as ValidationResult, with pySHACL's messages."""
    from rdflib import Literal, URIRef

    message_graph = None
    results = []
    for result in raw:
        shape = result.shape
        if shape.messages:
            texts = [m.value for m in shape.messages]
            english = sorted(m.value for m in shape.messages if getattr(m, "language", None) == "en")
            message = (english or sorted(texts) or [""])[0]
        else:
            if message_graph is None:
                message_graph = _message_graph(raw, store, graphs, to_rdflib, rdflib_graph)
            message = (sorted(shape_set.default_messages(result, message_graph, to_rdflib)) or [""])[0]
        path = None
        if shape.path is not None:
            path = URIRef(shape.path.value)
            if shape.inverse:
                path = Literal(f"^{display(path)}")
        severity = shape.severity.value.rsplit("#", 1)[-1]
        results.append(
            ValidationResult(
                severity=severity if severity in SEVERITIES else "Violation",
                source=shape_set.to_rdflib(shape.node),
                group=shape_set.to_rdflib(shape.group),
                component=URIRef(result.component.value),
                focus_node=to_rdflib(result.focus),
                focus_label=describe(result.focus),
                path=path,
                value=None if result.value is None else to_rdflib(result.value),
                message=message,
            )
        )
    return results


def _message_graph(raw, store, graphs, to_rdflib, rdflib_graph):
    """The rdflib graph pySHACL's default messages describe data nodes with: the whole graph where one
    exists already, else the blank nodes of the results with what they hold (pySHACL writes a blank
    node out with its triples), in a graph with rdflib's default prefixes as pySHACL's data graph has."""
    import pyoxigraph as ox
    import rdflib

    terms = shacl_core.graph_terms(graphs)
    if any(isinstance(t, ox.DefaultGraph) for t in terms):
        return rdflib_graph()
    graph = rdflib.Graph()
    pending = [(n, 0) for r in raw for n in (r.focus, r.value) if isinstance(n, ox.BlankNode)]
    seen = set()
    while pending:
        node, depth = pending.pop()
        if node in seen or depth > 12:
            continue
        seen.add(node)
        for term in terms:
            for quad in store.quads_for_pattern(node, None, None, term):
                graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
                if isinstance(quad.object, ox.BlankNode):
                    pending.append((quad.object, depth + 1))
    return graph


def _pyshacl_report(graph, shapes, results: list[ValidationResult]):
    """The SHACL validation report graph as pySHACL writes it (the reference engine, run when a report
    graph is asked for), with the SPARQL checks' results added."""
    report = _run_pyshacl(graph, shapes)
    add_to_report(report, [r for r in results if r.from_check])
    _finish_report(report, results)
    return report


def _run_pyshacl(graph, shapes):
    """pySHACL's report graph for ``graph``: SHACL Core without inference, every result kept (the
    options the reference engine always runs with)."""
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

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
    return report


def _finish_report(report, results) -> None:
    from rdflib import RDF, Literal
    from rdflib.namespace import SH

    report_node = next(report.subjects(RDF.type, SH.ValidationReport))
    report.set((report_node, SH.conforms, Literal(not results)))
    for prefix, namespace in DISPLAY_PREFIXES.items():
        report.bind(prefix, namespace, override=True)


def _validate_combined(
    graph: rdflib.Graph,
    data_triples: int,
    shapes: rdflib.Graph,
    checks: Iterable[SparqlCheck],
    timings: dict[str, float],
    fallback: str | None = None,
) -> ValidationOutcome:
    """Validate ``graph``, the data and the ontology already in one graph (read, never changed), with
    pySHACL: the reference engine, and the fallback when the shapes need what shacl_core lacks."""
    from rdflib import RDF
    from rdflib.namespace import SH

    checks = list(checks)
    started = time.perf_counter()
    report = _run_pyshacl(graph, shapes)
    timings["shacl"] = time.perf_counter() - started

    results = [_shacl_result(report, node, graph, shapes) for node in report.objects(None, SH.result)]
    if checks:
        started = time.perf_counter()
        results.extend(run_checks(checks, graph, report))
        timings["checks"] = time.perf_counter() - started

    _finish_report(report, results)
    results.sort(key=result_sort_key)
    shape_count = len(set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(SH.path, None)))
    outcome = ValidationOutcome(
        results,
        report,
        triples=data_triples,
        shape_count=shape_count,
        check_count=len(checks),
        timings=timings,
        engine="pyshacl",
        fallback=fallback,
    )
    return outcome


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
    if ontology_graph is None:
        ontology_graph = ontology
    if data_graph is not None:
        layers = [data_graph]
    else:
        layers = [layer for layer in (asserted, links) if layer is not None]
    return _validate_layers(project, layers, ontology_graph).raise_for_violations(BUILD_HINT)


def _validate_layers(project, layers: list, ontology) -> ValidationOutcome:
    """rdflib layers copied into one store (one graph each, one TermMap), then ``validate_store``'s way."""
    import pyoxigraph as ox

    from exodus_kg.rdf.terms import TermMap, is_rdf_triple

    started = time.perf_counter()
    terms = TermMap()
    store = ox.Store()
    names = [f"urn:exodus:validate:data{i}" for i in range(len(layers))]
    for name, layer in zip(names, layers, strict=True):
        store.extend(terms.quad(t, ox.NamedNode(name)) for t in layer if is_rdf_triple(t))
    ontology_name = None
    if ontology is not None:
        ontology_name = "urn:exodus:validate:ontology"
        store.extend(terms.quad(t, ox.NamedNode(ontology_name)) for t in ontology if is_rdf_triple(t))
    copied = time.perf_counter() - started
    rewritten = _store_rewrites(set().union(*(_rewritten_datatypes(g, terms) for g in [*layers, ontology] if g)))
    if rewritten:  # the layers themselves are what was written: pySHACL reads them
        import rdflib

        data = rdflib.Graph()
        for layer in layers:
            data += layer
        shapes, checks = load_shapes(project.shape_files()), load_checks(project.check_files())
        timings = {"copy": copied}
        return _validate_combined(combined_data_graph(data, ontology), len(data), shapes, checks, timings, rewritten)
    outcome = validate_store_outcome(
        store, project, data_graphs=names, ontology_graph=ontology_name, _terms=terms
    )
    outcome.timings = {"copy": copied, **outcome.timings}
    return outcome


def validate(project=None, extra_files: Iterable[Path] = (), *, engine: str = "core") -> ValidationOutcome:
    """Validate the project's asserted data and links, together with ``extra_files`` (a user's own
    Turtle, N-Triples, JSON-LD ... files). Never raises for violations: look at ``conforms``.

    The files are loaded as the build loads them, into the named graphs of one store, and validated
    there (``engine="pyshacl"``: through rdflib graphs and pySHACL alone, the reference)."""
    from exodus_kg.project import find_project

    project = project or find_project()
    if engine == "pyshacl":
        from exodus_kg.pipeline.graph_loading import load_graphs, parse_file

        started = time.perf_counter()
        ontology = load_graphs(project.ontology_files())
        data = load_graphs(project.asserted_files())
        load_graphs(project.link_files(), data)
        for path in extra_files:
            parse_file(Path(path), data)
        loaded = time.perf_counter() - started
        shapes, checks = load_shapes(project.shape_files()), load_checks(project.check_files())
        outcome = validate_graphs(data, ontology, shapes, checks, engine=engine)
    else:
        import pyoxigraph as ox

        from exodus_kg.pipeline.graph_loading import Spellings, load_into_store, respellings
        from exodus_kg.rdf.namespaces import EXG

        # The build's layers (build.py's graph names; build imports this module, not the other way).
        ONTOLOGY_GRAPH, ASSERTED_GRAPH, LINKS_GRAPH = EXG + "ontology", EXG + "asserted", EXG + "links"
        started = time.perf_counter()
        store = ox.Store()
        written: dict = {}
        sources = {
            ONTOLOGY_GRAPH: project.ontology_files(),
            # load_into_store says what a path is when it is not a file (missing, a FIFO, /dev/null).
            ASSERTED_GRAPH: [*project.asserted_files(), *(Path(path) for path in extra_files)],
            LINKS_GRAPH: project.link_files(),
        }
        for graph_name, paths in sources.items():
            load_into_store(paths, store, graph_name, literals=written)
        spellings = Spellings()
        respellings(written, spellings)
        loaded = time.perf_counter() - started
        outcome = validate_store_outcome(
            store,
            project,
            data_graphs=[ASSERTED_GRAPH, LINKS_GRAPH],
            ontology_graph=ONTOLOGY_GRAPH,
            spellings=spellings,
            sources=sources,
        )
    outcome.timings = {"load": loaded, **outcome.timings}
    return outcome


# SHACL results ---------------------------------------------------------------------------------------


def _shacl_result(report: rdflib.Graph, node, data: rdflib.Graph, shapes: rdflib.Graph) -> ValidationResult:
    from rdflib.namespace import SH

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
    from rdflib import Literal, URIRef
    from rdflib.namespace import SH

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
    from rdflib import BNode
    from rdflib.namespace import SH

    seen = set()
    while isinstance(shape, BNode) and shape not in seen:
        seen.add(shape)
        parent = next(shapes.subjects(SH.property, shape), None)
        if parent is None:
            break
        shape = parent
    return shape
