"""Explain a derived statement or triple: the rule, the premises, and the article's words behind them.

Provenance is not stored beside every derived triple; it is recomputed from the rules themselves, so it
can never disagree with them. To explain ``S P O``, every rule (``queries/rules/*.rq``) whose CONSTRUCT
template can produce the triple is run again as ``SELECT *`` over the built dataset, with the template's
variables bound to S, P and O; each solution is one derivation. Its premises are:

- for a derivation rule: the statement nodes (``exo:Statement``) of the solution, each with its
  certainty, who asserts it and its evidence (passage, offsets, exact words);
- for an OWL 2 RL rule (``owl-rl-*.rq``): the data triples of its WHERE clause, each explained in turn
  until an asserted triple or a rule-derived one is reached.

A derived node (an ``exo:ConflictOfInterest``) carries its provenance in the graph: ``exo:derivedBy``
and ``exo:premise``; those are read directly.

>>> store = open_built(find_project())  # doctest: +SKIP
>>> target = parse_target(["exd:sam-altman", "exo:hasConflictOfInterest",
...                        "exd:conflict-sam-altman-openai-reddit"])  # doctest: +SKIP
>>> print(render_text(explain(store, target, load_rules())))  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from exodus_kg.errors import UsageError
from exodus_kg.pipeline.reasoning import (
    BUILTIN_NAMESPACES,
    EXO,
    RULE_IRI_PREFIX,
    TBOX_PREDICATES,
    Rule,
)
from exodus_kg.rdf.namespaces import EXG, RDF, RDFS
from exodus_kg.rdf.sparql_text import construct_parts, declared_prefixes, variables

GRAPH_BASE = EXG
ASSERTED = ox.NamedNode(GRAPH_BASE + "asserted")
INFERRED = ox.NamedNode(GRAPH_BASE + "inferred")
ONTOLOGY = ox.NamedNode(GRAPH_BASE + "ontology")
RDF_TYPE = ox.NamedNode(RDF + "type")
RDFS_LABEL = ox.NamedNode(RDFS + "label")
STATEMENT = ox.NamedNode(EXO + "Statement")


def _exo(name: str) -> ox.NamedNode:
    return ox.NamedNode(EXO + name)


Term = ox.NamedNode | ox.BlankNode | ox.Literal
TripleTerms = tuple[Term, Term, Term]


@dataclass
class Evidence:
    passage: str
    passage_index: int | None
    quote: str
    start: int | None
    end: int | None


@dataclass
class StatementInfo:
    """A statement node as a premise: what it is, how firm, who says so, and the words that say it."""

    iri: str
    types: list[str]
    label: str
    certainty: str | None
    certainty_rank: int | None
    asserted_by: list[str]
    evidence: list[Evidence]
    derived: bool = False


@dataclass
class Derivation:
    rule: Rule
    premises: list[StatementInfo] = field(default_factory=list)
    premise_triples: list[TripleExplanation] = field(default_factory=list)


@dataclass
class TripleExplanation:
    triple: TripleTerms
    graph: str  # "asserted", "inferred", "ontology", "links", or "absent"
    derivations: list[Derivation] = field(default_factory=list)
    more_derivations: int = 0
    candidate_rules: list[Rule] = field(default_factory=list)


@dataclass
class NodeExplanation:
    node: StatementInfo
    rule: Rule | None
    rule_iri: str | None
    premises: list[StatementInfo]


def parse_target(words: Sequence[str], prefixes: dict[str, str] | None = None) -> ox.NamedNode | TripleTerms:
    """One word (a node) or three (a triple) in prefixed, ``<iri>`` or bare-slug form -> pyoxigraph terms.

    The predicate may be ``a``; the object may be a literal written ``"text"``, ``"text"@en`` or
    ``"text"^^xsd:type``. A single argument holding three words separated by spaces is split.
    """
    from exodus_kg.query.engine import PREFIXES
    from exodus_kg.query.saved_queries import expand_iri

    prefixes = prefixes or PREFIXES
    words = list(words)
    if len(words) == 1 and not words[0].lstrip().startswith('"'):
        split = _split_words(words[0])
        if len(split) == 3:
            words = split
    if len(words) == 1:
        return ox.NamedNode(expand_iri(words[0].strip(), prefixes))
    if len(words) != 3:
        raise UsageError(
            "give one derived node (exd:conflict-sam-altman-openai-reddit) or a triple as three words "
            "(exd:anthropic exo:foundedBy exd:dario-amodei)"
        )
    subject = ox.NamedNode(expand_iri(words[0], prefixes))
    predicate = RDF_TYPE if words[1] == "a" else ox.NamedNode(expand_iri(words[1], prefixes))
    return (subject, predicate, _parse_object(words[2], prefixes))


def _split_words(text: str) -> list[str]:
    return re.findall(r'"(?:[^"\\]|\\.)*"(?:@[\w-]+|\^\^\S+)?|\S+', text.strip())


def _parse_object(word: str, prefixes: dict[str, str]) -> Term:
    from exodus_kg.query.saved_queries import expand_iri

    match = re.fullmatch(r'"((?:[^"\\]|\\.)*)"(?:@([\w-]+)|\^\^(\S+))?', word)
    if not match:
        return ox.NamedNode(expand_iri(word, prefixes))
    value = match.group(1).encode().decode("unicode_escape") if "\\" in match.group(1) else match.group(1)
    if match.group(2):
        return ox.Literal(value, language=match.group(2))
    if match.group(3):
        return ox.Literal(value, datatype=ox.NamedNode(expand_iri(match.group(3), prefixes)))
    return ox.Literal(value)


def explain(
    store: ox.Store,
    target: ox.NamedNode | TripleTerms,
    rules: Sequence[Rule],
    *,
    max_depth: int = 4,
    max_derivations: int = 3,
) -> NodeExplanation | TripleExplanation:
    """Explain a node (derived or asserted statement) or a triple of the built dataset."""
    explainer = _Explainer(store, rules, max_depth=max_depth, max_derivations=max_derivations)
    if isinstance(target, tuple):
        return explainer.triple(target, depth=0, seen=set())
    return explainer.node(target)


class _Explainer:
    def __init__(self, store: ox.Store, rules: Sequence[Rule], *, max_depth: int, max_derivations: int):
        self.store = store
        self.rules = list(rules)
        self.max_depth = max_depth
        self.max_derivations = max_derivations
        self._compiled: dict[str, _CompiledRule] = {}

    # Nodes -----------------------------------------------------------------------------------------

    def node(self, node: ox.NamedNode) -> NodeExplanation:
        if not any(True for _ in self.store.quads_for_pattern(node, None, None, None)):
            raise UsageError(f"{_short(node)} is not in the graph; give a statement or a derived node")
        info = self.statement(node)
        rule_iri = next((o for o in self._objects(node, _exo("derivedBy"))), None)
        rule = None
        if rule_iri is not None:
            name = rule_iri.value.removeprefix(RULE_IRI_PREFIX)
            rule = next((r for r in self.rules if r.name == name), None)
        premises = [self.statement(p) for p in sorted(self._objects(node, _exo("premise")), key=str)]
        if rule_iri is None and not premises and not info.evidence:
            raise UsageError(
                f"{_short(node)} is neither a statement nor a derived node; to explain a derived fact "
                f"give the triple, e.g. `exodus explain {_short(node)} exo:founded exd:...`"
            )
        return NodeExplanation(info, rule, rule_iri.value if rule_iri is not None else None, premises)

    def statement(self, node: Term) -> StatementInfo:
        types = sorted(_short(t) for t in self._objects(node, RDF_TYPE) if _is_specific_type(t))
        labels = list(self._objects(node, RDFS_LABEL))
        english = [
            lit for lit in labels if isinstance(lit, ox.Literal) and (lit.language or "").startswith("en")
        ]
        label = (english or labels or [None])[0]
        certainty = next(iter(sorted(self._objects(node, _exo("certainty")), key=str)), None)
        rank = None
        if certainty is not None:
            rank_literal = next(iter(self._objects(certainty, _exo("certaintyRank"))), None)
            rank = int(rank_literal.value) if rank_literal is not None else None
        evidence = [self._evidence(e) for e in self._objects(node, _exo("evidence"))]
        evidence.sort(key=lambda ev: (ev.start if ev.start is not None else 1 << 30, ev.quote))
        derived = any(True for _ in self.store.quads_for_pattern(node, _exo("derivedBy"), None, None))
        return StatementInfo(
            iri=node.value,
            types=types,
            label=label.value if label is not None else "",
            certainty=certainty.value if certainty is not None else None,
            certainty_rank=rank,
            asserted_by=sorted(o.value for o in self._objects(node, _exo("assertedBy"))),
            evidence=evidence,
            derived=derived,
        )

    def _evidence(self, node: Term) -> Evidence:
        passage = next(iter(self._objects(node, _exo("passage"))), None)
        index = next(iter(self._objects(passage, _exo("passageIndex"))), None) if passage else None
        quote = next(iter(self._objects(node, _exo("quote"))), None)
        start = next(iter(self._objects(node, _exo("start"))), None)
        end = next(iter(self._objects(node, _exo("end"))), None)
        return Evidence(
            passage=passage.value if passage is not None else "",
            passage_index=int(index.value) if index is not None else None,
            quote=quote.value if quote is not None else "",
            start=int(start.value) if start is not None else None,
            end=int(end.value) if end is not None else None,
        )

    def _objects(self, subject: Term, predicate: ox.NamedNode) -> set[Term]:
        return {quad.object for quad in self.store.quads_for_pattern(subject, predicate, None, None)}

    # Triples ---------------------------------------------------------------------------------------

    def triple(self, triple: TripleTerms, *, depth: int, seen: set) -> TripleExplanation:
        graph = self._graph_of(triple)
        explanation = TripleExplanation(triple, graph)
        if graph == "absent":
            explanation.candidate_rules = [
                rule
                for rule in self.rules
                if not rule.is_owl_rl and self._compile(rule).could_produce(triple, named_predicate=True)
            ]
        if graph != "inferred" or depth > self.max_depth or triple in seen:
            return explanation
        seen = seen | {triple}
        derivations = []
        for rule in self.rules:
            compiled = self._compile(rule)
            if not compiled.could_produce(triple):
                continue
            for solution in compiled.solutions(self.store, triple):
                derivation = Derivation(rule)
                if rule.is_owl_rl:
                    premises = compiled.premise_triples(solution)
                    if any(premise in seen for premise in premises):
                        continue  # circular: a premise is what we are explaining
                    derivation.premise_triples = premises
                else:
                    derivation.premises = [
                        v for v in compiled.statement_values(solution) if self._is_statement(v)
                    ]
                derivations.append(derivation)
        # Rule derivations (down to the statements) before OWL RL steps; the shortest first.
        derivations.sort(key=lambda d: (d.rule.is_owl_rl, len(d.premise_triples)))
        shown = 0
        for index, derivation in enumerate(derivations):
            if shown == self.max_derivations:
                explanation.more_derivations = len(derivations) - index
                break
            derivation.premises = [self.statement(value) for value in derivation.premises]
            derivation.premise_triples = [
                self.triple(premise, depth=depth + 1, seen=seen) for premise in derivation.premise_triples
            ]
            if any(_circular(premise) for premise in derivation.premise_triples) and depth < self.max_depth:
                continue  # its premise holds only because of what we are explaining
            explanation.derivations.append(derivation)
            shown += 1
        return explanation

    def _graph_of(self, triple: TripleTerms) -> str:
        graphs = {q.graph_name for q in self.store.quads_for_pattern(*triple, None)}
        for name in ("asserted", "ontology", "links", "inferred"):
            if ox.NamedNode(GRAPH_BASE + name) in graphs:
                return name
        return "absent" if not graphs else "other"

    def _is_statement(self, value: Term) -> bool:
        return isinstance(value, ox.NamedNode) and any(
            True for _ in self.store.quads_for_pattern(value, RDF_TYPE, STATEMENT, None)
        )

    def _compile(self, rule: Rule) -> _CompiledRule:
        if rule.name not in self._compiled:
            self._compiled[rule.name] = _CompiledRule(rule)
        return self._compiled[rule.name]


class _CompiledRule:
    """A rule's CONSTRUCT template and WHERE clause, ready to find the solutions behind one triple."""

    def __init__(self, rule: Rule):
        self.rule = rule
        template_text, self.select = _split_construct(rule.text)
        self.template = _parse_template(template_text, declared_prefixes(rule.text), rule)
        self.assigned = set(re.findall(r"\bAS\s+\?(\w+)", rule.text, re.I))
        self.order = [
            name
            for name in variables(self.select)
            if name not in self.assigned
        ]
        self._patterns = None

    def could_produce(self, triple: TripleTerms, *, named_predicate: bool = False) -> bool:
        """Whether a template triple matches ``triple``; with ``named_predicate``, only one whose
        predicate is written in the rule (not a variable)."""
        return any(
            _unify(pattern, triple) is not None and not (named_predicate and isinstance(pattern[1], tuple))
            for pattern in self.template
        )

    @property
    def patterns(self) -> list:
        """The WHERE clause's triple patterns over the data (not the ontology), parsed on first use."""
        if self._patterns is None:
            from rdflib.plugins.sparql import prepareQuery

            query = prepareQuery(self.rule.text)
            self._patterns = [
                tuple(_to_ox_pattern(term) for term in triple)
                for triple in _bgp_triples(query.algebra)
                if not _is_tbox_pattern(triple)
            ]
        return self._patterns

    def solutions(self, store: ox.Store, triple: TripleTerms) -> list[dict[str, Term]]:
        results = []
        for pattern in self.template:
            bindings = _unify(pattern, triple)
            if bindings is None:
                continue
            substitutions = {
                ox.Variable(name): value for name, value in bindings.items() if name not in self.assigned
            }
            rows = store.query(self.select, use_default_graph_as_union=True, substitutions=substitutions)
            variables = [v.value for v in rows.variables]
            for row in rows:
                solution = {**bindings, **{name: row[name] for name in variables if row[name] is not None}}
                if _instantiate(pattern, solution) == triple and solution not in results:
                    results.append(solution)
        return results

    def premise_triples(self, solution: dict[str, Term]) -> list[TripleTerms]:
        found = []
        for pattern in self.patterns:
            triple = _instantiate(pattern, solution)
            if triple is not None and triple not in found:
                found.append(triple)
        return found

    def statement_values(self, solution: dict[str, Term]) -> list[Term]:
        """The solution's values in the order the rule names them, without the ones it computes."""
        return list(dict.fromkeys(solution[name] for name in self.order if name in solution))


def _circular(explanation: TripleExplanation) -> bool:
    """An inferred premise none of whose derivations avoids the triple being explained."""
    return explanation.graph == "inferred" and not (explanation.derivations or explanation.more_derivations)


def _to_ox_pattern(term):
    from rdflib import BNode, Literal, URIRef, Variable

    from exodus_kg.rdf.terms import to_oxigraph

    if isinstance(term, Variable):
        return ("var", str(term))
    if isinstance(term, URIRef | Literal):
        return to_oxigraph(term)
    if isinstance(term, BNode):
        return ("var", "_bnode_" + str(term))
    return ("path", str(term))


def _bgp_triples(node) -> list:
    from rdflib.plugins.sparql.parserutils import CompValue

    found = []
    if isinstance(node, CompValue):
        if node.name == "BGP":
            found.extend(node.triples)
        for value in node.values():
            found.extend(_bgp_triples(value))
    elif isinstance(node, list | tuple):
        for value in node:
            found.extend(_bgp_triples(value))
    return found


def _is_tbox_pattern(triple) -> bool:
    """True for the parts of a WHERE clause that read the ontology, not the data."""
    from rdflib import URIRef, Variable

    _subject, predicate, obj = triple
    if isinstance(predicate, Variable):
        return False
    if not isinstance(predicate, URIRef):
        return True  # a property path over the class or property hierarchy
    if str(predicate) in TBOX_PREDICATES:
        return True
    return (
        str(predicate).endswith("#type")
        and isinstance(obj, URIRef)
        and str(obj).startswith(BUILTIN_NAMESPACES)
    )


def _unify(pattern, triple: TripleTerms) -> dict[str, Term] | None:
    bindings: dict[str, Term] = {}
    for part, value in zip(pattern, triple, strict=True):
        if isinstance(part, tuple):
            if part[0] != "var":
                return None
            if part[1] in bindings and bindings[part[1]] != value:
                return None
            bindings[part[1]] = value
        elif part != value:
            return None
    return bindings


def _instantiate(pattern, solution: dict[str, Term]) -> TripleTerms | None:
    terms = []
    for part in pattern:
        if isinstance(part, tuple):
            if part[0] != "var" or part[1] not in solution:
                return None
            terms.append(solution[part[1]])
        else:
            terms.append(part)
    return tuple(terms)


def _split_construct(text: str) -> tuple[str, str]:
    """A CONSTRUCT query -> (its template, the same query as ``SELECT *`` with the same WHERE clause)."""
    try:
        prologue, template, where = construct_parts(text)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return template, f"{prologue}SELECT *{where}"


_TOKEN = re.compile(
    r"""\s+|\#[^\n]*|(?P<iri><[^<>\s]*>)|(?P<var>[?$]\w+)"""
    r"""|(?P<literal>"(?:[^"\\\n]|\\.)*"(?:@[\w-]+|\^\^\S+?(?=[\s;,.]))?)"""
    r"""|(?P<number>[+-]?\d+(?:\.\d+)?)|(?P<punct>[;,.])|(?P<a>\ba\b)|(?P<name>[A-Za-z][\w.-]*?:[\w.-]*\w|[A-Za-z][\w-]*:)"""
)


def _parse_template(text: str, prefixes: dict[str, str], rule: Rule) -> list[tuple]:
    """The triple patterns of a CONSTRUCT template (Turtle-style ``;`` and ``,`` lists, ``a``)."""
    terms: list = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise UsageError(
                f"{rule.path}: cannot read the CONSTRUCT template near {text[position : position + 30]!r}"
            )
        position = match.end()
        kind = match.lastgroup
        if kind is None:
            continue
        value = match.group(kind)
        if kind == "iri":
            terms.append(ox.NamedNode(value[1:-1]))
        elif kind == "var":
            terms.append(("var", value[1:]))
        elif kind == "a":
            terms.append(RDF_TYPE)
        elif kind == "name":
            prefix, local = value.split(":", 1)
            if prefix not in prefixes:
                raise UsageError(f"{rule.path}: unknown prefix {prefix}: in the CONSTRUCT template")
            terms.append(ox.NamedNode(prefixes[prefix] + local))
        elif kind in ("literal", "number"):
            terms.append(("const", value))
        else:
            terms.append(value)
    patterns = []
    subject = predicate = None
    expect = "subject"
    for term in terms:
        if term == ".":
            expect = "subject"
        elif term == ";":
            expect = "predicate"
        elif term == ",":
            expect = "object"
        elif expect == "subject":
            subject, expect = term, "predicate"
        elif expect == "predicate":
            predicate, expect = term, "object"
        else:
            patterns.append((subject, predicate, term))
            expect = "done"
    return patterns


def _is_specific_type(term: Term) -> bool:
    return isinstance(term, ox.NamedNode) and term.value.startswith(EXO)


def _short(term) -> str:
    from exodus_kg.query.engine import compact_iri

    if isinstance(term, ox.NamedNode):
        return compact_iri(term.value)
    if isinstance(term, str):
        return compact_iri(term)
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term)


# Rendering --------------------------------------------------------------------------------------------


def render_text(explanation: NodeExplanation | TripleExplanation) -> str:
    lines: list[str] = []
    if isinstance(explanation, NodeExplanation):
        _render_node(explanation, lines)
    else:
        _render_triple(explanation, lines, indent="")
    return "\n".join(lines) + "\n"


def _render_node(explanation: NodeExplanation, lines: list[str]) -> None:
    node = explanation.node
    kinds = ", ".join(node.types) or "no exo: type"
    lines.append(f"{_short(node.iri)}  ({kinds})")
    if node.label:
        lines.append(f'  "{node.label}"')
    if explanation.rule_iri is None:
        lines.append("  asserted, not derived")
        _render_statement_body(node, lines, "  ")
        return
    lines.append(
        f"  certainty: {_certainty(node)}" + (", the weakest of its premises" if explanation.premises else "")
    )
    _render_rule(explanation.rule, explanation.rule_iri, lines, "  ")
    lines.append(f"  premises ({len(explanation.premises)}):")
    for number, premise in enumerate(explanation.premises, 1):
        _render_statement(premise, lines, "    ", number)


def _render_triple(explanation: TripleExplanation, lines: list[str], indent: str) -> None:
    subject, predicate, obj = (_short(term) for term in explanation.triple)
    lines.append(f"{indent}{subject} {predicate} {obj}")
    where = {
        "asserted": "asserted (graph exg:asserted)",
        "ontology": "in the ontology (graph exg:ontology)",
        "links": "a Wikidata link (graph exg:links)",
        "inferred": "inferred (graph exg:inferred)",
        "absent": "not in the graph",
        "other": "in another graph",
    }[explanation.graph]
    lines.append(f"{indent}  {where}")
    if explanation.candidate_rules:
        names = ", ".join(rule.name for rule in explanation.candidate_rules)
        lines.append(
            f"{indent}  the rules that derive such triples ({names}) find no premises for it: no statement "
            "says it, or none firm enough (stated or reported) for a direct property"
        )
    if explanation.graph == "inferred" and not explanation.derivations:
        lines.append(f"{indent}  (no rule reproduces it here: the recursion stopped, or the rules changed)")
    for derivation in explanation.derivations:
        _render_rule(derivation.rule, derivation.rule.iri, lines, indent + "  ")
        if derivation.premises:
            lines.append(f"{indent}    premises ({len(derivation.premises)}):")
            for number, premise in enumerate(derivation.premises, 1):
                _render_statement(premise, lines, indent + "      ", number)
        for premise_triple in derivation.premise_triples:
            lines.append(f"{indent}    from:")
            _render_triple(premise_triple, lines, indent + "      ")
    if explanation.more_derivations:
        lines.append(f"{indent}  (and {explanation.more_derivations} more derivations)")


def _render_rule(rule: Rule | None, rule_iri: str | None, lines: list[str], indent: str) -> None:
    if rule is None:
        lines.append(f"{indent}derived by {_short(rule_iri)} (no such rule in queries/rules/ any more)")
        return
    lines.append(f"{indent}derived by rule {rule.name} (queries/rules/{rule.path.name}):")
    lines.append(f"{indent}  {rule.summary}")


def _render_statement(statement: StatementInfo, lines: list[str], indent: str, number: int) -> None:
    kinds = ", ".join(statement.types)
    lines.append(f"{indent}{number}. {_short(statement.iri)}  ({kinds})  certainty {_certainty(statement)}")
    if statement.label:
        lines.append(f'{indent}   "{statement.label}"')
    _render_statement_body(statement, lines, indent + "   ")


def _render_statement_body(statement: StatementInfo, lines: list[str], indent: str) -> None:
    if statement.asserted_by:
        lines.append(f"{indent}asserted by {', '.join(_short(a) for a in statement.asserted_by)}")
    for evidence in statement.evidence:
        where = f"passage {evidence.passage_index}" if evidence.passage_index else _short(evidence.passage)
        span = f" [{evidence.start}-{evidence.end}]" if evidence.start is not None else ""
        lines.append(f"{indent}{where}{span}: \u201c{evidence.quote}\u201d")
    if not statement.evidence and not statement.derived:
        lines.append(f"{indent}(no evidence recorded)")


def _certainty(statement: StatementInfo) -> str:
    if statement.certainty is None:
        return "(none)"
    rank = f" (rank {statement.certainty_rank})" if statement.certainty_rank is not None else ""
    return _short(statement.certainty) + rank


def to_json(explanation: NodeExplanation | TripleExplanation) -> dict:
    """A JSON-ready view of an explanation (for ``exodus explain --format json``)."""
    if isinstance(explanation, NodeExplanation):
        return {
            "node": _statement_json(explanation.node),
            "rule": explanation.rule.name if explanation.rule else explanation.rule_iri,
            "premises": [_statement_json(p) for p in explanation.premises],
        }
    return {
        "triple": [_term_json(t) for t in explanation.triple],
        "graph": explanation.graph,
        "derivations": [
            {
                "rule": d.rule.name,
                "premises": [_statement_json(p) for p in d.premises],
                "premise_triples": [to_json(t) for t in d.premise_triples],
            }
            for d in explanation.derivations
        ],
        "more_derivations": explanation.more_derivations,
        "candidate_rules": [rule.name for rule in explanation.candidate_rules],
    }


def _term_json(term: Term) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else "_:" + term.value


def _statement_json(statement: StatementInfo) -> dict:
    return {
        "iri": statement.iri,
        "types": statement.types,
        "label": statement.label,
        "certainty": statement.certainty,
        "certainty_rank": statement.certainty_rank,
        "asserted_by": statement.asserted_by,
        "evidence": [vars(e) for e in statement.evidence],
    }
