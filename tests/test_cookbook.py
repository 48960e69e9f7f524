"""docs/cookbook.md: every ```sparql block runs as printed through `exodus sparql`, and prints the answer shown.

Each recipe is a ```sparql block followed by its answer: the Markdown table `exodus sparql QUERY -f markdown`
prints for it on the article graph. As with the golden files of the saved queries, the answer is a hand check: after a
deliberate change, rewrite the answers with ``EXODUS_UPDATE_COOKBOOK=1`` and read the diff against the
article before committing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from exodus_kg.cli import cli

ROOT = Path(__file__).resolve().parents[1]
COOKBOOK = ROOT / "docs" / "cookbook.md"
RECIPE = re.compile(r"^### (?P<title>.+?)\n.*?```sparql\n(?P<query>.*?)```\n\n(?P<answer>(?:\|[^\n]*\n)+)", re.S | re.M)
UPDATE = os.environ.get("EXODUS_UPDATE_COOKBOOK") == "1"


def recipes() -> list[re.Match]:
    return list(RECIPE.finditer(COOKBOOK.read_text(encoding="utf-8")))


def run_sparql(query: str):
    return CliRunner().invoke(cli, ["--project", str(ROOT), "sparql", query, "-f", "markdown"], prog_name="exodus")


def test_the_cookbook_has_at_least_25_recipes_each_with_its_answer():
    text = COOKBOOK.read_text(encoding="utf-8")
    assert len(recipes()) >= 25
    # every query block is followed by its answer: none is left without one
    assert text.count("```sparql\n") == len(recipes())


@pytest.mark.parametrize("recipe", recipes(), ids=lambda match: match.group("title").split(".")[0])
def test_recipe_prints_the_answer_shown(recipe):
    result = run_sparql(recipe.group("query"))
    assert result.exit_code == 0, result.stderr
    # a query of the cookbook names no term the ontology does not define
    assert "warning" not in result.stderr, result.stderr
    assert result.stdout.strip(), "a recipe answers something"
    if UPDATE:
        text = COOKBOOK.read_text(encoding="utf-8")
        recipe_text = recipe.group(0)
        updated = recipe_text[: recipe.start("answer") - recipe.start()] + result.stdout
        assert text.count(recipe_text) == 1, "two recipes are the same text"
        COOKBOOK.write_text(text.replace(recipe_text, updated), encoding="utf-8")
        return
    assert result.stdout == recipe.group("answer")
