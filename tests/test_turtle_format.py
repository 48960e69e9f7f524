"""Hand-edited Turtle stays in the one canonical serialization, so diffs stay readable."""

from __future__ import annotations

from pathlib import Path

import pytest

from exodus_kg.maintain.turtle_format import format_file

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "triples" / "source" / "article.txt"
CANONICAL_FILES = sorted(
    [ROOT / "ontology" / "exodus.ttl", *(ROOT / "triples").rglob("*.ttl"), *(ROOT / "ontology" / "shapes").glob("*.ttl")]
)


@pytest.mark.parametrize("path", CANONICAL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_file_is_canonical(path):
    result = format_file(path, ARTICLE, check_only=True)
    assert not result.changed, f"{path.relative_to(ROOT)} is not canonical: run `exodus fmt`"


def test_format_fills_offsets_and_rewrites_canonically(tmp_path):
    messy = tmp_path / "messy.ttl"
    messy.write_text(
        "@prefix exo: <https://w3id.org/exodus-kg/ontology#> .\n"
        "@prefix exd: <https://w3id.org/exodus-kg/id/> .\n"
        "exd:s exo:evidence [ exo:passage exd:article-p014 ; exo:quote \"估值100億美元\" ] .\n",
        encoding="utf-8",
    )
    result = format_file(messy, ARTICLE)
    assert result.changed and result.offsets_filled == 1
    text = messy.read_text(encoding="utf-8")
    assert "exo:start" in text and "exo:end" in text
    assert not format_file(messy, ARTICLE, check_only=True).changed


def test_ambiguous_quote_gets_no_offsets(tmp_path):
    ambiguous = tmp_path / "ambiguous.ttl"
    ambiguous.write_text(
        "@prefix exo: <https://w3id.org/exodus-kg/ontology#> .\n"
        "@prefix exd: <https://w3id.org/exodus-kg/id/> .\n"
        "exd:s exo:evidence [ exo:passage exd:article-p017 ; exo:quote \"估值\" ] .\n",
        encoding="utf-8",
    )
    assert format_file(ambiguous, ARTICLE).offsets_filled == 0


def test_canonical_form_is_stable_with_many_blank_nodes(tmp_path):
    # rdflib orders blank-node ids as text ("b10" < "b9"); without canonical renaming the order flips.
    evidence = " , ".join(f'[ exo:passage exd:article-p{i:03d} ; exo:quote "q{i}" ]' for i in range(2, 14))
    path = tmp_path / "many.ttl"
    path.write_text(
        "@prefix exo: <https://w3id.org/exodus-kg/ontology#> .\n"
        "@prefix exd: <https://w3id.org/exodus-kg/id/> .\n"
        f"exd:s exo:evidence {evidence} .\n",
        encoding="utf-8",
    )
    format_file(path, ARTICLE)
    first = path.read_text(encoding="utf-8")
    for _ in range(3):
        assert not format_file(path, ARTICLE, check_only=True).changed
    format_file(path, ARTICLE)
    assert path.read_text(encoding="utf-8") == first


def test_turtle_comments_are_found_outside_iris_strings_and_escapes():
    from exodus_kg.maintain.turtle_format import turtle_comments

    text = (
        "@prefix exd: <https://w3id.org/exodus-kg/id/> . # the ids\n"
        "# a whole line\n"
        'exd:a exd:b """multi # not\nline""" ; # after a long string\n'
        "  exd:c \"x # y\" , 'z # w' , <http://a#b> , exd:d\\#e .\n"
    )
    assert turtle_comments(text) == [(1, "# the ids"), (2, "# a whole line"), (4, "# after a long string")]
