"""The one reader of ``.rq`` headers (rdf/query_files.py): each rule of its YAML subset, every ``.rq`` of the
repository through it, and the same reading from a real YAML parser, as grlc reads the headers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from exodus_kg.pipeline.reasoning import RULE_HEADER
from exodus_kg.pipeline.sparql_checks import CHECK_HEADER
from exodus_kg.query.saved_queries import QUERY_HEADER
from exodus_kg.rdf.query_files import CHOICES, LIST, PAIRS, TEXT, QueryFileError, package_query, read_header

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"summary": TEXT, "description": TEXT, "tags": LIST, "defaults": PAIRS, "enumerate": CHOICES}


def header_of(*lines: str, keys=KEYS) -> dict:
    return read_header("\n".join(lines) + "\nASK {}\n", "x.rq", keys)


def refused(*lines: str, keys=KEYS) -> str:
    with pytest.raises(QueryFileError) as caught:
        header_of(*lines, keys=keys)
    return str(caught.value)


def keys_for(path: Path) -> dict:
    parts = path.relative_to(ROOT).parts
    if "rules" in parts:
        return RULE_HEADER
    if "checks" in parts:
        return CHECK_HEADER
    return QUERY_HEADER


def repository_query_files() -> list[Path]:
    found = [
        path
        for folder in ("queries", "tests/data", "src/exodus_kg/sparql")
        for path in sorted((ROOT / folder).rglob("*.rq"))
    ]
    assert len(found) > 70
    return found


def grlc_yaml(text: str):
    """The header as grlc reads it (grlc.gquery.get_yaml_decorators of grlc 1.3.11): every line that starts
    with "#+", stripped of its leading "#" and "+" characters, joined and parsed with yaml.safe_load."""
    lines = [row.lstrip("#+") for row in text.split("\n") if row.startswith("#+")]
    return yaml.safe_load("\n".join(lines)) or {}


def as_text(value):
    """YAML's value with its scalars as text (YAML reads 2024 as a number, 2015-01-01 as a date)."""
    if isinstance(value, list):
        return [as_text(item) for item in value]
    if isinstance(value, dict):
        return {str(key): as_text(item) for key, item in value.items()}
    return str(value)


def as_yaml_shape(header: dict, keys: dict) -> dict:
    """Our header in the shape YAML gives it: PAIRS and CHOICES as lists of one-key mappings."""
    shaped = {}
    for key, value in header.items():
        if keys[key] in (PAIRS, CHOICES):
            shaped[key] = [{name: item} for name, item in value.items()]
        else:
            shaped[key] = value
    return shaped


# Every file of the repository ---------------------------------------------------------------------


@pytest.mark.parametrize("path", repository_query_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_query_file_reads_the_same_here_and_in_yaml(path):
    text = path.read_text(encoding="utf-8")
    keys = keys_for(path)
    ours = read_header(text, path, keys)
    assert as_text(grlc_yaml(text)) == as_yaml_shape(ours, keys)
    if path.parent.name == "sparql":
        assert ours == {}, "the package's own queries carry a plain comment, no header"
    else:
        assert ours.get("summary"), "every saved query, rule and check has a summary"


def test_package_queries_load_by_name():
    assert "SELECT" in package_query("stats-graphs")
    assert package_query("stats-graphs.rq") == package_query("stats-graphs")


# The rules of the subset, each decided on purpose ---------------------------------------------------


def test_a_folded_text_joins_its_lines_with_one_space_as_yaml_does():
    header = header_of("#+ summary: s", "#+ description: >-", "#+   first: with a colon,", "#+   second # line")
    assert header["description"] == "first: with a colon, second # line"
    assert header == as_text(grlc_yaml("#+ summary: s\n#+ description: >-\n#+   first: with a colon,\n#+   second # line"))


def test_the_header_ends_at_the_first_other_line_and_a_later_header_line_is_an_error():
    # grlc reads every "#+" line of the file, wherever it is: a stray one would be read two ways.
    assert header_of("#+ summary: s", "# a plain comment", "PREFIX ex: <x>") == {"summary": "s"}
    message = refused("#+ summary: s", "", "#+ description: d")
    assert message.startswith("x.rq:3:") and "after the header ended on line 2" in message
    assert refused("#+ summary: s", "# note", "#+ tags: [a]").startswith("x.rq:3:")


def test_a_repeated_key_is_an_error_not_joined_nor_overwritten():
    message = refused("#+ summary: one", "#+ summary: two")
    assert message == "x.rq:2: the header key 'summary' is given twice"


def test_a_line_without_key_is_an_error():
    assert refused("#+ summary: s", "#+ just words").startswith("x.rq:2: expected '#+ key: value'")
    assert refused("#+summary: s").startswith("x.rq:1: expected")


def test_a_plain_text_that_yaml_would_read_otherwise_must_be_folded():
    for value in ("Note: this", "see #3", "{?value} is missing", "'quoted'", "- a", "ends with:"):
        assert "put it in a '>-' block" in refused(f"#+ summary: {value}")
    assert "boolean or null" in refused("#+ summary: yes")
    assert "goes on over more lines" in refused("#+ summary: one", "#+   two")


def test_a_folded_text_keeps_one_indentation_and_no_empty_line():
    assert "indented alike" in refused("#+ description: >-", "#+   a", "#+     b")
    assert "an empty line" in refused("#+ description: >-", "#+   a", "#+", "#+   b")
    assert "no indented text" in refused("#+ description: >-")


def test_tags_are_a_list_block_or_flow_never_a_comma_separated_text():
    assert header_of("#+ tags: [people, departures]")["tags"] == ["people", "departures"]
    assert header_of("#+ tags:", "#+   - people", "#+   - departures")["tags"] == ["people", "departures"]
    assert "'tags' is a list" in refused("#+ tags: people, departures")


def test_defaults_and_enumerate_read_as_grlc_reads_them():
    lines = (
        "#+ defaults:",
        "#+   - certainty: https://w3id.org/exodus-kg/vocab/firm",
        "#+ enumerate:",
        "#+   - certainty:",
        "#+     - https://w3id.org/exodus-kg/vocab/firm",
        "#+     - https://w3id.org/exodus-kg/vocab/rumoured",
    )
    header = header_of(*lines)
    assert header["defaults"] == {"certainty": "https://w3id.org/exodus-kg/vocab/firm"}
    assert header["enumerate"] == {
        "certainty": ["https://w3id.org/exodus-kg/vocab/firm", "https://w3id.org/exodus-kg/vocab/rumoured"]
    }
    assert grlc_yaml("\n".join(lines)) == as_yaml_shape(header, KEYS)
    assert header.line("enumerate", "certainty") == 4
    assert "given twice under 'defaults'" in refused("#+ defaults:", "#+   - a: 1", "#+   - a: 2")
    assert "with its values below" in refused("#+ enumerate:", "#+   - certainty")


def test_an_unknown_key_names_the_known_ones():
    message = refused("#+ summary: s", "#+ colour: blue")
    assert message.startswith("x.rq:2: unknown header key 'colour' (known: summary, description, tags")


def test_the_header_shown_in_docs_queries_reads_the_same_here_and_in_yaml():
    import re

    text = (ROOT / "docs" / "queries.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```sparql\n(.*?)```", text, re.S) if block.startswith("#+"))
    header = read_header(example, "docs/queries.md", QUERY_HEADER)
    assert set(header) == {"summary", "description", "tags", "params", "defaults", "enumerate"}
    assert as_text(grlc_yaml(example)) == as_yaml_shape(header, QUERY_HEADER)
