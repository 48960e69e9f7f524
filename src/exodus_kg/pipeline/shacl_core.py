"""A SHACL Core validator over a pyoxigraph store, giving pySHACL's results for the shapes it supports.

pySHACL (the reference, and the engine of the tests) spends its time in Python bookkeeping per
(shape, focus node): at 100x the article it took 62 s of a 148 s build. This engine reads each
predicate a shape needs once from the store (``quads_for_pattern`` per predicate and graph, into a
dictionary subject -> values), then evaluates each constraint over all the focus nodes of its shape
at once. The data graph is the set union of the named graphs it is given (a triple in two of them
counts once), with SHACL's class semantics (``rdf:type/rdfs:subClassOf*`` in that union) and no
inference, as validation.py runs pySHACL.

Supported, with pySHACL's semantics (including its readings where the spec leaves room):

- targets: ``sh:targetClass``, ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf`` and
  implicit class targets; paths: a predicate or ``sh:inversePath`` of one;
- ``sh:class``, ``sh:datatype`` (ill-typed literals fail), ``sh:nodeKind``, ``sh:minCount``,
  ``sh:maxCount``, ``sh:minInclusive``/``maxInclusive``/``minExclusive``/``maxExclusive``,
  ``sh:minLength``/``maxLength``, ``sh:pattern`` (with ``sh:flags`` i and m, as pySHACL), ``sh:languageIn``
  (a tag matches when it or its first subtag is in the list, as pySHACL), ``sh:uniqueLang``, ``sh:in``,
  ``sh:lessThan``, ``sh:node``, ``sh:property``, ``sh:not``, ``sh:or``, ``sh:qualifiedValueShape`` with
  ``sh:qualifiedMinCount``/``MaxCount``/``ValueShapesDisjoint``; ``sh:message``, ``sh:severity`` and
  ``sh:deactivated``. A nested shape of severity Warning or Info conforms, as pySHACL run with
  ``allow_warnings`` and ``allow_infos`` (validation.py's options) reads it.

Anything else in a shape reached from a target (``sh:sparql``, ``sh:equals``, ``sh:closed``,
``sh:and``, ``sh:xone``, ``sh:hasValue``, a sequence or alternative path, custom constraint
components, recursive shapes, a malformed parameter, a shapes file that is not Turtle or N-Triples)
raises ``Unsupported`` when the shapes are compiled, and validation.py then runs pySHACL for the whole
validation: nothing is silently ignored.

Known differences, all from the store rather than the engine: Oxigraph keeps numbers, booleans and
dates in canonical form, so a result's value shows as ``"120"^^xsd:decimal`` where the file says
``120.0``, two spellings of one number are one value, and a string length or pattern on a number sees
the canonical spelling. Results compare equal to pySHACL's (tests/test_shacl_core.py) by focus node,
path, value (by value), source shape, component, severity and message.

>>> shapes = compile_shapes(project.shape_files())  # doctest: +SKIP
>>> results = validate(store, shapes, ["https://w3id.org/exodus-kg/graph/asserted"])  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from exodus_kg.rdf.namespaces import OWL, RDF, RDFS, SH, XSD

_SH = SH
RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_FIRST = ox.NamedNode(RDF + "first")
RDF_REST = ox.NamedNode(RDF + "rest")
RDF_NIL = ox.NamedNode(RDF + "nil")
RDF_LANGSTRING = ox.NamedNode(RDF + "langString")
RDFS_SUBCLASS = ox.NamedNode(RDFS + "subClassOf")
RDFS_CLASS = ox.NamedNode(RDFS + "Class")
RDFS_LITERAL = ox.NamedNode(RDFS + "Literal")
RDFS_DATATYPE = ox.NamedNode(RDFS + "Datatype")
OWL_CLASS = ox.NamedNode(OWL + "Class")
XSD_STRING = ox.NamedNode(XSD + "string")


def sh(name: str) -> ox.NamedNode:
    return ox.NamedNode(_SH + name)


VIOLATION, WARNING, INFO = sh("Violation"), sh("Warning"), sh("Info")
ALLOWED_SEVERITIES = (WARNING, INFO)


# pySHACL's constraint parameters (pyshacl.constraints.ALL_CONSTRAINT_PARAMETERS): a shape with one of
# these is evaluated for it, so an unsupported one must stop the engine, not be skipped.
def _names(text: str) -> list[str]:
    return text.split()


CONSTRAINT_PARAMETERS = frozenset(
    sh(name)
    for name in _names(
        "class datatype nodeKind minCount maxCount minExclusive minInclusive maxExclusive maxInclusive not and or "
        "xone minLength maxLength pattern languageIn uniqueLang equals disjoint lessThan lessThanOrEquals node "
        "property qualifiedValueShape qualifiedMinCount qualifiedValueShapesDisjoint qualifiedMaxCount closed "
        "ignoredProperties hasValue in sparql"
    )
)
UNSUPPORTED_PARAMETERS = frozenset(
    sh(name)
    for name in _names("and xone equals disjoint lessThanOrEquals closed ignoredProperties hasValue sparql")
)
# Beyond SHACL Core (advanced features, JavaScript): pySHACL ignores or refuses them depending on its
# options; the engine leaves them to pySHACL.
UNSUPPORTED_ANYWHERE = frozenset(
    sh(name) for name in _names("target rule expression js jsFunctionName select ask parameter sparql")
)
TARGET_PREDICATES = (sh("targetClass"), sh("targetNode"), sh("targetObjectsOf"), sh("targetSubjectsOf"))
NODE_KINDS = {
    sh("IRI"): (ox.NamedNode,),
    sh("BlankNode"): (ox.BlankNode,),
    sh("Literal"): (ox.Literal,),
    sh("BlankNodeOrIRI"): (ox.BlankNode, ox.NamedNode),
    sh("BlankNodeOrLiteral"): (ox.BlankNode, ox.Literal),
    sh("IRIOrLiteral"): (ox.NamedNode, ox.Literal),
}
COMPONENTS = {
    name: sh(f"{name[0].upper()}{name[1:]}ConstraintComponent")
    for name in _names(
        "class datatype nodeKind minCount maxCount minExclusive minInclusive maxExclusive maxInclusive minLength "
        "maxLength pattern languageIn uniqueLang in lessThan not or node qualifiedMinCount qualifiedMaxCount"
    )
}

_INTEGER_TYPES = frozenset(
    ox.NamedNode(XSD + name)
    for name in _names(
        "integer int long short byte nonNegativeInteger positiveInteger nonPositiveInteger negativeInteger "
        "unsignedInt unsignedLong unsignedShort unsignedByte"
    )
)
_DECIMAL = ox.NamedNode(XSD + "decimal")
_CANONICAL_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
_CANONICAL_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)
# Lexical forms that rdflib (pySHACL's literal reading) takes as well-typed for their datatype, checked
# without rdflib; any other form of these datatypes is asked of rdflib itself.
_WELL_TYPED = {
    ox.NamedNode(XSD + "integer"): _CANONICAL_INTEGER,
    _DECIMAL: _CANONICAL_DECIMAL,
    ox.NamedNode(XSD + "boolean"): re.compile(r"true|false"),
    ox.NamedNode(XSD + "date"): re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII),
}


# The datatypes rdflib converts to Python values (rdflib.term.XSDToPython): only for these can a
# literal be ill-typed for pySHACL; a literal of any other datatype (xsd:gYear) matches by its IRI.
_RDFLIB_PARSED = frozenset(
    ox.NamedNode(XSD + name)
    for name in _names(
        "anyURI base64Binary boolean byte date dateTime dayTimeDuration decimal double duration float hexBinary "
        "int integer language long negativeInteger nonNegativeInteger nonPositiveInteger normalizedString "
        "positiveInteger short string time token unsignedByte unsignedInt unsignedLong unsignedShort "
        "yearMonthDuration"
    )
) | {ox.NamedNode(RDF + "HTML"), ox.NamedNode(RDF + "XMLLiteral")}


class Unsupported(Exception):
    """The shapes use something this engine does not evaluate (the message says what): use pySHACL."""


# Shapes ----------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Constraint:
    kind: str  # a key of COMPONENTS, or "property" / "qualified"
    values: list  # the parameter's values (terms, compiled shapes, lists)
    extra: dict = field(default_factory=dict)


@dataclass(eq=False)
class Shape:
    node: ox.NamedNode | ox.BlankNode
    path: ox.NamedNode | None = None  # the predicate of a property shape
    inverse: bool = False
    path_node: object = None  # sh:path's value as written (a blank node for an inverse path)
    severity: ox.NamedNode = VIOLATION
    messages: tuple = ()
    deactivated: bool = False
    constraints: list[Constraint] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    group: object = None  # the named shape a property shape hangs from (validation.py's grouping)
    target_classes: tuple = ()
    target_nodes: tuple = ()
    subjects_of: tuple = ()
    objects_of: tuple = ()

    @property
    def is_property_shape(self) -> bool:
        return self.path is not None

    @property
    def has_targets(self) -> bool:
        return bool(self.target_classes or self.target_nodes or self.subjects_of or self.objects_of)


@dataclass
class ShapeSet:
    """Compiled shapes: the ones with targets (each evaluated on its own focus nodes) and the shapes
    store they were read from (its terms are the results' shapes and paths)."""

    targeted: list[Shape]
    store: ox.Store
    paths: list[Path]
    shape_count: int
    source_graph: object = None  # the rdflib graph the shapes were copied from, if any
    terms: object = None  # the TermMap of that copy
    _pyshacl_shapes: object = None

    def to_rdflib(self, node):
        """A term of the shapes store as the rdflib term of the shapes graph."""
        if self.terms is not None:
            return self.terms.from_ox(node)
        return to_rdflib_term(node)

    def rdflib_graph(self):
        """The shapes as an rdflib graph, with the prefixes the files declare (pySHACL's default
        messages write IRIs with them); blank nodes keep the store's labels."""
        if self.source_graph is None:
            import rdflib

            from exodus_kg.pipeline.graph_loading import load_graphs

            graph = rdflib.Graph()
            for prefix, namespace in load_graphs(self.paths).namespaces():
                graph.bind(prefix, namespace, override=True, replace=True)
            for quad in self.store:
                graph.add(
                    (
                        self.to_rdflib(quad.subject),
                        self.to_rdflib(quad.predicate),
                        self.to_rdflib(quad.object),
                    )
                )
            self.source_graph = graph
        return self.source_graph

    def default_messages(self, result: RawResult, data_graph, to_rdflib) -> list[str]:
        """pySHACL's own text for a result whose shape has no sh:message (its constraint component's
        ``make_generic_messages``, run on an rdflib copy of the shapes: only when there are results)."""
        from pyshacl.constraints import CONSTRAINT_PARAMETERS_MAP
        from pyshacl.shapes_graph import ShapesGraph
        from rdflib import URIRef

        if self._pyshacl_shapes is None:
            self._pyshacl_shapes = ShapesGraph(self.rdflib_graph())
            list(self._pyshacl_shapes.shapes)
        shape = self._pyshacl_shapes.lookup_shape_from_node(self.to_rdflib(result.shape.node))
        parameter = "qualifiedValueShape" if result.constraint.kind == "qualified" else result.constraint.kind
        component = CONSTRAINT_PARAMETERS_MAP[URIRef(_SH + parameter)](shape)
        value = None if result.value is None else to_rdflib(result.value)
        return [str(m) for m in component.make_generic_messages(data_graph, to_rdflib(result.focus), value)]


def to_rdflib_term(node):
    """A pyoxigraph term as an rdflib term; a blank node keeps its label."""
    import rdflib

    if isinstance(node, ox.NamedNode):
        return rdflib.URIRef(node.value)
    if isinstance(node, ox.BlankNode):
        return rdflib.BNode(node.value)
    return _to_rdflib_literal(node)


def compile_shapes_graph(graph) -> ShapeSet:
    """Compile the shapes of an rdflib graph (the tests' and ``validate_graphs``'s way)."""
    from exodus_kg.rdf.terms import TermMap

    terms = TermMap()
    shapes = _Compiler(terms.store(graph)).compile([])
    shapes.source_graph, shapes.terms = graph, terms
    return shapes


def compile_shapes(paths: Sequence[Path]) -> ShapeSet:
    """Read and compile the shapes files; raises Unsupported for anything the engine does not do."""
    store = ox.Store()
    for path in paths:
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".ttl", ".turtle"):
            rdf_format = ox.RdfFormat.TURTLE
        elif suffix == ".nt":
            rdf_format = ox.RdfFormat.N_TRIPLES
        else:
            raise Unsupported(f"{path.name}: shapes in {suffix} files")
        try:
            store.load(
                path=str(path),
                format=rdf_format,
                base_iri=path.resolve().as_uri(),
                to_graph=ox.DefaultGraph(),
            )
        except (SyntaxError, ValueError, OSError) as error:
            raise Unsupported(f"{path.name}: {error}") from None
    return _Compiler(store).compile([Path(p) for p in paths])


class _Compiler:
    def __init__(self, store: ox.Store):
        self.store = store
        self.shapes: dict = {}
        self.compiling: set = set()

    def objects(self, subject, predicate) -> list:
        return [
            quad.object for quad in self.store.quads_for_pattern(subject, predicate, None, ox.DefaultGraph())
        ]

    def subjects(self, predicate, obj=None) -> list:
        return [
            quad.subject for quad in self.store.quads_for_pattern(None, predicate, obj, ox.DefaultGraph())
        ]

    def items(self, head) -> list:
        """The members of an RDF list."""
        members, seen = [], set()
        while head != RDF_NIL:
            if head in seen:
                raise Unsupported("a cyclic RDF list")
            seen.add(head)
            first, rest = self.objects(head, RDF_FIRST), self.objects(head, RDF_REST)
            if len(first) != 1 or len(rest) != 1:
                raise Unsupported("a malformed RDF list")
            members.append(first[0])
            head = rest[0]
        return members

    def compile(self, paths: list[Path]) -> ShapeSet:
        from exodus_kg.rdf.xsd_lexical import is_valid

        for quad in self.store:
            if quad.predicate in UNSUPPORTED_ANYWHERE:
                raise Unsupported(f"{quad.predicate.value} in the shapes")
            if quad.predicate == RDF_TYPE and quad.object == sh("ConstraintComponent"):
                raise Unsupported("a custom constraint component")
            obj = quad.object
            if isinstance(obj, ox.Literal) and is_valid(obj.value, obj.datatype.value) is False:
                raise Unsupported(f"an ill-typed literal {obj} in the shapes")
        node_shapes = set(self.subjects(RDF_TYPE, sh("NodeShape")))
        property_shapes = set(self.subjects(RDF_TYPE, sh("PropertyShape")))
        if node_shapes & property_shapes or any(self.objects(s, sh("path")) for s in node_shapes):
            raise Unsupported("a shape that is both a node shape and a property shape")
        harvested = node_shapes | property_shapes
        for predicate in (*TARGET_PREDICATES, sh("property"), sh("node")):
            harvested.update(self.subjects(predicate))
        for predicate in (sh("property"), sh("node"), sh("not"), sh("qualifiedValueShape")):
            harvested.update(quad.object for quad in self.store.quads_for_pattern(None, predicate, None))
        for predicate in (sh("and"), sh("or"), sh("xone")):
            for head in [quad.object for quad in self.store.quads_for_pattern(None, predicate, None)]:
                harvested.update(self.items(head))
        class_types = {RDFS_CLASS, OWL_CLASS, *self.subjects(RDFS_SUBCLASS, RDFS_CLASS)}
        targeted = []
        for node in sorted(harvested, key=str):
            if len(self.objects(node, sh("path"))) > 1 or (
                node in property_shapes and not self.objects(node, sh("path"))
            ):
                raise Unsupported(f"the shape {node} needs exactly one sh:path")
            implicit = bool(class_types & set(self.objects(node, RDF_TYPE)))
            if implicit or any(self.objects(node, predicate) for predicate in TARGET_PREDICATES):
                shape = self.shape(node)
                if implicit:
                    shape.target_classes = (*shape.target_classes, node)
                targeted.append(shape)
        shape_count = len(node_shapes | set(self.subjects(sh("path"))))
        return ShapeSet(targeted=targeted, store=self.store, paths=paths, shape_count=shape_count)

    def one(self, node, name: str, required: bool = False):
        values = self.objects(node, sh(name))
        if len(values) > 1 or (required and not values):
            raise Unsupported(f"{node}: sh:{name} needs exactly one value")
        return values[0] if values else None

    def integer(self, node, name: str) -> int | None:
        value = self.one(node, name)
        if value is None:
            return None
        if not (
            isinstance(value, ox.Literal)
            and value.datatype in _INTEGER_TYPES
            and _CANONICAL_INTEGER.fullmatch(value.value)
        ):
            raise Unsupported(f"{node}: sh:{name} must be an integer")
        if int(value.value) < 0:
            raise Unsupported(f"{node}: sh:{name} must not be negative")
        return int(value.value)

    def shape(self, node) -> Shape:
        found = self.shapes.get(node)
        if found is not None:
            return found
        if node in self.compiling:
            raise Unsupported(f"the recursive shape {node}")
        if isinstance(node, ox.Literal):
            raise Unsupported(f"a literal {node} where a shape belongs")
        self.compiling.add(node)
        shape = Shape(node)
        paths = self.objects(node, sh("path"))
        if paths:
            shape.path_node = path = paths[0]
            if isinstance(path, ox.BlankNode):
                inverse = self.objects(path, sh("inversePath"))
                if (
                    len(inverse) != 1
                    or not isinstance(inverse[0], ox.NamedNode)
                    or len(list(self.store.quads_for_pattern(path, None, None, ox.DefaultGraph()))) != 1
                ):
                    raise Unsupported(f"{node}: a path other than a predicate or its inverse")
                shape.path, shape.inverse = inverse[0], True
            elif isinstance(path, ox.NamedNode):
                shape.path = path
            else:
                raise Unsupported(f"{node}: a literal path")
        severity = self.one(node, "severity")
        shape.severity = severity if severity is not None else VIOLATION
        shape.messages = tuple(self.objects(node, sh("message")))
        deactivated = self.one(node, "deactivated")
        if deactivated is not None:
            if not isinstance(deactivated, ox.Literal):
                raise Unsupported(f"{node}: sh:deactivated must be a literal")
            shape.deactivated = deactivated.value in ("true", "1")
        shape.target_classes = tuple(self.objects(node, sh("targetClass")))
        shape.target_nodes = tuple(self.objects(node, sh("targetNode")))
        shape.subjects_of = tuple(self.objects(node, sh("targetSubjectsOf")))
        shape.objects_of = tuple(self.objects(node, sh("targetObjectsOf")))
        shape.group = self.group(node)
        parameters = {
            quad.predicate for quad in self.store.quads_for_pattern(node, None, None, ox.DefaultGraph())
        }
        parameters &= CONSTRAINT_PARAMETERS
        unsupported = parameters & UNSUPPORTED_PARAMETERS
        if unsupported:
            raise Unsupported(f"{node}: {', '.join(sorted(p.value for p in unsupported))}")
        for parameter in sorted(parameters, key=str):
            self.constraint(shape, parameter.value[len(_SH) :])
        self.compiling.discard(node)
        self.shapes[node] = shape
        return shape

    def group(self, node):
        seen = set()
        while isinstance(node, ox.BlankNode) and node not in seen:
            seen.add(node)
            parents = self.subjects(sh("property"), node)
            if not parents:
                break
            node = parents[0]
        return node

    def constraint(self, shape: Shape, name: str) -> None:
        node = shape.node
        add = shape.constraints.append
        if name in (
            "class",
            "minInclusive",
            "maxInclusive",
            "minExclusive",
            "maxExclusive",
            "pattern",
            "lessThan",
        ):
            values = self.objects(node, sh(name))
            if name == "class" and any(isinstance(v, ox.Literal) for v in values):
                raise Unsupported(f"{node}: sh:class must be a class")
            if name in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive") and not all(
                isinstance(v, ox.Literal) for v in values
            ):
                raise Unsupported(f"{node}: sh:{name} must be a literal")
            if name == "pattern":
                if not all(isinstance(v, ox.Literal) for v in values):
                    raise Unsupported(f"{node}: sh:pattern must be a literal")
                flags = self.objects(node, sh("flags"))
                text = flags[0].value.lower() if flags and isinstance(flags[0], ox.Literal) else ""
                re_flags = (re.I if "i" in text else 0) | (re.M if "m" in text else 0)
                add(Constraint(name, values, {"compiled": [re.compile(v.value, re_flags) for v in values]}))
                return
            if name == "lessThan" and (
                not shape.is_property_shape or not all(isinstance(v, ox.NamedNode) for v in values)
            ):
                raise Unsupported(f"{node}: sh:lessThan needs a property shape and an IRI")
            add(Constraint(name, values))
        elif name in ("datatype", "nodeKind"):
            add(Constraint(name, [self.one(node, name, required=True)]))
        elif name in ("minCount", "maxCount", "minLength", "maxLength"):
            add(Constraint(name, [self.integer(node, name)]))
        elif name == "languageIn":
            members = self.items(self.one(node, name, required=True))
            if not all(isinstance(m, ox.Literal) and m.datatype == XSD_STRING for m in members):
                raise Unsupported(f"{node}: sh:languageIn takes strings")
            add(Constraint(name, [{m.value.lower() for m in members}]))
        elif name == "uniqueLang":
            value = self.one(node, name, required=True)
            if not shape.is_property_shape or not (
                isinstance(value, ox.Literal) and value.value in ("true", "false")
            ):
                raise Unsupported(f"{node}: sh:uniqueLang needs a property shape and a boolean")
            if value.value == "true":
                add(Constraint(name, [True]))
        elif name == "in":
            add(Constraint(name, [set(self.items(self.one(node, name, required=True)))]))
        elif name in ("not", "node"):
            shapes = [self.shape(s) for s in self.objects(node, sh(name))]
            if name == "node" and any(s.is_property_shape for s in shapes):
                raise Unsupported(f"{node}: sh:node names a property shape")
            add(Constraint(name, shapes))
        elif name == "or":
            lists = [self.items(head) for head in self.objects(node, sh("or"))]
            if not all(lists):
                raise Unsupported(f"{node}: an empty sh:or list")
            add(Constraint(name, [[self.shape(s) for s in members] for members in lists]))
        elif name == "property":
            for value in self.objects(node, sh("property")):
                child = self.shape(value)
                if not child.is_property_shape:
                    raise Unsupported(f"{node}: sh:property names a shape without sh:path")
                shape.properties.append(child)
        elif name in (
            "qualifiedValueShape",
            "qualifiedMinCount",
            "qualifiedMaxCount",
            "qualifiedValueShapesDisjoint",
        ):
            if any(c.kind == "qualified" for c in shape.constraints):
                return
            value_shapes = self.objects(node, sh("qualifiedValueShape"))
            minimum, maximum = (
                self.integer(node, "qualifiedMinCount"),
                self.integer(node, "qualifiedMaxCount"),
            )
            if not value_shapes or (minimum is None and maximum is None):
                raise Unsupported(f"{node}: a qualified value shape needs its shape and a count")
            if not shape.is_property_shape:
                return  # pySHACL ignores it on a node shape (with a warning)
            disjoint = any(
                isinstance(d, ox.Literal) and d.value in ("true", "1")
                for d in self.objects(node, sh("qualifiedValueShapesDisjoint"))
            )
            siblings = {}
            if disjoint:
                for parent in self.subjects(sh("property"), node):
                    for sibling in self.objects(parent, sh("property")):
                        for other in self.objects(sibling, sh("qualifiedValueShape")):
                            siblings[other] = None
            compiled = [self.shape(s) for s in value_shapes]
            add(
                Constraint(
                    "qualified",
                    compiled,
                    {
                        "min": minimum,
                        "max": maximum,
                        "siblings": {
                            s.node: [self.shape(o) for o in siblings if o != s.node] for s in compiled
                        },
                    },
                )
            )
        else:  # pragma: no cover - every parameter of CONSTRAINT_PARAMETERS is handled or refused above
            raise Unsupported(f"{node}: sh:{name}")


# Evaluation --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawResult:
    """One result in the store's terms; ``constraint`` is None for a qualified count's second component."""

    shape: Shape
    component: ox.NamedNode
    constraint: Constraint
    focus: object
    value: object = None


def graph_terms(graphs: Sequence) -> list:
    """Graph names (strings) as pyoxigraph terms; terms (``ox.DefaultGraph()`` too) as they are."""
    return [ox.NamedNode(g) if isinstance(g, str) else g for g in graphs]


class _Data:
    """The data graph: the union of some graphs of a store, read one predicate at a time."""

    def __init__(self, store: ox.Store, graphs: Sequence):
        self.store = store
        self.graphs = graph_terms(graphs)
        self._forward: dict = {}
        self._inverse: dict = {}
        self._superclasses: dict = {}
        self._instances: dict = {}

    def _read(self, predicate) -> tuple[dict, dict]:
        forward: dict = {}
        inverse: dict = {}
        first = True
        for graph in self.graphs:
            for quad in self.store.quads_for_pattern(None, predicate, None, graph):
                subject, obj = quad.subject, quad.object
                values = forward.get(subject)
                if values is None:
                    forward[subject] = [obj]
                elif first or obj not in values:
                    values.append(obj)
                else:
                    continue
                others = inverse.get(obj)
                if others is None:
                    inverse[obj] = [subject]
                else:
                    others.append(subject)
            first = False
        if len(self.graphs) > 1:  # a triple in two graphs counts once: drop repeats the first graph had
            for table in (forward, inverse):
                for key, values in table.items():
                    if len(values) > 1 and len(set(values)) < len(values):
                        table[key] = list(dict.fromkeys(values))
        self._forward[predicate] = forward
        self._inverse[predicate] = inverse
        return forward, inverse

    def forward(self, predicate) -> dict:
        found = self._forward.get(predicate)
        return found if found is not None else self._read(predicate)[0]

    def inverse(self, predicate) -> dict:
        found = self._inverse.get(predicate)
        return found if found is not None else self._read(predicate)[1]

    def superclasses(self, cls) -> frozenset:
        """``cls`` and everything it is an rdfs:subClassOf of, transitively."""
        found = self._superclasses.get(cls)
        if found is None:
            parents = self.forward(RDFS_SUBCLASS)
            found, pending = {cls}, [cls]
            while pending:
                for parent in parents.get(pending.pop(), ()):
                    if parent not in found:
                        found.add(parent)
                        pending.append(parent)
            found = self._superclasses[cls] = frozenset(found)
        return found

    def instances(self, cls) -> set:
        """The SHACL instances of ``cls``: nodes typed with it or a subclass of it."""
        found = self._instances.get(cls)
        if found is None:
            children = self.inverse(RDFS_SUBCLASS)
            classes, pending = {cls}, [cls]
            while pending:
                for child in children.get(pending.pop(), ()):
                    if child not in classes:
                        classes.add(child)
                        pending.append(child)
            typed = self.inverse(RDF_TYPE)
            found = set()
            for each in classes:
                found.update(typed.get(each, ()))
            self._instances[cls] = found
        return found

    def is_instance(self, node, cls) -> bool:
        if isinstance(node, ox.Literal):
            return False
        return any(cls in self.superclasses(each) for each in self.forward(RDF_TYPE).get(node, ()))


_EMPTY: tuple = ()


class _Evaluator:
    def __init__(self, data: _Data):
        self.data = data
        self._bad: dict = {}
        self._instance_memo: dict = {}

    # Focus and value nodes

    def focus_nodes(self, shape: Shape) -> set:
        found = set(shape.target_nodes)
        for cls in shape.target_classes:
            found |= self.data.instances(cls)
        for predicate in shape.subjects_of:
            found.update(self.data.forward(predicate))
        for predicate in shape.objects_of:
            found.update(self.data.inverse(predicate))
        return found

    def value_map(self, shape: Shape, nodes: Iterable, with_empty: bool = True) -> dict:
        if not shape.is_property_shape:
            return {node: [node] for node in nodes}
        table = (self.data.inverse if shape.inverse else self.data.forward)(shape.path)
        if with_empty:
            return {node: table.get(node, _EMPTY) for node in nodes}
        if not isinstance(nodes, (set, frozenset, dict)):
            nodes = set(nodes)
        if len(table) < len(nodes):
            return {node: values for node, values in table.items() if node in nodes}
        return {node: table[node] for node in nodes if node in table}

    # Results

    def run(self, shape: Shape, nodes: Iterable) -> list[RawResult]:
        """Every result of validating ``nodes`` (the focus nodes) against ``shape``, with pySHACL's
        multiplicities (a value reached from two focus nodes is validated twice by sh:property)."""
        if shape.deactivated:
            return []
        needs_empty = any(
            (c.kind == "minCount" and c.values[0] > 0)
            or (c.kind == "qualified" and (c.extra["min"] or 0) > 0)
            for c in shape.constraints
        )
        values = self.value_map(shape, nodes, with_empty=needs_empty)
        results: list[RawResult] = []
        for constraint in shape.constraints:
            self.evaluate(shape, constraint, values, results)
        for child in shape.properties:
            counts: dict = {}
            for vals in values.values():
                for value in vals:
                    counts[value] = counts.get(value, 0) + 1
            for result in self.run(child, counts):
                results.extend([result] * counts[result.focus])
        return results

    def bad_nodes(self, shape: Shape, nodes: Iterable, mode: str) -> set:
        """The nodes that do not conform to ``shape`` (mode "conform": pySHACL's is_conform with
        warnings and infos allowed) or that give it any result (mode "report", as sh:node asks)."""
        if shape.deactivated or (mode == "conform" and shape.severity in ALLOWED_SEVERITIES):
            return set()
        memo = self._bad.setdefault((id(shape), mode), {})
        todo = [node for node in nodes if node not in memo]
        if todo:
            values = self.value_map(shape, todo)
            results: list[RawResult] = []
            for constraint in shape.constraints:
                self.evaluate(shape, constraint, values, results)
            bad = {result.focus for result in results}
            for child in shape.properties:
                children = {value for vals in values.values() for value in vals}
                child_bad = self.bad_nodes(child, children, mode)
                if child_bad:
                    bad.update(node for node, vals in values.items() if any(v in child_bad for v in vals))
            for node in todo:
                memo[node] = node in bad
        return {node for node in nodes if memo[node]}

    def evaluate(self, shape: Shape, constraint: Constraint, values: dict, out: list) -> None:
        getattr(self, "_" + constraint.kind)(shape, constraint, values, out)

    def _result(self, out, shape, constraint, focus, value=None, component=None):
        out.append(RawResult(shape, component or COMPONENTS[constraint.kind], constraint, focus, value))

    def _class(self, shape, constraint, values, out):
        memo = self._instance_memo
        for cls in constraint.values:
            for focus, vals in values.items():
                for value in vals:
                    key = (value, cls)
                    ok = memo.get(key)
                    if ok is None:
                        ok = memo[key] = self.data.is_instance(value, cls)
                    if not ok:
                        self._result(out, shape, constraint, focus, value)

    def _datatype(self, shape, constraint, values, out):
        (datatype,) = constraint.values
        for focus, vals in values.items():
            for value in vals:
                if not _has_datatype(value, datatype):
                    self._result(out, shape, constraint, focus, value)

    def _nodeKind(self, shape, constraint, values, out):
        kinds = NODE_KINDS.get(constraint.values[0], ())
        for focus, vals in values.items():
            for value in vals:
                if not isinstance(value, kinds):
                    self._result(out, shape, constraint, focus, value)

    def _minCount(self, shape, constraint, values, out):
        minimum = constraint.values[0]
        if minimum == 0:
            return
        for focus, vals in values.items():
            if len(vals) < minimum:
                self._result(out, shape, constraint, focus)

    def _maxCount(self, shape, constraint, values, out):
        maximum = constraint.values[0]
        for focus, vals in values.items():
            if len(vals) > maximum:
                self._result(out, shape, constraint, focus)

    def _range(self, shape, constraint, values, out, accept):
        for bound in constraint.values:
            for focus, vals in values.items():
                for value in vals:
                    order = _compare(value, bound) if isinstance(value, ox.Literal) else None
                    if order is None or not accept(order):
                        self._result(out, shape, constraint, focus, value)

    def _minInclusive(self, shape, constraint, values, out):
        self._range(shape, constraint, values, out, lambda order: order >= 0)

    def _maxInclusive(self, shape, constraint, values, out):
        self._range(shape, constraint, values, out, lambda order: order <= 0)

    def _minExclusive(self, shape, constraint, values, out):
        self._range(shape, constraint, values, out, lambda order: order > 0)

    def _maxExclusive(self, shape, constraint, values, out):
        self._range(shape, constraint, values, out, lambda order: order < 0)

    def _minLength(self, shape, constraint, values, out):
        minimum = constraint.values[0]
        for focus, vals in values.items():
            for value in vals:
                if minimum and (isinstance(value, ox.BlankNode) or len(value.value) < minimum):
                    self._result(out, shape, constraint, focus, value)

    def _maxLength(self, shape, constraint, values, out):
        maximum = constraint.values[0]
        for focus, vals in values.items():
            for value in vals:
                if isinstance(value, ox.BlankNode) or len(value.value) > maximum:
                    self._result(out, shape, constraint, focus, value)

    def _pattern(self, shape, constraint, values, out):
        for compiled in constraint.extra["compiled"]:
            for focus, vals in values.items():
                for value in vals:
                    if isinstance(value, ox.BlankNode) or not compiled.search(value.value):
                        self._result(out, shape, constraint, focus, value)

    def _languageIn(self, shape, constraint, values, out):
        wanted = constraint.values[0]
        wildcard = "*" in wanted
        for focus, vals in values.items():
            for value in vals:
                language = value.language if isinstance(value, ox.Literal) else None
                if not language or not (
                    wildcard or language.lower() in wanted or language.split("-")[0].lower() in wanted
                ):
                    self._result(out, shape, constraint, focus, value)

    def _uniqueLang(self, shape, constraint, values, out):
        for focus, vals in values.items():
            if len(vals) < 2:
                continue
            seen, duplicates = set(), []
            for value in vals:
                language = value.language if isinstance(value, ox.Literal) else None
                if language:
                    low = language.lower()
                    if low in seen and low not in duplicates:
                        duplicates.append(low)
                    seen.add(low)
            for _language in duplicates:
                self._result(out, shape, constraint, focus)

    def _in(self, shape, constraint, values, out):
        members = constraint.values[0]
        for focus, vals in values.items():
            for value in vals:
                if value not in members:
                    self._result(out, shape, constraint, focus, value)

    def _lessThan(self, shape, constraint, values, out):
        for predicate in constraint.values:
            others = self.data.forward(predicate)
            for focus, vals in values.items():
                compare = others.get(focus, _EMPTY)
                for value in vals:
                    for other in compare:
                        if not _less_than(value, other):
                            self._result(out, shape, constraint, focus, value)

    def _not(self, shape, constraint, values, out):
        nodes = {value for vals in values.values() for value in vals}
        for other in constraint.values:
            bad = self.bad_nodes(other, nodes, "conform")
            for focus, vals in values.items():
                for value in vals:
                    if value not in bad:  # it conforms, so the sh:not fails
                        self._result(out, shape, constraint, focus, value)

    def _or(self, shape, constraint, values, out):
        nodes = {value for vals in values.values() for value in vals}
        for members in constraint.values:
            passing: set = set()
            for member in members:
                passing |= nodes - self.bad_nodes(member, nodes, "conform")
            for focus, vals in values.items():
                for value in vals:
                    if value not in passing:
                        self._result(out, shape, constraint, focus, value)

    def _node(self, shape, constraint, values, out):
        nodes = {value for vals in values.values() for value in vals}
        for other in constraint.values:
            bad = self.bad_nodes(other, nodes, "report")
            if bad:
                for focus, vals in values.items():
                    for value in vals:
                        if value in bad:
                            self._result(out, shape, constraint, focus, value)

    def _qualified(self, shape, constraint, values, out):
        minimum, maximum = constraint.extra["min"], constraint.extra["max"]
        nodes = {value for vals in values.values() for value in vals}
        for value_shape in constraint.values:
            passing = nodes - self.bad_nodes(value_shape, nodes, "conform")
            for sibling in constraint.extra["siblings"][value_shape.node]:
                passing -= nodes - self.bad_nodes(sibling, nodes, "conform")
            for focus, vals in values.items():
                count = sum(1 for value in vals if value in passing)
                if maximum is not None and count > maximum:
                    self._result(out, shape, constraint, focus, component=COMPONENTS["qualifiedMaxCount"])
                if minimum is not None and count < minimum:
                    self._result(out, shape, constraint, focus, component=COMPONENTS["qualifiedMinCount"])


def validate(store: ox.Store, shapes: ShapeSet, graphs: Sequence) -> list[RawResult]:
    """Every result of the targeted shapes over the union of ``graphs`` (names, or pyoxigraph graph
    terms) in ``store``."""
    evaluator = _Evaluator(_Data(store, graphs))
    results: list[RawResult] = []
    for shape in shapes.targeted:
        if shape.deactivated:
            continue
        focus = evaluator.focus_nodes(shape)
        if focus:
            results.extend(evaluator.run(shape, focus))
    return results


# Literals ----------------------------------------------------------------------------------------------


def _number(literal: ox.Literal):
    """The value of an integer or decimal literal in canonical form, else None."""
    datatype, text = literal.datatype, literal.value
    if datatype in _INTEGER_TYPES:
        return int(text) if _CANONICAL_INTEGER.fullmatch(text) else None
    if datatype == _DECIMAL and _CANONICAL_DECIMAL.fullmatch(text):
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return None
    return None


def _has_datatype(value, datatype) -> bool:
    """pySHACL's sh:datatype test (DatatypeConstraintComponent.evaluate)."""
    if not isinstance(value, ox.Literal):
        return False
    if datatype == RDFS_LITERAL:
        return True
    if datatype == RDFS_DATATYPE:
        return value.datatype not in (XSD_STRING, RDF_LANGSTRING)
    if value.datatype != datatype:
        return False
    if datatype in (XSD_STRING, RDF_LANGSTRING) or datatype not in _RDFLIB_PARSED:
        return True
    pattern = _WELL_TYPED.get(datatype)
    if pattern is not None and pattern.fullmatch(value.value):
        if datatype.value.endswith("#date"):
            from exodus_kg.rdf.xsd_lexical import is_valid

            return bool(is_valid(value.value, datatype.value))
        return True
    return _rdflib_has_datatype(value, datatype)


def _rdflib_has_datatype(value: ox.Literal, datatype) -> bool:
    """The rare literal the fast path does not settle, read by rdflib as pySHACL reads it."""
    import logging
    from datetime import date, datetime, time

    import rdflib

    logger = logging.getLogger("rdflib.term")
    was_disabled, logger.disabled = logger.disabled, True
    try:
        literal = rdflib.Literal(value.value, datatype=rdflib.URIRef(datatype.value))
    finally:
        logger.disabled = was_disabled
    if getattr(literal, "ill_typed", None) is True:
        return False
    kinds = {
        "integer": int,
        "float": float,
        "decimal": Decimal,
        "boolean": bool,
        "date": date,
        "time": time,
        "dateTime": datetime,
    }
    kind = kinds.get(datatype.value[len(XSD) :]) if datatype.value.startswith(XSD) else None
    return kind is None or isinstance(literal.value, kind)


def _to_rdflib_literal(literal: ox.Literal):
    import rdflib

    if literal.language:
        return rdflib.Literal(literal.value, lang=literal.language)
    if literal.datatype == XSD_STRING:
        return rdflib.Literal(literal.value)
    return rdflib.Literal(literal.value, datatype=rdflib.URIRef(literal.datatype.value))


def _compare(value: ox.Literal, bound: ox.Literal) -> int | None:
    """pySHACL's comparison of a value with a range bound: -1, 0 or 1, None when they do not compare."""
    left, right = _number(value), _number(bound)
    if left is not None and right is not None:
        return (left > right) - (left < right)
    from pyshacl.rdfutil import compare_literal

    v, m = _to_rdflib_literal(value), _to_rdflib_literal(bound)
    if isinstance(v.value, str) != isinstance(m.value, str):
        return None
    try:
        return compare_literal(v, m)
    except (TypeError, NotImplementedError):
        return None


def _less_than(value, other) -> bool:
    """pySHACL's sh:lessThan test of one pair (LessThanConstraintComponent._compare_lt)."""
    if isinstance(value, ox.BlankNode) or isinstance(other, ox.BlankNode):
        raise Unsupported("sh:lessThan on a blank node")
    if isinstance(value, ox.Literal) and isinstance(other, ox.Literal):
        left, right = _number(value), _number(other)
        if left is not None and right is not None:
            return left < right

    def plain(term):
        if isinstance(term, ox.NamedNode):
            return term.value, True
        literal = _to_rdflib_literal(term)
        return (literal.value, True) if isinstance(literal.value, str) else (literal, False)

    (left, left_string), (right, right_string) = plain(value), plain(other)
    if left_string != right_string:
        return False
    try:
        return bool(left < right)
    except TypeError:
        return False
