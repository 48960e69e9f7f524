"""The W3C Reconciliation API (version 0.2) over the graph's entities, at ``/reconcile`` of `exodus serve`.

OpenRefine (or any client of the protocol) sends names from a spreadsheet; each comes back with the
article's entities that may be meant, best first, with a score from 0 to 100, and ``match: true``
only for a sure match: the name (or the name without a legal form such as "PBC" or "Inc.") equals an
English or Chinese label or alternative label of exactly one entity.

>>> service = Reconciler.from_store(store)  # doctest: +SKIP
>>> service.reconcile({"query": "馬斯克"})[0]["id"]  # doctest: +SKIP
'elon-musk'
"""

from __future__ import annotations

import difflib
import html
import json
import re
import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox

from exodus_kg.rdf.namespaces import EXD, EXO

TYPES = ("Person", "Organization", "Agent", "Product", "Work", "Technology", "Place")
DEFAULT_TYPES = ("Person", "Organization")
DEFAULT_LIMIT = 5
MAX_QUERIES = 100  # per batch; OpenRefine sends 10 at a time
MIN_SCORE = 40.0
SURE = 95.0
LEGAL_FORMS = {"inc", "pbc", "llc", "ltd", "corp", "corporation", "co", "company", "gmbh", "plc", "公司"}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """Case, width and punctuation folded away: "Perplexity.AI" and "perplexity ai" are one name."""
    return "".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def without_legal_form(text: str) -> str:
    return "".join(word for word in _words(text) if word not in LEGAL_FORMS)


@dataclass
class Candidate:
    id: str
    iri: str
    name: str
    kind: str
    names: list[str] = field(default_factory=list)
    description: str = ""


class Reconciler:
    def __init__(self, candidates: list[Candidate], name: str = "exodus-kg: OpenAI's reverse exodus"):
        self.candidates = candidates
        self.by_id = {candidate.id: candidate for candidate in candidates}
        self.name = name

    @classmethod
    def from_store(cls, store: ox.Store) -> Reconciler:
        from exodus_kg.publish.site import collect_entities

        candidates = []
        for entity in collect_entities(store):
            names = [entity["en"], *([entity["zh"]] if entity["zh"] else []), *entity["alt"]]
            description = " / ".join(n for n in (entity["zh"],) if n and n != entity["en"])
            candidates.append(
                Candidate(entity["slug"], entity["iri"], entity["en"], entity["kind"], names, description)
            )
        return cls(candidates)

    # Matching ---------------------------------------------------------------------------------------

    def score(self, text: str, candidate: Candidate) -> float:
        query, query_core = normalize(text), without_legal_form(text)
        best = 0.0
        for name in candidate.names:
            label = normalize(name)
            if not label or not query:
                continue
            if label == query:
                return 100.0
            if query_core and without_legal_form(name) == query_core:
                best = max(best, SURE)
                continue
            ratio = difflib.SequenceMatcher(None, query, label).ratio() * 90
            query_words, label_words = set(_words(text)), set(_words(name))
            if label_words and query_words and (query_words <= label_words or label_words <= query_words):
                ratio = max(ratio, 80.0 * min(len(query_words), len(label_words)) / max(len(query_words), len(label_words)) + 10)
            best = max(best, ratio)
        return round(min(best, 99.0) if best < SURE else best, 1)

    def reconcile(self, query: dict) -> list[dict]:
        text = str(query.get("query") or "").strip()
        if not text:
            return []
        wanted = _types(query.get("type"))
        try:
            limit = max(1, min(int(query.get("limit") or DEFAULT_LIMIT), 50))
        except (TypeError, ValueError):
            limit = DEFAULT_LIMIT
        scored = []
        for candidate in self.candidates:
            if wanted and candidate.kind not in wanted:
                continue
            score = self.score(text, candidate)
            if score >= MIN_SCORE:
                scored.append((score, candidate))
        scored.sort(key=lambda pair: (-pair[0], pair[1].name))
        results = []
        for position, (score, candidate) in enumerate(scored[:limit]):
            runner_up = scored[1][0] if len(scored) > 1 else 0.0
            sure = position == 0 and score >= SURE and runner_up < SURE
            results.append(
                {
                    "id": candidate.id,
                    "name": candidate.name,
                    "description": candidate.description,
                    "type": [{"id": candidate.kind, "name": candidate.kind}],
                    "score": score,
                    "match": sure,
                }
            )
        return results

    def suggest(self, prefix: str) -> list[dict]:
        wanted = normalize(prefix)
        if not wanted:
            return []
        first = [c for c in self.candidates if any(normalize(n).startswith(wanted) for n in c.names)]
        inner = [
            c for c in self.candidates
            if c not in first and any(word.startswith(wanted) for n in c.names for word in _words(n))
        ]
        found = first + inner
        return [{"id": c.id, "name": c.name, "description": c.kind} for c in found[:20]]

    # The protocol -------------------------------------------------------------------------------------

    def manifest(self, base: str) -> dict:
        return {
            "versions": ["0.2"],
            "name": self.name,
            "identifierSpace": EXD,
            "schemaSpace": EXO,
            "defaultTypes": [{"id": kind, "name": kind} for kind in DEFAULT_TYPES],
            "view": {"url": f"{base}/entity/{{{{id}}}}.html"},
            "preview": {"url": f"{base}/reconcile/preview?id={{{{id}}}}", "width": 400, "height": 160},
            "suggest": {
                "entity": {"service_url": f"{base}/reconcile", "service_path": "/suggest/entity"},
            },
        }

    def answer(self, path: str, params: dict[str, str], base: str) -> tuple[int, str, dict | bytes]:
        """(status, content type, JSON object or bytes) for a request to ``/reconcile`` + ``path``."""
        json_type = "application/json; charset=utf-8"
        if path in ("", "/"):
            if "queries" not in params:
                return 200, json_type, self.manifest(base)
            try:
                batch = json.loads(params["queries"])
            except ValueError:
                return 400, json_type, {"error": "queries: not JSON"}
            if not isinstance(batch, dict) or not all(isinstance(q, dict) for q in batch.values()):
                return 400, json_type, {"error": 'queries: give an object like {"q0": {"query": "Sam Altman"}}'}
            if len(batch) > MAX_QUERIES:
                return 400, json_type, {"error": f"queries: at most {MAX_QUERIES} in one batch"}
            return 200, json_type, {key: {"result": self.reconcile(query)} for key, query in batch.items()}
        if path == "/suggest/entity":
            return 200, json_type, {"result": self.suggest(params.get("prefix", ""))}
        if path == "/preview":
            candidate = self.by_id.get(params.get("id", ""))
            if candidate is None:
                return 404, "text/plain; charset=utf-8", b"no such entity\n"
            names = " · ".join(html.escape(n) for n in dict.fromkeys(candidate.names))
            page = (
                '<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif">'
                f"<b>{html.escape(candidate.name)}</b> ({html.escape(candidate.kind)})<br>{names}<br>"
                f"<small>{html.escape(candidate.iri)}</small></body></html>"
            )
            return 200, "text/html; charset=utf-8", page.encode("utf-8")
        return 404, json_type, {"error": f"no such reconciliation resource: {path}"}


def _types(value) -> set[str]:
    """The kinds a query asks for: "Person", ["Person", "Organization"], or their exo: IRIs."""
    if not value:
        return set()
    values = value if isinstance(value, list) else [value]
    kinds = set()
    for item in values:
        name = str(item.get("id") if isinstance(item, dict) else item)
        name = name.rsplit("#", 1)[-1].rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        kinds.update(kind for kind in TYPES if kind.lower() == name.lower())
        if name.lower() in ("creativework", "work"):
            kinds.add("Work")
    return kinds or {"-none-"}
