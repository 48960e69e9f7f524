"""The project's namespaces and prefixes: the one table.

Plain strings, importable without rdflib (this module is on the path of every ``exodus query``). Code
that builds rdflib terms of the ontology uses the closed namespaces of the generated ``vocabulary.py``
(``EXO.Departure`` fails loudly when misspelt); these strings serve the rest: prefixes for queries,
IRI arguments and compact output, graph names, and the IRIs of the project's own resources.
"""

from __future__ import annotations

BASE = "https://w3id.org/exodus-kg/"
EXO = BASE + "ontology#"  # classes and properties
EXV = BASE + "vocab/"  # SKOS concepts (certainty, kinds, bounds)
EXD = BASE + "id/"  # the article's entities and statements
EXG = BASE + "graph/"  # the named graphs of the built dataset
EXSH = BASE + "shapes#"  # the SHACL shapes
CHECKS = BASE + "checks/"  # the SPARQL checks, one IRI per queries/checks/NAME-violation.rq
RULES = EXD + "rule-"  # the derivation rules, one IRI per queries/rules/NAME.rq

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"
TIME = "http://www.w3.org/2006/time#"
OA = "http://www.w3.org/ns/oa#"
DCTERMS = "http://purl.org/dc/terms/"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
SD = "http://www.w3.org/ns/sparql-service-description#"

# The prefixes of the project and of the vocabularies it aligns with: for ad-hoc queries (`exodus
# sparql` may leave out PREFIX lines), IRI arguments, compact output and canonical Turtle.
PREFIXES = {
    "exo": EXO,
    "exv": EXV,
    "exd": EXD,
    "exg": EXG,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "schema": SCHEMA,
    "prov": PROV,
    "org": ORG,
    "foaf": FOAF,
    "time": TIME,
    "oa": OA,
    "dcterms": DCTERMS,
    "wd": WD,
    "wdt": WDT,
}

EXM = BASE + "mapping#"  # the records of the Wikidata links

# The prefixes a validation report shows and binds (a selection: a report names shapes and checks,
# not the aligned vocabularies).
REPORT_PREFIXES = {
    "exd": EXD,
    "exo": EXO,
    "exv": EXV,
    "exsh": EXSH,
    "check": CHECKS,
    "wd": WD,
    "rdf": RDF,
    "rdfs": RDFS,
    "sh": SH,
    "skos": SKOS,
    "owl": OWL,
    "schema": SCHEMA,
    "dcterms": DCTERMS,
    "xsd": XSD,
}

# The prefixes canonical Turtle binds, in this order: those the hand-edited files use.
TURTLE_PREFIXES = {
    "exo": EXO,
    "exv": EXV,
    "exd": EXD,
    "wd": WD,
    "schema": SCHEMA,
    "org": ORG,
    "oa": OA,
    "time": TIME,
    "prov": PROV,
    "foaf": FOAF,
    "skos": SKOS,
    "dcterms": DCTERMS,
}

GRAPHS = {name: EXG + name for name in ("ontology", "asserted", "links", "inferred")}
