"""What a rule's WHERE clause reads, from its text: the triple patterns, which predicates and types
they can match, and whether the rule is monotonic (adding triples never takes a result away).

``pipeline/reasoning.py`` uses this to evaluate fewer rules per round: a rule none of whose patterns
can match a triple added since it last ran gives what it gave then, and is skipped; a monotonic rule
with one pattern over the data (the others over the ontology's axioms) only needs the triples added
since it last ran (semi-naive evaluation). Anything this reader does not follow (GRAPH, SERVICE, a
collection, a variable or negated predicate, a path that may have length zero) makes the rule read
every triple, which is always safe.

>>> reads = read_rule("PREFIX exo: <https://w3id.org/exodus-kg/ontology#> "
...                   "CONSTRUCT { ?p exo:left ?o } WHERE { ?d a exo:Departure ; exo:person ?p . "
...                   "FILTER NOT EXISTS { ?d exo:reversed true } }")
>>> sorted(iri.split("#")[1] for iri in reads.predicates), reads.types, reads.monotonic
(['person', 'reversed'], {'https://w3id.org/exodus-kg/ontology#Departure'}, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from exodus_kg.rdf.namespaces import RDF
from exodus_kg.rdf.sparql_text import construct_parts, declared_prefixes

RDF_TYPE = RDF + "type"
_TOKEN = re.compile(
    r"""(?P<space>\s+)|(?P<comment>\#[^\n]*)"""
    r"""|(?P<string>(?:'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
    r"""(?:@[A-Za-z0-9-]+|\^\^(?:<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.:%-]*))?)"""
    r"""|(?P<iri><[^<>"{}|^`\\\s]*>)|(?P<var>[?$]\w+)|(?P<bnode>_:[\w.-]+)"""
    r"""|(?P<pname>(?:[A-Za-z][\w.-]*)?:(?:[\w:%-]|\.(?=[\w:%-]))*)"""
    r"""|(?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))"""
    r"""|(?P<word>[A-Za-z_]\w*)|(?P<punct>\^\^|&&|\|\||!=|<=|>=|[{}()\[\].,;/|^*+?!=<>-])""",
    re.S,
)
_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}
_KEYWORDS = {"FILTER", "OPTIONAL", "MINUS", "UNION", "BIND", "VALUES", "GRAPH", "SERVICE", "SELECT"}


@dataclass
class Pattern:
    """One triple pattern: the IRIs its predicate (path) names, and how it reads."""

    predicates: frozenset[str]
    variable_predicate: bool = False  # a variable, or a negated property set
    path: bool = False  # more than one plain IRI
    may_be_empty: bool = False  # a path that may have length zero (p*, p?)
    type_object: str | None = None  # `?x a <class>`: the class
    subject: str = ""
    object: str = ""


@dataclass
class RuleReads:
    """What a rule reads (see the module docstring)."""

    patterns: list[Pattern] = field(default_factory=list)
    monotonic: bool = True
    everything: bool = False  # a construct this reader does not follow

    @property
    def predicates(self) -> set[str]:
        return {iri for pattern in self.patterns for iri in pattern.predicates if iri != RDF_TYPE}

    @property
    def types(self) -> set[str]:
        return {p.type_object for p in self.patterns if p.type_object is not None}

    @property
    def any_type(self) -> bool:
        """Whether some pattern matches ``rdf:type`` triples of any class."""
        return any(RDF_TYPE in p.predicates and p.type_object is None for p in self.patterns)

    @property
    def reads_everything(self) -> bool:
        return self.everything or any(p.variable_predicate or p.may_be_empty for p in self.patterns)

    def affected_by(self, predicates: set[str], types: set[str]) -> bool:
        """Whether a triple with one of ``predicates`` (of ``rdf:type``: with one of ``types``) can
        change what the rule gives."""
        if self.reads_everything:
            return bool(predicates)
        if self.predicates & predicates:
            return True
        return RDF_TYPE in predicates and (self.any_type or bool(self.types & types))


class _Reader:
    def __init__(self, text: str, prefixes: dict[str, str]):
        self.prefixes = prefixes
        self.tokens = [
            (match.lastgroup, match.group())
            for match in _TOKEN.finditer(text)
            if match.lastgroup not in ("space", "comment")
        ]
        self.reads = RuleReads()

    def at(self, index: int) -> tuple[str, str]:
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def word(self, index: int) -> str:
        kind, value = self.at(index)
        return value.upper() if kind == "word" else ""

    def iri(self, kind: str, value: str) -> str | None:
        if kind == "iri":
            return value[1:-1]
        if kind == "pname":
            prefix, _, local = value.partition(":")
            if prefix in self.prefixes:
                return self.prefixes[prefix] + local
        if kind == "word" and value == "a":
            return RDF_TYPE
        return None

    def group(self, index: int) -> int:
        """A ``{ ... }`` group from its opening brace; the index after its closing one."""
        index += 1
        while True:
            kind, value = self.at(index)
            word = self.word(index)
            if kind == "end":
                self.reads.everything = True
                return index
            if value == "}":
                return index + 1
            if value == "{":
                index = self.group(index)
            elif value == ".":
                index += 1
            elif word == "SELECT":
                return self.subselect(index)
            elif word in ("OPTIONAL", "MINUS"):
                self.reads.monotonic = False
                index = self.group(index + 1)
            elif word == "UNION":
                index += 1
            elif word in ("GRAPH", "SERVICE"):
                self.reads.everything = True
                self.reads.monotonic = False
                index = self.group(index + 2 if self.at(index + 1)[1] != "SILENT" else index + 3)
            elif word in ("FILTER", "BIND"):
                index = self.expression(index + 1)
            elif word == "VALUES":
                index = self.skip_block(index + 1)
            else:
                index = self.triples(index)

    def subselect(self, index: int) -> int:
        """``{ SELECT ... WHERE { ... } modifiers }`` from SELECT; the index after its closing brace."""
        while self.at(index)[1] != "{":
            if self.word(index) in _AGGREGATES:
                self.reads.monotonic = False
            if self.at(index)[1] == "(":
                index = self.expression(index)
            elif self.at(index)[0] == "end":
                self.reads.everything = True
                return index
            else:
                index += 1
        index = self.group(index)
        while self.at(index)[1] != "}":
            if self.word(index) in ("GROUP", "HAVING", "LIMIT", "OFFSET"):
                self.reads.monotonic = False
            if self.at(index)[1] == "(":
                index = self.expression(index)
            elif self.at(index)[1] == "{":
                index = self.skip_block(index - 1)
            elif self.at(index)[0] == "end":
                self.reads.everything = True
                return index
            else:
                index += 1
        return index + 1

    def expression(self, index: int) -> int:
        """A FILTER or BIND expression (or a call such as ``NOT EXISTS { }``); the index after it."""
        depth = 0
        while True:
            kind, value = self.at(index)
            word = self.word(index)
            if kind == "end":
                self.reads.everything = True
                return index
            if word == "EXISTS":
                self.reads.monotonic = False  # NOT EXISTS takes results away; EXISTS taken alike
                index = self.group(index + 1)
                if depth == 0:
                    return index
                continue
            if word in _AGGREGATES:
                self.reads.monotonic = False
            if value == "(":
                depth += 1
            elif value == ")":
                depth -= 1
                if depth == 0:
                    return index + 1
            index += 1

    def skip_block(self, index: int) -> int:
        """VALUES ?x { ... } (or a variable list in parentheses) from after VALUES."""
        while self.at(index)[1] != "{":
            if self.at(index)[0] == "end":
                self.reads.everything = True
                return index
            index += 1
        depth = 0
        while True:
            value = self.at(index)[1]
            if self.at(index)[0] == "end":
                self.reads.everything = True
                return index
            depth += value == "{"
            depth -= value == "}"
            index += 1
            if depth == 0:
                return index

    def triples(self, index: int) -> int:
        """A subject and its property list; the index after it."""
        kind, value = self.at(index)
        if value == "[":
            index = self.property_list(index + 1, "[]")
            index += 1  # the closing bracket
            if self.at(index)[1] in (".", "}") or self.word(index) in _KEYWORDS:
                return index
            return self.property_list(index, "[]")
        if value == "(" or kind not in ("var", "iri", "pname", "bnode", "string", "number", "word"):
            self.reads.everything = True  # a collection, or something this reader does not know
            return len(self.tokens)
        return self.property_list(index + 1, value)

    def property_list(self, index: int, subject: str) -> int:
        while True:
            kind, value = self.at(index)
            if value in (".", "}", "]") or kind == "end" or self.word(index) in _KEYWORDS:
                return index
            if value == ";":
                index += 1
                continue
            if kind == "var":
                pattern = Pattern(frozenset(), variable_predicate=True)
                index += 1
            else:
                pattern, index = self.path(index)
            while True:
                kind, value = self.at(index)
                if value == "[":
                    index = self.property_list(index + 1, "[]") + 1
                    value = "[]"
                elif value == "(":
                    self.reads.everything = True
                    return len(self.tokens)
                else:
                    index += 1
                found = Pattern(**{**pattern.__dict__, "subject": subject, "object": value})
                if pattern.predicates == {RDF_TYPE} and not pattern.path:
                    found.type_object = self.iri(kind, value)
                self.reads.patterns.append(found)
                if self.at(index)[1] != ",":
                    break
                index += 1

    def path(self, index: int) -> tuple[Pattern, int]:
        """A property path: the IRIs it names, whether it is negated, whether it may be empty."""
        iris: set[str] = set()
        flags = {"negated": False, "steps": 0}

        def alternative(i: int) -> tuple[bool, int]:
            empty, i = sequence(i)
            while self.at(i)[1] == "|":
                other, i = sequence(i + 1)
                empty = empty or other
            return empty, i

        def sequence(i: int) -> tuple[bool, int]:
            empty, i = element(i)
            while self.at(i)[1] == "/":
                other, i = element(i + 1)
                empty = empty and other
            return empty, i

        def element(i: int) -> tuple[bool, int]:
            if self.at(i)[1] == "^":
                i += 1
            kind, value = self.at(i)
            if value == "!":
                flags["negated"] = True
                i += 1
                if self.at(i)[1] == "(":
                    while self.at(i)[1] != ")" and self.at(i)[0] != "end":
                        i += 1
                empty = False
            elif value == "(":
                empty, i = alternative(i + 1)
                flags["steps"] += 1
            else:
                iri = self.iri(kind, value)
                if iri is None:
                    flags["negated"] = True  # not an IRI this reader can name: read everything
                else:
                    iris.add(iri)
                flags["steps"] += 1
                empty = False
            i += 1
            if self.at(i)[1] in ("*", "?"):
                return True, i + 1
            if self.at(i)[1] == "+":
                flags["steps"] += 1
                return empty, i + 1
            return empty, i

        empty, index = alternative(index)
        pattern = Pattern(
            frozenset(iris),
            variable_predicate=flags["negated"],
            path=flags["steps"] > 1 or len(iris) > 1,
            may_be_empty=empty,
        )
        return pattern, index


def read_rule(text: str) -> RuleReads:
    """What the WHERE clause of a CONSTRUCT rule reads (ValueError when it has no template)."""
    _prologue, _template, where = construct_parts(text)
    reader = _Reader(where, declared_prefixes(text))
    index = 0
    while reader.at(index)[1] != "{" and reader.at(index)[0] != "end":
        index += 1
    reader.group(index)
    return reader.reads
