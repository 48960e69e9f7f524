"""Helpers of the validation tests: comparable keys for validation results, and expected reports.

A result is compared as (focus node, path, constraint component, source shape, severity, value). The
source shape is the *named* shape (a blank property shape is replaced by the node shape it hangs
from) or a SPARQL check's IRI; blank nodes compare equal to each other (the fixtures name every node
a result can point to, except where a fixture is about a blank node itself); literals compare by
value, so "109"^^xsd:decimal equals "109.0"^^xsd:decimal.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import rdflib
from rdflib import RDF, BNode, Literal
from rdflib.namespace import SH


def term_key(term):
    if term is None:
        return None
    if isinstance(term, BNode):
        return ("blank",)
    if isinstance(term, Literal):
        value = term.value if term.value is not None else str(term)
        return ("literal", str(term.datatype or ""), (term.language or "").lower(), value)
    return ("iri", str(term))


def result_key(focus, path, component, shape, severity, value):
    return (
        term_key(focus),
        term_key(path),
        term_key(component),
        term_key(shape),
        term_key(severity),
        term_key(value),
    )


def outcome_keys(outcome) -> Counter:
    from rdflib.namespace import SH as _SH

    return Counter(
        result_key(r.focus_node, r.path, r.component, r.group, _SH[r.severity], r.value)
        for r in outcome.results
    )


def report_keys(graph: rdflib.Graph) -> Counter:
    """The keys of the results of a SHACL validation report graph."""
    return Counter(
        result_key(
            graph.value(result, SH.focusNode),
            graph.value(result, SH.resultPath),
            graph.value(result, SH.sourceConstraintComponent),
            graph.value(result, SH.sourceShape),
            graph.value(result, SH.resultSeverity),
            graph.value(result, SH.value),
        )
        for result in graph.objects(None, SH.result)
    )


def expected_keys(path: Path) -> Counter:
    graph = rdflib.Graph().parse(path)
    for result in graph.objects(None, SH.result):
        assert (result, RDF.type, SH.ValidationResult) in graph, (
            f"{path}: a result is not a sh:ValidationResult"
        )
    return report_keys(graph)


def show(keys) -> str:
    def short(key):
        if key is None:
            return "-"
        if key[0] == "iri":
            text = key[1]
            for prefix, ns in (
                ("exd:", "https://w3id.org/exodus-kg/id/"),
                ("exo:", "https://w3id.org/exodus-kg/ontology#"),
                ("exv:", "https://w3id.org/exodus-kg/vocab/"),
                ("exsh:", "https://w3id.org/exodus-kg/shapes#"),
                ("check:", "https://w3id.org/exodus-kg/checks/"),
                ("sh:", str(SH)),
            ):
                if text.startswith(ns):
                    return prefix + text[len(ns) :]
            return f"<{text}>"
        if key[0] == "literal":
            return repr(key[3])
        return "[]"

    return "\n".join(
        "  " + "  ".join(short(part) for part in key) + (f"  x{count}" if count > 1 else "")
        for key, count in sorted(keys.items(), key=str)
    )
