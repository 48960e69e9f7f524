"""The site and the query UI in a real browser: headless Chromium (driven over the DevTools protocol)
opens pages of `exodus serve`, takes screenshots, checks what a reader sees, and checks that every
request the pages make goes to 127.0.0.1. Set EXODUS_SCREENSHOTS=DIR to keep the screenshots.

The browser also runs behind a proxy on loopback that refuses everything, so even a request the
check missed could not reach another host.
"""

from __future__ import annotations

import os
import shutil
import socketserver
import threading
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest

from support.chromium import Chromium, chromium_program
from test_serve import _Running

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.skipif(chromium_program() is None, reason="Chromium is not installed (Debian package chromium)"),
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed"),
]


class RefusingProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), RefusingHandler)


class RefusingHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.rfile.readline(4096)
        self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


class Dom(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.classes: set[str] = set()
        self.images: list[str] = []
        self.options = 0  # of the saved-query list (select#examples)
        self._select: str | None = None
        self.parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.update((attrs.get("class") or "").split())
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag == "select":
            self._select = attrs.get("id")
        if tag == "option" and self._select == "examples":
            self.options += 1

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def handle_data(self, data):
        self.parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.parts)


@pytest.fixture(scope="module")
def served():
    with _Running() as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    proxy = RefusingProxy()
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    profile = tmp_path_factory.mktemp("chromium-profile")
    with Chromium(profile, (f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}",)) as chromium:
        yield chromium
    proxy.shutdown()
    proxy.server_close()


def keep(name: str, png: bytes) -> None:
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000  # a page, not a blank
    folder = os.environ.get("EXODUS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(png)


def only_loopback(requests: list[str]) -> None:
    assert requests, "the page made no request at all"
    for url in requests:
        parts = urllib.parse.urlsplit(url)
        assert parts.scheme in ("data", "about", "blob") or parts.hostname == "127.0.0.1", f"the page asked {url}"


def test_the_index_in_a_browser(browser, served):
    page = browser.open(served.base + "/", wait_for="document.querySelector('img[src$=\"diaspora.svg\"]').complete")
    keep("index.png", page.screenshot)
    dom = Dom(page.html)
    assert page.title.startswith("OpenAI's reverse exodus, as a knowledge graph")
    assert "反向出埃及記,爲什麼OpenAI留不住真大佬?" in dom.text
    assert {"badge", "certainty-stated", "certainty-suspected"} <= dom.classes
    assert "pictures/diaspora.svg" in dom.images
    assert served.base + "/pictures/diaspora.svg" in page.requests
    only_loopback(page.requests)


def test_an_entity_page_in_a_browser(browser, served):
    page = browser.open(served.base + "/entity/sam-altman.html")
    keep("entity-sam-altman.png", page.screenshot)
    dom = Dom(page.html)
    assert page.title.startswith("Sam Altman")
    assert "「最終結果大家都知道了,被投出去的人是Altman」" in dom.text
    assert {"badge", "certainty-stated", "certainty-rumoured"} <= dom.classes
    assert "http://www.wikidata.org/entity/Q7407093" in page.html  # a link, never loaded
    only_loopback(page.requests)


def test_the_query_ui_runs_a_saved_query_in_a_browser(browser, served):
    page = browser.open(
        served.base + "/sparql#example=alumni-companies&run",
        height=1100,
        wait_for="document.querySelectorAll('.yasr table tbody tr').length > 0",
    )
    keep("query-ui.png", page.screenshot)
    dom = Dom(page.html)
    assert page.title.startswith("SPARQL")
    assert {"yasgui", "CodeMirror"} <= dom.classes  # YASGUI drew itself, from the package's copy
    assert dom.options == 1 + len(list((ROOT / "queries").glob("*.rq")))  # the saved queries listed
    assert "foundedByAlumnusOf" in dom.text  # the saved query opened in the editor
    assert "Safe Superintelligence" in dom.text and "Perplexity AI" in dom.text  # its result, from /query
    assert any(url.startswith(served.base + "/query") for url in page.requests)
    only_loopback(page.requests)
