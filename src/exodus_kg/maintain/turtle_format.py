"""Canonical Turtle for the project's hand-edited files, and evidence offsets filled from the article.

The canonical serialization is rdflib's ``longturtle``: sorted, stable, diff-friendly. Turtle comments do
not survive it, so the project keeps its "why" notes in the data (``skos:editorialNote``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from exodus_kg.maintain.article_source import read_article_text, split_passages
from exodus_kg.rdf.namespaces import TURTLE_PREFIXES
from exodus_kg.rdf.vocabulary import EXO

PREFIXES = TURTLE_PREFIXES


@dataclass
class FormatResult:
    path: Path
    changed: bool
    offsets_filled: int
    dropped: list[tuple[int, str]] = field(default_factory=list)  # (line, comment) removed by a rewrite


def canonical_turtle(graph: Graph) -> str:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    # canon=True renames blank nodes canonically; without it, evidence nodes can swap places between runs.
    return graph.serialize(format="longturtle", canon=True)


def fill_offsets(graph: Graph, article_text: str) -> int:
    """Add exo:start/exo:end to evidence nodes that have exo:passage and exo:quote but no offsets."""
    passages = {p.iri: p for p in split_passages(article_text)}
    filled = 0
    for evidence, passage_iri in list(graph.subject_objects(EXO.passage)):
        if (evidence, EXO.start, None) in graph:
            continue
        quote = graph.value(evidence, EXO.quote)
        passage = passages.get(str(passage_iri))
        if quote is None or passage is None:
            continue
        first = passage.text.find(str(quote))
        if first < 0 or passage.text.find(str(quote), first + 1) >= 0:
            continue  # left for validation to report: not found, or ambiguous
        graph.add((evidence, EXO.start, Literal(passage.start + first, datatype=XSD.integer)))
        graph.add((evidence, EXO.end, Literal(passage.start + first + len(str(quote)), datatype=XSD.integer)))
        filled += 1
    return filled


def turtle_comments(text: str) -> list[tuple[int, str]]:
    """The comments of a Turtle document as (line, text): every ``#`` outside an IRI, a string or an
    escape, to the end of its line."""
    found: list[tuple[int, str]] = []
    index, line, length = 0, 1, len(text)
    while index < length:
        char = text[index]
        if char == "\n":
            line += 1
        elif char == "\\":
            index += 1  # an escaped character of a prefixed name (exd:a\#b)
        elif char == "<":
            end = text.find(">", index)
            if end >= 0 and "\n" not in text[index:end]:
                index = end
        elif char in "\"'":
            quote = text[index : index + 3] if text[index : index + 3] == char * 3 else char
            end = index + len(quote)
            while end < length and text[end : end + len(quote)] != quote:
                end += 2 if text[end] == "\\" else 1
            line += text.count("\n", index, end)
            index = end + len(quote) - 1
        elif char == "#":
            end = text.find("\n", index)
            end = length if end < 0 else end
            found.append((line, text[index:end].rstrip()))
            index = end - 1
        index += 1
    return found


def refuse_comments(paths: list[Path]) -> None:
    """An InputError naming the first file with Turtle comments (a rewrite would drop them), read
    before any file is rewritten."""
    from exodus_kg.errors import InputError

    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # format_file names what is wrong with it
        comments = turtle_comments(text)
        if comments:
            lines = ", ".join(str(number) for number, _ in comments[:10]) + (", ..." if len(comments) > 10 else "")
            raise InputError(
                f"{path}: {len(comments)} comment(s) would be lost (line {lines}); the canonical form keeps "
                "no comments: move them into the data (skos:editorialNote), or run exodus fmt --drop-comments"
            )


def format_file(
    path: Path, article_path: Path, check_only: bool = False, drop_comments: bool = False
) -> FormatResult:
    """Rewrite ``path`` canonically. A file with comments is refused (InputError naming them), since
    the canonical form cannot keep them, unless ``drop_comments``: then ``FormatResult.dropped``
    lists them."""
    from exodus_kg.pipeline.graph_loading import parse_file

    # The build's own reader first: its InputError names file, line and column (syntax, an empty
    # or non-UTF-8 file, an ill-typed literal) where rdflib's message is a multi-line dump.
    parse_file(path)
    original = path.read_text(encoding="utf-8")
    graph = Graph()
    graph.parse(data=original.removeprefix("\ufeff"), format="turtle", publicID=URIRef(path.resolve().as_uri()))
    filled = fill_offsets(graph, read_article_text(article_path))
    text = canonical_turtle(graph)
    changed = text != original
    comments = turtle_comments(original)
    if changed and comments and not check_only and not drop_comments:
        refuse_comments([path])
    if changed and not check_only:
        from exodus_kg.rdf.files import write_text_atomically

        write_text_atomically(path, text)
    return FormatResult(path, changed, filled, comments if changed and not check_only else [])
