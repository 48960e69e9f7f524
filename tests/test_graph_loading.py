"""graph_loading.py: RDF files into rdflib graphs; every failure names the file and the line."""

from __future__ import annotations

import pytest
import rdflib

from exodus_kg.errors import InputError
from exodus_kg.pipeline.graph_loading import load_graphs, parse_file

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
