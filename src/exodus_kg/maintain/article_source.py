"""The article as data: its passages (one per non-empty line) with character offsets.

Offsets count Unicode code points from 0 in the UTF-8 text of ``triples/source/article.txt``, the
convention of Web Annotation's TextPositionSelector; ``text[start:end]`` in Python is the passage.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from exodus_kg.rdf.namespaces import EXD

ID = EXD
ARTICLE_IRI = ID + "article"


@dataclass(frozen=True)
class Passage:
    index: int  # from 1; passage 1 is the title
    start: int
    end: int
    text: str

    @property
    def iri(self) -> str:
        return passage_iri(self.index)


def passage_iri(index: int) -> str:
    return f"{ARTICLE_IRI}-p{index:03d}"


def read_article_text(path: Path) -> str:
    from exodus_kg.errors import InputError

    # newline="" keeps the bytes' line endings: offsets must match the file exactly.
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except OSError as error:
        raise InputError(f"{path}: cannot read the article ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: the article is not UTF-8 (byte at offset {error.start})") from None


def split_passages(text: str) -> list[Passage]:
    passages: list[Passage] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            passages.append(Passage(len(passages) + 1, offset, offset + len(line), line))
        offset += len(line) + 1
    return passages


def sha256_hex(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def locate_quote(text: str, passages: list[Passage], passage_index: int, quote: str) -> tuple[int, int]:
    """Absolute (start, end) of ``quote`` inside passage ``passage_index``; it must occur exactly once."""
    passage = passages[passage_index - 1]
    first = passage.text.find(quote)
    if not quote or first < 0:
        raise ValueError(f"quote not found in passage {passage_index}: {quote!r}")
    if passage.text.find(quote, first + 1) >= 0:
        raise ValueError(f"quote occurs more than once in passage {passage_index}: {quote!r}")
    return passage.start + first, passage.start + first + len(quote)


def passages_graph(text: str):
    """The passages of the article as an rdflib graph (written to triples/source/passages.ttl)."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF, RDFS

    from exodus_kg.rdf.vocabulary import EXO as exo

    graph = Graph()
    graph.bind("exo", exo)
    graph.bind("exd", ID)
    article = URIRef(ARTICLE_IRI)
    for passage in split_passages(text):
        node = URIRef(passage.iri)
        graph.add((node, RDF.type, exo.Passage))
        graph.add((node, RDFS.label, Literal(f"passage {passage.index}", lang="en")))
        graph.add((node, RDFS.label, Literal(f"第{passage.index}段", lang="zh-Hant")))
        graph.add((node, exo.article, article))
        graph.add((node, exo.passageIndex, Literal(passage.index)))
        graph.add((node, exo.start, Literal(passage.start)))
        graph.add((node, exo.end, Literal(passage.end)))
        graph.add((node, exo.text, Literal(passage.text, lang="zh-Hant")))
    return graph
