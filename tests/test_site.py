"""`exodus site -o DIR`: a static site of the graph that works offline, generated from the built graph."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


class Page(HTMLParser):
    """The parts of a page the tests look at: title, links, loaded resources, ids and text."""

    def __init__(self, text: str):
        super().__init__()
        self.title = ""
        self.links: list[str] = []
        self.loads: list[str] = []
        self.ids: set[str] = set()
        self.classes: list[str] = []
        self.text_parts: list[str] = []
        self._in_title = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "title":
            self._in_title = True
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "class" in attrs:
            self.classes.extend(attrs["class"].split())
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag in ("script", "img", "iframe", "source") and attrs.get("src"):
            self.loads.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.loads.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("site") / "site"
    done = subprocess.run(
        [sys.executable, "-m", "exodus_kg", "--project", str(ROOT), "site", "-o", str(output)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"wrote \d+ pages \(\d+ entities, \d+ saved queries\)", done.stderr)
    return output


def page(site: Path, relative: str) -> Page:
    return Page((site / relative).read_text(encoding="utf-8"))


def test_every_page_loads_only_files_of_the_site(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 90
    for path in pages:
        parsed = Page(path.read_text(encoding="utf-8"))
        for load in parsed.loads:
            assert "//" not in load and not load.startswith("data:"), f"{path.name} loads {load}"
            assert (path.parent / load).resolve().is_file(), f"{path.name}: {load} is missing"
        for link in parsed.links:
            if "://" in link:  # outward links are to Wikidata only, and are links, not loads
                assert link.startswith("http://www.wikidata.org/entity/Q"), link
                continue
            target = link.split("#")[0]
            if target:
                assert (path.parent / target).resolve().is_file(), f"{path.name}: broken link {link}"
    for css in site.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text(encoding="utf-8")), css.name
        assert "@import" not in css.read_text(encoding="utf-8")


def test_an_entity_page_per_entity_with_labels_wikidata_and_statements(site):
    entities = sorted((site / "entity").glob("*.html"))
    assert 60 <= len(entities) <= 100  # about 70 people, organizations, products, works, places
    musk = page(site, "entity/elon-musk.html")
    assert "Elon Musk" in musk.title
    assert "馬斯克" in musk.text
    assert "http://www.wikidata.org/entity/Q317521" in musk.links
    altman = page(site, "entity/sam-altman.html")
    assert "badge" in altman.classes and "certainty-stated" in altman.classes
    assert "certainty-rumoured" in altman.classes  # the rumour about his hidden investments, shown as one
    assert "「最終結果大家都知道了,被投出去的人是Altman」" in altman.text
    assert "../article.html#article-p074" in altman.links
    assert "Departure" in altman.text and "BoardAction" in altman.text  # grouped by kind
    brockman = page(site, "entity/greg-brockman.html")
    assert "certainty-suspected" in brockman.classes


def test_query_pages_show_description_sparql_and_result(site):
    queries = sorted((site / "query").glob("*.html"))
    assert len(queries) == len(list((ROOT / "queries").glob("*.rq")))
    alumni = page(site, "query/alumni-companies.html")
    assert "Companies founded by alumni of OpenAI" in alumni.text
    assert "SELECT ?company" in alumni.text
    assert "Anthropic" in alumni.text and "../entity/anthropic.html" in alumni.links


def test_the_article_anchors_every_passage_and_links_back_to_citing_statements(site, article_project):
    from exodus_kg.pipeline.build import open_built
    from exodus_kg.query.passage_coverage import passage_coverage

    article = page(site, "article.html")
    coverage = passage_coverage(open_built(article_project))
    for row in coverage:
        assert row.passage.rsplit("/", 1)[-1] in article.ids
    assert any(link.startswith("entity/sam-altman.html#") for link in article.links)
    assert "最終結果大家都知道了,被投出去的人是Altman" in article.text


def test_index_shows_pictures_counts_and_links(site):
    index = page(site, "index.html")
    assert "picture-diaspora" in index.ids
    assert "pictures/diaspora.svg" in index.loads
    assert "statements" in index.text and "exg:asserted" in index.text
    assert "article.html" in index.links and "sparql.html" in index.links


def test_a_failed_site_build_leaves_the_previous_site(site, tmp_path, monkeypatch, article_project):
    from exodus_kg.errors import InputError
    from exodus_kg.pipeline.build import open_built
    from exodus_kg.publish import site as site_module

    target = tmp_path / "out"
    shutil.copytree(site, target)
    before = sorted(p.relative_to(target) for p in target.rglob("*"))

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(site_module, "_article", broken)
    with pytest.raises(InputError, match="cannot write the site"):
        site_module.build_site(article_project, open_built(article_project), target)
    assert sorted(p.relative_to(target) for p in target.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left behind


def test_site_onto_a_file_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("keep me")
    done = subprocess.run(
        [sys.executable, "-m", "exodus_kg", "--project", str(ROOT), "site", "-o", str(target)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 2 and "is a file" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text() == "keep me"


def test_without_graphviz_the_site_has_its_pages_and_says_why_no_pictures(tmp_path, monkeypatch, article_project):
    import graphviz

    from exodus_kg.pipeline.build import open_built
    from exodus_kg.publish import site as site_module

    def missing(*_args, **_kwargs):
        raise graphviz.ExecutableNotFound(["dot"])

    monkeypatch.setattr(graphviz, "pipe", missing)
    report = site_module.build_site(article_project, open_built(article_project), tmp_path / "site")
    assert report.pictures == 0 and "Graphviz" in report.pictures_left_out
    index = page(tmp_path / "site", "index.html")
    assert "No pictures in this copy of the site" in index.text and not index.loads[1:]  # the style sheet only
    assert len(list((tmp_path / "site" / "entity").glob("*.html"))) == report.entities > 60
