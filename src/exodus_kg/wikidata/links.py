"""The graph's Wikidata links: which entities are linked (``exodus link``) and whether each link still holds
against a Wikidata SPARQL endpoint (``exodus link --check``).

The links are the SKOS mapping triples of ``triples/links/`` (named graph ``exg:links``) with one
``exo:WikidataLink`` record each. Network access happens only in :func:`check_links`, which sends one batched
query (``sparql/wikidata-check-items.rq``) through the one HTTP client (``publish/sparql_client.py``).

>>> from exodus_kg.project import find_project
>>> from exodus_kg.pipeline.build import open_built
>>> rows = link_table(open_built(find_project()))  # doctest: +SKIP
>>> [row.qid for row in rows if row.entity.endswith("/sam-altman")]  # doctest: +SKIP
['Q7407093']
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from exodus_kg import __version__
from exodus_kg.errors import CheckFailed, InputError, RemoteError, UsageError
from exodus_kg.project import resource_path
from exodus_kg.rdf.namespaces import EXM, EXO, EXV, RDF, RDFS, SKOS, WD
from exodus_kg.rdf.query_files import package_query

DATA_DIR = resource_path("data")

WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"
# Wikimedia asks every client of its APIs for a User-Agent that says who it is; an empty one gets HTTP 403.
USER_AGENT = f"exodus-kg/{__version__} (https://w3id.org/exodus-kg/; exodus link --check, exodus federated)"
DEFAULT_TIMEOUT = 60.0

_QID = re.compile(r"^Q[1-9][0-9]*$")
_VALUES_SLOT = re.compile(r"VALUES\s+\?item\s*\{\s*\}")
_PARENTHETICAL = re.compile(r"\([^)]*\)")
_NON_WORD = re.compile(r"[^\w]+")
# Legal-form words that one side writes and the other leaves out ("Tesla" / "Tesla, Inc.").
_LEGAL_FORMS = {"inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "plc", "gmbh"}

LINK_COLUMNS = ("entity", "kind", "label_en", "label_zh", "qid", "mapping", "confidence", "wikidata_label")


@dataclass(frozen=True)
class LinkRow:
    """One entity of the graph and one of its links (or none: ``item`` is None)."""

    entity: str
    kind: str
    label_en: str = ""
    label_zh: str = ""
    item: str | None = None
    mapping: str | None = None
    confidence: str | None = None
    wikidata_label: str | None = None
    record: str | None = None
    alt_labels: tuple[str, ...] = ()

    @property
    def linked(self) -> bool:
        return self.item is not None

    @property
    def qid(self) -> str:
        return self.item[len(WD) :] if self.item else ""

    def to_json(self) -> dict:
        return {
            "entity": self.entity,
            "kind": self.kind,
            "label_en": self.label_en,
            "label_zh": self.label_zh,
            "qid": self.qid or None,
            "item": self.item,
            "mapping": _local(self.mapping, SKOS, "skos:"),
            "confidence": _local(self.confidence, EXV, ""),
            "wikidata_label": self.wikidata_label,
            "record": self.record,
        }

    def cells(self) -> list[str]:
        data = self.to_json()
        return [
            _compact(self.entity),
            self.kind,
            self.label_en,
            self.label_zh,
            data["qid"] or "",
            data["mapping"] or "",
            data["confidence"] or "",
            self.wikidata_label or "",
        ]


def _local(iri: str | None, namespace: str, prefix: str) -> str | None:
    if iri is None:
        return None
    return prefix + iri[len(namespace) :] if iri.startswith(namespace) else iri


def _compact(iri: str) -> str:
    from exodus_kg.query.engine import compact_iri

    return compact_iri(iri)


# The table ----------------------------------------------------------------------------------------


def link_table(store, unlinked_only: bool = False) -> list[LinkRow]:
    """Every person, organization, product, creative work, technology and place of the built graph, one row
    per link (an unlinked entity gets one row without a QID). ``store`` is a pyoxigraph Store of the built
    dataset (``build.open_built``)."""
    import pyoxigraph as ox

    solutions = store.query(package_query("wikidata-link-table"), use_default_graph_as_union=True)
    rows: dict[tuple[str, str | None, str | None], LinkRow] = {}
    for solution in solutions:
        entity = solution["entity"].value
        item = _value(solution["item"])
        mapping = _value(solution["mapping"])
        key = (entity, item, mapping)
        if key in rows:  # a second label in one language: keep the first (sorted) one
            continue
        rows[key] = LinkRow(
            entity=entity,
            kind=solution["kind"].value,
            label_en=_value(solution["labelEn"]) or "",
            label_zh=_value(solution["labelZh"]) or "",
            item=item,
            mapping=mapping,
            confidence=_value(solution["confidence"]),
            wikidata_label=_value(solution["wikidataLabel"]),
            record=_value(solution["record"]),
        )
    alt = _alt_labels(store, {row.entity for row in rows.values() if row.linked}, ox)
    result = [replace(row, alt_labels=alt.get(row.entity, ())) if row.linked else row for row in rows.values()]
    if unlinked_only:
        result = [row for row in result if not row.linked]
    return result


def _alt_labels(store, entities: set[str], ox) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(SKOS + "altLabel"), None):
        if quad.subject.value in entities and isinstance(quad.object, ox.Literal):
            found.setdefault(quad.subject.value, []).append(quad.object.value)
    return {entity: tuple(sorted(set(labels))) for entity, labels in found.items()}


def _value(term) -> str | None:
    return None if term is None else term.value


def render_links(rows: list[LinkRow], output_format: str, max_width: int | None = None) -> str:
    """The table as text (``table``), CSV with a header (``csv``) or a JSON array (``json``)."""
    if output_format == "json":
        return json.dumps([row.to_json() for row in rows], ensure_ascii=False, indent=2) + "\n"
    if output_format == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(LINK_COLUMNS)
        for row in rows:
            data = row.to_json()
            writer.writerow([row.entity, *(data[column] or "" for column in LINK_COLUMNS[1:])])
        return buffer.getvalue()
    if output_format == "table":
        from exodus_kg.query.result_formats import render_table

        return render_table(list(LINK_COLUMNS), [row.cells() for row in rows], max_width=max_width)
    raise UsageError(f"unknown format {output_format!r} for the link table (table, csv, json)")


def summary_line(rows: list[LinkRow]) -> str:
    entities = {row.entity for row in rows}
    linked = {row.entity for row in rows if row.linked}
    links = sum(1 for row in rows if row.linked)
    return f"{len(linked)} of {len(entities)} entities linked ({links} links); {len(entities - linked)} unlinked."


# Label and kind matching ---------------------------------------------------------------------------


def normalize_label(text: str) -> str:
    """A label reduced for comparison: Unicode-compatibility folded, case-folded, parenthetical remarks,
    punctuation, a leading "the" and legal-form words (Inc., LLC, Corp., ...) removed.

    >>> normalize_label("Tesla, Inc.")
    'tesla'
    >>> normalize_label("X (formerly Twitter)")
    'x'
    >>> normalize_label("Perplexity.AI") == normalize_label("Perplexity AI")
    True
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _PARENTHETICAL.sub(" ", text)
    words = [word for word in _NON_WORD.sub(" ", text).split() if word]
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words = words[:-1]
    return " ".join(words)


@dataclass(frozen=True)
class KindCheck:
    """Which Wikidata classes fit one class of this graph, and whether a miss fails or only warns."""

    our_class: str
    accepted: frozenset[str]
    fail_on_mismatch: bool
    class_labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def load_kind_checks(path: Path | None = None) -> dict[str, KindCheck]:
    """``data/wikidata-kinds.ttl`` as {kind name ("person", "organization"): KindCheck}."""
    import pyoxigraph as ox

    path = path or DATA_DIR / "wikidata-kinds.ttl"
    triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    labels = {
        t.subject.value: t.object.value for t in triples if t.predicate.value == RDFS_LABEL and t.subject.value.startswith(WD)
    }
    checks: dict[str, KindCheck] = {}
    for node in {t.subject for t in triples if t.predicate.value == RDF_TYPE and t.object.value == EXM + "KindCheck"}:
        props: dict[str, list[str]] = {}
        for t in triples:
            if t.subject == node:
                props.setdefault(t.predicate.value, []).append(t.object.value)
        our_class = props[EXM + "ourClass"][0]
        kind = {EXO + "Person": "person", EXO + "Organization": "organization"}.get(our_class)
        if kind is None:
            raise InputError(f"{path}: no kind name for {our_class}")
        checks[kind] = KindCheck(
            our_class=our_class,
            accepted=frozenset(props.get(EXM + "acceptedClass", [])),
            fail_on_mismatch=props.get(EXM + "onMismatch", [EXM + "warn"])[0] == EXM + "fail",
            class_labels=labels,
        )
    return checks


# The online check ----------------------------------------------------------------------------------


@dataclass
class ItemFacts:
    """What the endpoint says about one item."""

    labels: set[str] = field(default_factory=set)
    aliases: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    redirect: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.labels or self.aliases or self.classes or self.redirect)


@dataclass
class LinkCheck:
    """The verdict on one link: ``status`` is "ok", "warning" or "failed"; ``problems`` says why."""

    row: LinkRow
    status: str
    problems: list[str]
    wikidata_labels: list[str]
    classes: list[str]

    def to_json(self) -> dict:
        return {
            **self.row.to_json(),
            "status": self.status,
            "problems": self.problems,
            "wikidata_labels": self.wikidata_labels,
            "instance_of": self.classes,
        }


def check_links(
    rows: list[LinkRow],
    endpoint: str = WIKIDATA_ENDPOINT,
    timeout: float = DEFAULT_TIMEOUT,
    kind_checks: dict[str, KindCheck] | None = None,
) -> list[LinkCheck]:
    """Check every linked row against ``endpoint`` in one query: the item exists and is not a redirect, one of
    its English (or "mul") labels or aliases matches one of ours, and its P31 classes fit the entity's kind.

    Raises RemoteError (exit code 3) when the endpoint cannot be reached or answers with an error.
    """
    linked = [row for row in rows if row.linked]
    if not linked:
        return []
    kind_checks = load_kind_checks() if kind_checks is None else kind_checks
    facts = fetch_item_facts(sorted({row.qid for row in linked}), endpoint, timeout)
    return [judge_link(row, facts.get(row.qid, ItemFacts()), kind_checks) for row in linked]


def judge_link(row: LinkRow, facts: ItemFacts, kind_checks: dict[str, KindCheck]) -> LinkCheck:
    problems: list[str] = []
    status = "ok"
    names = sorted(facts.labels) + sorted(facts.aliases - facts.labels)
    classes = sorted(facts.classes)
    if facts.redirect:
        return LinkCheck(row, "failed", [f"{row.qid} redirects to {facts.redirect.removeprefix(WD)} (merged)"], names, classes)
    if not facts.found:
        return LinkCheck(row, "failed", [f"{row.qid}: no such item at the endpoint (deleted, or a wrong QID)"], names, classes)
    ours = {normalize_label(label) for label in (row.label_en, row.wikidata_label, *row.alt_labels) if label}
    theirs = {normalize_label(label) for label in names}
    if not ours & theirs:
        ours_shown = ", ".join(repr(label) for label in (row.label_en, row.wikidata_label) if label)
        problems.append(
            f"label mismatch: ours {ours_shown}; Wikidata's {', '.join(repr(n) for n in names) or 'none in en/mul'}"
        )
        status = "failed"
    check = kind_checks.get(row.kind)
    if check is not None and not facts.classes & check.accepted:
        shown = ", ".join(_class_name(c, check) for c in classes) or "none"
        expected = ", ".join(_class_name(c, check) for c in sorted(check.accepted))
        if check.fail_on_mismatch:
            problems.append(f"kind mismatch: a {row.kind} must be an instance of {expected}; Wikidata says {shown}")
            status = "failed"
        else:
            problems.append(f"kind not confirmed: instance of {shown}, none of the usual {row.kind} classes")
            status = "warning" if status == "ok" else status
    return LinkCheck(row, status, problems, names, classes)


def _class_name(iri: str, check: KindCheck) -> str:
    qid = iri.removeprefix(WD)
    label = check.class_labels.get(iri)
    return f"{qid} ({label})" if label else qid


def build_check_query(qids: list[str]) -> str:
    """``sparql/wikidata-check-items.rq`` with its VALUES block filled with ``qids`` (each must be a QID)."""
    for qid in qids:
        if not _QID.match(qid):
            raise InputError(f"not a Wikidata item id: {qid!r}")
    text = package_query("wikidata-check-items")
    values = "VALUES ?item { " + " ".join(f"wd:{qid}" for qid in qids) + " }"
    filled, count = _VALUES_SLOT.subn(values, text)
    if count != 1:
        raise InputError("sparql/wikidata-check-items.rq must hold exactly one empty 'VALUES ?item { }' block")
    return filled


def fetch_item_facts(qids: list[str], endpoint: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, ItemFacts]:
    """Labels, aliases, P31 classes and redirects of ``qids`` at ``endpoint``, by QID.

    Raises RemoteError (exit code 3) when the answer does not have the shape the check query asks for.
    """
    answer = select_remote(endpoint, build_check_query(qids), timeout)
    facts = {qid: ItemFacts() for qid in qids}
    for number, binding in enumerate(answer.get("results", {}).get("bindings", []), 1):
        item = _text_cell(binding, "item", endpoint, number, required=True)
        entry = facts.setdefault(item.removeprefix(WD), ItemFacts())
        for name, values in (("label", entry.labels), ("alias", entry.aliases), ("class", entry.classes)):
            value = _text_cell(binding, name, endpoint, number)
            if value is not None:
                values.add(value)
        entry.redirect = _text_cell(binding, "redirect", endpoint, number) or entry.redirect
    return facts


def _text_cell(binding: dict, name: str, endpoint: str, number: int, required: bool = False) -> str | None:
    cell = binding.get(name)
    if cell is None and not required:
        return None
    if cell is None or not isinstance(cell.get("value"), str):
        raise RemoteError(f"{endpoint}: the answer is not what the check query asks for (row {number} has no ?{name} value)")
    return cell["value"]


def select_remote(endpoint: str, query: str, timeout: float = DEFAULT_TIMEOUT, option: str = "--endpoint") -> dict:
    """Run a SELECT at a remote SPARQL endpoint (HTTP POST, SPARQL 1.1 JSON results) and return the parsed,
    shape-checked JSON. Every failure becomes a RemoteError naming the endpoint (``sparql_client``)."""
    from exodus_kg.publish.sparql_client import SparqlClient, check_endpoint_url, check_timeout

    check_endpoint_url(endpoint, option)
    with SparqlClient(timeout=check_timeout(timeout), user_agent=USER_AGENT) as client:
        return client.select(endpoint, query)


def render_checks(checks: list[LinkCheck], output_format: str, max_width: int | None = None) -> str:
    if output_format == "json":
        return json.dumps([check.to_json() for check in checks], ensure_ascii=False, indent=2) + "\n"
    columns = ["entity", "qid", "mapping", "status", "wikidata label", "problems"]
    rows = [
        [
            _compact(check.row.entity),
            check.row.qid,
            check.row.to_json()["mapping"] or "",
            check.status,
            check.wikidata_labels[0] if check.wikidata_labels else "",
            "; ".join(check.problems),
        ]
        for check in checks
    ]
    from exodus_kg.query.result_formats import render_table, terminal_safe

    if output_format == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        # Labels come from the endpoint: no control character of theirs reaches a terminal.
        writer.writerows([terminal_safe(cell) for cell in row] for row in rows)
        return buffer.getvalue()

    return render_table(columns, rows, max_width=max_width)


def raise_for_failures(checks: list[LinkCheck]) -> None:
    """CheckFailed (exit code 1) naming the links that failed; warnings alone pass."""
    failed = [check for check in checks if check.status == "failed"]
    if failed:
        names = ", ".join(f"{_compact(check.row.entity)} ({check.row.qid})" for check in failed)
        raise CheckFailed(f"{len(failed)} of {len(checks)} links failed the check: {names}")
