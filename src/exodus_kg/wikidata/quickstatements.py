"""Give back to Wikidata: the graph's firm statements between linked entities as QuickStatements (V1) lines.

What is exported is decided by ``data/wikidata-properties.ttl``: each mapping names a statement class, the two
roles that give its ends, the direct (truthy) property the rules derive from it, and the Wikidata property.
A statement is exported when

- its certainty is firm (``exv:stated`` or ``exv:reported``, under ``exv:firm``), and the rules derived the
  mapping's truthy property for the pair (so a rumour, a suspicion or an opinion is never exported), and
- both ends are linked to Wikidata items by ``skos:exactMatch`` (a close or broad match is not the same item).

Each claim gets one reference per supporting statement citing the article, as Wikidata's Help:Sources asks:
"stated in" (S248) the article's item when it has one, "reference URL" (S854) its address, title (S1476) and
the exact quote (S1683) as monolingual text in the article's language, and "retrieved" (S813, a day). The
graph records neither an item nor an address for the article, so the caller must give at least one of them
(``ArticleSource``); without either, no line is written rather than claims without a usable reference. When
the statement is reported by an outlet that is itself linked (The Wall Street Journal, The New Yorker), a
second reference says "stated in" that outlet: it records whom the article attributes the report to, not
that we read the outlet's report.

Hedges: Wikidata marks doubtful claims with the qualifier "sourcing circumstances" (P1480). Only firm statements
are exported, so no line needs one; a rumour stays in this graph, where its certainty is recorded.

QuickStatements V1 (Help:QuickStatements): one claim per line, tab-separated, sources as ``S``-properties:
``Q42<TAB>P108<TAB>Q95<TAB>S854<TAB>"https://..."<TAB>S1476<TAB>zh-hant:"..."<TAB>S813<TAB>+2024-08-06T00:00:00Z/11``
(a time value with precision 11, a day). All S-pairs of one line form one reference. A string cannot contain a double quote in this format, so a quote
that does would be skipped with a warning (the article has none).

>>> source = ArticleSource(url="https://example.org/article")  # doctest: +SKIP
>>> lines, skipped = export_lines(open_built(find_project()), source)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from exodus_kg.errors import InputError, RemoteError, UsageError
from exodus_kg.rdf.namespaces import EXD, RDFS, SKOS
from exodus_kg.rdf.query_files import package_query
from exodus_kg.wikidata.links import DATA_DIR, EXM, RDF_TYPE, WD, select_remote

RDFS_LABEL = RDFS + "label"
RDFS_COMMENT = RDFS + "comment"
SKOS_ALT_LABEL = SKOS + "altLabel"
SUBJECT_END = EXM + "subjectEnd"
OBJECT_END = EXM + "objectEnd"
SHIDAO = EXD + "shidao"


@dataclass(frozen=True)
class PropertyMapping:
    """One entry of ``data/wikidata-properties.ttl``."""

    iri: str
    label: str
    statement_class: str
    subject_role: str
    object_role: str
    truthy_property: str
    wikidata_property: str
    wikidata_subject: str
    comment: str = ""
    require_property: str | None = None
    require_value: str | None = None
    exclude_title_pattern: str | None = None

    @property
    def pid(self) -> str:
        return self.wikidata_property.removeprefix(WD)


def load_mappings(path: Path | None = None) -> list[PropertyMapping]:
    """The property mappings, sorted by IRI. Raises InputError for an incomplete mapping."""
    import pyoxigraph as ox

    path = path or DATA_DIR / "wikidata-properties.ttl"
    triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    nodes = sorted(
        {t.subject.value for t in triples if t.predicate.value == RDF_TYPE and t.object.value == EXM + "PropertyMapping"}
    )
    mappings = []
    for node in nodes:
        values = {t.predicate.value: t.object.value for t in triples if t.subject.value == node}

        def need(local: str, values=values, node=node) -> str:
            if EXM + local not in values:
                raise InputError(f"{path}: mapping <{node}> has no exm:{local}")
            return values[EXM + local]

        mapping = PropertyMapping(
            iri=node,
            label=values.get(RDFS_LABEL, node),
            statement_class=need("statementClass"),
            subject_role=need("subjectRole"),
            object_role=need("objectRole"),
            truthy_property=need("truthyProperty"),
            wikidata_property=need("wikidataProperty"),
            wikidata_subject=need("wikidataSubject"),
            comment=values.get(RDFS_COMMENT, ""),
            require_property=values.get(EXM + "requireProperty"),
            require_value=values.get(EXM + "requireValue"),
            exclude_title_pattern=values.get(EXM + "excludeTitlePattern"),
        )
        if mapping.wikidata_subject not in (SUBJECT_END, OBJECT_END):
            raise InputError(f"{path}: mapping <{node}>: exm:wikidataSubject must be exm:subjectEnd or exm:objectEnd")
        if not mapping.pid.startswith("P") or not mapping.pid[1:].isdigit():
            raise InputError(f"{path}: mapping <{node}>: exm:wikidataProperty must be a wd:P... property")
        if (mapping.require_property is None) != (mapping.require_value is None):
            raise InputError(f"{path}: mapping <{node}>: exm:requireProperty and exm:requireValue go together")
        mappings.append(mapping)
    return mappings


_QID = re.compile(r"Q[1-9]\d*")
_URL = re.compile(r"https?://[^\s\"]+")


@dataclass(frozen=True)
class ArticleSource:
    """How a reference identifies the article: its Wikidata item ("stated in"), its address ("reference URL")
    or both, and the day it was read ("retrieved", today unless given)."""

    url: str | None = None
    stated_in: str | None = None
    retrieved: datetime.date = field(default_factory=datetime.date.today)

    def __post_init__(self):
        if not self.url and not self.stated_in:
            raise UsageError(
                "QuickStatements need a usable reference for the article, and the graph records neither its "
                "Wikidata item nor its address: give --reference-url URL (and --retrieved DATE) or --stated-in QID"
            )
        if self.url is not None and not _URL.fullmatch(self.url):
            raise UsageError(f"--reference-url {self.url!r} is not an http(s) URL without spaces or double quotes")
        if self.stated_in is not None and not _QID.fullmatch(self.stated_in):
            raise UsageError(f"--stated-in {self.stated_in!r} is not a Wikidata item (Q followed by digits)")

    def pairs(self, language: str, title: str | None, quote: str) -> tuple[tuple[str, str], ...]:
        pairs: list[tuple[str, str]] = []
        if self.stated_in:
            pairs.append(("S248", self.stated_in))
        if self.url:
            pairs.append(("S854", f'"{self.url}"'))
        if title:
            pairs.append(("S1476", f'{language}:"{title}"'))
        pairs.append(("S1683", f'{language}:"{quote}"'))
        pairs.append(("S813", f"+{self.retrieved.isoformat()}T00:00:00Z/11"))
        return tuple(pairs)


@dataclass(frozen=True)
class Reference:
    """One reference of a claim: what the QuickStatements S-pairs say."""

    pairs: tuple[tuple[str, str], ...]


@dataclass
class Claim:
    """One Wikidata claim and the statements of this graph that support it."""

    subject_qid: str
    pid: str
    object_qid: str
    mapping: PropertyMapping
    statements: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = f"{self.subject_qid}\t{self.pid}\t{self.object_qid}"
        return [head + "".join(f"\t{p}\t{v}" for p, v in reference.pairs) for reference in self.references]


@dataclass
class Skipped:
    statement: str
    reason: str


def collect_claims(
    store, source: ArticleSource, mappings: list[PropertyMapping] | None = None
) -> tuple[list[Claim], list[Skipped]]:
    """The claims to export from a pyoxigraph Store of the built dataset (with its inferred graph), each
    article reference identifying the article as ``source`` says."""
    import pyoxigraph as ox

    mappings = load_mappings() if mappings is None else mappings
    text = package_query("quickstatements-claims")
    claims: dict[tuple[str, str, str], Claim] = {}
    skipped: list[Skipped] = []
    labels = _LabelIndex(store)
    for mapping in mappings:
        substitutions = {
            ox.Variable("_statementClass"): ox.NamedNode(mapping.statement_class),
            ox.Variable("_subjectRole"): ox.NamedNode(mapping.subject_role),
            ox.Variable("_objectRole"): ox.NamedNode(mapping.object_role),
            ox.Variable("_truthy"): ox.NamedNode(mapping.truthy_property),
        }
        # A mapping without a requirement requires the statement's own class, which every row has.
        substitutions[ox.Variable("_requireProperty")] = ox.NamedNode(mapping.require_property or RDF_TYPE)
        substitutions[ox.Variable("_requireValue")] = ox.NamedNode(mapping.require_value or mapping.statement_class)
        substitutions[ox.Variable("_excludeTitle")] = ox.Literal(mapping.exclude_title_pattern or "")
        rows: dict[tuple[str, str, str], dict] = {}
        for solution in store.query(text, substitutions=substitutions, use_default_graph_as_union=True):
            statement = solution["statement"].value
            ends = (statement, solution["subjectEntity"].value, solution["objectEntity"].value)
            row = rows.setdefault(
                ends,
                {
                    "subject": solution["subjectItem"].value.removeprefix(WD),
                    "object": solution["objectItem"].value.removeprefix(WD),
                    "evidence": set(),
                    "title": _value(solution["title"]),
                    "language": _value(solution["language"]),
                    "outlets": set(),
                },
            )
            row["evidence"].add((int(solution["start"].value), solution["quote"].value))
            outlet = _value(solution["assertedByItem"])
            asserted_by = _value(solution["assertedBy"])
            if outlet and asserted_by != SHIDAO:
                row["outlets"].add(outlet.removeprefix(WD))
        for (statement, subject_entity, object_entity), row in sorted(rows.items()):
            row["quote"] = _best_quote(row["evidence"], [labels(subject_entity), labels(object_entity)])
            problem = _unquotable(row["quote"]) or _unquotable(row["title"] or "")
            if problem:
                skipped.append(Skipped(statement, problem))
                continue
            if mapping.wikidata_subject == SUBJECT_END:
                subject, obj = row["subject"], row["object"]
            else:
                subject, obj = row["object"], row["subject"]
            if subject == obj:
                skipped.append(Skipped(statement, "both ends are the same Wikidata item"))
                continue
            claim = claims.setdefault((subject, mapping.pid, obj), Claim(subject, mapping.pid, obj, mapping))
            claim.statements.append(statement)
            language = _wikidata_language(row["language"])
            _add_reference(claim, Reference(source.pairs(language, row["title"], row["quote"])))
            for outlet in sorted(row["outlets"]):
                _add_reference(claim, Reference((("S248", outlet),)))
    return [claims[key] for key in sorted(claims, key=_claim_order)], skipped


class _LabelIndex:
    """Every label and alternative label of an entity, in any language, looked up once."""

    def __init__(self, store):
        self.store = store
        self.cache: dict[str, set[str]] = {}

    def __call__(self, entity: str) -> set[str]:
        import pyoxigraph as ox

        if entity not in self.cache:
            found = set()
            for predicate in (RDFS_LABEL, SKOS_ALT_LABEL):
                for quad in self.store.quads_for_pattern(ox.NamedNode(entity), ox.NamedNode(predicate), None):
                    found.add(quad.object.value)
            self.cache[entity] = {label for label in found if label}
        return self.cache[entity]


def _best_quote(evidence: set[tuple[int, str]], labels_of_ends: list[set[str]]) -> str:
    """The quote that names most ends of the claim, the first in the article among equals: a statement with
    several founders has one quote per founder, and each claim should cite the one about its founder."""

    def named(quote: str) -> int:
        return sum(1 for labels in labels_of_ends if any(label in quote for label in labels))

    _start, quote = min(evidence, key=lambda item: (-named(item[1]), item[0]))
    return quote


def _claim_order(key: tuple[str, str, str]):
    subject, pid, obj = key
    return (int(subject[1:]), int(pid[1:]), int(obj[1:]))


def _add_reference(claim: Claim, reference: Reference) -> None:
    if reference not in claim.references:
        claim.references.append(reference)


def _value(term) -> str | None:
    return None if term is None else term.value


def _wikidata_language(tag: str | None) -> str:
    """Wikidata's monolingual-text codes are lower case (``zh-hant``); the article's language is zh-Hant."""
    return (tag or "zh-Hant").lower()


def _unquotable(text: str) -> str | None:
    if '"' in text:
        return 'the text holds a double quote, which QuickStatements V1 strings cannot carry'
    if "\t" in text or "\n" in text or "\r" in text:
        return "the text holds a tab or a line break, which would break the QuickStatements line"
    return None


def export_lines(
    store, source: ArticleSource, mappings: list[PropertyMapping] | None = None
) -> tuple[list[str], list[Skipped]]:
    """The QuickStatements V1 lines (without line ends) and the statements left out with why."""
    claims, skipped = collect_claims(store, source, mappings)
    return [line for claim in claims for line in claim.lines()], skipped


_VALUES_SLOT = re.compile(r"VALUES\s+\(\?subject\s+\?claimProperty\s+\?valueProperty\s+\?object\)\s*\{\s*\}")


def existing_claims(claims: list[Claim], endpoint: str, timeout: float) -> set[tuple[str, str, str]]:
    """The (subject, property, object) of ``claims`` that Wikidata already holds, in any rank, asked of
    ``endpoint`` in one query (``sparql/wikidata-existing-claims.rq``). Raises RemoteError (exit 3)."""
    keys = sorted({(c.subject_qid, c.pid, c.object_qid) for c in claims}, key=_claim_order)
    if not keys:
        return set()
    # SPARQL over HTTP has no parameter binding: the VALUES rows are written in, each part checked first.
    for subject, pid, obj in keys:
        if not (_QID.fullmatch(subject) and _QID.fullmatch(obj) and re.fullmatch(r"P[1-9]\d*", pid)):
            raise InputError(f"not a Wikidata claim: {subject} {pid} {obj}")
    rows = " ".join(f"(wd:{s} p:{p} ps:{p} wd:{o})" for s, p, o in keys)
    text, count = _VALUES_SLOT.subn(
        "VALUES (?subject ?claimProperty ?valueProperty ?object) { " + rows + " }", package_query("wikidata-existing-claims")
    )
    if count != 1:
        raise InputError("sparql/wikidata-existing-claims.rq must hold exactly one empty VALUES block")
    answer = select_remote(endpoint, text, timeout)
    found = set()
    for number, binding in enumerate(answer.get("results", {}).get("bindings", []), 1):
        cells = [binding.get(name, {}).get("value") for name in ("subject", "claimProperty", "object")]
        if not all(isinstance(cell, str) for cell in cells):
            raise RemoteError(f"{endpoint}: the answer is not what the query asks for (row {number} is incomplete)")
        subject, claim_property, obj = cells
        found.add((subject.removeprefix(WD), claim_property.rsplit("/", 1)[-1], obj.removeprefix(WD)))
    return found


def render(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


ARTICLE = EXD + "article"
SKOS_EXACT_MATCH = SKOS + "exactMatch"


def article_item(store) -> str | None:
    """The QID the article itself is linked to by skos:exactMatch, if the links record one."""
    import pyoxigraph as ox

    for quad in store.quads_for_pattern(ox.NamedNode(ARTICLE), ox.NamedNode(SKOS_EXACT_MATCH), None):
        if quad.object.value.startswith(WD):
            return quad.object.value.removeprefix(WD)
    return None
