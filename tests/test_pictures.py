"""The pictures (`exodus draw`): each a saved query plus a Graphviz renderer, checked from the SVG text.
The committed pictures under docs/pictures/ must match the graph: a stale one fails here."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from exodus_kg.publish import pictures

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "docs" / "pictures"
SVG = "{http://www.w3.org/2000/svg}"

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


@pytest.fixture(scope="module")
def store(article_project):
    from exodus_kg.pipeline.build import open_built

    return open_built(article_project)


@pytest.fixture(scope="module")
def svgs(store) -> dict[str, ET.Element]:
    return {name: ET.fromstring(pictures.render(pictures.draw_dot(store, name), "svg")) for name in pictures.PICTURES}


def group(svg: ET.Element, element_id: str) -> ET.Element:
    for element in svg.iter(f"{SVG}g"):
        if element.get("id") == element_id:
            return element
    raise AssertionError(f"no element {element_id!r} in the picture")


def texts(element: ET.Element) -> str:
    return " ".join(text.text or "" for text in element.iter(f"{SVG}text"))


def is_dashed(element: ET.Element) -> bool:
    return any(path.get("stroke-dasharray") for path in element.iter(f"{SVG}path"))


def test_diaspora_shows_who_went_where(svgs):
    svg = svgs["diaspora"]
    moved = group(svg, "john-schulman--moved-to--anthropic")
    assert texts(moved) == "moved to" and not is_dashed(moved)
    assert "founded" in texts(group(svg, "ilya-sutskever--founded--safe-superintelligence"))
    assert "$18B" in texts(group(svg, "anthropic"))
    assert "more than $1B" in texts(group(svg, "adept-ai"))
    # Musk founded Tesla before OpenAI: not a place he went after leaving
    assert all(element.get("id") != "tesla" for element in svg.iter(f"{SVG}g"))


def test_diaspora_draws_hedged_and_reversed_departures_as_such(svgs):
    svg = svgs["diaspora"]
    brockman = group(svg, "departure-greg-brockman-2024")
    assert "suspected" in texts(brockman) and is_dashed(brockman)
    altman = group(svg, "departure-sam-altman-2023")
    assert "reversed" in texts(altman) and "suspected" not in texts(altman)
    schulman = group(svg, "departure-john-schulman-2024")
    assert "resigned" in texts(schulman) and not is_dashed(schulman)


def test_timeline_lists_every_dated_statement_with_its_certainty(store, svgs):
    rows = pictures._rows(store, "picture-timeline")
    text = texts(svgs["timeline"])
    assert {row["date"] for row in rows} <= set(text.split())  # every date a heading
    assert min(row["date"] for row in rows) == "2014"
    assert "[rumoured]" in text and "[stated]" in text
    for row in rows:
        assert row["statementLabel"].split()[0] in text


def test_money_keeps_the_bounds(svgs):
    svg = svgs["money"]
    assert "more than $1B" in texts(group(svg, "adept-ai"))
    assert "$1B" in texts(group(svg, "investment-microsoft-openai-2019")) or "Microsoft" in texts(svg)
    assert "pledge (promised)" in texts(svg)


def test_ontology_parts_are_small_and_separate(svgs):
    statements = texts(svgs["ontology-statements"])
    assert "Departure" in statements and "organizationLeft →" in statements
    agents = texts(svgs["ontology-agents"])
    assert "Person" in agents and "Departure" not in agents
    quantities = texts(svgs["ontology-quantities"])
    assert "more than" in quantities and "suspected" in quantities and "MonetaryAmount" in quantities


@pytest.mark.parametrize("path", sorted(COMMITTED.glob("*.*")), ids=lambda path: path.name)
def test_committed_picture_is_not_stale(store, path):
    name = path.stem
    recorded = pictures.recorded_digest(path.read_bytes())
    current = pictures.dot_digest(pictures.draw_dot(store, name))
    assert recorded == current, (
        f"{path.relative_to(ROOT)} no longer matches the graph; redraw it: "
        f"exodus draw {name} -o {path.relative_to(ROOT)}"
    )


def test_readme_shows_the_diaspora_picture():
    assert "docs/pictures/diaspora.png" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert (COMMITTED / "diaspora.png").is_file()


def test_draw_writes_png_and_svg_and_refuses_other_formats(tmp_path):
    def draw(*args):
        return subprocess.run(
            [sys.executable, "-m", "exodus_kg", "--project", str(ROOT), "draw", *args],
            capture_output=True, text=True, timeout=300,
        )

    png = tmp_path / "money.png"
    done = draw("money", "-o", str(png))
    assert done.returncode == 0, done.stderr
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    assert pictures.recorded_digest(data)
    refused = draw("money", "-o", str(tmp_path / "money.gif"))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and ".svg, .png or .dot" in refused.stderr
    assert not (tmp_path / "money.gif").exists()
