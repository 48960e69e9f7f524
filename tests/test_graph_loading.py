"""graph_loading.py: RDF files into rdflib graphs, or by Oxigraph into a store with the same triples;
every failure names the file and the line, the same way on both paths."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from exodus_kg.errors import InputError
from exodus_kg.pipeline.graph_loading import load_graphs, load_into_store, parse_file
from exodus_kg.project import Project, rdf_extension
from exodus_kg.rdf.namespaces import XSD
from exodus_kg.rdf.terms import TermMap, is_rdf_triple

GOOD_TURTLE = "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n"


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_turtle_parses(tmp_path):
    graph = parse_file(write(tmp_path, "good.ttl", GOOD_TURTLE))
    assert len(graph) == 1


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n', 3, "string"),
        ("@prefix ex: <http://example.org/> .\n\n\nex:a foo:b ex:c .\n", 4, 'Prefix "foo:" not bound'),
        ("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c\nex:d ex:e ex:f .\n", 3, ""),
    ],
    ids=["unterminated-string", "unbound-prefix", "missing-dot"],
)
def test_turtle_syntax_error_names_file_and_line(tmp_path, text, line, reason):
    path = write(tmp_path, "broken.ttl", text)
    with pytest.raises(InputError) as caught:
        parse_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}:"), message
    assert "Turtle syntax error" in message
    assert reason in message
    assert "\n" not in message


def test_not_utf8_is_named_with_its_line(tmp_path):
    path = write(tmp_path, "latin1.ttl", GOOD_TURTLE.encode() + b'<http://e/a> <http://e/b> "caf\xe9" .\n')
    with pytest.raises(InputError, match=rf"{path}:3: not UTF-8 \(byte 0xe9"):
        parse_file(path)


@pytest.mark.parametrize("content", ["", "  \n\n"], ids=["zero-bytes", "blank"])
def test_empty_file_is_an_error(tmp_path, content):
    path = write(tmp_path, "empty.ttl", content)
    with pytest.raises(InputError, match="the file is empty"):
        parse_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        parse_file(tmp_path / "nowhere.ttl")


def test_unknown_extension(tmp_path):
    path = write(tmp_path, "data.csv", "a,b\n")
    with pytest.raises(InputError, match=r"unknown RDF file extension '\.csv'"):
        parse_file(path)


def test_other_formats_by_extension(tmp_path):
    nt = write(tmp_path, "a.nt", "<http://e/a> <http://e/b> <http://e/c> .\n")
    rdfxml = write(
        tmp_path,
        "b.rdf",
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">'
        '<rdf:Description rdf:about="http://e/x"><e:p>v</e:p></rdf:Description></rdf:RDF>\n',
    )
    graph = load_graphs([nt, rdfxml])
    assert (rdflib.URIRef("http://e/x"), rdflib.URIRef("http://e/p"), rdflib.Literal("v")) in graph
    assert len(graph) == 2


def test_rdfxml_error_has_a_line(tmp_path):
    path = write(
        tmp_path, "bad.rdf", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<oops\n'
    )
    with pytest.raises(InputError, match=rf"{path}:\d+: RDF/XML syntax error"):
        parse_file(path)


def test_ntriples_error_names_the_file(tmp_path):
    path = write(tmp_path, "bad.nt", "<http://e/a> <http://e/b> .\n")
    with pytest.raises(InputError, match=rf"{path}: cannot parse as nt"):
        parse_file(path)


# --- load_into_store: Oxigraph's parse into a store, with load_graphs's triples and errors -------------

ROOT = Path(__file__).resolve().parents[1]
LAYER = "https://w3id.org/exodus-kg/graph/asserted"


def stored(store: ox.Store) -> set:
    """The quads of a store with canonical blank-node names, to compare two loads up to those names."""
    dataset = ox.Dataset(store)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def through_rdflib(paths) -> set:
    """What the build's store held from load_graphs: its triples in the layer (the store keeps numbers
    and dates as values, and language tags in lower case, whoever parsed them)."""
    store = ox.Store()
    layer, terms = ox.NamedNode(LAYER), TermMap()
    store.extend(terms.quad(triple, layer) for triple in load_graphs(paths) if is_rdf_triple(triple))
    return stored(store)


def through_oxigraph(paths) -> set:
    store = ox.Store()
    added = load_into_store(paths, store, LAYER)
    assert added == len(store)
    return stored(store)


def error_of(load, paths) -> str | None:
    try:
        load(paths)
    except InputError as error:
        return str(error)
    return None


def project_layers():
    project = Project(ROOT)
    return {"ontology": project.ontology_files(), "asserted": project.asserted_files(), "links": project.link_files()}


def fixture_files():
    data = ROOT / "tests" / "data"
    return sorted(path for path in data.rglob("*") if path.is_file() and rdf_extension(path))


@pytest.mark.parametrize("layer", ["ontology", "asserted", "links"])
def test_load_into_store_gives_the_project_the_triples_of_load_graphs(layer):
    paths = project_layers()[layer]
    assert through_oxigraph(paths) == through_rdflib(paths)


@pytest.mark.parametrize("path", fixture_files(), ids=lambda path: str(path.relative_to(ROOT / "tests" / "data")))
def test_load_into_store_gives_every_fixture_the_triples_or_the_error_of_load_graphs(path):
    expected = error_of(load_graphs, [path])
    if expected is not None:
        assert error_of(through_oxigraph, [path]) == expected
    else:
        assert through_oxigraph([path]) == through_rdflib([path])


TTL_PREFIXES = "@prefix ex: <http://example.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"

# Inputs that load, each in a file of its own (name -> text), where the two parsers could part ways.
GOOD_INPUTS = {
    "numbers.ttl": TTL_PREFIXES + 'ex:a ex:n 2800000000.0, 007, +5, 1e3, "1.50"^^xsd:decimal, true, "1"^^xsd:boolean .\n'
    'ex:a ex:n "+5"^^xsd:int, "0417"^^xsd:short, "INF"^^xsd:double, "-0"^^xsd:nonNegativeInteger .\n',
    "dates.ttl": TTL_PREFIXES + 'ex:a ex:d "2024-08-05Z"^^xsd:date, "2024-08"^^xsd:gYearMonth, "12:00:00.000"^^xsd:time .\n',
    "language.ttl": TTL_PREFIXES + 'ex:a ex:l "x"@EN-us, "y"@zh-Hant, "z"^^xsd:string, "z" .\n',
    "whitespace.ttl": TTL_PREFIXES + 'ex:a ex:t "  a \\t b  "^^xsd:token, " a\\tb "^^xsd:normalizedString .\n',
    "blank-a.ttl": TTL_PREFIXES + "_:b1 ex:p ex:a . ex:a ex:q [ ex:r _:b1 ] .\n",
    "blank-b.ttl": TTL_PREFIXES + "_:b1 ex:p ex:b . ex:b ex:q ( 1 2 _:b1 ) .\n",
    "base.ttl": "@base <http://example.org/base/> .\n<x> <../y> <#z> . <> <?q> <//other/x> .\n",
    "relative.ttl": "<x> <http://example.org/p> <y/../z>, <./w>, <?q>, <#f>, <> .\n",
    "dot-segments.ttl": "@base <http://a/b/c/d;p?q> .\n<g/./h> <http://p> <?y>, </../g>, <g;x=1/../y>, <..>, <g?y/./x> .\n",
    "crlf.ttl": TTL_PREFIXES.replace("\n", "\r\n") + 'ex:a ex:c """two\r\nlines""" .\r\n',
    "bom.ttl": "\ufeff" + TTL_PREFIXES + "ex:a ex:b ex:c .\n",
    "tilde.ttl": TTL_PREFIXES + '<http://example.org/~user> ex:says "a ~ b" .\n',
    "chinese.ttl": TTL_PREFIXES + 'ex:出埃及 ex:標籤 "反向出埃及記"@zh-Hant .\n',
    "graphs.trig": TTL_PREFIXES + "ex:a ex:b ex:c .\nex:g { ex:d ex:e _:x }\n_:g { _:x ex:f ex:h }\n",
    "quads.nq": "<http://e/a> <http://e/b> <http://e/c> <http://e/g> .\n<http://e/a> <http://e/b> _:x .\n_:x <http://e/b> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> _:g .\n",
    "lines.nt": '<http://e/a> <http://e/b> "c\\td" .\n_:x <http://e/b> "2024-08-05"^^<http://www.w3.org/2001/XMLSchema#date> .\n',
    "graph.jsonld": '{"@context": {"ex": "http://example.org/"}, "@id": "ex:g", "@graph": [{"@id": "ex:a", "ex:b": "c"}]}\n',
    "context.jsonld": '{"@context": {"ex": "http://example.org/", "name": "ex:name"}}\n',
    "document.rdf": '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">'
    '<rdf:Description rdf:about="http://e/x"><e:p>v</e:p><e:q rdf:nodeID="n"/></rdf:Description></rdf:RDF>\n',
    "formula.n3": "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n",
}


@pytest.mark.parametrize("name", list(GOOD_INPUTS))
def test_load_into_store_reads_each_format_as_load_graphs_does(tmp_path, name):
    path = write(tmp_path, name, GOOD_INPUTS[name])
    assert through_oxigraph([path]) == through_rdflib([path])


def test_blank_nodes_of_two_files_stay_apart_and_gzip_is_read(tmp_path):
    import gzip

    first = write(tmp_path, "blank-a.ttl", GOOD_INPUTS["blank-a.ttl"])
    second = write(tmp_path, "blank-b.ttl.gz", gzip.compress(GOOD_INPUTS["blank-b.ttl"].encode()))
    assert through_oxigraph([first, second]) == through_rdflib([first, second])


# Bad inputs, each in a file of its own: every case of tests/test_bad_input.py, test_value_ranges.py and
# the table of docs/errors.md that the loader sees, and the places where Oxigraph is stricter or laxer.
BAD_INPUTS = {
    "unterminated.ttl": TTL_PREFIXES + 'ex:a ex:b "no end to this string@en .\n',
    "long-string.ttl": TTL_PREFIXES + 'ex:a ex:c """opens here and never closes .\n' + 'ex:b ex:c "x" .\n' * 30,
    "prefix.ttl": TTL_PREFIXES + '\n\nex:a foaf:name "X" .\n',
    "missing-dot.ttl": TTL_PREFIXES + "ex:a ex:b ex:c\nex:d ex:e ex:f .\n",
    "after-chinese.ttl": TTL_PREFIXES + 'ex:a ex:l "第1個實體，反向出埃及記"@zh-Hant .\n' * 40 + '出埃及 ex:a ex:l "x" .\n',
    "empty.ttl": "  \n\n",
    "latin1.ttl": TTL_PREFIXES.encode() + b'ex:a ex:l "caf\xe9" .\n',
    "abc-date.ttl": TTL_PREFIXES + 'ex:a ex:d "abc"^^xsd:date .\n',
    "feb-30.ttl": TTL_PREFIXES + 'ex:a ex:d "2024-02-30"^^xsd:date .\n',
    "basic-date.ttl": TTL_PREFIXES + 'ex:a ex:d "20240805"^^xsd:date .\n',
    "word-year.ttl": TTL_PREFIXES + 'ex:a ex:d "abcd"^^xsd:gYear .\n',
    "month-13.ttl": TTL_PREFIXES + 'ex:a ex:d "2024-13"^^xsd:gYearMonth .\n',
    "yes.ttl": TTL_PREFIXES + 'ex:a ex:d "yes"^^xsd:boolean .\n',
    "fullwidth.ttl": TTL_PREFIXES + 'ex:a ex:d "１２"^^xsd:integer .\n',
    "beyond-64-bits.ttl": TTL_PREFIXES + '\nex:a ex:n "9223372036854775808"^^xsd:integer .\n',
    "huge.ttl": TTL_PREFIXES + f'ex:a ex:d "{"9" * 100_000}x"^^xsd:date .\n',
    "space.ttl": TTL_PREFIXES + "ex:a ex:b <https://w3id.org/exodus-kg/id/sam altman> .\n",
    "pipe.ttl": TTL_PREFIXES + "ex:a ex:b <https://w3id.org/exodus-kg/id/a|b> .\n",
    "caret.ttl": TTL_PREFIXES + "ex:a ex:b <https://w3id.org/exodus-kg/id/a^b> .\n",
    "braces.ttl": TTL_PREFIXES + "ex:a ex:b <https://w3id.org/exodus-kg/id/{slug}> .\n",
    "percent.ttl": TTL_PREFIXES + "ex:a ex:b <https://w3id.org/exodus-kg/id/%zz> .\n",
    "langstring.ttl": TTL_PREFIXES + 'ex:a ex:b "x"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#langString> .\n',
    "escaped-space.ttl": TTL_PREFIXES + "ex:a ex:b <https://w3id.org/exodus-kg/id/sam\\u0020altman> .\n",
    "backtick.ttl": TTL_PREFIXES + "ex:a ex:b <https://w3id.org/exodus-kg/id/`x`> .\n",
    "two-hashes.ttl": TTL_PREFIXES + "ex:a ex:b <https://w3id.org/exodus-kg/ontology#a#b> .\n",
    "host.ttl": TTL_PREFIXES + "ex:a ex:b <http://[::1/x> .\n",
    "bad-datatype-iri.ttl": TTL_PREFIXES + 'ex:a ex:b "x"^^<http://e/a b> .\n',
    "nonsense.ttl": TTL_PREFIXES + 'ex:a ex:b "1"^^xsd:nonsense .\n',
    "xml-literal.ttl": TTL_PREFIXES + 'ex:a ex:b "<b>never closed"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral> .\n',
    "language-tag.ttl": TTL_PREFIXES + 'ex:a ex:b "x"@en-abcdefghijk .\n',
    "triple-term.ttl": TTL_PREFIXES + "ex:a ex:b <<( ex:a ex:b ex:c )>> .\n",
    "reifier.ttl": TTL_PREFIXES + "ex:a ex:b ex:c ~ ex:r .\n",
    "direction.ttl": TTL_PREFIXES + 'ex:a ex:b "x"@en--ltr .\n',
    "version.ttl": 'VERSION "1.2"\n' + TTL_PREFIXES + "ex:a ex:b ex:c .\n",
    "inf.ttl": TTL_PREFIXES + 'ex:a ex:b "inf"^^xsd:double .\n',
    "midnight.ttl": TTL_PREFIXES + 'ex:a ex:b "2024-08-05T24:00:00"^^xsd:dateTime .\n',
    "minus-zero.ttl": TTL_PREFIXES + 'ex:a ex:b "-0"^^xsd:unsignedInt .\n',
    "escaped-inf.ttl": TTL_PREFIXES + 'ex:a ex:b "\\u0069nf"^^xsd:float .\n',
    "plus-int.ttl": TTL_PREFIXES + '\nex:a ex:b "+2147483648"^^xsd:int .\n',
    "padded-byte.ttl": TTL_PREFIXES + '\nex:a ex:b "0417"^^xsd:byte .\n',
    "year-zero.ttl": TTL_PREFIXES + '\nex:a ex:b "0000-01-01"^^xsd:date .\n',
    "long-decimal.ttl": TTL_PREFIXES + 'ex:a ex:b 0.1234567890123456789 .\n',
    "bad.nt": "<http://e/a> <http://e/b> .\n",
    "relative.nt": "<a> <http://e/b> <http://e/c> .\n",
    "bad.nq": "<http://e/a> <http://e/b> <http://e/c> <http://e/g> <http://e/x> .\n",
    "bad.trig": TTL_PREFIXES + "ex:g { ex:a ex:b ex:c \n",
    "bad-iri.trig": TTL_PREFIXES + "ex:g { ex:a ex:b <http://e/a b> }\n",
    "bad.rdf": '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<oops\n',
    "remote.jsonld": '{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "http://e/x"}\n',
    "remote-list.jsonld": '{"@context": ["http://127.0.0.1:9/c.jsonld", {"ex": "http://e/"}], "@id": "http://e/x"}\n',
    "import.jsonld": '{"@context": {"@import": "http://127.0.0.1:9/c.jsonld"}}\n',
    "node.jsonld": '{\n  "@id": "https://w3id.org/exodus-kg/id/sam altman",\n  "http://www.w3.org/2000/01/rdf-schema#label": "x"\n}\n',
    "broken.jsonld": '{"@context": {"ex": "http://e/"}\n',
    "data.csv": "a,b\n",
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_load_into_store_refuses_bad_input_with_the_message_of_load_graphs(tmp_path, name):
    good = write(tmp_path, "good.ttl", GOOD_TURTLE)
    path = write(tmp_path, name, BAD_INPUTS[name])
    expected = error_of(load_graphs, [good, path])
    assert expected is not None and str(path) in expected
    assert error_of(through_oxigraph, [good, path]) == expected


@pytest.mark.parametrize("kind", ["missing", "folder", "fifo", "dev-null"])
def test_load_into_store_says_what_a_path_is_when_it_is_not_a_file(tmp_path, kind):
    import os

    path = {"missing": tmp_path / "nowhere.ttl", "folder": tmp_path, "fifo": tmp_path / "pipe.ttl",
            "dev-null": Path("/dev/null")}[kind]
    if kind == "fifo":
        os.mkfifo(path)  # never opened: a read would block
    expected = error_of(load_graphs, [path])
    assert expected is not None
    assert error_of(through_oxigraph, [path]) == expected


LEXICAL_FORMS = [
    "0", "-0", "+0", "007", "-007", "+5", "5.", ".5", "1e3", "1E+3", "INF", "-INF", "+INF", "NaN", "true", "false", "1",
    "yes", "1_000", " 5", "１２", "2147483648", "-129", "256", "65536", "4294967296", "9223372036854775808",
    "18446744073709551616", "0.1234567890123456789", "2024-08-05", "2024-8-5", "0000-01-01", "-2024-08-05",
    "10000-01-01", "2023-02-29", "2024-08-05Z", "2024-08-05-05:00", "2024-08-05+15:00", "2024-08-05T12:00:00",
    "2024-08-05T12:00:00.1234567Z", "2024-08-05T12:00:00+00:00", "2024-08-05T12:00", "0000-01-01T00:00:00",
    "12:00:00", "12:00:00.000", "12:00:00.5-01:00", "2024", "0000", "-0001", "12024", "2024-08", "--08", "--08-05",
    "---05", "--02-30", "P1D", "PT24H", "-P1D", "P", "1D", "ff", "zz", "YWJj", "abc", "<b>x</b>", "<b>x",
]
DATATYPES = [
    "boolean", "integer", "int", "long", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "decimal", "double", "float",
    "date", "dateTime", "dateTimeStamp", "time", "gYear", "gYearMonth", "gMonth", "gDay", "gMonthDay", "duration",
    "dayTimeDuration", "yearMonthDuration", "hexBinary", "base64Binary", "anyURI", "token", "language",
]


def test_the_literal_check_without_rdflib_judges_as_rdflib_does():
    """load_into_store judges Oxigraph's literals with the messages of check_literals, which asks rdflib
    whether it could read a literal (ill_typed); for the datatypes whose reading is known the answer is
    computed without rdflib. Both give the same verdict on every form here."""
    import logging

    from exodus_kg.pipeline.graph_loading import _ill_typed, literal_problem

    # As the loader reads them (load_graphs parses with NORMALIZE_LITERALS off): run alone, rdflib's
    # default would turn "-0"^^xsd:boolean into "false" before the message quotes it.
    logging.getLogger("rdflib.term").disabled = True
    was_normalizing, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:
        for name in [*DATATYPES, "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral", "http://e/own"]:
            datatype = name if ":" in name else XSD + name
            for lexical in LEXICAL_FORMS:
                read = rdflib.Literal(lexical, datatype=rdflib.URIRef(datatype))
                expected = literal_problem(str(read), datatype, bool(read.ill_typed))
                assert literal_problem(lexical, datatype, _ill_typed(lexical, datatype)) == expected, (lexical, name)
    finally:
        rdflib.NORMALIZE_LITERALS = was_normalizing
        logging.getLogger("rdflib.term").disabled = False


def test_load_into_store_reads_the_project_without_rdflib():
    """The build's load imports neither rdflib nor its parsers (150 ms of every build at 1x)."""
    import subprocess
    import sys

    code = (
        "import sys, pyoxigraph as ox\n"
        "from exodus_kg.project import Project\n"
        "from exodus_kg.pipeline.graph_loading import load_into_store\n"
        f"project = Project({str(ROOT)!r})\n"
        "store = ox.Store()\n"
        "for files in (project.ontology_files(), project.asserted_files(), project.link_files()):\n"
        "    load_into_store(files, store, 'https://w3id.org/exodus-kg/graph/x')\n"
        "print(len(store), 'rdflib' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, rdflib_loaded = result.stdout.split()
    assert int(count) > 6000 and rdflib_loaded == "False"
