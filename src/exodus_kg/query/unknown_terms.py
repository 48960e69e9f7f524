"""Find the ``exo:``/``exv:`` terms a query names that the ontology does not define.

A misspelt term (``exo:Departur``) is a valid IRI, so the query runs and silently matches nothing. The
check reads the query's prefixed names and full IRIs in the ontology's and the vocabulary's namespaces
(under whatever prefix the query binds them to), skipping strings and comments, and offers the closest
defined term.

>>> found = unknown_terms("SELECT ?d WHERE { ?d a exo:Departur }", {EXO + "Departure"})
>>> found[0].name, found[0].suggestion, found[0].line
('exo:Departur', 'exo:Departure', 1)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from exodus_kg.query.engine import PREFIXES
from exodus_kg.rdf.sparql_text import _NON_CODE, declared_prefixes, mask_non_code

EXO = PREFIXES["exo"]
EXV = PREFIXES["exv"]
CHECKED_NAMESPACES = (EXO, EXV)

# A prefixed name: PN_PREFIX? ":" PN_LOCAL, not part of a variable, a longer name or an IRI.
_PREFIXED_NAME = re.compile(r"(?<![\w:?$.-])([A-Za-z][\w-]*(?:\.[\w-]+)*)?:((?:[\w-]|\.(?=[\w-]))*)")


@dataclass(frozen=True)
class UnknownTerm:
    name: str  # as written: a prefixed name or <iri>
    iri: str
    line: int
    suggestion: str | None  # the closest defined term, written the same way, or None


def unknown_terms(text: str, defined: Iterable[str], prefixes: dict[str, str] | None = None) -> list[UnknownTerm]:
    """The terms of ``text`` in the exo:/exv: namespaces that are not in ``defined`` (full IRIs),
    each once, in the order they first occur."""
    defined = set(defined)
    bound = dict(prefixes or PREFIXES)
    masked = mask_non_code(text)
    bound.update(declared_prefixes(text))
    found: dict[str, UnknownTerm] = {}

    def consider(name: str, iri: str, offset: int, written: str) -> None:
        namespace = next((ns for ns in CHECKED_NAMESPACES if iri.startswith(ns)), None)
        if namespace is None or iri in defined or iri in found:
            return
        local = iri[len(namespace) :]
        if not local:  # the namespace itself, as in a PREFIX declaration
            return
        candidates = {term[len(namespace) :]: term for term in defined if term.startswith(namespace)}
        close = difflib.get_close_matches(local, list(candidates), n=1, cutoff=0.6)
        if not close:
            lowered = {key.lower(): key for key in candidates}
            close = [lowered[local.lower()]] if local.lower() in lowered else []
        suggestion = written.replace(local, close[0]) if close else None
        found[iri] = UnknownTerm(name, iri, text.count("\n", 0, offset) + 1, suggestion)

    for match in _PREFIXED_NAME.finditer(masked):
        prefix, local = match.group(1) or "", match.group(2)
        if prefix not in bound or _declares(masked, match.start()):
            continue
        consider(match.group(0), bound[prefix] + local, match.start(), match.group(0))
    # The scanner that tells code from comments and strings also finds the IRIs, leftmost first.
    for match in _NON_CODE.finditer(text):
        if match.group(0).startswith("<"):
            consider(match.group(0), match.group(0)[1:-1], match.start(), match.group(0))
    return sorted(found.values(), key=lambda term: (term.line, text.find(term.name)))


def describe(term: UnknownTerm, source: str = "query") -> str:
    """One line for stderr."""
    hint = f"; did you mean {term.suggestion}?" if term.suggestion else ""
    return f"{source}:{term.line}: {term.name} is not defined by the ontology, so it matches nothing{hint}"


def _declares(masked: str, offset: int) -> bool:
    """True when the prefixed name at ``offset`` is the ``exo:`` of a PREFIX declaration."""
    return re.search(r"PREFIX\s+$", masked[:offset], re.I) is not None


def defined_terms(store) -> set[str]:
    """The exo:/exv: terms the built dataset's ontology graph defines."""
    from exodus_kg.query.engine import run_library_query

    return {row[0].value for row in run_library_query(store, "ontology-terms").rows()}
