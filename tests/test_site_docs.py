"""Every example in docs/site.md runs as printed (the port of `exodus serve` and of the URLs that reach
it is the only thing changed: a free one), and does what the text says."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.oxigraph_server import free_port
from test_serve import read_lines, wait_for_line

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "site.md"

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


def examples() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def as_command(line: str) -> list[str]:
    words = shlex.split(line)
    return [sys.executable, "-m", "exodus_kg", *words[1:]] if words[0] == "exodus" else words


def environment() -> dict:
    return {**os.environ, "EXODUS_PROJECT": str(ROOT)}


def test_the_doc_has_the_examples_this_test_knows():
    kinds = sorted({" ".join(shlex.split(line)[:2]) for line in examples()})
    assert kinds == ["curl -s", "exodus draw", "exodus serve", "exodus site"]


@pytest.mark.parametrize("line", [e for e in examples() if e.startswith(("exodus draw", "exodus site"))])
def test_file_examples(line, tmp_path):
    done = subprocess.run(as_command(line), cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    target = tmp_path / shlex.split(line)[-1]
    assert target.exists()
    if target.is_dir():
        assert (target / "index.html").is_file() and len(list((target / "entity").glob("*.html"))) >= 60
    elif target.suffix == ".dot":
        assert target.read_text(encoding="utf-8").startswith('digraph "money"')
    else:
        assert target.stat().st_size > 5_000


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (Debian package curl)")
def test_serve_and_reconciliation_examples():
    import queue
    import threading

    (serve_line,) = [e for e in examples() if e.startswith("exodus serve")]
    printed_port = re.search(r"--port (\d+)", serve_line).group(1)
    port = str(free_port())
    process = subprocess.Popen(
        as_command(serve_line.replace(printed_port, port)),
        env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        wait_for_line(lines, "Ctrl-C")
        answers = []
        for line in (e for e in examples() if e.startswith("curl")):
            done = subprocess.run(
                shlex.split(line.replace(":7878", f":{port}")), capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, done.stderr
            answers.append(json.loads(done.stdout))
        manifest, batch = answers
        assert manifest["versions"] == ["0.2"]
        assert batch["q0"]["result"][0]["id"] == "elon-musk" and batch["q0"]["result"][0]["match"] is True
    finally:
        process.kill()
        process.wait()
