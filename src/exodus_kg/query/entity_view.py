"""One entity at a glance: its types and labels, and every statement about it with its evidence.

>>> view = describe_entity(store, resolve_entity(store, "Sam Altman"))  # doctest: +SKIP
>>> print(render_entity(view))  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import pyoxigraph as ox

from exodus_kg.errors import UsageError
from exodus_kg.pipeline.build import INFERRED_GRAPH
from exodus_kg.query.engine import PREFIXES, compact_iri, run_library_query
from exodus_kg.query.saved_queries import expand_iri
from exodus_kg.rdf.namespaces import RDF, RDFS, SKOS

RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"


@dataclass
class Evidence:
    quote: str
    passage: str | None = None


@dataclass
class StatementView:
    iri: str
    types: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    label: str | None = None
    certainty: list[str] = field(default_factory=list)
    asserted_by: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class EntityView:
    iri: str
    types: list[str] = field(default_factory=list)
    inferred_types: list[str] = field(default_factory=list)
    labels: list[tuple[str, str]] = field(default_factory=list)  # (text, language)
    alt_labels: list[tuple[str, str]] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)
    properties: list[tuple[str, str]] = field(default_factory=list)  # (property, value), asserted
    evidence: list[Evidence] = field(default_factory=list)  # when the entity is a statement node
    statements: list[StatementView] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "iri": self.iri,
            "types": self.types,
            "inferredTypes": self.inferred_types,
            "labels": [{"value": text, "language": lang} for text, lang in self.labels],
            "altLabels": [{"value": text, "language": lang} for text, lang in self.alt_labels],
            "definitions": self.definitions,
            "properties": [{"property": prop, "value": value} for prop, value in self.properties],
            "evidence": [{"quote": e.quote, "passage": e.passage} for e in self.evidence],
            "statements": [
                {
                    "iri": s.iri,
                    "types": s.types,
                    "roles": s.roles,
                    "label": s.label,
                    "certainty": s.certainty,
                    "assertedBy": s.asserted_by,
                    "evidence": [{"quote": e.quote, "passage": e.passage} for e in s.evidence],
                }
                for s in self.statements
            ],
        }


def resolve_entity(store: ox.Store, text: str) -> str:
    """An IRI, a prefixed name, a bare exd: slug, or a label (English or Chinese) -> the entity IRI."""
    text = text.strip()
    if not text:
        raise UsageError("give an entity: an IRI, a prefixed name like exd:sam-altman, or a label")
    candidates = []
    looks_like_iri = text.startswith("<") or "://" in text or (":" in text and " " not in text)
    if looks_like_iri or _is_slug(text):
        try:
            candidates.append(expand_iri(text, PREFIXES))
        except UsageError:
            if looks_like_iri and not text.startswith("<") and "://" not in text:
                pass  # maybe a label with a colon; try labels below
            else:
                raise
    for iri in candidates:
        if run_library_query(store, "entity-exists", entity_iri=ox.NamedNode(iri)).boolean:
            return iri
    outcome = run_library_query(store, "entity-by-label", label=ox.Literal(text))
    found = [row[0].value for row in outcome.rows()]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        names = ", ".join(compact_iri(iri) for iri in found)
        raise UsageError(f"{text!r} names {len(found)} entities: {names}; give the IRI")
    raise UsageError(f"no entity {text!r} in the graph{_suggest(store, text)}")


def _is_slug(text: str) -> bool:
    return all(char.isascii() and (char.isalnum() or char in "-_.") for char in text) and text[0].isalnum()


def _suggest(store: ox.Store, text: str) -> str:
    names: dict[str, str] = {}
    for entity, label in run_library_query(store, "entity-labels").rows():
        names.setdefault(label.value, entity.value)
        compact = compact_iri(entity.value)
        names.setdefault(compact, entity.value)
        if compact.startswith("exd:"):
            names.setdefault(compact[4:], entity.value)
    close = difflib.get_close_matches(text, list(names), n=3, cutoff=0.6)
    if not close:
        lowered = {name.lower(): name for name in names}
        close = [lowered[m] for m in difflib.get_close_matches(text.lower(), list(lowered), n=3, cutoff=0.6)]
    return f"; did you mean {' or '.join(repr(name) for name in close)}?" if close else ""


def describe_entity(store: ox.Store, iri: str) -> EntityView:
    view = EntityView(iri)
    node = ox.NamedNode(iri)
    for prop, value, graph in run_library_query(store, "entity-description", entity_iri=node).rows():
        prop_iri, graph_iri = prop.value, graph.value if graph is not None else ""
        if prop_iri == RDF_TYPE:
            target = view.inferred_types if graph_iri == INFERRED_GRAPH else view.types
            name = compact_iri(value.value)
            if name not in view.types and name not in target:
                target.append(name)
        elif prop_iri in (RDFS_LABEL, SKOS + "prefLabel"):
            _add_once(view.labels, (value.value, getattr(value, "language", None) or ""))
        elif prop_iri == SKOS + "altLabel":
            _add_once(view.alt_labels, (value.value, getattr(value, "language", None) or ""))
        else:
            _add_once(view.definitions, value.value)
    view.inferred_types = [t for t in view.inferred_types if t not in view.types]
    for prop, value in run_library_query(store, "entity-properties", entity_iri=node).rows():
        shown = compact_iri(value.value) if isinstance(value, ox.NamedNode) else value.value
        view.properties.append((compact_iri(prop.value), shown))
    for quote, passage, _start in run_library_query(store, "entity-evidence", entity_iri=node).rows():
        _add_once(
            view.evidence, Evidence(quote.value, compact_iri(passage.value) if passage is not None else None)
        )

    statements: dict[str, StatementView] = {}
    rows = run_library_query(store, "entity-statements", entity_iri=node).rows()
    for statement, type_, role, label, certainty, asserted_by, quote, passage, _start in rows:
        item = statements.setdefault(statement.value, StatementView(statement.value))
        if type_ is not None:
            _add_once(item.types, compact_iri(type_.value))
        _add_once(item.roles, compact_iri(role.value))
        if label is not None:
            item.label = label.value
        _add_once(item.certainty, compact_iri(certainty.value))
        if asserted_by is not None:
            _add_once(item.asserted_by, compact_iri(asserted_by.value))
        if quote is not None:
            evidence = Evidence(quote.value, compact_iri(passage.value) if passage is not None else None)
            _add_once(item.evidence, evidence)
    view.statements = list(statements.values())
    return view


def _add_once(items: list, item) -> None:
    if item not in items:
        items.append(item)


def render_entity(view: EntityView) -> str:
    lines = [compact_iri(view.iri)]
    if view.iri != compact_iri(view.iri).strip("<>"):
        lines.append(f"  iri:         {view.iri}")
    if view.types:
        lines.append(f"  types:       {', '.join(view.types)}")
    if view.inferred_types:
        lines.append(f"  inferred:    {', '.join(view.inferred_types)}")
    for title, labels in (("labels:", view.labels), ("alt labels:", view.alt_labels)):
        if labels:
            shown = "; ".join(f"{text} @{lang}" if lang else text for text, lang in labels)
            lines.append(f"  {title:<12} {shown}")
    for definition in view.definitions:
        lines.append(f"  definition:  {definition}")
    if view.properties:
        width = max(len(prop) for prop, _ in view.properties)
        lines.append("  properties:")
        for prop, value in view.properties:
            lines.append(f"    {prop:<{width}}  {value}")
    for evidence in view.evidence:
        where = f" [{evidence.passage}]" if evidence.passage else ""
        lines.append(f"  evidence:    「{evidence.quote}」{where}")
    count = len(view.statements)
    lines.append("")
    lines.append(
        ("1 statement points to it:" if count == 1 else f"{count} statements point to it:")
        if count
        else "No statement points to it."
    )
    for statement in view.statements:
        lines.append("")
        kind = f" ({', '.join(statement.types)})" if statement.types else ""
        lines.append(f"  {compact_iri(statement.iri)}{kind}")
        if statement.label:
            lines.append(f"    {statement.label}")
        lines.append(f"    role:      {', '.join(statement.roles)}")
        certainty = ", ".join(statement.certainty)
        if statement.asserted_by:
            certainty += f" (asserted by {', '.join(statement.asserted_by)})"
        lines.append(f"    certainty: {certainty}")
        for evidence in statement.evidence:
            where = f" [{evidence.passage}]" if evidence.passage else ""
            lines.append(f"    evidence:  「{evidence.quote}」{where}")
    from exodus_kg.query.result_formats import (
        terminal_safe,  # control characters in the data must not reach a terminal raw
    )

    return "\n".join(terminal_safe(line) for line in lines) + "\n"
