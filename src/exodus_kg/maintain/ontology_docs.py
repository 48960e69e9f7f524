"""Documentation a person reads: an HTML page (pyLODE) and Mermaid class diagrams of the ontology.

``exodus docs`` writes ``docs/ontology.html`` and ``docs/class-diagram.md``; both are generated, never
edited. The diagrams come in three small parts (statements and their roles; agents and organizations;
quantities and certainty) rather than one picture of every property; the Graphviz drawings of the
same parts are ``docs/pictures/ontology-*.svg`` (``exodus draw``).

pyLODE is given a cleaned copy of the ontology: only the ontology itself is a header (the SKOS concept
schemes are documented as individuals, not as more ontologies), each term has one title with its
labels per language ("departure · 離職 (zh-Hant)"), and terms of other vocabularies that the ontology
declares only to align with them are left to their own documentation instead of being listed again
beside the exo classes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

from rdflib import DCTERMS, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from exodus_kg.errors import InputError, UsageError
from exodus_kg.rdf.namespaces import EXO, EXV

DECLARATIONS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Class, RDF.Property)
LABELS = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
PICTURES = (
    ("ontology-statements", "Statements and their roles"),
    ("ontology-agents", "Agents and organizations"),
    ("ontology-quantities", "Quantities and certainty"),
)


def _ours(term) -> bool:
    return isinstance(term, URIRef) and (str(term).startswith(EXO) or str(term).startswith(EXV)
                                         or str(term) == EXO.rstrip("#"))


def per_language(labels: list[Literal]) -> str:
    """English first, then each other language marked: ``departure · 離職 (zh-Hant)``."""
    english = [str(label) for label in labels if (label.language or "en").lower() == "en"]
    others = [
        f"{label} ({label.language})" for label in labels if (label.language or "en").lower() != "en"
    ]
    return " · ".join(dict.fromkeys(english + others))


def documentation_graph(ontology_file: Path) -> Graph:
    """The ontology as pyLODE should see it (see the module's docstring)."""
    graph = Graph().parse(ontology_file, format="turtle")
    for scheme in list(graph.subjects(RDF.type, SKOS.ConceptScheme)):
        graph.remove((scheme, RDF.type, SKOS.ConceptScheme))
    for kind in DECLARATIONS:
        for term in list(graph.subjects(RDF.type, kind)):
            if not _ours(term):
                graph.remove((term, RDF.type, kind))
    for ontology in graph.subjects(RDF.type, OWL.Ontology):
        titles = [t for t in graph.objects(ontology, DCTERMS.title) if isinstance(t, Literal)]
        english = [t for t in titles if (t.language or "en").lower() == "en"] or titles
        for title in titles:
            graph.remove((ontology, DCTERMS.title, title))
        if english:
            graph.add((ontology, DCTERMS.title, Literal(str(english[0]))))
        for title in titles:
            if title not in english[:1]:
                graph.add((ontology, DCTERMS.alternative, title))
    labelled = {s for prop in LABELS for s in graph.subjects(prop, None)}
    for subject in labelled:
        if (subject, RDF.type, OWL.Ontology) in graph:
            continue
        labels = [o for prop in LABELS for o in graph.objects(subject, prop) if isinstance(o, Literal)]
        if len({(str(label), label.language) for label in labels}) < 2:
            continue
        for prop in LABELS:
            graph.remove((subject, prop, None))
        graph.add((subject, RDFS.label, Literal(per_language(labels))))
    return graph


def ontology_html(ontology_file: Path) -> str:
    try:
        from pylode import OntPub
    except ImportError:
        raise UsageError(
            "exodus docs needs pyLODE, which the `docs` extra installs: pip install 'exodus-kg[docs]'"
        ) from None

    # pyLODE configures the root logger at import and logs its progress there; a CLI user should not see it.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    try:
        html = OntPub(ontology=documentation_graph(ontology_file)).make_html()
    finally:
        root.setLevel(level)
    links = "".join(
        f'<li><a href="pictures/{name}.svg">{title}</a></li>' for name, title in PICTURES
    )
    section = (
        '<div class="section" id="diagrams"><h2>Diagrams</h2><p>The ontology in three small pictures '
        f"(<code>exodus draw</code>), and as Mermaid in <a href=\"class-diagram.md\">class-diagram.md</a>:</p>"
        f"<ul>{links}</ul></div>"
    )
    marker = '<div class="section" id="classes">'
    return html.replace(marker, section + marker, 1) if marker in html else html


# Mermaid -----------------------------------------------------------------------------------------------


def _local(term) -> str:
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _label(graph: Graph, term: URIRef, lang: str) -> str:
    for label in graph.objects(term, RDFS.label):
        if (getattr(label, "language", None) or "").lower() == lang.lower():
            return str(label)
    return _local(term)


def _descendants(graph: Graph, root: URIRef) -> list[URIRef]:
    found, changed = {root}, True
    while changed:
        changed = False
        for cls in graph.subjects(RDFS.subClassOf, None):
            if cls not in found and _ours(cls) and any(p in found for p in graph.objects(cls, RDFS.subClassOf)):
                found.add(cls)
                changed = True
    return sorted(found)


def _class_line(graph: Graph, cls: URIRef, members: list[str]) -> list[str]:
    title = f'{_label(graph, cls, "en")} / {_label(graph, cls, "zh-Hant")}'
    lines = [f'    class {_local(cls)}["{title}"]']
    lines += [f"    {_local(cls)} : +{member}" for member in members]
    return lines


def _members(graph: Graph, cls: URIRef) -> list[str]:
    members = []
    for prop in sorted(graph.subjects(RDFS.domain, cls)):
        if not _ours(prop):
            continue
        target = graph.value(prop, RDFS.range)
        members.append(f"{_local(prop)} {_local(target) if target is not None else ''}".strip())
    return members


def _inheritance(graph: Graph, classes: list) -> list[str]:
    """Mermaid subclass arrows between the classes of one part (arrows leaving the part are left out)."""
    return [
        f"    {_local(parent)} <|-- {_local(cls)}"
        for cls in classes
        for parent in sorted(graph.objects(cls, RDFS.subClassOf))
        if parent in classes
    ]


def class_diagram(graph: Graph) -> str:
    """Mermaid class diagrams of the ontology, one per part, each small enough to read."""
    exo = lambda name: URIRef(EXO + name)  # noqa: E731
    parts: list[tuple[str, list[str]]] = []

    statements = _descendants(graph, exo("Statement"))
    lines = ["    direction LR"]  # the kinds stack down the page instead of one row as wide as 27 boxes
    for cls in statements:
        lines += _class_line(graph, cls, _members(graph, cls))
    lines += _inheritance(graph, statements)
    parts.append(("Statements and their roles", lines))

    agents = _descendants(graph, exo("Agent"))
    lines = []
    for cls in agents:
        lines += _class_line(graph, cls, [])
    lines += _inheritance(graph, agents)
    between: dict[tuple[str, str], list[str]] = defaultdict(list)
    for prop in sorted(graph.subjects(RDF.type, OWL.ObjectProperty)):
        domain, target = graph.value(prop, RDFS.domain), graph.value(prop, RDFS.range)
        if _ours(prop) and domain in agents and target in agents:
            between[(_local(domain), _local(target))].append(_local(prop))
    for (domain, target), names in sorted(between.items()):
        lines.append(f"    {domain} --> {target} : {', '.join(names)}")
    parts.append(("Agents and organizations (the direct relations are derived by the rules)", lines))

    quantities = _descendants(graph, exo("Quantity"))
    lines = []
    for cls in quantities:
        lines += _class_line(graph, cls, _members(graph, cls))
    lines += _inheritance(graph, quantities)
    for scheme in ("certainty", "bound"):
        concepts = sorted(graph.subjects(SKOS.inScheme, URIRef(EXV + scheme)))
        members = [
            f"{_local(c)}" + (f" broader {_local(graph.value(c, SKOS.broader))}" if graph.value(c, SKOS.broader) else "")
            for c in concepts
        ]
        lines.append(f'    class {scheme}["exv:{scheme} (SKOS concepts)"]')
        lines += [f"    {scheme} : {member}" for member in members]
    lines.append("    Quantity --> bound : bound")
    lines.append("    Statement --> certainty : certainty")
    lines.append("    Statement --> MonetaryAmount : amount")
    parts.append(("Quantities and certainty", lines))

    out = [
        "# exodus-kg class diagrams",
        "",
        "Generated by `exodus docs` from ontology/exodus.ttl: do not edit. GitHub renders them. The same parts",
        "drawn by Graphviz: " + ", ".join(f"[{title}](pictures/{name}.svg)" for name, title in PICTURES) + ".",
        "",
    ]
    for title, lines in parts:
        out += [f"## {title}", "", "```mermaid", "classDiagram", *lines, "```", ""]
    return "\n".join(out)


def write_docs(ontology_file: Path, docs_dir: Path) -> list[Path]:
    from exodus_kg.rdf.files import write_text_atomically

    graph = Graph().parse(ontology_file, format="turtle")
    pages = (("ontology.html", ontology_html(ontology_file)), ("class-diagram.md", class_diagram(graph)))
    written = []
    try:
        docs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"{docs_dir}: cannot write the documentation ({error.strerror or error})") from None
    for name, text in pages:
        target = docs_dir / name
        write_text_atomically(target, text)
        written.append(target)
    return written
