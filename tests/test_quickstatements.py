"""`exodus quickstatements`: firm statements between Wikidata-linked entities as QuickStatements V1 lines.

On a small fixture (tests/data/quickstatements/statements.ttl, with the project's own truthy rules applied),
the exact lines; on the real article graph, properties that must hold for every line and the claims the
article's firm statements must give."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from exodus_kg.cli import cli
from exodus_kg.pipeline.build import open_built
from exodus_kg.wikidata.quickstatements import (
    OBJECT_END,
    ArticleSource,
    collect_claims,
    existing_claims,
    export_lines,
    load_mappings,
)
from support.oxigraph_server import OxigraphServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "quickstatements" / "statements.ttl"
EXO = "https://w3id.org/exodus-kg/ontology#"
EXD = "https://w3id.org/exodus-kg/id/"
WD = "http://www.wikidata.org/entity/"
SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
# QuickStatements V1 (Help:QuickStatements): an item, a string "...", monolingual text lang:"...", or a time
# +YYYY-MM-DDT00:00:00Z/11 (precision 11, a day) as the value of each source property.
LINE = re.compile(
    r'^Q[1-9]\d*\tP[1-9]\d*\tQ[1-9]\d*'
    r'(\tS[1-9]\d*\t(Q[1-9]\d*|"[^"\t]*"|[a-z-]+:"[^"\t]*"|\+\d{4}-\d\d-\d\dT00:00:00Z/11))+$'
)
URL = "https://example.org/article"
SOURCE = ArticleSource(url=URL, retrieved=datetime.date(2024, 8, 6))
RETRIEVED = "S813\t+2024-08-06T00:00:00Z/11"
TITLE = '反向出埃及記,爲什麼OpenAI留不住真大佬?'


# The mapping file ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "exodus.ttl")


def test_every_mapping_uses_terms_of_the_ontology_and_says_why(ontology):
    mappings = load_mappings()
    assert len(mappings) >= 8
    for mapping in mappings:
        assert (URIRef(mapping.statement_class), RDF.type, OWL.Class) in ontology, mapping.iri
        for role in (mapping.subject_role, mapping.object_role, mapping.truthy_property):
            assert (URIRef(role), RDF.type, OWL.ObjectProperty) in ontology, (mapping.iri, role)
        definition = str(ontology.value(URIRef(mapping.truthy_property), URIRef("http://www.w3.org/2004/02/skos/core#definition")))
        assert "Never asserted by hand" in definition, (mapping.iri, "the truthy property must be a derived one")
        assert re.fullmatch(r"P[1-9]\d*", mapping.pid)
        assert len(mapping.comment) > 40, mapping.iri


def test_each_truthy_property_has_a_rule_that_derives_it():
    rules = " ".join(path.read_text(encoding="utf-8") for path in (ROOT / "queries" / "rules").glob("truthy-*.rq"))
    for mapping in load_mappings():
        local = mapping.truthy_property.removeprefix(EXO)
        assert re.search(rf"CONSTRUCT\s*\{{[^}}]*exo:{local}\b", rules), local


# The fixture: exact output --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_store() -> ox.Store:
    """Ontology + fixture statements + the project's truthy rules, applied once (they do not chain)."""
    store = ox.Store()
    store.load(path=str(ROOT / "ontology" / "exodus.ttl"), format=ox.RdfFormat.TURTLE)
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TURTLE)
    derived = []
    for rule in sorted((ROOT / "queries" / "rules").glob("truthy-*.rq")):
        derived.extend(store.query(rule.read_text(encoding="utf-8")))
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in derived)
    return store


def test_fixture_lines_are_exactly_the_firm_linked_claims(fixture_store):
    lines, skipped = export_lines(fixture_store, SOURCE)
    article = f'S854\t"{URL}"\tS1476\tzh-hant:"測試文章"'
    assert lines == [
        # Acme founded by Alice and by Bob: one founding with two founders, each citing its own quote.
        f'Q100001\tP112\tQ100002\t{article}\tS1683\tzh-hant:"Alice創辦了Acme"\t{RETRIEVED}',
        f'Q100001\tP112\tQ100003\t{article}\tS1683\tzh-hant:"Bob也是Acme創始人"\t{RETRIEVED}',
        # Alice's employer, reported by a linked outlet: the article reference, then "stated in" the outlet.
        f'Q100002\tP108\tQ100001\t{article}\tS1683\tzh-hant:"Alice創辦了Acme"\t{RETRIEVED}',
        "Q100002\tP108\tQ100001\tS248\tQ100005",
    ]
    # Left out without a line: Erin's rumoured founding (no truthy triple), Carol's (a closeMatch only) and
    # Bob's board seat (not employment). Frank's quote holds a double quote: skipped, and said so.
    assert [(item.statement, item.reason[:25]) for item in skipped] == [
        (EXD + "founding-qs-acme-frank", "the text holds a double q")
    ]


def test_a_rumour_is_never_exported_even_when_its_truthy_triple_exists(fixture_store):
    # Even if something asserted exo:founded by hand, the statement behind it must be firm.
    store = ox.Store()
    store.extend(fixture_store.quads_for_pattern(None, None, None))
    store.add(ox.Quad(ox.NamedNode(EXD + "qs-erin"), ox.NamedNode(EXO + "founded"), ox.NamedNode(EXD + "qs-acme")))
    lines, _ = export_lines(store, SOURCE)
    assert not [line for line in lines if "Q100006" in line]


def test_fixture_claims_record_their_statements(fixture_store):
    claims, _ = collect_claims(fixture_store, SOURCE)
    by_key = {(c.subject_qid, c.pid, c.object_qid): c for c in claims}
    assert by_key[("Q100002", "P108", "Q100001")].statements == [EXD + "position-qs-alice-acme-ceo"]
    assert by_key[("Q100001", "P112", "Q100002")].mapping.wikidata_subject == OBJECT_END


# The article graph ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def article_store(article_project) -> ox.Store:
    return open_built(article_project)


@pytest.fixture(scope="module")
def article_claims(article_store):
    return collect_claims(article_store, SOURCE)


def test_article_lines_are_well_formed_and_cite_the_article(article_claims, article_project):
    claims, skipped = article_claims
    article_text = (article_project.triples_dir / "source" / "article.txt").read_text(encoding="utf-8")
    lines = [line for claim in claims for line in claim.lines()]
    assert lines and not skipped
    for line in lines:
        assert LINE.match(line), line
    article_refs = [line for line in lines if "\tS1683\t" in line]
    assert {claim.subject_qid + claim.pid + claim.object_qid for claim in claims} == {
        "".join(line.split("\t")[:3]) for line in article_refs
    }
    for line in article_refs:
        # Every article reference is full: reference URL, title, quote, retrieved (Help:Sources).
        assert f'\tS854\t"{URL}"\tS1476\tzh-hant:"{TITLE}"\t' in line and line.endswith(RETRIEVED)
        quote = re.search(r'\tS1683\tzh-hant:"([^"]*)"', line).group(1)
        assert quote in article_text, quote


def test_article_claims_join_exact_matches_of_a_firm_statement(article_claims, article_store):
    claims, _ = article_claims
    items = {}
    for quad in article_store.quads_for_pattern(None, ox.NamedNode(SKOS_EXACT), None):
        items.setdefault(quad.object.value.removeprefix(WD), set()).add(quad.subject.value)
    firm = {
        solution["statement"].value
        for solution in article_store.query(
            "PREFIX exo: <https://w3id.org/exodus-kg/ontology#> PREFIX exv: <https://w3id.org/exodus-kg/vocab/> "
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
            "SELECT ?statement WHERE { ?statement exo:certainty/skos:broader* exv:firm }",
            use_default_graph_as_union=True,
        )
    }
    for claim in claims:
        assert claim.subject_qid in items and claim.object_qid in items, claim
        assert claim.statements and set(claim.statements) <= firm, claim


@pytest.mark.parametrize(
    "claim",
    [
        ("Q21708200", "P112", "Q317521"),  # OpenAI founded by Elon Musk
        ("Q21708200", "P112", "Q7407093"),  # ... by Sam Altman
        ("Q21708200", "P112", "Q100604534"),  # ... by Greg Brockman
        ("Q116758847", "P112", "Q103335665"),  # Anthropic founded by Dario Amodei
        ("Q21708200", "P112", "Q21712134"),  # ... by Ilya Sutskever, one of the four at the founding dinner
        ("Q21708200", "P1951", "Q2283"),  # OpenAI's investor: Microsoft
        ("Q7407093", "P108", "Q21708200"),  # Sam Altman's employer: OpenAI
    ],
)
def test_article_gives_the_claims_its_firm_statements_carry(article_claims, claim):
    claims, _ = article_claims
    assert claim in {(c.subject_qid, c.pid, c.object_qid) for c in claims}


def test_article_leaves_out_what_is_not_firm_linked_or_fitting(article_claims):
    keys = {(c.subject_qid, c.pid, c.object_qid) for c in article_claims[0]}
    assert ("Q7407093", "P184", "Q92650") not in keys  # Paul Graham is Altman's mentor, not doctoral advisor
    # 得意門生 is a star pupil, not a doctoral student: Hinton -> Sutskever is not exported as P184.
    assert not [key for key in keys if key[1] == "P184"]
    assert not [key for key in keys if "Q1136" in key]  # Reddit is only a closeMatch


def test_cli_writes_the_lines_to_a_file(tmp_path, article_claims):
    target = tmp_path / "exodus.qs"
    result = CliRunner().invoke(
        cli, ["--project", str(ROOT), "quickstatements", "--reference-url", URL, "--retrieved", "2024-08-06", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    expected = [line for claim in article_claims[0] for line in claim.lines()]
    assert target.read_text(encoding="utf-8").splitlines() == expected
    assert result.stdout == ""
    assert f"{len(article_claims[0])} claims, {len(expected)} lines written to {target}." in result.stderr


# References: what identifies the article ------------------------------------------------------------------


def test_without_a_reference_url_or_an_item_the_command_refuses():
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "quickstatements"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--reference-url URL" in result.stderr and "--stated-in QID" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--reference-url", "ftp://example.org/a"], "is not an http(s) URL"),
        (["--reference-url", 'https://example.org/"a"'], "is not an http(s) URL"),
        (["--stated-in", "P31"], "is not a Wikidata item"),
        (["--reference-url", URL, "--retrieved", "6 August 2024"], "'6 August 2024' does not match the format"),
    ],
)
def test_a_bad_reference_option_is_a_usage_error(args, message):
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "quickstatements", *args])
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_an_article_item_is_cited_as_stated_in(fixture_store):
    lines, _ = export_lines(fixture_store, ArticleSource(stated_in="Q100009", retrieved=datetime.date(2024, 8, 7)))
    assert lines[0] == 'Q100001\tP112\tQ100002\tS248\tQ100009\tS1476\tzh-hant:"測試文章"\tS1683\tzh-hant:"Alice創辦了Acme"\tS813\t+2024-08-07T00:00:00Z/11'


def test_retrieved_defaults_to_today(fixture_store):
    lines, _ = export_lines(fixture_store, ArticleSource(url=URL))
    assert lines[0].endswith(f"\tS813\t+{datetime.date.today().isoformat()}T00:00:00Z/11")


@pytest.mark.parametrize("example", ["--reference-url https://example.org/article --retrieved 2024-08-06", "--reference-url https://example.org/article -o exodus.qs"])
def test_help_examples_run_as_printed(example, tmp_path, monkeypatch, article_claims):
    assert f"exodus quickstatements {example}" in cli.get_command(None, "quickstatements").help
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--project", str(ROOT), "quickstatements", *example.split()])
    assert result.exit_code == 0, result.stderr
    written = result.stdout or (tmp_path / "exodus.qs").read_text(encoding="utf-8")
    assert len(written.splitlines()) == sum(len(claim.references) for claim in article_claims[0])


# Claims Wikidata already has: asked of a local Oxigraph server in Wikidata's shape -----------------------

HELD = """
PREFIX p: <http://www.wikidata.org/prop/>
PREFIX ps: <http://www.wikidata.org/prop/statement/>
PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wds: <http://www.wikidata.org/entity/statement/>
INSERT DATA {
wd:Q21708200 p:P112 wds:Q21708200-founder-musk .
wds:Q21708200-founder-musk ps:P112 wd:Q317521 .
wd:Q7407093 p:P108 wds:Q7407093-employer-yc .
wds:Q7407093-employer-yc ps:P108 wd:Q2616400 .
wd:Q7407093 p:P108 wds:Q7407093-employer-other .
wds:Q7407093-employer-other ps:P108 wd:Q95 .
}
"""


@pytest.fixture(scope="module")
def wikidata_server(tmp_path_factory):
    with OxigraphServer(tmp_path_factory.mktemp("held-store")) as server:
        server.update(HELD)
        yield server


def test_existing_claims_are_those_wikidata_holds(article_claims, wikidata_server):
    claims, _ = article_claims
    held = existing_claims(claims, endpoint=wikidata_server.query_url, timeout=30)
    # Sam Altman's employer Google is held but is no claim of the article; only the article's claims are asked.
    assert held == {("Q21708200", "P112", "Q317521"), ("Q7407093", "P108", "Q2616400")}


def test_cli_skip_existing_leaves_out_held_claims(article_claims, wikidata_server):
    result = CliRunner().invoke(
        cli,
        ["--project", str(ROOT), "quickstatements", "--reference-url", URL, "--skip-existing", "--endpoint", wikidata_server.query_url],
    )
    assert result.exit_code == 0, result.stderr
    heads = {"\t".join(line.split("\t")[:3]) for line in result.stdout.splitlines()}
    assert "Q21708200\tP112\tQ317521" not in heads and "Q7407093\tP108\tQ2616400" not in heads
    assert "Q21708200\tP112\tQ7407093" in heads
    assert len(heads) == len(article_claims[0]) - 2
    assert "skipped Q21708200 P112 Q317521: Wikidata already has it" in result.stderr


def test_cli_skip_existing_with_a_dead_endpoint_is_exit_code_3():
    result = CliRunner().invoke(
        cli,
        ["--project", str(ROOT), "quickstatements", "--reference-url", URL, "--skip-existing", "--endpoint", "http://127.0.0.1:9/query", "--timeout", "5"],
    )
    assert result.exit_code == 3, result.stderr
    assert result.stdout == "" and "127.0.0.1:9" in result.stderr


def docs_examples() -> list[str]:
    text = (ROOT / "docs" / "wikidata.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith(("exodus quickstatements", "exodus link -f sssom"))]


@pytest.mark.parametrize("line", docs_examples())
def test_every_quickstatements_and_sssom_example_of_the_docs_runs(line, wikidata_server, tmp_path, monkeypatch):
    """As printed, the local server standing in for 127.0.0.1:7878; a `> FILE` redirection is followed."""
    import shlex

    words = shlex.split(line.replace("http://127.0.0.1:7878/query", wikidata_server.query_url))
    target = None
    if ">" in words:
        target = tmp_path / words[words.index(">") + 1]
        words = words[: words.index(">")]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--project", str(ROOT), *words[1:]])
    assert result.exit_code == 0, result.stderr
    if target is not None:
        target.write_text(result.stdout, encoding="utf-8")
    written = result.stdout or (tmp_path / "exodus.qs").read_text(encoding="utf-8")
    assert written.strip()
    assert len(docs_examples()) == 5
