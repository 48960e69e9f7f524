"""The `exodus` command line: every command and format through click's CliRunner, the exit codes,
one-line errors, the click-free `exodus query` path, and the README/help contract."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from exodus_kg import __version__
from exodus_kg.cli import cli
from exodus_kg.entry_point import main as entry_main
from exodus_kg.entry_point import parse_plain_query

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def run(fixture_project_dir):
    """Invoke `exodus --project <fixture> ARGS...`; stderr is kept apart from stdout."""
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(
            cli, ["--project", str(fixture_project_dir), *args], input=input, prog_name="exodus"
        )

    return invoke


def one_error_line(result) -> str:
    """The error of a failed command: one line on stderr (after any progress lines), no traceback."""
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("exodus: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert all(line.startswith("exodus: ") for line in lines), result.stderr
    assert "Traceback" not in result.output + result.stderr
    return errors[0]


# Help and documentation ------------------------------------------------------------------------


def test_help_documents_exit_codes_and_every_command():
    result = CliRunner().invoke(cli, ["--help"], prog_name="exodus")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Exit codes: 0 ok; 1 a check failed" in text
    assert "2 usage or input error; 3 a remote endpoint failed" in text
    for name in cli.commands:
        assert name in result.output


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(name):
    command = cli.commands[name]
    assert command.help and command.help.strip(), f"{name} has no help text"
    assert "Example" in command.help, f"`exodus {name} --help` shows no example"
    assert f"exodus {name}" in README, f"README.md does not mention `exodus {name}`"
    result = CliRunner().invoke(cli, [name, "--help"], prog_name="exodus")
    assert result.exit_code == 0 and "Usage: exodus " + name in result.output


def test_readme_states_the_exit_codes():
    for code, meaning in (
        ("0", "ok"),
        ("1", "a check failed"),
        ("2", "usage or input error"),
        ("3", "a remote endpoint failed"),
    ):
        assert re.search(rf"^\| {code} \| {meaning}", README, re.M), code


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


# queries -------------------------------------------------------------------------------------


def test_queries_lists_names_summaries_and_parameters(run):
    result = run("queries")
    assert result.exit_code == 0
    assert re.search(r"^departures-from +Who left an organization", result.output, re.M)
    assert "-p organization (iri, default exd:acme): the organization left" in result.output
    assert "-p olderThan (integer, required)" in result.output
    assert "5 saved queries" in result.output


def test_queries_as_json(run):
    result = run("queries", "-v", "-f", "json")
    listing = {item["name"]: item for item in json.loads(result.output)}
    assert set(listing) == {"departures-from", "has-departure", "people", "people-count", "person-graph"}
    assert listing["people-count"]["params"] == [
        {"name": "olderThan", "type": "integer", "default": None, "description": "the age to compare with"}
    ]
    assert listing["people"]["tags"] == ["people", "test"]


# query ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["table", "csv", "tsv", "json"])
def test_query_select_in_every_format(run, output_format):
    result = run("query", "departures-from", "-f", output_format)
    assert result.exit_code == 0, result.stderr
    out = result.output
    if output_format == "table":
        assert out.splitlines()[0].split() == ["person", "certainty"]
        assert "exd:alice" in out and "exv:rumoured" in out and out.endswith("(2 rows)\n")
    elif output_format == "csv":
        assert next(csv.reader(io.StringIO(out))) == ["person", "certainty"]
    elif output_format == "tsv":
        assert out.splitlines()[0] == "?person\t?certainty"
    else:
        assert json.loads(out)["head"]["vars"] == ["person", "certainty"]
    assert "_organization_iri" not in out


def test_query_with_parameters(run):
    result = run("query", "departures-from", "-p", "minAge", "40", "-f", "csv")
    assert result.output.splitlines()[1:] == [
        "https://w3id.org/exodus-kg/id/alice,https://w3id.org/exodus-kg/vocab/stated"
    ]
    result = run("query", "people-count", "-p", "olderThan", "36", "-f", "csv")
    assert result.output.splitlines() == ["people", "1"]


@pytest.mark.parametrize("output_format", ["ttl", "nt", "table"])
def test_query_construct(run, output_format):
    result = run("query", "person-graph", "-p", "person", "bob", "-f", output_format)
    assert result.exit_code == 0
    assert "鮑勃" in result.output and "Alice" not in result.output


@pytest.mark.parametrize(("person", "answer"), [("exd:alice", "true"), ("exd:acme", "false")])
def test_query_ask(run, person, answer):
    result = run("query", "has-departure", "-p", "person", person)
    assert result.exit_code == 0 and result.output == answer + "\n"


def test_query_no_inference(run):
    with_inference = run("sparql", "ASK { exd:alice a exo:Agent }")
    without = run("sparql", "ASK { exd:alice a exo:Agent }", "--no-inference")
    assert (with_inference.output, without.output) == ("true\n", "false\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "peple"], "no saved query named 'peple'; did you mean people or people-count?"),
        (["query", "people-count"], "query people-count: missing parameter olderThan"),
        (["query", "people", "-p", "x", "1"], "query people: unknown parameter 'x'; it takes no parameters"),
        (
            ["query", "people-count", "-p", "olderThan", "old"],
            "parameter olderThan: 'old' is not an integer",
        ),
        (["query", "people-count", "-p", "olderThan", "1", "-p", "olderThan", "2"], "given twice"),
        (["query", "people", "-f", "ttl"], "format ttl does not fit a SELECT query"),
        (
            ["sparql", "SELECT * WHERE { ?s nope:x ?o }"],
            "query:1:27: SPARQL syntax error: unknown prefix nope:",
        ),
        (["sparql", "@/nonexistent/q.rq"], "/nonexistent/q.rq: cannot read the query"),
        (["show", "Nobody At All"], "no entity 'Nobody At All' in the graph"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(run, args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in one_error_line(result)


def test_bad_project_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["--project", str(tmp_path), "queries"])
    assert result.exit_code == 2
    assert "not an exodus-kg project" in one_error_line(result)


def test_click_usage_errors_exit_2(run):
    result = run("query", "people", "-f", "yaml")
    assert result.exit_code == 2 and "'yaml' is not one of" in result.stderr


def test_timeout_option_is_checked(run):
    assert run("query", "people", "--timeout", "0").exit_code == 2
    assert run("query", "people", "--timeout", "30").exit_code == 0


# sparql --------------------------------------------------------------------------------------


def test_sparql_text_file_and_stdin(run, tmp_path):
    query = "SELECT ?p WHERE { ?p a exo:Person } ORDER BY ?p"
    from_text = run("sparql", query, "-f", "csv")
    path = tmp_path / "q.rq"
    path.write_text(query, encoding="utf-8")
    from_file = run("sparql", f"@{path}", "-f", "csv")
    from_stdin = run("sparql", "-", "-f", "csv", input=query)
    assert from_text.exit_code == from_file.exit_code == from_stdin.exit_code == 0
    assert from_text.output == from_file.output == from_stdin.output
    assert from_text.output.splitlines()[1] == "https://w3id.org/exodus-kg/id/alice"


def test_sparql_parameters(run):
    result = run(
        "sparql", "SELECT ?l WHERE { ?_who_iri rdfs:label ?l FILTER(LANG(?l) = ?_lang) }",
        "-p", "who_iri", "exd:bob", "-p", "lang", "en", "-f", "csv",
    )  # fmt: skip
    assert result.output.splitlines() == ["l", "Bob Example"]


def test_sparql_syntax_error_in_a_file_names_the_file(run, tmp_path):
    path = tmp_path / "broken.rq"
    path.write_text("SELECT * WHERE {\n  ?s ?p\n}\n", encoding="utf-8")
    result = run("sparql", f"@{path}")
    assert one_error_line(result).startswith(f"exodus: error: {path}:4:1: SPARQL syntax error")


# show and stats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entity",
    ["exd:alice", "alice", "https://w3id.org/exodus-kg/id/alice", "<https://w3id.org/exodus-kg/id/alice>", "Alice Example", "alice example", "愛麗絲", "Ally"],
)  # fmt: skip
def test_show_finds_an_entity_every_way(run, entity):
    result = run("show", entity)
    assert result.exit_code == 0, result.stderr
    assert result.output.splitlines()[0] == "exd:alice"


def test_show_lists_statements_with_certainty_and_evidence(run):
    text = run("show", "bob").output
    assert "types:       exo:Person" in text
    assert "inferred:    exo:Agent" in text
    assert "labels:      Bob Example @en; 鮑勃 @zh-hant" in text
    assert "1 statement points to it:" in text
    assert "exd:departure-bob-acme (exo:Departure)" in text
    assert "role:      exo:person" in text
    assert "certainty: exv:rumoured (asserted by exd:shidao)" in text
    assert "evidence:  「小道消息稱鮑勃也將離開」 [exd:article-p003]" in text


def test_show_an_organization_pointed_to_by_two_statements(run):
    data = json.loads(run("show", "Acme", "-f", "json").output)
    assert data["iri"] == "https://w3id.org/exodus-kg/id/acme"
    assert {s["iri"].rsplit("/", 1)[1] for s in data["statements"]} == {
        "departure-alice-acme",
        "departure-bob-acme",
    }
    assert {s["roles"][0] for s in data["statements"]} == {"exo:organizationLeft"}


def test_show_ambiguous_and_unknown(run):
    assert "'Twin' names 2 entities: exd:twin-one, exd:twin-two" in one_error_line(run("show", "Twin"))
    assert "did you mean 'alice'" in one_error_line(run("show", "Alise"))


@pytest.mark.parametrize("output_format", ["table", "json"])
def test_stats(run, output_format):
    result = run("stats", "-f", output_format)
    assert result.exit_code == 0
    if output_format == "json":
        data = json.loads(result.output)
        assert data["triples"]["exg:links"] == 1
        assert data["statements"] == 2
        assert data["statementsByCertainty"] == {"exv:rumoured": 1, "exv:stated": 1}
        assert data["entitiesByType"]["exo:Organization"] == 4
        assert set(data["triples"]) == {"exg:ontology", "exg:asserted", "exg:links", "exg:inferred"}
    else:
        assert (
            "Triples by graph" in result.output and "Statements by certainty (2 statements)" in result.output
        )


def test_stats_without_inference(run):
    data = json.loads(run("stats", "-f", "json", "--no-inference").output)
    assert data["triples"]["exg:inferred"] == 0


# build ---------------------------------------------------------------------------------------


def test_build_prints_stages_and_counts(scratch_project):
    runner = CliRunner()
    first = runner.invoke(cli, ["--project", str(scratch_project.root), "build"])
    assert first.exit_code == 0, first.output
    for stage in ("load", "validate", "reason", "write"):
        assert re.search(rf"^  {stage} +\d+\.\d\d s$", first.output, re.M), stage
    assert re.search(r"^  exg:links +1 triples$", first.output, re.M)
    second = runner.invoke(cli, ["--project", str(scratch_project.root), "build"])
    assert "The cached build is fresh" in second.output
    forced = runner.invoke(cli, ["--project", str(scratch_project.root), "build", "--force"])
    assert "Built " in forced.output


def test_a_stale_build_is_rebuilt_before_a_query(scratch_project):
    runner = CliRunner()
    args = ["--project", str(scratch_project.root), "query", "people", "-f", "csv"]
    assert "Alice Example" in runner.invoke(cli, args).output
    people = scratch_project.triples_dir / "people.ttl"
    people.write_text(
        people.read_text(encoding="utf-8").replace("Alice Example", "Alice Changed"), encoding="utf-8"
    )
    result = runner.invoke(cli, args)
    assert "Alice Changed" in result.output and "Alice Example" not in result.output
    assert "exodus: building the graph (no cached build of these inputs yet)" in result.stderr


def test_invalid_turtle_stops_a_query_with_file_and_line(scratch_project):
    (scratch_project.triples_dir / "bad.ttl").write_text(
        "@prefix ex: <http://e/> .\n\nex:a ex:b\n", encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["--project", str(scratch_project.root), "query", "people"])
    assert result.exit_code == 2
    assert re.search(r"bad\.ttl:3(:\d+)?: Turtle syntax error", one_error_line(result))


# The click-free path of `exodus query` --------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "plain"),
    [
        (["query", "people"], True),
        (["--project", "X", "query", "people", "-f", "csv"], True),
        (["--project=X", "query", "people", "--format=json", "--no-inference"], True),
        (["query", "q", "-p", "a", "1", "--param", "b", "2", "-fcsv", "--timeout", "2.5"], True),
        (["query"], False),
        (["query", "--help"], False),
        (["query", "people", "-h"], False),
        (["query", "people", "-f", "yaml"], False),
        (["query", "people", "-p", "only-name"], False),
        (["query", "people", "--timeout", "soon"], False),
        (["query", "people", "--timeout", "-1"], False),
        (["query", "people", "extra"], False),
        (["--version"], False),
        (["queries"], False),
        (["sparql", "ASK {}"], False),
    ],
)
def test_plain_query_parser_takes_only_what_it_fully_understands(argv, plain):
    assert (parse_plain_query(argv) is not None) == plain


def test_plain_query_parser_reads_every_option():
    parsed = parse_plain_query(
        ["--project", "D", "query", "q", "-p", "a", "1", "-fjson", "--no-inference", "--timeout=3"]
    )
    assert (parsed.project_dir, parsed.name, parsed.params) == ("D", "q", [("a", "1")])
    assert (parsed.output_format, parsed.no_inference, parsed.timeout) == ("json", True, 3.0)


@pytest.mark.parametrize(
    "args",
    [
        ["query", "departures-from", "-f", "csv"],
        ["query", "departures-from", "-p", "minAge", "40", "-f", "json"],
        ["query", "people"],
        ["query", "person-graph", "-f", "ttl", "--no-inference"],
        ["query", "has-departure", "-p", "person", "bob"],
        ["query", "peple"],
        ["query", "people-count"],
        ["query", "people-count", "-p", "olderThan", "x"],
        ["query", "people", "-f", "nt"],
    ],
)
def test_plain_path_and_click_path_agree(fixture_project_dir, capsysbinary, args):
    argv = ["--project", str(fixture_project_dir), *args]
    assert parse_plain_query(argv) is not None
    with pytest.raises(SystemExit) as exit_info:
        entry_main(argv)
        raise SystemExit(0)
    plain = capsysbinary.readouterr()
    clicked = CliRunner().invoke(cli, argv, prog_name="exodus")
    assert (exit_info.value.code or 0) == clicked.exit_code
    assert plain.out == clicked.stdout_bytes
    assert plain.err.decode() == clicked.stderr


def test_console_script_and_module_run(fixture_project_dir, tmp_path):
    """`python -m exodus_kg` runs the same entry point as the `exodus` script, from any folder."""
    result = subprocess.run(
        [sys.executable, "-m", "exodus_kg", "--project", str(fixture_project_dir), "query", "people", "-f", "csv"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "person,label,age"
    result = subprocess.run(
        [sys.executable, "-m", "exodus_kg", "--project", str(fixture_project_dir), "query", "nope"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("exodus: error: no saved query named 'nope'")


def test_show_a_statement_node_lists_its_properties_and_evidence(run):
    text = run("show", "exd:departure-alice-acme").output
    assert re.search(r"^    exo:person +exd:alice$", text, re.M)
    assert re.search(r"^    exo:certainty +exv:stated$", text, re.M)
    assert "  evidence:    「愛麗絲離開了極致公司」 [exd:article-p002]" in text
    data = json.loads(run("show", "exd:departure-alice-acme", "-f", "json").output)
    assert {"property": "exo:organizationLeft", "value": "exd:acme"} in data["properties"]
    assert data["evidence"] == [{"quote": "愛麗絲離開了極致公司", "passage": "exd:article-p002"}]
