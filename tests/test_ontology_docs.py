"""`exodus docs`: the pyLODE page has one header (the ontology's own IRI and title), labels per language,
no external class listed beside the exo ones, and links to the diagrams; without pyLODE the command
names the extra to install. The Mermaid diagrams come in small parts."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from exodus_kg.maintain.ontology_docs import PICTURES, class_diagram, ontology_html

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "exodus.ttl"


class Headings(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.tag: str | None = None
        self.found: dict[str, list[str]] = {"title": [], "h1": [], "h2": [], "h3": []}
        self.entities: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag in self.found:
            self.tag = tag
            self.found[tag].append("")
        if tag == "div" and "entity" in (dict(attrs).get("class") or ""):
            self.entities.append(dict(attrs).get("id", ""))

    def handle_endtag(self, tag):
        if tag == self.tag:
            self.tag = None

    def handle_data(self, data):
        if self.tag:
            self.found[self.tag][-1] += data


@pytest.fixture(scope="module")
def page() -> str:
    return ontology_html(ONTOLOGY)


def test_one_header_with_the_ontologys_own_iri_and_title(page):
    headings = Headings(page)
    assert [t.strip() for t in headings.found["title"]] == ["exodus-kg ontology"]
    assert [h.strip() for h in headings.found["h1"]] == ["exodus-kg ontology"]
    metadata = page[page.index("<h2>Metadata</h2>") : page.index('id="diagrams"')]
    assert "https://w3id.org/exodus-kg/ontology<" in metadata or "https://w3id.org/exodus-kg/ontology\n" in metadata
    assert "https://w3id.org/exodus-kg/vocab/" not in metadata  # no concept scheme as the ontology
    assert "界限" not in "".join(headings.found["title"] + headings.found["h1"])


def test_labels_are_shown_per_language_not_glued(page):
    headings = Headings(page)
    titles = [re.sub(r"\s+", " ", h).strip() for h in headings.found["h3"]]
    assert any(t.startswith("departure · 離職 (zh-Hant)") for t in titles), titles[:5]
    assert not any("departure離職" in t.replace(" ", "") and "·" not in t for t in titles)


def test_no_external_class_is_listed_again(page):
    headings = Headings(page)
    titles = [re.sub(r"\s+", " ", h).strip() for h in headings.found["h3"]]
    for external in ("Person", "Organization", "Agent"):  # foaf:, org:, prov: terms aligned with exo's
        assert not any(t.split(" ")[0] == external for t in titles), external
    assert not [e for e in headings.entities if re.fullmatch(r"[A-Za-z]+\d", e)]  # no "Organization1"


def test_the_page_links_the_diagrams(page):
    for name, _title in PICTURES:
        assert f'href="pictures/{name}.svg"' in page
        assert (ROOT / "docs" / "pictures" / f"{name}.svg").is_file()


def test_mermaid_diagrams_are_small_parts_in_sync():
    from rdflib import Graph

    text = class_diagram(Graph().parse(ONTOLOGY, format="turtle"))
    assert (ROOT / "docs" / "class-diagram.md").read_text(encoding="utf-8") == text, "run `exodus docs`"
    blocks = re.findall(r"```mermaid\n(.*?)```", text, re.S)
    assert len(blocks) == 3
    for block in blocks:
        arrows = [line for line in block.splitlines() if "-->" in line]
        assert len(arrows) <= 12  # relations drawn as edges stay few; roles are members of their class
    assert "Departure : +organizationLeft Organization" in blocks[0]


def test_docs_without_pylode_names_the_extra(tmp_path):
    code = (
        "import sys; sys.modules['pylode'] = None\n"
        "from exodus_kg.entry_point import main\n"
        f"main(['--project', {str(ROOT)!r}, 'docs', '-o', {str(tmp_path / 'docs')!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "pip install 'exodus-kg[docs]'" in done.stderr
    assert not (tmp_path / "docs" / "class-diagram.md").exists()  # nothing half-written
