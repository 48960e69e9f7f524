"""Wikidata links: the links file and its records, the verification table, `exodus link` and `exodus link
--check` against a real Oxigraph server seeded with a small fixture in Wikidata's shape (never the network)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from exodus_kg.cli import cli
from exodus_kg.errors import InputError, RemoteError
from exodus_kg.maintain.turtle_format import format_file
from exodus_kg.pipeline.build import open_built
from exodus_kg.wikidata import links as wikidata_links
from exodus_kg.wikidata.links import (
    ItemFacts,
    LinkRow,
    build_check_query,
    judge_link,
    link_table,
    load_kind_checks,
    normalize_label,
)
from support.oxigraph_server import OxigraphServer, free_port

ROOT = Path(__file__).resolve().parents[1]
LINKS_FILE = ROOT / "triples" / "links" / "wikidata.ttl"
VERIFICATION_DOC = ROOT / "docs" / "wikidata-verification.md"
FIXTURE = ROOT / "tests" / "data" / "wikidata-fixture.ttl"
EXO = Namespace("https://w3id.org/exodus-kg/ontology#")
EXV = Namespace("https://w3id.org/exodus-kg/vocab/")
EXD = "https://w3id.org/exodus-kg/id/"
WD = "http://www.wikidata.org/entity/"
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch)


# The links file --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def links() -> Graph:
    return Graph().parse(LINKS_FILE)


def mapping_triples(graph: Graph) -> set[tuple[URIRef, URIRef, URIRef]]:
    return {(s, p, o) for p in MAPPINGS for s, o in graph.subject_objects(p)}


def test_links_use_skos_mappings_not_owl_same_as(links):
    assert not list(links.triples((None, URIRef("http://www.w3.org/2002/07/owl#sameAs"), None)))
    assert len(mapping_triples(links)) >= 30


def test_every_mapping_triple_has_exactly_one_record(links):
    for subject, mapping, item in mapping_triples(links):
        records = [
            record
            for record in links.subjects(EXO.linkSubject, subject)
            if (record, EXO.wikidataItem, item) in links and (record, EXO.mappingProperty, mapping) in links
        ]
        assert len(records) == 1, f"{subject} {mapping} {item}: {len(records)} records"


def test_every_record_covers_a_mapping_triple_and_is_complete(links):
    records = set(links.subjects(RDF.type, EXO.WikidataLink))
    assert len(records) == len(mapping_triples(links))
    for record in records:
        subject = links.value(record, EXO.linkSubject)
        item = links.value(record, EXO.wikidataItem)
        mapping = links.value(record, EXO.mappingProperty)
        assert (subject, mapping, item) in links, record
        assert str(subject).startswith(EXD), record
        assert re.fullmatch(r"http://www\.wikidata\.org/entity/Q[1-9][0-9]*", str(item)), record
        assert links.value(record, EXO.linkConfidence) in (EXV.high, EXV.medium), record
        label = links.value(record, EXO.wikidataLabel)
        assert isinstance(label, Literal) and label.language == "en" and str(label).strip(), record
        assert list(links.objects(record, EXO.verifiedAgainst)), record
        assert links.value(record, EXO.verifiedOn).datatype == XSD.date, record
        # The record's own label names the QID it is about.
        assert str(item).removeprefix(WD) in str(links.value(record, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))


def test_links_file_is_canonical_turtle():
    result = format_file(LINKS_FILE, ROOT / "triples" / "source" / "article.txt", check_only=True)
    assert not result.changed, "run `exodus fmt triples/links/wikidata.ttl`"


# The verification table agrees with the file ------------------------------------------------------------


def doc_sections() -> dict[str, str]:
    text = VERIFICATION_DOC.read_text(encoding="utf-8")
    return {match.group(1): match.group(0) for match in re.finditer(r"^## (.+?)\n.*?(?=^## |\Z)", text, re.M | re.S)}


def table_rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("| `exd:"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            rows.append(cells)
    return rows


def test_verification_table_lists_exactly_the_links_of_the_file(links):
    sections = doc_sections()
    linked_title = next(title for title in sections if title.startswith("Linked"))
    documented = set()
    for cells in table_rows(sections[linked_title]):
        entity, link, label, confidence = cells[:4]
        match = re.fullmatch(r"`skos:(\w+)` `wd:(Q\d+)`", link)
        assert match, link
        documented.add((entity.strip("`").removeprefix("exd:"), match.group(1), match.group(2), label, confidence))
    in_file = set()
    for record in links.subjects(RDF.type, EXO.WikidataLink):
        in_file.add(
            (
                str(links.value(record, EXO.linkSubject)).removeprefix(EXD),
                str(links.value(record, EXO.mappingProperty)).removeprefix(str(SKOS)),
                str(links.value(record, EXO.wikidataItem)).removeprefix(WD),
                str(links.value(record, EXO.wikidataLabel)),
                str(links.value(record, EXO.linkConfidence)).removeprefix(str(EXV)),
            )
        )
    assert documented == in_file
    entities = {row[0] for row in in_file}
    assert linked_title == f"Linked ({len(in_file)} links, {len(entities)} entities)"


def test_unlinked_table_names_no_linked_entity(links):
    sections = doc_sections()
    unlinked_title = next(title for title in sections if title.startswith("Unlinked"))
    unlinked = {cells[0].strip("`").removeprefix("exd:") for cells in table_rows(sections[unlinked_title])}
    linked = {str(s).removeprefix(EXD) for s, _, _ in mapping_triples(links)}
    assert unlinked and not unlinked & linked
    assert unlinked_title == f"Unlinked ({len(unlinked)} entities)"


# `exodus link`: the table ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table(article_project) -> list[LinkRow]:
    return link_table(open_built(article_project))


def rows_of(table: list[LinkRow], slug: str) -> list[LinkRow]:
    return [row for row in table if row.entity == EXD + slug]


def test_table_has_a_linked_person_with_both_labels_qid_mapping_and_confidence(table):
    (altman,) = rows_of(table, "sam-altman")
    assert (altman.kind, altman.label_en, altman.qid) == ("person", "Sam Altman", "Q7407093")
    assert altman.mapping == str(SKOS.exactMatch) and altman.confidence == str(EXV.high)
    (musk,) = rows_of(table, "elon-musk")
    assert musk.label_zh == "馬斯克"


def test_table_gives_one_row_per_link_and_one_row_to_an_unlinked_entity(table):
    claude = rows_of(table, "claude-3")
    assert {(row.qid, row.mapping.removeprefix(str(SKOS))) for row in claude} == {
        ("Q134885164", "exactMatch"),
        ("Q118876059", "broadMatch"),
    }
    (schulman,) = rows_of(table, "john-schulman")
    assert not schulman.linked and schulman.qid == "" and schulman.kind == "person"


def test_table_covers_every_kind_and_every_link(table, links):
    assert {row.kind for row in table} >= {"person", "organization", "product", "creative work", "technology", "place"}
    linked_in_table = {(row.entity, row.mapping, row.item) for row in table if row.linked}
    assert linked_in_table == {(str(s), str(p), str(o)) for s, p, o in mapping_triples(links)}
    assert all(row.confidence and row.wikidata_label for row in table if row.linked)


def invoke(*args: str):
    return CliRunner().invoke(cli, ["--project", str(ROOT), *args], catch_exceptions=False)


def test_cli_link_unlinked_csv_lists_only_unlinked_entities():
    result = invoke("link", "--unlinked", "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(row["qid"] == "" for row in rows)
    entities = {row["entity"] for row in rows}
    assert EXD + "john-schulman" in entities and EXD + "sam-altman" not in entities
    assert re.search(r"\d+ of \d+ entities linked \(\d+ links\); \d+ unlinked\.", result.stderr)


# `exodus link -f sssom`: the links as an SSSOM mapping set, checked by sssom-py ---------------------------


def sssom_validate(path: Path) -> subprocess.CompletedProcess:
    """sssom-py's own `sssom validate` (JSON schema, prefix map completeness, strict CURIEs)."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "sssom"), "validate", str(path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def sssom_text() -> str:
    result = invoke("link", "-f", "sssom")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_sssom_mapping_set_passes_sssom_validate(sssom_text, tmp_path):
    path = tmp_path / "exodus-wikidata.sssom.tsv"
    path.write_text(sssom_text, encoding="utf-8")
    result = sssom_validate(path)
    assert result.returncode == 0, result.stdout + result.stderr
    # The validator does reject a mapping set that breaks the standard: a justification outside semapv.
    broken = tmp_path / "broken.sssom.tsv"
    broken.write_text(sssom_text.replace("semapv:ManualMappingCuration", "semapv:Guesswork"), encoding="utf-8")
    assert sssom_validate(broken).returncode != 0


def test_sssom_has_one_row_per_link_with_its_record(sssom_text, links):
    metadata = [line[1:] for line in sssom_text.splitlines() if line.startswith("#")]
    assert 'mapping_set_id: "https://w3id.org/exodus-kg/mappings/wikidata.sssom.tsv"' in metadata
    assert '  wikidata: "http://www.wikidata.org/entity/"' in metadata
    assert 'license: "https://creativecommons.org/licenses/by/4.0/"' in metadata
    table = [line for line in sssom_text.splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(table)), delimiter="\t"))
    expected = {
        (str(s).replace(EXD, "exd:"), "skos:" + str(p).removeprefix(str(SKOS)), str(o).replace(WD, "wikidata:"))
        for s, p, o in mapping_triples(links)
    }
    assert {(r["subject_id"], r["predicate_id"], r["object_id"]) for r in rows} == expected
    assert len(rows) == len(expected)
    assert {r["mapping_justification"] for r in rows} == {"semapv:ManualMappingCuration"}
    by_subject = {(r["subject_id"], r["predicate_id"]): r for r in rows}
    altman = by_subject[("exd:sam-altman", "skos:exactMatch")]
    assert (altman["object_label"], altman["confidence"], altman["mapping_date"]) == ("Sam Altman", "0.95", "2026-11-28")
    for row in rows:
        item = URIRef(row["object_id"].replace("wikidata:", WD))
        (record,) = [
            r for r in links.subjects(EXO.linkSubject, URIRef(row["subject_id"].replace("exd:", EXD)))
            if (r, EXO.wikidataItem, item) in links
        ]
        level = links.value(record, EXO.linkConfidence)
        assert row["confidence"] == {EXV.high: "0.95", EXV.medium: "0.8"}[level], row["subject_id"]
        assert row["comment"] and row["author_label"] == "The exodus-kg developers"


def test_sssom_cannot_be_combined_with_unlinked_or_check():
    for extra in ("--unlinked", "--check"):
        result = CliRunner().invoke(cli, ["--project", str(ROOT), "link", "-f", "sssom", extra])
        assert result.exit_code == 2 and "-f sssom writes the links themselves" in result.stderr


def test_cli_link_json_and_table():
    result = invoke("link", "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    (helion,) = [row for row in data if row["entity"] == EXD + "helion"]
    assert (helion["qid"], helion["mapping"], helion["confidence"]) == ("Q18125525", "skos:exactMatch", "medium")
    table_text = invoke("link").stdout
    assert re.search(r"exd:reddit\s+organization\s+Reddit\s+Reddit\s+Q1136\s+skos:closeMatch\s+medium", table_text)


# Label and kind matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("Tesla", "Tesla, Inc."),
        ("xAI", "xAI Corp."),
        ("Perplexity.AI", "Perplexity AI"),
        ("X", "X (formerly Twitter)"),
        ("The Wall Street Journal", "Wall Street Journal"),
        ("ＯｐｅｎＡＩ", "OpenAI"),
    ],
)
def test_labels_that_match_after_normalization(ours, theirs):
    assert normalize_label(ours) == normalize_label(theirs)


@pytest.mark.parametrize(("ours", "theirs"), [("Sam Altman", "Samuel Altmann"), ("Google", "Alphabet"), ("X", "Y")])
def test_labels_that_do_not_match(ours, theirs):
    assert normalize_label(ours) != normalize_label(theirs)


def person(label="Sam Altman", qid="Q7407093", kind="person", wikidata_label=None) -> LinkRow:
    return LinkRow(EXD + "someone", kind, label, "", WD + qid, str(SKOS.exactMatch), str(EXV.high), wikidata_label)


KINDS = load_kind_checks()


def test_judge_link_passes_on_an_alias_and_the_human_class():
    facts = ItemFacts(labels={"Samuel H. Altman"}, aliases={"Sam Altman"}, classes={WD + "Q5"})
    assert judge_link(person(), facts, KINDS).status == "ok"


def test_judge_link_fails_a_person_who_is_not_human():
    facts = ItemFacts(labels={"Sam Altman"}, classes={WD + "Q4830453"})
    verdict = judge_link(person(), facts, KINDS)
    assert verdict.status == "failed" and "kind mismatch" in verdict.problems[0]


def test_judge_link_only_warns_about_an_organization_of_an_unlisted_class():
    facts = ItemFacts(labels={"Reddit"}, classes={WD + "Q35127"})
    verdict = judge_link(person("Reddit", "Q1136", kind="organization"), facts, KINDS)
    assert verdict.status == "warning" and "kind not confirmed" in verdict.problems[0]


def test_judge_link_does_not_check_the_kind_of_a_place():
    facts = ItemFacts(labels={"California"}, classes={WD + "Q35657"})
    assert judge_link(person("California", "Q99", kind="place"), facts, KINDS).status == "ok"


def test_judge_link_fails_a_redirect_and_a_missing_item():
    redirected = judge_link(person(), ItemFacts(redirect=WD + "Q1"), KINDS)
    assert redirected.status == "failed" and "redirects to Q1" in redirected.problems[0]
    missing = judge_link(person(), ItemFacts(), KINDS)
    assert missing.status == "failed" and "no such item" in missing.problems[0]


def test_judge_link_accepts_the_label_the_sources_recorded():
    facts = ItemFacts(labels={"SpaceXAI"}, classes={WD + "Q4830453"})
    row = person("xAI", "Q120599684", kind="organization", wikidata_label="SpaceXAI")
    assert judge_link(row, facts, KINDS).status == "ok"


def test_check_query_is_filled_only_with_qids():
    text = build_check_query(["Q5", "Q42"])
    assert "VALUES ?item { wd:Q5 wd:Q42 }" in text
    with pytest.raises(InputError):
        build_check_query(["Q5 } . ?s ?p ?o . VALUES ?x {"])


def test_a_bad_endpoint_url_is_a_usage_error():
    result = invoke("link", "--check", "--endpoint", "ftp://example.org/sparql")
    assert result.exit_code == 2 and "not an http(s) URL" in result.stderr


# `exodus link --check` against a real Oxigraph server ----------------------------------------------------


def start_wikidata_fixture(location: Path, extra_update: str | None = None) -> OxigraphServer:
    server = OxigraphServer(location).start().load_default(FIXTURE)
    if extra_update:
        server.update(extra_update)
    return server


@pytest.fixture(scope="module")
def wikidata_fixture(tmp_path_factory):
    server = start_wikidata_fixture(tmp_path_factory.mktemp("wikidata") / "store")
    yield server
    server.stop()


PREFIXES = (
    "PREFIX wd: <http://www.wikidata.org/entity/> PREFIX wdt: <http://www.wikidata.org/prop/direct/> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
)


def test_check_passes_when_every_link_holds(wikidata_fixture):
    result = invoke("link", "--check", "--endpoint", wikidata_fixture.query_url, "-f", "json")
    assert result.exit_code == 0, result.output
    verdicts = {(row["entity"], row["qid"]): row for row in json.loads(result.stdout)}
    assert len(verdicts) == len(mapping_triples(Graph().parse(LINKS_FILE)))
    assert verdicts[(EXD + "sam-altman", "Q7407093")]["status"] == "ok"
    assert verdicts[(EXD + "sam-altman", "Q7407093")]["instance_of"] == [WD + "Q5"]
    # The fixture gives Reddit a class outside the accepted organization classes: a warning, not a failure.
    assert verdicts[(EXD + "reddit", "Q1136")]["status"] == "warning"
    assert "31 ok, 1 warnings, 0 failed." in result.stderr


def test_check_fails_on_a_wrong_label(tmp_path):
    update = PREFIXES + 'DELETE DATA { wd:Q7407093 rdfs:label "Sam Altman"@en } ; INSERT DATA { wd:Q7407093 rdfs:label "Samuel Altmann"@en }'
    server = start_wikidata_fixture(tmp_path / "store", update)
    try:
        result = invoke("link", "--check", "--endpoint", server.query_url)
    finally:
        server.stop()
    assert result.exit_code == 1
    assert "1 of 32 links failed the check: exd:sam-altman (Q7407093)" in result.stderr
    assert re.search(r"exd:sam-altman\s+Q7407093\s+skos:exactMatch\s+failed\s+Samuel Altmann\s+label mismatch", result.stdout)


def test_check_fails_on_a_person_who_is_not_human_and_on_a_missing_item(tmp_path):
    update = PREFIXES + (
        "DELETE DATA { wd:Q317521 wdt:P31 wd:Q5 } ; INSERT DATA { wd:Q317521 wdt:P31 wd:Q4830453 } ; "
        "DELETE WHERE { wd:Q95 ?p ?o }"
    )
    server = start_wikidata_fixture(tmp_path / "store", update)
    try:
        result = invoke("link", "--check", "--endpoint", server.query_url, "-f", "json")
    finally:
        server.stop()
    assert result.exit_code == 1
    failed = {row["qid"]: row["problems"] for row in json.loads(result.stdout) if row["status"] == "failed"}
    assert set(failed) == {"Q317521", "Q95"}
    assert "kind mismatch" in failed["Q317521"][0] and "no such item" in failed["Q95"][0]


def test_check_reports_a_dead_endpoint_with_exit_code_3():
    url = f"http://127.0.0.1:{free_port()}/query"
    result = invoke("link", "--check", "--endpoint", url)
    assert result.exit_code == 3
    assert f"exodus: error: {url}: query: connection refused" in result.stderr
    assert result.stdout == ""


def test_check_reports_an_http_error_with_exit_code_3(wikidata_fixture):
    result = invoke("link", "--check", "--endpoint", wikidata_fixture.base_url + "/no-such-endpoint")
    assert result.exit_code == 3
    assert "no-such-endpoint" in result.stderr


def test_check_gives_up_on_a_hung_endpoint(tmp_path):
    server = start_wikidata_fixture(tmp_path / "store")
    server.pause()
    try:
        with pytest.raises(RemoteError, match="no complete answer within 1 s"):
            wikidata_links.fetch_item_facts(["Q5"], server.query_url, timeout=1)
    finally:
        server.stop()
