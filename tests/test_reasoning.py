"""Reasoning: what the OWL RL closure and the derivation rules add, what they must not add, and why.

Fixtures in tests/data/reasoning/ are small graphs built to make one rule fire or not fire; the last
tests run on the article's own triples (the conflicts of interest the article describes).
"""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare
from click.testing import CliRunner
from rdflib import OWL, RDF, RDFS, XSD, Literal, Namespace, URIRef

from exodus_kg.errors import CheckFailed, ExodusError, InputError
from exodus_kg.pipeline import reasoning
from exodus_kg.query.explanation import NodeExplanation, explain, parse_target, render_text
from exodus_kg.rdf.namespaces import DCTERMS
from exodus_kg.rdf.terms import TermMap
from exodus_kg.rdf.vocabulary import EXO, EXV

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "queries" / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*.rq"))
FIXTURES = ROOT / "tests" / "data" / "reasoning"
EXD = Namespace("https://w3id.org/exodus-kg/id/")
SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
TIME = Namespace("http://www.w3.org/2006/time#")
OA = Namespace("http://www.w3.org/ns/oa#")
GRAPH = "https://w3id.org/exodus-kg/graph/"
FIRM = {EXV.stated, EXV.reported}


@pytest.fixture(scope="session")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "exodus.ttl")


def fixture_graph(*names: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    for name in names:
        graph.parse(FIXTURES / name)
    return graph


@functools.cache
def _case(names: tuple[str, ...]) -> tuple[rdflib.Graph, reasoning.Inference]:
    """The fixture data and what reasoning adds to it (one run per fixture set)."""
    ontology = rdflib.Graph().parse(ROOT / "ontology" / "exodus.ttl")
    data = fixture_graph(*names)
    return data, reasoning.run_inference(ontology, data, rules=RULE_FILES)


def _inference(names: tuple[str, ...]) -> reasoning.Inference:
    return _case(names)[1]


def inferred(*names: str) -> rdflib.Graph:
    return _inference(tuple(names)).triples


def built_store(ontology: rdflib.Graph, data: rdflib.Graph, derived: rdflib.Graph) -> ox.Store:
    """The three layers in their named graphs, as the build writes them (one blank-node map for all,
    so that an inferred triple about an asserted blank node keeps pointing at it)."""
    from exodus_kg.rdf.terms import TermMap, is_rdf_triple

    terms = TermMap()
    store = ox.Store()
    for name, layer in (("ontology", ontology), ("asserted", data), ("inferred", derived)):
        graph = ox.NamedNode(GRAPH + name)
        store.extend(terms.quad(triple, graph) for triple in layer if is_rdf_triple(triple))
    return store


# Truthy properties come only from firm statements ------------------------------------------------


def test_stated_departure_gives_left_and_rumoured_or_suspected_does_not():
    graph = inferred("departures.ttl")
    left = set(graph.subjects(EXO.left, EXD["org-x"]))
    assert left == {EXD["stated-person"], EXD["reported-person"]}
    assert (EXD["rumoured-person"], EXO.left, EXD["org-x"]) not in graph
    assert (EXD["suspected-person"], EXO.left, EXD["org-x"]) not in graph


def test_reversed_departure_gives_no_direct_property():
    graph = inferred("departures.ttl")
    assert (EXD["returned-person"], EXO.left, EXD["org-x"]) not in graph
    assert (EXD["returned-person"], EXO.alumnusOf, EXD["org-x"]) not in graph


def test_moved_to_only_from_a_firm_departure():
    graph = inferred("departures.ttl")
    assert set(graph.subject_objects(EXO.movedTo)) == {(EXD["stated-person"], EXD["org-y"])}


def test_alumni_need_a_firm_position_and_a_firm_departure_or_an_end_date():
    graph = inferred("departures.ttl")
    alumni = set(graph.subjects(EXO.alumnusOf, EXD["org-x"]))
    assert alumni == {EXD["stated-person"], EXD["reported-person"], EXD["ended-person"]}


def test_founded_by_alumnus_skips_rumoured_alumni_and_foundings_of_unknown_order():
    graph = inferred("departures.ttl")
    assert set(graph.subject_objects(EXO.foundedByAlumnusOf)) == {
        (EXD["org-y"], EXD["org-x"]),  # founded 2024-09, after the departure of 2024-08
        (EXD["after-co"], EXD["org-x"]),  # undated, but exo:after the departure
    }
    # Founded, but not known to be after the founder's time at org X: before it (old-co, 2010), in the
    # same year as the departure (same-year-co, 2024 against 2024-08), or undated (undated-co).
    for company in ("old-co", "same-year-co", "undated-co"):
        assert (EXD["stated-person"], EXO.founded, EXD[company]) in graph


def test_rumoured_stake_gives_no_holds_stake_in():
    graph = inferred("conflicts.ttl")
    assert (EXD.pat, EXO.holdsStakeIn, EXD.beta) not in graph
    assert (EXD.pat, EXO.holdsStakeIn, EXD.gamma) in graph
    assert (EXD.pat, EXO.investedIn, EXD.beta) in graph  # the stated investment
    assert (EXD.pat, EXO.holdsStakeIn, EXD.epsilon) not in graph  # percentage 0


# Conflicts of interest ----------------------------------------------------------------------------


def test_conflict_names_every_premise_and_takes_the_weakest_certainty():
    graph = inferred("conflicts.ttl")
    conflict = EXD["conflict-pat-alpha-beta"]
    assert (conflict, RDF.type, EXO.ConflictOfInterest) in graph
    assert set(graph.objects(conflict, EXO.premise)) == {
        EXD["position-pat-alpha-ceo"],
        EXD["stake-pat-beta"],
        EXD["investment-pat-beta"],
        EXD["deal-alpha-beta"],
    }
    assert list(graph.objects(conflict, EXO.certainty)) == [EXV.rumoured]
    assert list(graph.objects(conflict, EXO.person)) == [EXD.pat]
    assert list(graph.objects(conflict, EXO.officeIn)) == [EXD.alpha]
    assert list(graph.objects(conflict, EXO.interestIn)) == [EXD.beta]
    assert list(graph.objects(conflict, EXO.derivedBy)) == [EXD["rule-conflict-of-interest"]]
    assert (EXD.pat, EXO.hasConflictOfInterest, conflict) in graph
    assert graph.value(conflict, RDFS.label) == Literal(
        "Pat Example holds office in Alpha Corp and has an interest in Beta Inc, which deals with it",
        lang="en",
    )


def test_conflict_certainty_follows_the_weakest_premise():
    graph = inferred("conflicts.ttl")
    certainty = {c: graph.value(c, EXO.certainty) for c in graph.subjects(RDF.type, EXO.ConflictOfInterest)}
    assert certainty == {
        EXD["conflict-pat-alpha-beta"]: EXV.rumoured,
        EXD["conflict-pat-alpha-gamma"]: EXV.stated,
        EXD["conflict-quin-alpha-gamma"]: EXV.reported,  # via the board, a unit of Alpha
        EXD["conflict-pat-alpha-zeta"]: EXV.opinion,  # paid by Zeta
    }


def test_conflicts_need_an_open_office_and_a_real_interest():
    graph = inferred("conflicts.ttl")
    assert (EXD["conflict-pat-delta-beta"], None, None) not in graph  # the office ended in 2014
    assert (EXD["conflict-pat-alpha-epsilon"], None, None) not in graph  # holds no shares


def test_rule_descriptions_accompany_derived_by():
    graph = inferred("conflicts.ttl")
    rule = EXD["rule-conflict-of-interest"]
    assert graph.value(rule, URIRef("http://purl.org/dc/terms/source")) == Literal(
        "queries/rules/conflict-of-interest.rq"
    )
    assert graph.value(rule, RDFS.comment).language == "en"


def test_the_same_input_gives_the_same_graph(ontology):
    data = fixture_graph("conflicts.ttl")
    first = reasoning.infer(ontology, data, rules=RULE_FILES)
    second = reasoning.infer(ontology, data, rules=RULE_FILES)
    assert rdflib.compare.isomorphic(first, second)


# Symmetric, inverse, OWL RL ------------------------------------------------------------------------


def test_symmetric_and_inverse_relations():
    graph = inferred("symmetric-inverse.ttl")
    assert (EXD.ann, EXO.siblingOf, EXD.ben) in graph
    assert (EXD.ben, EXO.siblingOf, EXD.ann) in graph  # owl:SymmetricProperty
    assert (EXD.ann, EXO.siblingOf, EXD.cat) not in graph  # rumoured kinship
    assert (EXD.cat, EXO.siblingOf, EXD.ann) not in graph
    assert (EXD.dan, EXO.mentorOf, EXD.ann) in graph
    assert (EXD.ann, EXO.menteeOf, EXD.dan) in graph  # owl:inverseOf
    assert (EXD.acme, EXO.foundedBy, EXD.ann) in graph
    assert (EXD.bolt, EXO.dealsWith, EXD.acme) in graph
    assert (EXD.acme, EXO.dealsWith, EXD.bolt) in graph


def test_fixpoint_chains_rules_and_owl_rl():
    # founded (rule) -> foundedBy (owl:inverseOf) -> schema:founder (rdfs:subPropertyOf): three rounds.
    result = _inference(("symmetric-inverse.ttl",))
    assert (EXD.acme, SCHEMA.founder, EXD.ann) in result.triples
    # A derived conflict is typed through the class hierarchy, and its participants through exo:involves.
    conflicts = inferred("conflicts.ttl")
    conflict = EXD["conflict-pat-alpha-beta"]
    assert (conflict, RDF.type, EXO.Statement) in conflicts
    assert (conflict, EXO.involves, EXD.beta) in conflicts
    assert result.rounds >= 3


@pytest.mark.parametrize("names", [("departures.ttl",), ("conflicts.ttl",), ("symmetric-inverse.ttl",)])
def test_fixpoint_is_reached(ontology, names):
    """Running every rule once more over the result adds nothing."""
    data, result = _case(names)
    store = ox.Store()
    full = ontology + data + result.triples
    terms = TermMap()
    store.extend(terms.quad(triple) for triple in full)
    for rule in reasoning.load_rules(RULE_FILES):
        new = [t for t in store.query(rule.text) if ox.Quad(t.subject, t.predicate, t.object) not in store]
        kept = [t for t in new if reasoning._Filter(ontology)(terms.triple(t))]
        assert kept == [], f"{rule.name} still derives {kept[:3]}"


def test_superclass_and_superproperty_entailments(ontology):
    graph = inferred("conflicts.ttl")
    assert (EXD.pat, RDF.type, FOAF.Person) in graph
    assert (EXD.pat, RDF.type, SCHEMA.Person) in graph
    assert (EXD.alpha, RDF.type, EXO.Agent) in graph
    assert (EXD["position-pat-alpha-ceo"], SCHEMA.jobTitle, Literal("CEO", lang="en")) in graph
    assert (EXD["position-pat-alpha-ceo"], EXO.involves, EXD.pat) in graph


def test_owl_time_view_keeps_the_precision_of_the_date():
    graph = inferred("departures.ttl")
    instant = EXD["departure-stated-person-x-time"]
    assert (EXD["departure-stated-person-x"], TIME.hasTime, instant) in graph
    assert (instant, RDF.type, TIME.Instant) in graph
    assert list(graph.objects(instant, TIME.inXSDgYearMonth)) == [Literal("2024-08", datatype=XSD.gYearMonth)]
    assert (instant, TIME.inXSDDate, None) not in graph


def test_copied_literals_keep_their_lexical_form():
    # Oxigraph would write 18000000000.0 as 18000000000; the copy must be the input's literal.
    graph = inferred("conflicts.ttl")
    values = {str(value) for value in graph.objects(None, SCHEMA.value)}
    assert values == {"18000000000.0", "7.6", "0.0"}  # money and the percentages, as written


# What is not published --------------------------------------------------------------------------


@pytest.mark.parametrize("names", [("departures.ttl",), ("conflicts.ttl",), ("symmetric-inverse.ttl",)])
def test_no_junk_entailments(ontology, names):
    data, result = _case(names)
    graph = result.triples
    builtin = (str(RDF), str(RDFS), str(OWL), str(XSD))
    for subject, predicate, obj in graph:
        assert not isinstance(subject, Literal)
        assert not (predicate == OWL.sameAs and subject == obj)
        assert not (predicate == RDF.type and str(obj).startswith(builtin)), (subject, obj)
        assert not str(subject).startswith((*builtin, str(EXO))), subject
        assert (subject, predicate, obj) not in data
        assert (subject, predicate, obj) not in ontology
        assert predicate not in (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range)


def test_the_filter_drops_what_owlrl_adds_that_says_nothing(ontology):
    keep = reasoning._Filter(ontology)
    person = EXD.pat
    assert not keep((person, OWL.sameAs, person))
    assert not keep((person, RDF.type, OWL.Thing))
    assert not keep((person, RDF.type, RDFS.Resource))
    assert not keep((Literal("x"), RDF.type, RDFS.Literal))
    assert not keep((EXO.Person, RDFS.subClassOf, EXO.Person))
    assert not keep((SCHEMA.Person, RDFS.subClassOf, SCHEMA.Person))
    assert not keep((XSD.string, RDF.type, RDFS.Datatype))
    assert not keep((EXO.founder, RDFS.domain, SCHEMA.Event))
    assert keep((person, RDF.type, SCHEMA.Person))
    assert keep((rdflib.BNode(), OA.exact, Literal("words")))
    assert keep((EXV.stated, RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#Concept")))


# Consistency and robustness ------------------------------------------------------------------------


def test_inconsistent_data_stops_the_build(ontology):
    with pytest.raises(CheckFailed, match=r"exd:person-and-company is both exo:Person and exo:Organization"):
        reasoning.infer(ontology, fixture_graph("inconsistent.ttl"), rules=RULE_FILES)


def test_a_rule_creating_blank_nodes_is_refused(ontology, tmp_path):
    rule = tmp_path / "bad.rq"
    rule.write_text(
        "#+ summary: makes a fresh blank node every round\n"
        "PREFIX exo: <https://w3id.org/exodus-kg/ontology#>\n"
        "CONSTRUCT { ?x exo:about [ exo:about ?x ] } WHERE { ?x a exo:Person }\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="blank nodes"):
        reasoning.infer(ontology, fixture_graph("conflicts.ttl"), rules=[rule])


def test_a_rule_without_a_summary_is_refused(tmp_path):
    rule = tmp_path / "bare.rq"
    rule.write_text("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(InputError, match="summary"):
        reasoning.parse_rule(rule)


def test_the_ontology_uses_only_constructs_the_sparql_closure_implements(ontology):
    assert reasoning.unsupported_constructs(ontology) == []
    assert _inference(("conflicts.ttl",)).closure == "sparql"


@pytest.mark.slow
def test_an_unsupported_construct_falls_back_to_owlrl(ontology):
    extended = ontology + rdflib.Graph()
    extended.add((EXO.holder, RDF.type, OWL.FunctionalProperty))
    assert reasoning.unsupported_constructs(extended) == ["owl:FunctionalProperty"]
    result = reasoning.run_inference(extended, fixture_graph("symmetric-inverse.ttl"), rules=RULE_FILES)
    assert result.closure == "owlrl"
    assert (EXD.ben, EXO.siblingOf, EXD.ann) in result.triples
    assert (EXD.acme, SCHEMA.founder, EXD.ann) in result.triples


# The rule files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_rule_file_has_a_header_and_constructs_no_blank_nodes(path):
    from exodus_kg.query.explanation import _CompiledRule

    rule = reasoning.parse_rule(path)
    assert rule.summary and rule.description and rule.derives and rule.premises, path.name
    compiled = _CompiledRule(rule)
    assert compiled.template, path.name
    for pattern in compiled.template:
        for term in pattern:
            assert not (isinstance(term, tuple) and term[1].startswith("_bnode_")), path.name
    for iri in set(re.findall(r"exd:rule-([\w-]+)", rule.text)):
        assert iri == rule.name, f"{path.name} names the rule exd:rule-{iri}"


def test_truthy_rules_require_a_firm_certainty():
    for path in RULE_FILES:
        if path.stem.startswith("truthy-"):
            assert "exo:certainty/skos:broader* exv:firm" in path.read_text(encoding="utf-8"), path.name


# Explain --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def conflict_store(ontology):
    data = fixture_graph("conflicts.ttl", "symmetric-inverse.ttl")
    derived = reasoning.infer(ontology, data, rules=RULE_FILES)
    return built_store(ontology, data, derived)


def test_explain_a_conflict_node_lists_premises_with_evidence(conflict_store):
    rules = reasoning.load_rules(RULE_FILES)
    result = explain(conflict_store, parse_target(["exd:conflict-pat-alpha-beta"]), rules)
    assert isinstance(result, NodeExplanation)
    assert result.rule.name == "conflict-of-interest"
    assert [p.iri.rsplit("/", 1)[1] for p in result.premises] == [
        "deal-alpha-beta",
        "investment-pat-beta",
        "position-pat-alpha-ceo",
        "stake-pat-beta",
    ]
    stake = result.premises[3]
    assert stake.certainty == str(EXV.rumoured)
    assert stake.evidence[0].quote == "小道消息,Pat持有Beta股份"
    text = render_text(result)
    assert "certainty: exv:rumoured (rank 2), the weakest of its premises" in text
    assert "“Pat作爲Alpha CEO”" in text


def test_explain_a_derived_triple_follows_owl_rl_back_to_the_statement(conflict_store):
    rules = reasoning.load_rules(RULE_FILES)
    result = explain(conflict_store, parse_target(["exd:acme", "schema:founder", "exd:ann"]), rules)
    assert result.graph == "inferred"
    (step,) = result.derivations
    assert step.rule.name == "owl-rl-property-hierarchy"
    (founded_by,) = step.premise_triples
    assert founded_by.triple[1] == ox.NamedNode(str(EXO.foundedBy))
    (inverse,) = founded_by.derivations
    assert inverse.rule.name == "owl-rl-inverse"
    (founded,) = inverse.premise_triples
    (truthy,) = founded.derivations
    assert truthy.rule.name == "truthy-founded"
    assert [p.iri for p in truthy.premises] == [str(EXD["founding-acme"])]


def test_explain_a_hascoi_triple_names_the_premises_not_the_conflict(conflict_store):
    rules = reasoning.load_rules(RULE_FILES)
    target = parse_target(["exd:pat exo:hasConflictOfInterest exd:conflict-pat-alpha-gamma"])
    result = explain(conflict_store, target, rules)
    (derivation,) = result.derivations
    assert {p.iri.rsplit("/", 1)[1] for p in derivation.premises} == {
        "position-pat-alpha-ceo",
        "stake-pat-gamma",
        "deal-alpha-gamma",
    }


def test_explain_an_absent_triple_names_the_rule_that_would_derive_it(conflict_store):
    rules = reasoning.load_rules(RULE_FILES)
    result = explain(conflict_store, parse_target(["exd:ann", "exo:siblingOf", "exd:cat"]), rules)
    assert result.graph == "absent"
    assert [rule.name for rule in result.candidate_rules] == ["truthy-sibling-of"]
    assert "none firm enough" in render_text(result)


def test_explain_command_on_a_project(tmp_path):
    from exodus_kg.cli import cli

    (tmp_path / "ontology").mkdir()
    shutil.copy(ROOT / "ontology" / "exodus.ttl", tmp_path / "ontology" / "exodus.ttl")
    (tmp_path / "triples").mkdir()
    shutil.copy(FIXTURES / "conflicts.ttl", tmp_path / "triples" / "conflicts.ttl")
    shutil.copytree(RULES_DIR, tmp_path / "queries" / "rules")
    runner = CliRunner()
    result = runner.invoke(cli, ["--project", str(tmp_path), "explain", "exd:conflict-pat-alpha-zeta"])
    assert result.exit_code == 0, result.output
    assert "derived by rule conflict-of-interest" in result.output
    assert "exd:salary-pat-zeta" in result.output
    assert "certainty: exv:opinion (rank 1)" in result.output
    result = runner.invoke(cli, ["--project", str(tmp_path), "explain", "exd:pat", "exo:holdsStakeIn"])
    assert result.exit_code == 2


# The article --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def article():
    """The project's ontology, asserted triples and what reasoning adds to them."""
    from exodus_kg.pipeline.build import load_inputs
    from exodus_kg.project import find_project

    project = find_project(str(ROOT))
    inputs = load_inputs(project)
    result = reasoning.run_inference(inputs.ontology, inputs.asserted, rules=project.rule_files())
    return inputs.ontology, inputs.asserted, result


@pytest.mark.parametrize("counterparty", ["helion", "reddit"])
def test_article_conflicts_of_altman(article, counterparty):
    _ontology, data, result = article
    graph = result.triples
    conflict = EXD[f"conflict-sam-altman-openai-{counterparty}"]
    assert (EXD["sam-altman"], EXO.hasConflictOfInterest, conflict) in graph
    premises = set(graph.objects(conflict, EXO.premise))
    kinds = {data.value(p, RDF.type) for p in premises}
    assert EXO.PositionHeld in kinds and EXO.BusinessDeal in kinds
    assert kinds & {EXO.EquityStake, EXO.Investment, EXO.Salary}
    for premise in premises:
        if data.value(premise, RDF.type) == EXO.BusinessDeal:
            assert {EXD.openai, EXD[counterparty]} <= set(data.objects(premise, EXO.party))


def test_article_conflicts_carry_the_weakest_certainty_of_their_premises(article, ontology):
    _ontology, data, result = article
    graph = result.triples
    rank = {c: int(r) for c, r in ontology.subject_objects(EXO.certaintyRank)}
    conflicts = list(graph.subjects(RDF.type, EXO.ConflictOfInterest))
    assert conflicts
    for conflict in conflicts:
        premises = list(graph.objects(conflict, EXO.premise))
        weakest = min(rank[data.value(p, EXO.certainty)] for p in premises)
        assert rank[graph.value(conflict, EXO.certainty)] == weakest, conflict


def test_article_truthy_triples_all_rest_on_firm_statements(article):
    """No plain fact from a rumour: every exo:left has a firm, unreversed departure behind it, and
    every departure that is not firm leaves no exo:left unless a firm one says the same."""
    _ontology, data, result = article
    graph = result.triples

    def firm_departures(person, organization):
        return [
            d
            for d in data.subjects(EXO.person, person)
            if (d, RDF.type, EXO.Departure) in data
            and (d, EXO.organizationLeft, organization) in data
            and data.value(d, EXO.certainty) in FIRM
            and (d, EXO.reversed, Literal(True)) not in data
        ]

    for person, organization in graph.subject_objects(EXO.left):
        assert firm_departures(person, organization), (person, organization)
    weak = [
        (data.value(d, EXO.person), data.value(d, EXO.organizationLeft))
        for d in data.subjects(RDF.type, EXO.Departure)
        if data.value(d, EXO.certainty) not in FIRM
    ]
    assert weak, "the article has suspected departures (Greg Brockman); the data lost them"
    for person, organization in weak:
        if not firm_departures(person, organization):
            assert (person, EXO.left, organization) not in graph, person


def test_article_openai_alumni(article):
    graph = article[2].triples
    alumni = set(graph.subjects(EXO.alumnusOf, EXD.openai))
    assert {EXD["dario-amodei"], EXD["john-schulman"], EXD["ilya-sutskever"]} <= alumni
    assert EXD["sam-altman"] not in alumni  # ousted, then back: the departure is reversed
    assert EXD["greg-brockman"] not in alumni  # only suspected to have left
    companies = set(graph.subjects(EXO.foundedByAlumnusOf, EXD.openai))
    assert EXD.anthropic in companies
    # OpenAI's founding is undated: Sam Altman's 2014 post at Reddit says nothing of the order.
    assert (EXD.openai, EXO.foundedByAlumnusOf, EXD.reddit) not in graph


@pytest.mark.slow
def test_sparql_closure_equals_owlrl_on_the_article(article):
    """The owl-rl-*.rq rules give exactly the (filtered) OWL 2 RL closure that owlrl computes."""
    import owlrl

    ontology, data, _result = article
    owl_rl_rules = [path for path in RULE_FILES if path.stem.startswith("owl-rl-")]
    ours = reasoning.infer(ontology, data, rules=owl_rl_rules)
    closure = ontology + data
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        closure
    )
    keep = reasoning._Filter(ontology)
    reference = {t for t in closure if keep(t) and t not in ontology and t not in data}
    assert len(reference) > 1000
    assert set(ours) == reference


@pytest.mark.slow
def test_result_is_closed_under_owlrl(article):
    """owlrl over the asserted and the inferred triples together finds nothing the result lacks."""
    import owlrl

    ontology, data, result = article
    closure = ontology + data + result.triples
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        closure
    )
    keep = reasoning._Filter(ontology)
    missing = {t for t in closure if keep(t) and t not in ontology and t not in data} - set(result.triples)
    assert missing == set()


# infer_into_store: exactly what naive evaluation gives ---------------------------------------------

LAYERS = {name: GRAPH + name for name in ("ontology", "asserted", "links", "inferred")}


def _layered_store(
    ontology: rdflib.Graph, data: rdflib.Graph, links: rdflib.Graph, terms: TermMap
) -> ox.Store:
    """The layers in their named graphs of one store, as the build keeps them."""
    store = ox.Store()
    for name, graph in (("ontology", ontology), ("asserted", data), ("links", links)):
        store.extend(terms.quad(triple, ox.NamedNode(LAYERS[name])) for triple in graph)
    return store


def assert_same_as_naive_evaluation(
    ontology: rdflib.Graph, data: rdflib.Graph, links: rdflib.Graph, rules
) -> None:
    from support.naive_reasoning import naive_inference

    rules = reasoning.load_rules(rules)
    reference, added_per_round = naive_inference(ontology, data, rules)
    terms = TermMap(new_blank_nodes=False)
    store = _layered_store(ontology, data, links, terms)
    before = {
        name: len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(iri))))
        for name, iri in LAYERS.items()
    }
    result = reasoning.infer_into_store(
        store,
        ontology_graph=LAYERS["ontology"],
        data_graphs=[LAYERS["asserted"]],
        target_graph=LAYERS["inferred"],
        rules=rules,
    )
    inferred = {
        terms.triple(quad.triple)
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(LAYERS["inferred"]))
    }
    assert len(reference) > 0
    assert inferred == set(reference)
    described = {
        iri
        for iri in reference.subjects(URIRef(DCTERMS + "source"))
        if str(iri).startswith(reasoning.RULE_IRI_PREFIX)
    }
    assert result.kept == len(inferred) - 3 * len(described)
    assert result.kept + result.dropped == sum(added_per_round)
    assert result.added_per_round == added_per_round
    # The layers it read are untouched, and it leaves no graph of its own behind.
    assert {graph.value for graph in store.named_graphs()} == set(LAYERS.values())
    for name in ("ontology", "asserted", "links"):
        assert (
            len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(LAYERS[name])))) == before[name]
        )


@pytest.mark.parametrize(
    "names",
    [
        ("departures.ttl",),
        ("conflicts.ttl",),
        ("symmetric-inverse.ttl",),
        ("conflicts.ttl", "symmetric-inverse.ttl", "departures.ttl"),
    ],
    ids=lambda names: "+".join(name.removesuffix(".ttl") for name in names),
)
def test_infer_into_store_adds_what_naive_evaluation_adds_on_the_fixtures(ontology, names):
    links = rdflib.Graph()
    links.add((EXD.pat, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q1")))  # never reasoned over
    assert_same_as_naive_evaluation(ontology, fixture_graph(*names), links, RULE_FILES)


def test_infer_into_store_adds_what_naive_evaluation_adds_on_the_article(article):
    from exodus_kg.pipeline.build import load_inputs
    from exodus_kg.project import find_project

    project = find_project(str(ROOT))
    inputs = load_inputs(project)
    assert_same_as_naive_evaluation(inputs.ontology, inputs.asserted, inputs.links, project.rule_files())


@pytest.mark.slow
def test_infer_into_store_adds_what_naive_evaluation_adds_at_10x(tmp_path):
    import sys

    from exodus_kg.pipeline.build import load_inputs
    from exodus_kg.project import Project

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synthetic_project import write_project

    project = Project(write_project(10, tmp_path / "10x"))
    inputs = load_inputs(project)
    assert_same_as_naive_evaluation(inputs.ontology, inputs.asserted, inputs.links, project.rule_files())


def test_run_inference_returns_what_infer_into_store_adds(article):
    """``infer`` and ``run_inference`` are the rdflib door to the same reasoning."""
    ontology, data, result = article
    terms = TermMap(new_blank_nodes=False)
    store = _layered_store(ontology, data, rdflib.Graph(), terms)
    from exodus_kg.project import find_project

    reasoning.infer_into_store(
        store,
        ontology_graph=LAYERS["ontology"],
        data_graphs=[LAYERS["asserted"]],
        target_graph=LAYERS["inferred"],
        rules=find_project(str(ROOT)).rule_files(),
    )
    inferred = {
        terms.triple(quad.triple)
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(LAYERS["inferred"]))
    }
    assert inferred == set(result.triples)
    assert result.closure == "sparql" and result.rounds == len(result.added_per_round)


def test_infer_into_store_wants_an_empty_target(ontology):
    terms = TermMap(new_blank_nodes=False)
    store = _layered_store(ontology, fixture_graph("conflicts.ttl"), rdflib.Graph(), terms)
    store.add(
        ox.Quad(
            ox.NamedNode(EXD.pat),
            ox.NamedNode(RDFS.label),
            ox.Literal("Pat"),
            ox.NamedNode(LAYERS["inferred"]),
        )
    )
    with pytest.raises(ExodusError, match="must be empty"):
        reasoning.infer_into_store(
            store,
            ontology_graph=LAYERS["ontology"],
            data_graphs=[LAYERS["asserted"]],
            target_graph=LAYERS["inferred"],
            rules=RULE_FILES,
        )


def test_infer_into_store_leaves_the_target_empty_on_an_inconsistency(ontology):
    terms = TermMap(new_blank_nodes=False)
    store = _layered_store(ontology, fixture_graph("inconsistent.ttl"), rdflib.Graph(), terms)
    with pytest.raises(CheckFailed, match=r"exd:person-and-company is both exo:Person and exo:Organization"):
        reasoning.infer_into_store(
            store,
            ontology_graph=LAYERS["ontology"],
            data_graphs=[LAYERS["asserted"]],
            target_graph=LAYERS["inferred"],
            rules=RULE_FILES,
        )
    assert {graph.value for graph in store.named_graphs()} == {
        LAYERS[name] for name in ("ontology", "asserted")
    }


def test_a_rule_that_is_no_sparql_update_names_its_file(ontology, tmp_path):
    rule = tmp_path / "broken.rq"
    rule.write_text(
        "#+ summary: a CONSTRUCT with a FROM clause, which an INSERT cannot have\n"
        "PREFIX exo: <https://w3id.org/exodus-kg/ontology#>\n"
        "CONSTRUCT { ?x a exo:Agent } FROM <urn:x> WHERE { ?x a exo:Person }\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"broken\.rq: "):
        reasoning.infer(ontology, fixture_graph("conflicts.ttl"), rules=[rule])


def test_infer_into_store_adds_what_naive_evaluation_adds_when_a_rule_derives_an_axiom(ontology, tmp_path):
    """An axiom derived in round 3 must reach the OWL RL rules over the whole graph: round 2 types
    an alumnus schema:Person's test kind (zz-a), its OWL RL rules a super kind, and round 3's
    zz-b makes every exo:Person an instance of a new class."""
    rules = {
        "zz-a": "CONSTRUCT { <urn:test:Alumnus> a <urn:test:Kind> } "
        "WHERE { ?person exo:alumnusOf ?organization ; a schema:Person }",
        "zz-b": "CONSTRUCT { exo:Person rdfs:subClassOf <urn:test:Alumnus> } "
        "WHERE { <urn:test:Alumnus> a <urn:test:SuperKind> }",
    }
    paths = []
    for name, text in rules.items():
        path = tmp_path / f"{name}.rq"
        path.write_text(
            "#+ summary: a made-up rule that fires late\n"
            "PREFIX exo: <https://w3id.org/exodus-kg/ontology#>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            f"PREFIX schema: <https://schema.org/>\n{text}\n",
            encoding="utf-8",
        )
        paths.append(path)
    data = fixture_graph("departures.ttl")
    data.add((URIRef("urn:test:Kind"), RDFS.subClassOf, URIRef("urn:test:SuperKind")))
    links = rdflib.Graph()
    links.add((EXD["stated-person"], OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q1")))
    assert_same_as_naive_evaluation(ontology, data, links, [*RULE_FILES, *paths])
    result = reasoning.run_inference(ontology, data, rules=[*RULE_FILES, *paths])
    assert (EXD["stated-person"], RDF.type, URIRef("urn:test:Alumnus")) in result.triples
    assert result.rounds >= 4


# What a rule reads (pipeline/rule_patterns.py), which decides what each round evaluates ----------

PREFIXES = "PREFIX exo: <https://w3id.org/exodus-kg/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


@pytest.mark.parametrize(
    ("where", "monotonic", "everything"),
    [
        ("{ ?x a exo:Person ; exo:founder/exo:holder ?y }", True, False),
        ("{ ?x a exo:Person OPTIONAL { ?x rdfs:label ?l } }", False, False),
        ("{ ?x a exo:Person MINUS { ?x exo:endDate ?d } }", False, False),
        ("{ ?x a exo:Person FILTER(?x != exo:y && NOT EXISTS { ?x exo:endDate ?d }) }", False, False),
        ("{ { SELECT ?x (COUNT(*) AS ?n) WHERE { ?x exo:party ?p } GROUP BY ?x } }", False, False),
        ("{ { SELECT DISTINCT ?x WHERE { ?x exo:party ?p } } }", True, False),
        ("{ ?x ?p ?y }", True, True),
        ("{ ?x !exo:party ?y }", True, True),
        ("{ ?x exo:broader* ?y }", True, True),
        ("{ GRAPH ?g { ?x exo:party ?y } }", False, True),
        ("{ ?x exo:party ( ?a ?b ) }", True, True),
    ],
)
def test_the_rule_reader_knows_what_takes_results_away_and_what_it_cannot_follow(
    where, monotonic, everything
):
    from exodus_kg.pipeline.rule_patterns import read_rule

    reads = read_rule(f"{PREFIXES}CONSTRUCT {{ ?x a exo:Agent }} WHERE {where}")
    assert (reads.monotonic, reads.reads_everything) == (monotonic, everything)


def test_the_rule_reader_names_the_predicates_and_classes_a_rule_reads():
    from exodus_kg.pipeline.rule_patterns import read_rule

    reads = read_rule(
        f"{PREFIXES}CONSTRUCT {{ ?x exo:p ?z }} WHERE {{ ?x a exo:Departure ; exo:person [ exo:holder ?z ] , ?w ; "
        "^exo:founder|exo:party ?v . VALUES ?k { exo:notRead } BIND(exo:alsoNotRead AS ?m) "
        'FILTER EXISTS { ?v rdfs:label "x"@en } }'
    )
    assert {iri.split("#")[1] for iri in reads.predicates} == {
        "person",
        "holder",
        "founder",
        "party",
        "label",
    }
    assert reads.types == {str(EXO.Departure)}
    assert reads.affected_by({str(RDF.type)}, {str(EXO.Departure)})
    assert not reads.affected_by({str(RDF.type)}, {str(EXO.Person)})
    assert not reads.affected_by({str(EXO.endDate)}, set())
