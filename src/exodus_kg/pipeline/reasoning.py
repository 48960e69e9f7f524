"""Reasoning: the OWL 2 RL entailments of the ontology and the data, and the project's derivation rules.

``infer(ontology, data)`` returns only new triples, for the named graph ``exg:inferred``:

1. **OWL 2 RL closure, as SPARQL.** The ``queries/rules/owl-rl-*.rq`` files implement the OWL 2 RL/RDF
   rules for every construct the ontology uses: subclass and equivalent class (cax-sco, cax-eqc1/2,
   closed over scm-sco/scm-eqc1), subproperty and equivalent property (prp-spo1, prp-eqp1/2,
   scm-spo/scm-eqp1), domain and range (prp-dom, prp-rng, through the property hierarchy), inverse
   (prp-inv1/2), symmetric (prp-symp), transitive (prp-trp) and disjoint classes (cax-dw, which stops the
   build). ``closure="auto"`` checks the ontology: if it uses an OWL construct these files do not
   implement (a restriction, a functional property, owl:sameAs, a property chain ...), the closure is
   computed with owlrl instead, so the result is always the OWL 2 RL closure.
2. **Derivation rules**: every other ``queries/rules/*.rq`` (SPARQL CONSTRUCT, each with a header saying
   what it derives from what): direct "truthy" properties from firm statements only, alumni, companies
   founded by alumni, conflicts of interest, an OWL-Time view of dates.
3. Both run in an in-memory Oxigraph store as SPARQL Update (each CONSTRUCT becomes ``INSERT { template }
   WHERE { ... }``, so no triple crosses into Python until the end), one rule after the other, round
   after round, until a round adds nothing: a fixpoint, reached in 3 rounds on the article (a rule's
   output feeds the OWL RL rules, whose output can feed the next rule; each round runs the
   derivation rules first, then the OWL RL rules). ``max_rounds`` stops a rule
   that never converges; a template may not create blank nodes, which would be fresh every round.

Why not owlrl's full closure (``benchmarks/build_scaling.py``, on a shared 2-core machine; the article
is 4,020 asserted triples, the synthetic graphs repeat it with renamed IRIs):

    scale  asserted   this module (rules included)   owlrl closure only   owlrl without literals
       1x     4,020      1.8 s  -> 4,214 kept           19.4 s (11.1x)         10.2 s (5.8x)
      10x    40,200      9.1 s  -> 42,113 kept          85.9 s  (9.5x)         45.0 s (5.0x)
     100x   402,000     90.0 s  -> 421,103 kept       2598 s (~29x; a separate run, niced)   -

owlrl adds 10,994 triples at the article's size, of which 3,987 survive the filter below (the rest are
literal subjects, reflexive owl:sameAs, TBox triples, owl:Thing types); running it without the
literal-valued triples halves its time but still loses 29% of the kept entailments (the superproperty
triples with literal values: ``oa:exact``, ``schema:jobTitle``, ``schema:value``). The SPARQL closure
grows linearly with the data, computes the derivation rules in the same loop, and is tested to give
exactly the triples owlrl gives once both are filtered (tests/test_reasoning.py).

What is kept (everything else the closure entails is dropped, and so is anything already asserted):

- **Kept**: triples whose subject is an individual of the graph (an ``exd:`` entity or statement, an
  ``exv:`` concept, a blank node of the data such as an evidence or an amount) with an IRI predicate:
  types by subclass, domain and range (``exd:sam-altman a schema:Person, foaf:Person, prov:Agent``),
  superproperty triples (``exo:involves``, ``schema:founder``, ``oa:exact``, ``prov:wasDerivedFrom``),
  inverse and symmetric triples, and everything the derivation rules construct (with a description of
  each rule that an ``exo:derivedBy`` points to).
- **Dropped**: triples about vocabulary terms (the subject is a class or property of the ontology, of
  rdf:, rdfs:, owl:, xsd:, or of an aligned vocabulary): the TBox closure (``C rdfs:subClassOf C``,
  ``C owl:equivalentClass C``, inherited domains and ranges, axiomatic triples, datatype axioms), which a
  query answers from ``exg:ontology`` with a property path (``rdfs:subClassOf*``); ``rdf:type`` of a
  built-in class (``owl:Thing``, ``rdfs:Resource``, ``owl:NamedIndividual``, ``rdfs:Class`` ...), true
  of everything and so saying nothing; reflexive ``owl:sameAs``; and generalised triples (a literal as
  subject, a blank node as predicate), which are not RDF. ``owl:sameAs`` links to Wikidata are not
  reasoned over at all (the build leaves ``exg:links`` out), or every statement would be copied onto
  the Wikidata IRIs.

>>> import rdflib
>>> ontology = rdflib.Graph().parse("ontology/exodus.ttl")  # doctest: +SKIP
>>> data = rdflib.Graph().parse("tests/data/reasoning/conflicts.ttl")  # doctest: +SKIP
>>> inferred = infer(ontology, data)  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib import OWL, RDF, RDFS, XSD, BNode, Literal, URIRef

from exodus_kg.errors import CheckFailed, ExodusError, InputError
from exodus_kg.rdf.namespaces import DCTERMS, EXD, EXO, EXV, RULES
from exodus_kg.rdf.query_files import LIST, TEXT, read_header, read_text
from exodus_kg.rdf.sparql_text import construct_parts, makes_blank_nodes, refuse_service
from exodus_kg.rdf.terms import TermMap, is_rdf_triple

RULE_IRI_PREFIX = RULES
OWL_RL_PREFIX = "owl-rl-"
DCTERMS_SOURCE = URIRef(DCTERMS + "source")
DERIVED_BY = URIRef(EXO + "derivedBy")

BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
_VOCABULARY_NAMESPACES = (*BUILTIN_NAMESPACES, EXO)
_RDF_TYPE = RDF.type
_OWL_SAME_AS = OWL.sameAs
INDIVIDUAL_NAMESPACES = (EXD, EXV)

# What the owl-rl-*.rq files implement, and the terms that only declare or annotate.
SUPPORTED_AXIOMS = frozenset(
    {
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        RDFS.domain,
        RDFS.range,
        OWL.equivalentClass,
        OWL.equivalentProperty,
        OWL.inverseOf,
        OWL.disjointWith,
    }
)
SUPPORTED_PROPERTY_TYPES = frozenset({OWL.SymmetricProperty, OWL.TransitiveProperty})
DECLARATIONS = frozenset(
    {
        OWL.Class,
        RDFS.Class,
        RDF.Property,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        OWL.Ontology,
        OWL.NamedIndividual,
        RDFS.Datatype,
    }
)
ANNOTATIONS = frozenset(
    {
        RDFS.label,
        RDFS.comment,
        RDFS.seeAlso,
        RDFS.isDefinedBy,
        OWL.versionInfo,
        OWL.versionIRI,
        OWL.priorVersion,
        OWL.imports,
        OWL.deprecated,
    }
)
TBOX_PREDICATES = SUPPORTED_AXIOMS | {OWL.propertyChainAxiom, OWL.propertyDisjointWith, OWL.hasKey}


@dataclass(frozen=True)
class Rule:
    """One ``queries/rules/*.rq`` file: a SPARQL CONSTRUCT with a ``#+`` header."""

    name: str
    path: Path
    text: str
    summary: str
    description: str = ""
    derives: str = ""
    premises: str = ""
    tags: tuple[str, ...] = ()

    @property
    def iri(self) -> str:
        return RULE_IRI_PREFIX + self.name

    @property
    def is_owl_rl(self) -> bool:
        return self.name.startswith(OWL_RL_PREFIX)

    @property
    def template(self) -> str:
        return construct_parts(self.text)[1]

    @property
    def insert_text(self) -> str:
        """The rule as a SPARQL Update: ``INSERT { template } WHERE { ... }``."""
        prologue, template, where = construct_parts(self.text)
        return f"{prologue}INSERT {{{template}}}{where}"


@dataclass
class Inference:
    """What ``run_inference`` computed: the kept new triples and how it got there (the last round
    is the one that added nothing)."""

    triples: rdflib.Graph
    closure: str
    rounds: int
    seconds: float
    added_per_round: list[int] = field(default_factory=list)
    dropped: int = 0


RULE_HEADER = {"summary": TEXT, "description": TEXT, "derives": TEXT, "from": TEXT, "tags": LIST}


def parse_rule(path: Path) -> Rule:
    """Read one rule file; InputError names the file when the header or the query form is wrong."""
    path = Path(path)
    text = read_text(path, "rule")
    fields = read_header(text, path, RULE_HEADER)
    if not fields.get("summary"):
        raise InputError(f"{path}: a rule needs a '#+ summary:' header line saying what it derives")
    try:
        _prologue, template, _where = construct_parts(text)
    except ValueError as error:
        raise InputError(f"{path}: a rule must be a SPARQL CONSTRUCT query ({error})") from None
    if makes_blank_nodes(template):
        raise InputError(
            f"{path}: the CONSTRUCT template creates blank nodes, a fresh one every round, so the rules "
            "would never reach a fixpoint; build IRIs with IRI(CONCAT(...)) instead"
        )
    refuse_service(text, str(path))  # a build never goes to the network
    return Rule(
        name=path.stem,
        path=path,
        text=text,
        summary=fields["summary"],
        description=fields.get("description", ""),
        derives=fields.get("derives", ""),
        premises=fields.get("from", ""),
        tags=tuple(fields.get("tags", ())),
    )


def load_rules(paths: Iterable[Path] | None = None) -> list[Rule]:
    """The rules of ``paths``, or of the current project's ``queries/rules/`` when None."""
    if paths is None:
        from exodus_kg.project import find_project

        paths = find_project().rule_files()
    return [parse_rule(path) for path in sorted(Path(p) for p in paths)]


def unsupported_constructs(ontology: rdflib.Graph) -> list[str]:
    """The OWL/RDFS terms the ontology uses that the owl-rl-*.rq rules do not implement."""
    found = set()
    for _subject, predicate, obj in ontology:
        if predicate == RDF.type:
            if str(obj).startswith(BUILTIN_NAMESPACES) and obj not in DECLARATIONS | SUPPORTED_PROPERTY_TYPES:
                found.add(obj)
        elif (
            str(predicate).startswith(BUILTIN_NAMESPACES) and predicate not in SUPPORTED_AXIOMS | ANNOTATIONS
        ):
            found.add(predicate)
    return sorted(ontology.namespace_manager.normalizeUri(term) for term in found)


def infer(
    ontology: rdflib.Graph,
    data: rdflib.Graph,
    *,
    rules: Sequence[Path] | Sequence[Rule] | None = None,
    closure: str = "auto",
) -> rdflib.Graph:
    """The triples that OWL 2 RL and the derivation rules add to ``ontology`` + ``data`` (new ones only).

    ``rules``: rule files or parsed rules (default: the current project's ``queries/rules/*.rq``).
    ``closure``: "auto", "sparql" (the owl-rl-*.rq rules) or "owlrl" (the owlrl package).
    Raises CheckFailed when the data is inconsistent with the ontology (an individual in two
    disjoint classes) and ExodusError when the rules reach no fixpoint.
    """
    return run_inference(ontology, data, rules=rules, closure=closure).triples


def run_inference(
    ontology: rdflib.Graph,
    data: rdflib.Graph,
    *,
    rules: Sequence[Path] | Sequence[Rule] | None = None,
    closure: str = "auto",
    max_rounds: int = 25,
) -> Inference:
    """``infer`` with its report: the closure used, the rounds to the fixpoint, triples added per round."""
    started = time.perf_counter()
    rule_list = _as_rules(rules)
    if closure == "auto":
        closure = "owlrl" if unsupported_constructs(ontology) else "sparql"
    if closure not in ("sparql", "owlrl"):
        raise ExodusError(f"unknown closure {closure!r}: use auto, sparql or owlrl")
    # The derivation rules first, then the OWL RL rules, in every round: what a rule derives is
    # closed under OWL RL in the same round, so the fixpoint comes a round sooner (3 rounds on the
    # article instead of 4, the same triples) and every round costs the whole graph.
    active = [rule for rule in rule_list if not rule.is_owl_rl]
    if closure == "sparql":
        active += [rule for rule in rule_list if rule.is_owl_rl]

    terms = TermMap(new_blank_nodes=False)
    store = ox.Store()
    store.extend(terms.quad(triple) for graph in (ontology, data) for triple in graph)
    # Read back, so that literals are in the store's canonical form when compared below.
    given = set(store)

    added_per_round: list[int] = []
    size = len(store)  # len() counts the whole store: once per round, not per rule
    while True:
        if len(added_per_round) == max_rounds:
            raise ExodusError(
                f"the derivation rules reach no fixpoint after {max_rounds} rounds "
                f"(triples added per round: {added_per_round}); a rule keeps making new terms"
            )
        if closure == "owlrl":
            _owlrl_step(store, terms)
        for rule in active:
            # INSERT ... WHERE runs inside Oxigraph: no triple crosses into Python until the end.
            try:
                store.update(rule.insert_text)
            except SyntaxError as error:
                raise InputError(f"{rule.path}: {error}") from None
        grown = len(store)
        added_per_round.append(grown - size)
        size = grown
        if added_per_round[-1] == 0:
            break
    derived = [quad.triple for quad in store if quad not in given]

    _stop_if_inconsistent(store, ontology, terms)

    keep = _Filter(ontology)
    result = rdflib.Graph()
    dropped = 0
    for triple in derived:
        converted = terms.triple(triple)
        if keep(converted):
            result.add(converted)
        else:
            dropped += 1
    _describe_rules(result, rule_list)
    for prefix, namespace in (("exo", EXO), ("exv", EXV), ("exd", EXD)):
        result.bind(prefix, namespace)
    return Inference(
        triples=result,
        closure=closure,
        rounds=len(added_per_round),
        seconds=time.perf_counter() - started,
        added_per_round=added_per_round,
        dropped=dropped,
    )


def _as_rules(rules: Sequence[Path] | Sequence[Rule] | None) -> list[Rule]:
    if rules is None:
        return load_rules()
    return [rule if isinstance(rule, Rule) else parse_rule(Path(rule)) for rule in rules]


def _owlrl_step(store: ox.Store, terms: TermMap) -> None:
    """One owlrl closure over the whole store; add the new triples to it."""
    import owlrl

    graph = rdflib.Graph()
    for quad in store:
        graph.add(terms.triple(quad.triple))
    before = set(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        graph
    )
    for triple in graph:
        if triple in before or not is_rdf_triple(triple):
            continue
        if isinstance(triple[0], BNode) and not terms.knows(triple[0]):
            continue  # owlrl's own helper nodes
        if isinstance(triple[2], BNode) and not terms.knows(triple[2]):
            continue
        store.add(terms.quad(triple))


def _stop_if_inconsistent(store: ox.Store, ontology: rdflib.Graph, terms: TermMap) -> None:
    from exodus_kg.query.engine import compact_iri

    nothing = ox.NamedNode(str(OWL.Nothing))
    rdf_type = ox.NamedNode(str(RDF.type))
    problems = []
    for quad in store.quads_for_pattern(None, rdf_type, nothing):
        types = {terms.from_ox(q.object) for q in store.quads_for_pattern(quad.subject, rdf_type, None)}
        pairs = sorted(
            f"{compact_iri(str(a))} and {compact_iri(str(b))}"
            for a, b in ontology.subject_objects(OWL.disjointWith)
            if a in types and b in types
        )
        subject = terms.from_ox(quad.subject)
        name = compact_iri(str(subject)) if isinstance(subject, URIRef) else f"_:{subject}"
        problems.append(f"{name} is both {pairs[0] if pairs else 'of two disjoint classes'}")
    if problems:
        shown = "; ".join(sorted(problems)[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise CheckFailed(
            f"the data contradicts the ontology: {shown}{more}, which the ontology declares disjoint"
        )


def _describe_rules(result: rdflib.Graph, rules: Sequence[Rule]) -> None:
    """Label every rule an ``exo:derivedBy`` of the result points to, so that the IRI explains itself."""
    by_iri = {URIRef(rule.iri): rule for rule in rules}
    for iri in set(result.objects(None, DERIVED_BY)):
        rule = by_iri.get(iri)
        if rule is None:
            continue
        result.add((iri, RDFS.label, Literal(f"derivation rule {rule.name}", lang="en")))
        result.add((iri, RDFS.comment, Literal(rule.summary, lang="en")))
        result.add((iri, DCTERMS_SOURCE, Literal(f"queries/rules/{rule.path.name}")))


class _Filter:
    """Decides which entailed triples are worth publishing (see the module docstring)."""

    def __init__(self, ontology: rdflib.Graph):
        vocabulary = set()
        for subject, obj in ontology.subject_objects(RDF.type):
            if obj in DECLARATIONS and obj != OWL.Ontology and obj != OWL.NamedIndividual:
                vocabulary.add(subject)
        for predicate in TBOX_PREDICATES:
            for subject, obj in ontology.subject_objects(predicate):
                vocabulary.add(subject)
                vocabulary.add(obj)
        self.vocabulary = vocabulary

    def __call__(self, triple: tuple) -> bool:
        subject, predicate, obj = triple
        if not is_rdf_triple(triple):
            return False
        if predicate == _OWL_SAME_AS and subject == obj:
            return False
        if isinstance(subject, URIRef):
            iri = str(subject)
            if iri.startswith(_VOCABULARY_NAMESPACES):
                return False
            if subject in self.vocabulary and not iri.startswith(INDIVIDUAL_NAMESPACES):
                return False
        return not (predicate == _RDF_TYPE and str(obj).startswith(BUILTIN_NAMESPACES))
