"""Reasoning: the OWL 2 RL entailments of the ontology and the data, and the project's derivation rules.

``infer_into_store(store, ontology_graph=..., data_graphs=[...], target_graph=...)`` adds to a named
graph of an Oxigraph store (the build's ``exg:inferred``) only new triples; ``infer(ontology, data)``
is the same over rdflib graphs (it copies them into a store and the result back):

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
3. Both run inside Oxigraph as SPARQL Update over one graph, the target, filled with the layers first
   (each CONSTRUCT becomes ``INSERT { GRAPH target { template } } USING target WHERE { ... }``, so
   no triple crosses into Python), one rule after the other, round after round, until a round adds
   nothing: a fixpoint, reached in 3 rounds on the article (a rule's
   output feeds the OWL RL rules, whose output can feed the next rule; each round runs the
   derivation rules first, then the OWL RL rules). ``max_rounds`` stops a rule
   that never converges; a template may not create blank nodes, which would be fresh every round.
   From round 3 on a round skips the rules that what was added since they last ran cannot change,
   and runs the OWL RL rules over the added triples only (``_Rounds``): the same triples after every
   rule as running every rule over the whole graph, checked against that in tests/test_reasoning.py.

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

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from exodus_kg.errors import CheckFailed, ExodusError, InputError
from exodus_kg.rdf.namespaces import DCTERMS, EXD, EXO, EXV, OWL, RDF, RDFS, RULES, XSD
from exodus_kg.rdf.query_files import LIST, TEXT, read_header, read_text
from exodus_kg.rdf.sparql_text import construct_parts, makes_blank_nodes, refuse_service

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import rdflib

RULE_IRI_PREFIX = RULES
OWL_RL_PREFIX = "owl-rl-"
DCTERMS_SOURCE = DCTERMS + "source"
DERIVED_BY = EXO + "derivedBy"

BUILTIN_NAMESPACES = (RDF, RDFS, OWL, XSD)
_VOCABULARY_NAMESPACES = (*BUILTIN_NAMESPACES, EXO)
INDIVIDUAL_NAMESPACES = (EXD, EXV)

# What the owl-rl-*.rq files implement, and the terms that only declare or annotate (IRIs as strings).
SUPPORTED_AXIOMS = frozenset(
    {
        RDFS + "subClassOf",
        RDFS + "subPropertyOf",
        RDFS + "domain",
        RDFS + "range",
        OWL + "equivalentClass",
        OWL + "equivalentProperty",
        OWL + "inverseOf",
        OWL + "disjointWith",
    }
)
SUPPORTED_PROPERTY_TYPES = frozenset({OWL + "SymmetricProperty", OWL + "TransitiveProperty"})
DECLARATIONS = frozenset(
    {
        OWL + "Class",
        RDFS + "Class",
        RDF + "Property",
        OWL + "ObjectProperty",
        OWL + "DatatypeProperty",
        OWL + "AnnotationProperty",
        OWL + "Ontology",
        OWL + "NamedIndividual",
        RDFS + "Datatype",
    }
)
ANNOTATIONS = frozenset(
    {
        RDFS + "label",
        RDFS + "comment",
        RDFS + "seeAlso",
        RDFS + "isDefinedBy",
        OWL + "versionInfo",
        OWL + "versionIRI",
        OWL + "priorVersion",
        OWL + "imports",
        OWL + "deprecated",
    }
)
TBOX_PREDICATES = SUPPORTED_AXIOMS | {
    OWL + "propertyChainAxiom",
    OWL + "propertyDisjointWith",
    OWL + "hasKey",
}
# Declarations that make a term vocabulary (an ontology header or a named individual does not).
VOCABULARY_DECLARATIONS = DECLARATIONS - {OWL + "Ontology", OWL + "NamedIndividual"}

# Graphs reasoning works in, inside the caller's store, removed when it is done: the ontology's
# vocabulary terms, the axioms the OWL RL rules read, what each round added.
VOCABULARY_GRAPH = "urn:exodus-kg:reasoning:vocabulary"
SCHEMA_GRAPH = "urn:exodus-kg:reasoning:schema"
DELTA_GRAPH = "urn:exodus-kg:reasoning:added-in-round-"


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
    """What reasoning computed and how it got there (the last round is the one that added nothing):
    ``kept`` triples went to the target graph, ``dropped`` entailments did not (see the module
    docstring). ``run_inference`` also returns the kept triples as an rdflib graph (``triples``)."""

    closure: str
    rounds: int
    seconds: float
    added_per_round: list[int] = field(default_factory=list)
    dropped: int = 0
    kept: int = 0
    triples: rdflib.Graph | None = None


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
    found = _unsupported((str(predicate), str(obj)) for _subject, predicate, obj in ontology)
    return sorted(ontology.namespace_manager.normalizeUri(rdflib_iri(term)) for term in found)


def rdflib_iri(iri: str):
    from rdflib import URIRef

    return URIRef(iri)


def _unsupported(pairs: Iterable[tuple[str, str]]) -> set[str]:
    """Of (predicate, object) pairs as strings: the OWL/RDFS terms the owl-rl-*.rq rules do not implement."""
    found = set()
    for predicate, obj in pairs:
        if predicate == RDF + "type":
            if obj.startswith(BUILTIN_NAMESPACES) and obj not in DECLARATIONS | SUPPORTED_PROPERTY_TYPES:
                found.add(obj)
        elif predicate.startswith(BUILTIN_NAMESPACES) and predicate not in SUPPORTED_AXIOMS | ANNOTATIONS:
            found.add(predicate)
    return found


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
    """``infer`` with its report: the closure used, the rounds to the fixpoint, triples added per round.

    The rdflib graphs go into an Oxigraph store, ``infer_into_store`` reasons there, and the kept
    triples come back as rdflib terms: blank nodes and literals as the input wrote them."""
    import rdflib

    from exodus_kg.rdf.terms import TermMap

    started = time.perf_counter()
    terms = TermMap(new_blank_nodes=False)
    store = ox.Store()
    ontology_graph, data_graph, target_graph = (
        ox.NamedNode(f"urn:exodus-kg:reasoning:{name}") for name in ("ontology", "data", "inferred")
    )
    store.extend(terms.quad(triple, ontology_graph) for triple in ontology)
    store.extend(terms.quad(triple, data_graph) for triple in data)
    inference = infer_into_store(
        store,
        ontology_graph=ontology_graph.value,
        data_graphs=[data_graph.value],
        target_graph=target_graph.value,
        rules=rules,
        closure=closure,
        max_rounds=max_rounds,
    )
    result = rdflib.Graph()
    for quad in store.quads_for_pattern(None, None, None, target_graph):
        result.add(terms.triple(quad.triple))
    for prefix, namespace in (("exo", EXO), ("exv", EXV), ("exd", EXD)):
        result.bind(prefix, namespace)
    inference.triples = result
    inference.seconds = time.perf_counter() - started
    return inference


def infer_into_store(
    store: ox.Store,
    *,
    ontology_graph: str,
    data_graphs: Sequence[str],
    target_graph: str,
    rules: Sequence[Path] | Sequence[Rule] | None = None,
    closure: str = "auto",
    max_rounds: int = 25,
) -> Inference:
    """Reason over named graphs of ``store`` and add to ``target_graph`` what ``infer`` returns: the
    kept new triples of OWL 2 RL and the derivation rules over ``ontology_graph`` + ``data_graphs``,
    with a description of every rule an ``exo:derivedBy`` names. The same errors as ``infer``.

    ``target_graph`` must be empty. No triple crosses into Python (unless ``closure`` is "owlrl"):
    the layers are copied into the target graph, the rules run there as SPARQL Update until they
    add nothing, and one more update removes what is not kept. On an error the target is left empty.

    >>> store = ox.Store()  # doctest: +SKIP
    >>> store.load(path="dataset.nq", format=ox.RdfFormat.N_QUADS)  # doctest: +SKIP
    >>> infer_into_store(store, ontology_graph=EXG + "ontology", data_graphs=[EXG + "asserted"],
    ...                  target_graph=EXG + "inferred").kept  # doctest: +SKIP
    401375
    """
    started = time.perf_counter()
    rule_list = _as_rules(rules)
    ontology = ox.NamedNode(ontology_graph)
    if closure == "auto":
        pairs = (
            (q.predicate.value, q.object.value) for q in store.quads_for_pattern(None, None, None, ontology)
        )
        closure = "owlrl" if _unsupported(pairs) else "sparql"
    if closure not in ("sparql", "owlrl"):
        raise ExodusError(f"unknown closure {closure!r}: use auto, sparql or owlrl")
    # The derivation rules first, then the OWL RL rules, in every round: what a rule derives is
    # closed under OWL RL in the same round, so the fixpoint comes a round sooner (3 rounds on the
    # article instead of 4, the same triples) and every round costs the whole graph.
    active = [rule for rule in rule_list if not rule.is_owl_rl]
    if closure == "sparql":
        active += [rule for rule in rule_list if rule.is_owl_rl]

    target = ox.NamedNode(target_graph)
    layers = [ontology_graph, *data_graphs]
    if target_graph in layers or VOCABULARY_GRAPH in (target_graph, *layers):
        raise ExodusError(f"the target graph <{target_graph}> cannot be a layer reasoning reads")
    if _count(store, target):
        raise ExodusError(f"the target graph <{target_graph}> must be empty: reasoning works in it")
    done = False
    try:
        # The rules run in the target graph, filled with the layers first: the one graph they read
        # (Oxigraph is slower over a union of graphs), and what they add ends where it belongs.
        store.update(_package_update("reasoning-copy", layers=layers, target=target_graph))
        added_per_round: list[int] = []
        size = _count(store, target)
        rounds = _Rounds(store, target, active, enabled=closure == "sparql")
        while True:
            if len(added_per_round) == max_rounds:
                raise ExodusError(
                    f"the derivation rules reach no fixpoint after {max_rounds} rounds "
                    f"(triples added per round: {added_per_round}); a rule keeps making new terms"
                )
            if closure == "owlrl":
                _owlrl_step(store, target)
            rounds.run(len(added_per_round))
            grown = _count(store, target)
            added_per_round.append(grown - size)
            size = grown
            if added_per_round[-1] == 0:
                break

        _stop_if_inconsistent(store, target, ontology)

        store.update(
            _package_update(
                "reasoning-vocabulary",
                ontology=ontology_graph,
                vocabulary=VOCABULARY_GRAPH,
                declarations=sorted(VOCABULARY_DECLARATIONS),
                axioms=sorted(TBOX_PREDICATES),
            )
        )
        store.update(
            _package_update("reasoning-drop", layers=layers, target=target_graph, vocabulary=VOCABULARY_GRAPH)
        )
        kept = _count(store, target)
        _describe_rules(store, target, rule_list)
        done = True
    finally:
        for name in (VOCABULARY_GRAPH, SCHEMA_GRAPH, *(f"{DELTA_GRAPH}{n}" for n in range(max_rounds + 1))):
            store.remove_graph(ox.NamedNode(name))
        if not done:
            store.remove_graph(target)
    return Inference(
        closure=closure,
        rounds=len(added_per_round),
        seconds=time.perf_counter() - started,
        added_per_round=added_per_round,
        dropped=sum(added_per_round) - kept,
        kept=kept,
    )


class _Rounds:
    """Runs the rules, round after round, evaluating fewer of them than naive evaluation does, with
    the same triples after every rule (tests/test_reasoning.py checks this against naive evaluation).

    Round 1 runs every rule over the whole graph. From round 2 on, each rule also records the
    triples it adds in a graph of the round (a solution whose triples are all there already adds
    nothing), so from round 3 on a rule only needs what was added since it last ran, which is in
    the graphs of this round and the last:

    - a rule none of whose patterns can match those triples (``rule_patterns.RuleReads``) would give
      what it gave then, and is skipped (most derivation rules in the last round);
    - a monotonic rule with one pattern over the data and the others over the ontology's axioms (the
      OWL RL rules but transitivity and disjointness) runs over the axioms and those triples only
      (semi-naive evaluation), unless one of them is itself an axiom;
    - any other rule runs over the whole graph again.

    With owlrl's closure (which adds triples of its own each round), or a rule whose WHERE clause
    is followed by anything, every rule runs over the whole graph every round.
    """

    def __init__(self, store: ox.Store, target: ox.NamedNode, rules: Sequence[Rule], *, enabled: bool):
        from exodus_kg.pipeline.rule_patterns import read_rule

        self.store, self.target, self.rules = store, target, list(rules)
        self.parts = {rule.name: _where_group(rule) for rule in self.rules}
        self.enabled = enabled and all(self.parts.values())
        self.reads = {rule.name: read_rule(rule.text) for rule in self.rules} if self.enabled else {}
        self.linear = {name: _linear(reads) for name, reads in self.reads.items()}
        self.schema_types = sorted(
            {p.type_object for name, reads in self.reads.items() if self.linear[name] for p in reads.patterns}
            - {None}
        )
        self.deltas: list[ox.NamedNode] = []
        self.schema_copied = False
        self.schema_fixed = True  # no axiom added since the schema graph was filled

    def run(self, index: int) -> None:
        if not self.enabled or index == 0:
            for rule in self.rules:
                _run_rule(self.store, rule, self.target)
            return
        delta = ox.NamedNode(f"{DELTA_GRAPH}{index}")
        recent = [*self.deltas[-1:], delta]
        semi_naive = index >= 2
        if semi_naive:
            if not self.schema_copied:
                _copy_schema(self.store, self.target, self.schema_types)
                self.schema_copied = True
            earlier = _signature(self.store, recent[0])
        current, changed = (set(), set()), False
        for rule in self.rules:
            mode = "whole"
            if semi_naive:
                if changed:
                    current, changed = _signature(self.store, delta), False
                predicates, types = earlier[0] | current[0], earlier[1] | current[1]
                if not self.reads[rule.name].affected_by(predicates, types):
                    continue
                if self.linear[rule.name] and self.schema_fixed:
                    # An axiom added to the graph would be missing from the schema graph: from then
                    # on every rule runs over the whole graph.
                    self.schema_fixed = not _has_schema(self.store, recent, self.schema_types)
                    mode = "added" if self.schema_fixed else "whole"
            self._run(rule, delta, recent if mode == "added" else None)
            changed = True
        if len(self.deltas) >= 1:
            self.store.remove_graph(self.deltas[-1])
        self.deltas = [delta]

    def _run(self, rule: Rule, delta: ox.NamedNode, recent: list[ox.NamedNode] | None) -> None:
        prologue, template, _where = construct_parts(rule.text)
        body = self.parts[rule.name]
        target = f"<{self.target.value}>"
        reads = (f"<{SCHEMA_GRAPH}>", *(f"<{graph.value}>" for graph in recent)) if recent else (target,)
        using = " ".join(f"USING {graph}" for graph in reads)
        text = (
            f"{prologue}INSERT {{ GRAPH {target} {{{template}}} GRAPH <{delta.value}> {{{template}}} }}\n"
            f"{using} USING NAMED {target}\n"
            f"WHERE {{ {{{body}}} FILTER NOT EXISTS {{ GRAPH {target} {{{template}}} }} }}"
        )
        try:
            self.store.update(text)
        except SyntaxError as error:
            raise _rule_error(rule, error) from None


def _where_group(rule: Rule) -> str | None:
    """The inside of the rule's WHERE group, or None when anything follows the group."""
    from exodus_kg.rdf.sparql_text import mask_non_code

    _prologue, _template, where = construct_parts(rule.text)
    masked = mask_non_code(where)
    match = re.match(r"\s*(?:WHERE\s*)?\{", masked, re.I)
    if not match:
        return None
    depth = 0
    for index in range(match.end() - 1, len(masked)):
        depth += masked[index] == "{"
        depth -= masked[index] == "}"
        if depth == 0:
            return where[match.end() : index] if not masked[index + 1 :].strip() else None
    return None


def _linear(reads) -> bool:
    """A monotonic rule with exactly one pattern over the data, a plain triple pattern, and every
    other pattern over the axioms the schema graph holds (see ``_Rounds``)."""
    if not reads.monotonic or reads.everything:
        return False
    data = [pattern for pattern in reads.patterns if not _is_axiom_pattern(pattern)]
    return len(data) == 1 and not data[0].path and not data[0].may_be_empty


def _is_axiom_pattern(pattern) -> bool:
    if pattern.variable_predicate or pattern.may_be_empty or not pattern.predicates:
        return False
    if pattern.predicates <= TBOX_PREDICATES:
        return True
    return (
        pattern.predicates == {RDF + "type"}
        and not pattern.path
        and pattern.type_object is not None
        and pattern.type_object.startswith(BUILTIN_NAMESPACES)
    )


def _copy_schema(store: ox.Store, target: ox.NamedNode, schema_types: Sequence[str]) -> None:
    """The axioms of the graph (its TBox triples, and its types that the rules' axiom patterns
    name, such as owl:SymmetricProperty) into the schema graph."""
    schema = ox.NamedNode(SCHEMA_GRAPH)
    rdf_type = ox.NamedNode(RDF + "type")
    quads = [
        ox.Quad(quad.subject, quad.predicate, quad.object, schema)
        for predicate in sorted(TBOX_PREDICATES)
        for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None, target)
    ]
    quads += [
        ox.Quad(quad.subject, quad.predicate, quad.object, schema)
        for kind in schema_types
        for quad in store.quads_for_pattern(None, rdf_type, ox.NamedNode(kind), target)
    ]
    store.extend(quads)


def _has_schema(store: ox.Store, graphs: Sequence[ox.NamedNode], schema_types: Sequence[str]) -> bool:
    """Whether one of the graphs holds an axiom (which the schema graph would lack)."""
    rdf_type = ox.NamedNode(RDF + "type")
    for graph in graphs:
        for predicate in TBOX_PREDICATES:
            if (
                next(iter(store.quads_for_pattern(None, ox.NamedNode(predicate), None, graph)), None)
                is not None
            ):
                return True
        for kind in schema_types:
            if (
                next(iter(store.quads_for_pattern(None, rdf_type, ox.NamedNode(kind), graph)), None)
                is not None
            ):
                return True
    return False


def _signature(store: ox.Store, graph: ox.NamedNode) -> tuple[set[str], set[str]]:
    """The predicates of a graph's triples, and the classes of its rdf:type triples."""
    predicates = {
        row[0].value
        for row in store.query(f"SELECT DISTINCT ?p WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}")
    }
    types = set()
    if RDF + "type" in predicates:
        types = {
            row[0].value
            for row in store.query(f"SELECT DISTINCT ?c WHERE {{ GRAPH <{graph.value}> {{ ?s a ?c }} }}")
            if isinstance(row[0], ox.NamedNode)
        }
    return predicates, types


def _run_rule(store: ox.Store, rule: Rule, graph: ox.NamedNode) -> None:
    """One rule as ``INSERT { GRAPH graph { template } } USING graph WHERE { ... }``: it reads and
    grows one graph, inside Oxigraph."""
    prologue, template, where = construct_parts(rule.text)
    try:
        store.update(
            f"{prologue}INSERT {{ GRAPH <{graph.value}> {{{template}}} }} USING <{graph.value}>{where}"
        )
    except SyntaxError as error:
        raise _rule_error(rule, error) from None


def _rule_error(rule: Rule, error: SyntaxError) -> InputError:
    """The rule's syntax error as its own INSERT puts it, at the positions of the rule's text."""
    message = str(error)
    try:
        ox.Store().update(rule.insert_text)
    except SyntaxError as own:
        message = str(own)
    return InputError(f"{rule.path}: {message}")


def _package_update(name: str, *, layers: Sequence[str] = (), **graphs: str | Sequence[str]) -> str:
    """A package update with its ``?_name`` placeholders bound to IRIs (a list: IRIs one after the
    other) and its empty VALUES block filled with ``layers``."""
    from exodus_kg.rdf.query_files import package_query

    def iris(value) -> str:
        return " ".join(f"<{iri}>" for iri in ([value] if isinstance(value, str) else value))

    text = package_query(name)
    text = re.sub(r"\?_(\w+)\b", lambda match: iris(graphs[match.group(1)]), text)
    return re.sub(r"(VALUES \?layer \{)\s*\}", lambda match: f"{match.group(1)} {iris(layers)} }}", text)


def _count(store: ox.Store, graph: ox.NamedNode) -> int:
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}")
    return int(next(iter(rows))[0].value)


def _as_rules(rules: Sequence[Path] | Sequence[Rule] | None) -> list[Rule]:
    if rules is None:
        return load_rules()
    return [rule if isinstance(rule, Rule) else parse_rule(Path(rule)) for rule in rules]


def _owlrl_step(store: ox.Store, target: ox.NamedNode) -> None:
    """One owlrl closure over ``target``; add the new triples to it. Blank nodes keep their
    labels both ways; owlrl's own helper nodes and generalised triples are left out."""
    import owlrl
    import rdflib

    from exodus_kg.rdf.terms import TermMap, is_rdf_triple, to_oxigraph

    terms = TermMap()
    graph = rdflib.Graph()
    for quad in store.quads_for_pattern(None, None, None, target):
        graph.add(terms.triple(quad.triple))
    before = set(graph)
    ours = {node for triple in before for node in triple if isinstance(node, rdflib.BNode)}
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        graph
    )

    def term(node):
        return ox.BlankNode(str(node)) if isinstance(node, rdflib.BNode) else to_oxigraph(node)

    for triple in graph:
        if triple in before or not is_rdf_triple(triple):
            continue
        if any(isinstance(node, rdflib.BNode) and node not in ours for node in triple):
            continue  # owlrl's own helper nodes
        store.add(ox.Quad(term(triple[0]), term(triple[1]), term(triple[2]), target))


def _stop_if_inconsistent(store: ox.Store, graph: ox.NamedNode, ontology: ox.NamedNode) -> None:
    from exodus_kg.query.engine import compact_iri

    nothing = ox.NamedNode(OWL + "Nothing")
    rdf_type = ox.NamedNode(RDF + "type")
    disjoint = [
        (quad.subject, quad.object)
        for quad in store.quads_for_pattern(None, ox.NamedNode(OWL + "disjointWith"), None, ontology)
    ]
    problems = []
    for quad in store.quads_for_pattern(None, rdf_type, nothing, graph):
        types = {q.object for q in store.quads_for_pattern(quad.subject, rdf_type, None, graph)}
        pairs = sorted(
            f"{compact_iri(a.value)} and {compact_iri(b.value)}"
            for a, b in disjoint
            if a in types and b in types
        )
        subject = quad.subject
        name = compact_iri(subject.value) if isinstance(subject, ox.NamedNode) else f"_:{subject.value}"
        problems.append(f"{name} is both {pairs[0] if pairs else 'of two disjoint classes'}")
    if problems:
        shown = "; ".join(sorted(problems)[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise CheckFailed(
            f"the data contradicts the ontology: {shown}{more}, which the ontology declares disjoint"
        )


def _describe_rules(store: ox.Store, target: ox.NamedNode, rules: Sequence[Rule]) -> None:
    """Label every rule an ``exo:derivedBy`` of the target points to, so that the IRI explains itself."""
    by_iri = {rule.iri: rule for rule in rules}
    named = {quad.object for quad in store.quads_for_pattern(None, ox.NamedNode(DERIVED_BY), None, target)}
    english = "en"
    for iri in named:
        rule = by_iri.get(iri.value) if isinstance(iri, ox.NamedNode) else None
        if rule is None:
            continue
        store.add(
            ox.Quad(
                iri,
                ox.NamedNode(RDFS + "label"),
                ox.Literal(f"derivation rule {rule.name}", language=english),
                target,
            )
        )
        store.add(
            ox.Quad(iri, ox.NamedNode(RDFS + "comment"), ox.Literal(rule.summary, language=english), target)
        )
        store.add(
            ox.Quad(iri, ox.NamedNode(DCTERMS_SOURCE), ox.Literal(f"queries/rules/{rule.path.name}"), target)
        )


class _Filter:
    """Decides which entailed triples are worth publishing, for rdflib triples (the tests' owlrl
    comparisons); ``reasoning-kept.rq`` is the same decision over the store."""

    def __init__(self, ontology: rdflib.Graph):
        from rdflib import RDF as RDF_TERMS

        vocabulary = set()
        for subject, obj in ontology.subject_objects(RDF_TERMS.type):
            if str(obj) in VOCABULARY_DECLARATIONS:
                vocabulary.add(str(subject))
        for predicate in TBOX_PREDICATES:
            for subject, obj in ontology.subject_objects(rdflib_iri(predicate)):
                vocabulary.add(str(subject))
                vocabulary.add(str(obj))
        self.vocabulary = vocabulary

    def __call__(self, triple: tuple) -> bool:
        from rdflib import URIRef

        from exodus_kg.rdf.terms import is_rdf_triple

        subject, predicate, obj = triple
        if not is_rdf_triple(triple):
            return False
        if str(predicate) == OWL + "sameAs" and subject == obj:
            return False
        if isinstance(subject, URIRef):
            iri = str(subject)
            if iri.startswith(_VOCABULARY_NAMESPACES):
                return False
            if iri in self.vocabulary and not iri.startswith(INDIVIDUAL_NAMESPACES):
                return False
        return not (str(predicate) == RDF + "type" and str(obj).startswith(BUILTIN_NAMESPACES))
