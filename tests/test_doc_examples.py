"""Every `exodus` example of README.md and docs/wikidata.md runs as printed, in a child process as a user
types it (docs/queries.md, docs/publishing.md and docs/site.md have their own example tests, and
so do the quickstatements and SSSOM lines of docs/wikidata.md, in test_quickstatements.py).

An example that reaches Wikidata's endpoint runs against a local Oxigraph server holding
tests/data/wikidata-fixture.ttl instead: the local address takes the place of http://localhost:7878
where the example names one, and the Wikidata endpoint is redirected there (--endpoint,
--service-endpoint) where the example uses the default. Nothing goes to the network."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from support.oxigraph_server import OxigraphServer

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "docs/wikidata.md")
RUN_ELSEWHERE = ("exodus quickstatements", "exodus link -f sssom")  # test_quickstatements.py
FIXTURE = ROOT / "tests" / "data" / "wikidata-fixture.ttl"
EXAMPLE_ENDPOINT = "http://localhost:7878/query"


def examples() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for block in re.findall(r"```sh\n(.*?)```", (ROOT / doc).read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                command = line.split("  #", 1)[0].strip()
                if command.startswith("exodus ") and not command.startswith(RUN_ELSEWHERE):
                    found.append((doc, command))
    return found


def reaches_wikidata(words: list[str]) -> bool:
    return (words[1] == "link" and "--check" in words) or (words[1] == "federated" and "--allow-service" in words)


@pytest.fixture(scope="module")
def wikidata_stand_in(tmp_path_factory):
    server = OxigraphServer(tmp_path_factory.mktemp("wikidata") / "store").start().load_default(FIXTURE)
    yield server
    server.stop()


def test_the_docs_have_examples():
    assert {doc for doc, _ in examples()} == set(DOCS)
    assert len(examples()) >= 10


@pytest.mark.parametrize(("doc", "line"), examples(), ids=[f"{doc}: {line}" for doc, line in examples()])
def test_every_example_runs(doc, line, tmp_path, wikidata_stand_in):
    words = shlex.split(line)
    if reaches_wikidata(words):
        words = [word.replace(EXAMPLE_ENDPOINT, wikidata_stand_in.query_url) for word in words]
        option = "--endpoint" if words[1] == "link" else "--service-endpoint"
        if option not in words:
            words += [option, wikidata_stand_in.query_url]
    done = subprocess.run(
        [sys.executable, "-m", "exodus_kg", "--project", str(ROOT), *words[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{doc}: {line}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    written = [words[index + 1] for index, word in enumerate(words) if word == "-o"]
    for name in written:
        assert (tmp_path / name).stat().st_size > 0, f"{line} wrote nothing to {name}"
    if not written:
        assert done.stdout.strip(), f"{line} printed nothing"
