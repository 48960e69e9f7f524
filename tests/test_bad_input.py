"""Bad and hostile input: every mistake gets one clear line, a documented exit code, and no
lost or half-written data.

Each test runs the real command line in a child process on a private copy of the article project
(tests/project_copies.py), so a traceback or a wrong exit code shows as a user would see it. The
table of docs/errors.md lists these cases; test_docs_errors_lists_every_case keeps the two in step. Exit codes: 0 ok, 1 a check failed, 2 usage or input error, 3 a remote endpoint failed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from support.fault_servers import FailingProxy, HangingServer, RecordingServer
from support.oxigraph_server import OxigraphServer
from support.project_copies import (
    ROOT,
    assert_fails_cleanly,
    clone_built_article,
    copy_article,
    exodus_env,
    run_exodus,
)

PREFIXES = """@prefix exd: <https://w3id.org/exodus-kg/id/> .
@prefix exo: <https://w3id.org/exodus-kg/ontology#> .
@prefix exv: <https://w3id.org/exodus-kg/vocab/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


@pytest.fixture
def project(tmp_path) -> Path:
    """A private copy of the built article project that the test may break."""
    return clone_built_article(tmp_path / "project")


def add_turtle(project: Path, name: str, body: str, prefixes: bool = True) -> Path:
    path = project / "triples" / name
    path.write_text((PREFIXES + "\n" if prefixes else "") + body, encoding="utf-8")
    return path


def added_line(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


# --- data: the Turtle files ------------------------------------------------------------------------


def test_malformed_turtle_names_file_line_and_column(project):
    path = add_turtle(project, "broken.ttl", 'exd:x rdfs:label "no end to this string@en .\n')
    result = run_exodus("build", project=project)
    line = assert_fails_cleanly(result, 2, "broken.ttl:", "Turtle syntax error")
    assert re.search(rf"broken\.ttl:{added_line(path, 'no end')}:\d+:", line)


def test_a_syntax_error_after_chinese_text_names_the_right_line_and_column(project):
    """Regression: the line came from a character offset counted in UTF-8 bytes, so every Chinese
    character before the error moved the reported line back (exodus.ttl: line 2957 for 2987)."""
    body = "".join(f'exd:entity-{n} rdfs:label "第{n}個實體，反向出埃及記"@zh-Hant .\n' for n in range(40))
    path = add_turtle(project, "chinese.ttl", body + '出埃及 exd:entity-0 rdfs:label "x" .\n')
    result = run_exodus("build", project=project)
    assert_fails_cleanly(result, 2, f"chinese.ttl:{added_line(path, '出埃及 exd:')}:1:", "Turtle syntax error")


def test_gen_vocabulary_from_a_broken_ontology_changes_nothing(project):
    """Regression: `exodus gen-vocabulary` printed rdflib's multi-line dump for a syntax error."""
    vocabulary = ROOT / "src" / "exodus_kg" / "rdf" / "vocabulary.py"
    before = vocabulary.read_bytes()
    ontology = project / "ontology" / "exodus.ttl"
    ontology.write_text(ontology.read_text(encoding="utf-8") + "exd:broken a owl:Class .\n", encoding="utf-8")
    written = project / "vocabulary.py"
    result = run_exodus("gen-vocabulary", "-o", str(written), project=project)
    lines = ontology.read_text(encoding="utf-8").count("\n")
    assert_fails_cleanly(result, 2, f"exodus.ttl:{lines}:1:", 'Prefix "exd:" not bound')
    assert vocabulary.read_bytes() == before
    assert not written.exists()


def test_gen_vocabulary_never_rewrites_the_package_from_another_project(project):
    """Regression: run against a copy of the project, `exodus gen-vocabulary` rewrote the checkout's
    own rdf/vocabulary.py from the copy's ontology."""
    vocabulary = ROOT / "src" / "exodus_kg" / "rdf" / "vocabulary.py"
    before = vocabulary.read_bytes()
    result = run_exodus("gen-vocabulary", project=project)
    assert_fails_cleanly(result, 2, "is not the checkout the package runs from; give -o FILE")
    assert vocabulary.read_bytes() == before
    assert run_exodus("gen-vocabulary", "-o", str(project / "vocabulary.py"), project=project).returncode == 0
    assert (project / "vocabulary.py").read_bytes() == before  # same ontology, same module


def test_unknown_prefix_names_the_prefix_and_the_line(project):
    path = add_turtle(project, "prefix.ttl", "exd:x foaf:name \"X\" .\n")
    result = run_exodus("build", project=project)
    line = assert_fails_cleanly(result, 2, "prefix.ttl:", 'Prefix "foaf:" not bound')
    assert f"prefix.ttl:{added_line(path, 'foaf:name')}:" in line


@pytest.mark.parametrize(
    ("literal", "datatype"),
    [
        ('"abc"^^xsd:date', "xsd:date"),
        ('"2024-02-30"^^xsd:date', "xsd:date"),
        ('"20240805"^^xsd:date', "xsd:date"),
        ('"abcd"^^xsd:gYear', "xsd:gYear"),
        ('"2024-13"^^xsd:gYearMonth', "xsd:gYearMonth"),
        ('"yes"^^xsd:boolean', "xsd:boolean"),
        ('"１２"^^xsd:integer', "xsd:integer"),
    ],
    ids=["abc-date", "feb-30", "basic-format-date", "word-year", "month-13", "yes-boolean", "fullwidth-integer"],
)
def test_wrong_datatype_is_an_input_error_naming_file_and_line(project, literal, datatype):
    """Regression: "abc"^^xsd:date was accepted (exit 0) and rdflib printed a traceback on stderr;
    "yes"^^xsd:boolean silently became false; gYear and gYearMonth were not checked at all."""
    path = add_turtle(project, "dates.ttl", f"exd:departure-peter-deng-2024 exo:reportedDate {literal} .\n")
    result = run_exodus("build", project=project)
    line = assert_fails_cleanly(result, 2, f"dates.ttl:{added_line(path, literal)}:", f"is not a valid {datatype}")
    assert "example:" in line


@pytest.mark.slow
def test_a_triple_that_breaks_the_shapes_fails_the_check_and_no_stale_graph_is_served(project):
    before = run_exodus("query", "departures", "-f", "csv", project=project)
    assert before.returncode == 0, before.stderr
    # A departure with no person, no evidence and no certainty.
    add_turtle(project, "shapeless.ttl", 'exd:departure-nobody a exo:Departure ;\n    rdfs:label "Nobody leaves"@en .\n')
    result = run_exodus("build", project=project)
    assert_fails_cleanly(result, 1, "validation failed", "exodus validate")
    # The cached graph of the old inputs must not answer for the new ones.
    query = run_exodus("query", "departures", "-f", "csv", project=project)
    assert_fails_cleanly(query, 1, "validation failed")
    assert query.stdout == ""


def test_a_duplicate_entity_with_conflicting_labels_is_reported_by_validate(project):
    add_turtle(project, "duplicate.ttl", 'exd:sam-altman rdfs:label "Samuel H. Altman"@en .\n')
    result = run_exodus("validate", project=project)
    assert_fails_cleanly(result, 1, "validation failed")
    violation = result.stdout[result.stdout.index("Violation (1)"):]
    assert "exd:sam-altman" in violation and "sh:UniqueLangConstraintComponent" in violation
    assert "path rdfs:label" in violation


def test_an_empty_file_is_named(project):
    (project / "triples" / "empty.ttl").write_bytes(b"  \n\n")
    result = run_exodus("build", project=project)
    assert_fails_cleanly(result, 2, "empty.ttl: the file is empty")


def test_a_file_that_is_not_utf8_names_line_and_byte(project):
    (project / "triples" / "latin1.ttl").write_bytes(
        PREFIXES.encode() + '\nexd:x rdfs:label "caf\u00e9"@en .\n'.encode("latin-1")
    )
    result = run_exodus("build", project=project)
    line = assert_fails_cleanly(result, 2, "latin1.ttl:", "not UTF-8", "0xe9")
    assert f"latin1.ttl:{PREFIXES.count(chr(10)) + 2}:" in line


@pytest.mark.slow
def test_a_utf8_byte_order_mark_is_accepted(project):
    """Regression: a file saved by a Windows editor with a BOM failed with a syntax error at 1:1."""
    body = PREFIXES + '\nexd:bom-test rdfs:comment "written with a byte order mark"@en .\n'
    (project / "triples" / "bom.ttl").write_bytes(b"\xef\xbb\xbf" + body.encode())
    result = run_exodus("sparql", "ASK { exd:bom-test rdfs:comment ?c }", project=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "true"


def test_a_broken_rdf_xml_file_names_file_and_line(project):
    (project / "triples" / "broken.rdf").write_text(
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about="https://w3id.org/exodus-kg/id/x">\n</rdf:RDF>\n',
        encoding="utf-8",
    )
    result = run_exodus("build", project=project)
    assert_fails_cleanly(result, 2, "broken.rdf:4:", "RDF/XML syntax error")


@pytest.mark.slow
def test_windows_line_endings_give_the_same_graph(project):
    """Regression: with CRLF files a multi-line literal gained a carriage return in `exodus build`
    while `exodus fmt` (universal newlines) saw none. The article itself is never converted: its
    evidence offsets count its characters (see .gitattributes)."""
    add_turtle(project, "multiline.ttl", 'exd:crlf-test rdfs:comment """first line\nsecond line"""@en .\n')
    ask = "SELECT ?c WHERE { exd:crlf-test rdfs:comment ?c }"

    def snapshot() -> dict:
        outputs = {name: run_exodus("query", name, "-f", "csv", project=project)
                   for name in ("departures", "evidence-for", "alumni-companies")}
        outputs["stats"] = run_exodus("stats", "-f", "json", project=project)
        outputs["comment"] = run_exodus("sparql", ask, "-f", "json", project=project)
        for name, result in outputs.items():
            assert result.returncode == 0, (name, result.stderr)
        return {name: result.stdout for name, result in outputs.items()}

    with_lf = snapshot()
    converted = 0
    for path in project.rglob("*.ttl"):
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        converted += 1
    assert converted > 10 and b"\r\n" in (project / "triples" / "multiline.ttl").read_bytes()
    with_crlf = snapshot()

    assert with_crlf == with_lf
    [binding] = json.loads(with_crlf["comment"])["results"]["bindings"]
    assert binding["c"]["value"] == "first line\nsecond line"
    # fmt reads CRLF files as canonical; only the file this test wrote by hand is not.
    fmt = run_exodus("fmt", "--check", project=project)
    assert [line.rsplit("/", 1)[-1] for line in fmt.stdout.splitlines()] == ["multiline.ttl: not canonical"]


def test_the_article_is_never_converted_by_git():
    """A checkout with core.autocrlf would add a character per line to the article and move every
    evidence offset: .gitattributes keeps the file byte for byte."""
    result = subprocess.run(
        ["git", "check-attr", "text", "eol", "--", "triples/source/article.txt"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert "text: unset" in result.stdout, result.stdout
    assert b"\r" not in (ROOT / "triples" / "source" / "article.txt").read_bytes()


@pytest.mark.slow
def test_a_very_large_file_with_a_mistake_on_its_last_line(project):
    """200,000 generated triples and one bad line at the end: the message points at that line."""
    path = project / "triples" / "generated.ttl"
    count = 200_000
    with path.open("w", encoding="utf-8") as handle:
        handle.write(PREFIXES)
        for index in range(count):
            handle.write(f'exd:generated-{index} rdfs:comment "generated triple {index}"@en .\n')
        handle.write('exd:generated-last rdfs:comment "the last one, with no end .\n')
    bad_line = PREFIXES.count("\n") + count + 1
    started = time.monotonic()
    result = run_exodus("build", project=project, timeout=900)
    line = assert_fails_cleanly(result, 2, f"generated.ttl:{bad_line}:", "Turtle syntax error")
    assert "the last one" in line
    assert time.monotonic() - started < 600


# --- the project folder and its paths --------------------------------------------------------------


def test_a_missing_project_folder():
    result = run_exodus("stats", project=Path("/nonexistent/exodus-project"))
    assert_fails_cleanly(result, 2, "--project /nonexistent/exodus-project", "not an exodus-kg project")
    fast_path = run_exodus("query", "departures", project=Path("/nonexistent/exodus-project"))
    assert_fails_cleanly(fast_path, 2, "not an exodus-kg project")


def test_exodus_project_pointing_at_a_folder_that_is_not_a_project(tmp_path):
    (tmp_path / "triples").mkdir()  # but no ontology/
    env = {key: value for key, value in os.environ.items()}
    env.update(EXODUS_PROJECT=str(tmp_path), PYTHONIOENCODING="utf-8")
    result = run_exodus("queries", env=env)
    assert_fails_cleanly(result, 2, "EXODUS_PROJECT", "not an exodus-kg project")


@pytest.mark.slow
def test_a_project_in_a_folder_with_spaces_and_chinese_characters(tmp_path):
    root = copy_article(tmp_path / "目錄 with space" / "專案 copy")
    build = run_exodus("build", project=root)
    assert build.returncode == 0, build.stderr
    assert "目錄 with space" in build.stdout
    query = run_exodus("query", "departures", "-f", "csv", project=root)
    assert query.returncode == 0, query.stderr
    assert "/john-schulman," in query.stdout
    output = tmp_path / "輸出 folder" / "圖 export.nq"
    output.parent.mkdir()
    export = run_exodus("export", "-o", str(output), project=root, cwd=tmp_path / "目錄 with space")
    assert export.returncode == 0, export.stderr
    assert output.stat().st_size > 100_000
    # An error message names such a path as it is.
    (root / "triples" / "壞 file.ttl").write_text("exd:x exd:y .\n", encoding="utf-8")
    broken = run_exodus("build", project=root)
    assert_fails_cleanly(broken, 2, "壞 file.ttl:1:")


def test_export_into_a_read_only_folder_fails_cleanly_and_writes_nothing(project, tmp_path):
    target = tmp_path / "locked"
    target.mkdir()
    (target / "exodus.ttl").write_text("the previous export\n", encoding="utf-8")
    for name in ("exodus.ttl", "new-file.nq"):  # a file to replace, and a new one
        result = run_exodus("export", "-o", str(target / name), project=project, read_only=target)
        line = assert_fails_cleanly(result, 2, name)
        assert "not writable" in line or "cannot write" in line
    assert sorted(p.name for p in target.iterdir()) == ["exodus.ttl"]
    assert (target / "exodus.ttl").read_text(encoding="utf-8") == "the previous export\n"
    target.chmod(0o755)


@pytest.mark.slow
def test_a_read_only_project_builds_into_the_user_cache(tmp_path):
    project = copy_article(tmp_path / "project")
    cache = tmp_path / "user-cache"
    env = exodus_env(XDG_CACHE_HOME=str(cache))
    result = run_exodus("query", "departures", "-f", "csv", project=project, env=env, read_only=project)
    assert result.returncode == 0, result.stderr
    assert "/john-schulman," in result.stdout
    assert not (project / "build").exists()
    assert [path.name for path in (cache / "exodus-kg").iterdir()]
    for path in [project, *project.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)


def test_export_into_a_missing_folder_or_onto_a_folder(project, tmp_path):
    missing = run_exodus("export", "-o", str(tmp_path / "no" / "such" / "folder" / "x.ttl"), project=project)
    assert_fails_cleanly(missing, 2, "cannot write in", "No such file or directory")
    onto_folder = run_exodus("export", "-o", str(tmp_path), project=project)
    assert_fails_cleanly(onto_folder, 2, "is a directory")


# --- saved queries and their parameters ----------------------------------------------------------

TEST_QUERY = """#+ summary: Statements reported since a day (a test query of tests/test_bad_input.py)
#+ description: >-
#+   Typed parameters: a required date, an integer and a gYear with defaults.
#+ params:
#+   - since: date - the first day
#+   - limit: integer - at most this many rows
#+   - year: gYear - unused in the pattern but checked
#+ defaults:
#+   - limit: 5
#+   - year: 2024
PREFIX exo: <https://w3id.org/exodus-kg/ontology#>
SELECT ?statement ?date WHERE {
  ?statement exo:date ?date .
  FILTER (?date >= ?_since && ?_limit > 0 && ?_year != "0")
}
ORDER BY ?statement
"""


@pytest.fixture
def query_project(project) -> Path:
    (project / "queries" / "reported-since.rq").write_text(TEST_QUERY, encoding="utf-8")
    return project


def test_unknown_query_name_suggests_the_closest(project):
    result = run_exodus("query", "departurs", project=project)
    assert_fails_cleanly(result, 2, "no saved query named 'departurs'", "did you mean departures")


def test_unknown_query_name_without_a_close_one_points_to_the_list(project):
    result = run_exodus("query", "xyzzy-plugh", project=project)
    assert_fails_cleanly(result, 2, "run `exodus queries`")


def test_a_query_name_that_is_a_path_is_not_a_query(project):
    for name in ("../queries/departures", "/etc/passwd"):
        assert_fails_cleanly(run_exodus("query", name, project=project), 2, "no saved query named")


def test_missing_required_parameter(query_project):
    result = run_exodus("query", "reported-since", project=query_project)
    assert_fails_cleanly(result, 2, "missing parameter since", "-p since VALUE")


def test_unknown_parameter_lists_the_known_ones(query_project):
    result = run_exodus("query", "reported-since", "-p", "sinse", "2024-01-01", project=query_project)
    assert_fails_cleanly(result, 2, "unknown parameter 'sinse'", "since (date)", "limit (integer)")


def test_a_parameter_given_twice(query_project):
    result = run_exodus("query", "reported-since", "-p", "since", "2024-01-01", "-p", "since", "2023-01-01",
                        project=query_project)
    assert_fails_cleanly(result, 2, "parameter since given twice")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("since", "yesterday", "is not a date"),
        ("since", "20240805", "is not a date"),
        ("since", "2024-W32-1", "is not a date"),
        ("since", "2024-02-30", "is not a date"),
        ("limit", "５", "is not an integer"),
        ("limit", "5 rows", "is not an integer"),
        ("year", "24", "is not a gYear"),
    ],
    ids=["word", "basic-format", "week-date", "feb-30", "fullwidth-digit", "trailing-word", "short-year"],
)
def test_an_ill_typed_parameter_is_refused_before_the_query_runs(query_project, name, value, expected):
    """Regression: Python's date.fromisoformat and int() accepted "20240805", "2024-W32-1" and "５",
    which were then bound as ill-typed XSD literals and matched nothing, silently."""
    args = ["-p", "since", "2024-01-01"] if name != "since" else []
    result = run_exodus("query", "reported-since", *args, "-p", name, value, project=query_project)
    assert_fails_cleanly(result, 2, f"parameter {name}", expected, "example:")


def test_a_well_typed_parameter_runs(query_project):
    result = run_exodus("query", "reported-since", "-p", "since", "2024-08-01", "-f", "csv", project=query_project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("statement,date")


@pytest.mark.parametrize("name", ["a b", "", "x}", "é"])
def test_an_ad_hoc_parameter_name_that_cannot_be_a_variable(project, name):
    """Regression: `exodus sparql -p 'a b' VALUE` ended in a traceback (pyoxigraph: invalid variable name)."""
    result = run_exodus("sparql", "SELECT ?_x WHERE {}", "-p", name, "value", project=project)
    assert_fails_cleanly(result, 2, "a parameter name is letters, digits and _")


def test_an_iri_parameter_with_an_unknown_prefix(project):
    result = run_exodus("query", "departures", "-p", "person", "foo:bar", project=project)
    assert_fails_cleanly(result, 2, "parameter person", "unknown prefix foo:")


def test_invalid_sparql_says_where(project):
    result = run_exodus("sparql", "SELECT ?x WHERE {\n  ?x ?y ?z .\n  ?x <http://a b> ?z .\n}", project=project)
    assert_fails_cleanly(result, 2, "query:3:18:", "SPARQL syntax error", "near: ?x <http://a b>")


def test_invalid_sparql_in_a_saved_query_names_the_file(project):
    (project / "queries" / "broken.rq").write_text(
        "#+ summary: broken on purpose\n#+ description: a test\nSELECT ?x\nWHER { ?x ?y ?z }\n", encoding="utf-8"
    )
    result = run_exodus("query", "broken", project=project)
    assert_fails_cleanly(result, 2, "broken.rq:4:6:", "SPARQL syntax error", "near: WHER")


def test_a_malformed_saved_query_header_names_file_and_line(project):
    (project / "queries" / "odd-header.rq").write_text(
        "#+ summary: fine\n#+ colour: blue\nSELECT * WHERE { ?s ?p ?o } LIMIT 1\n", encoding="utf-8"
    )
    result = run_exodus("query", "odd-header", project=project)
    assert_fails_cleanly(result, 2, "odd-header.rq:2:", "unknown header key 'colour'")


def test_a_saved_query_that_is_not_utf8(project):
    (project / "queries" / "latin1.rq").write_bytes("#+ summary: caf\u00e9\nSELECT * WHERE { ?s ?p ?o }\n".encode("latin-1"))
    assert_fails_cleanly(run_exodus("query", "latin1", project=project), 2, "latin1.rq", "not UTF-8")


def test_an_empty_query(project):
    """Regression: the message was "expected [_]"."""
    assert_fails_cleanly(run_exodus("sparql", "", project=project), 2, "the query is empty")
    assert_fails_cleanly(run_exodus("sparql", "-", project=project, stdin="# only a comment\n"), 2,
                         "<stdin>: the query is empty")


def test_a_sparql_update_is_refused_as_such(project):
    """Regression: the message was "expected CONSTRUCT"."""
    result = run_exodus("sparql", "PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c }", project=project)
    assert_fails_cleanly(result, 2, "INSERT is SPARQL Update", "read-only")


def test_a_query_file_that_cannot_be_read(project, tmp_path):
    assert_fails_cleanly(run_exodus("sparql", f"@{tmp_path}/missing.rq", project=project), 2,
                         "missing.rq: cannot read the query")
    (tmp_path / "latin1.rq").write_bytes(b"SELECT ?caf\xe9 WHERE {}")
    assert_fails_cleanly(run_exodus("sparql", f"@{tmp_path}/latin1.rq", project=project), 2, "not UTF-8")


def test_a_query_that_runs_too_long_stops_at_the_timeout(project):
    started = time.monotonic()
    result = run_exodus(
        "sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", "--timeout", "1",
        project=project, timeout=120,
    )
    assert_fails_cleanly(result, 2, "still running after 1 s", "--timeout")
    assert time.monotonic() - started < 60  # the process does not wait for the abandoned query


@pytest.mark.parametrize("value", ["0", "-1", "nan", "abc"])
def test_a_timeout_that_is_not_a_positive_number(project, value):
    """Regression: --timeout nan passed click's range check and meant "no limit"."""
    result = run_exodus("sparql", "ASK { ?s ?p ?o }", "--timeout", value, project=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "timeout" in result.stderr.lower()


def test_an_unknown_output_format(project):
    result = run_exodus("query", "departures", "-f", "yaml", project=project)
    assert_fails_cleanly(result, 2, "'yaml' is not one of")


def test_show_an_entity_that_is_not_there(project):
    result = run_exodus("show", "Nobody In Particular", project=project)
    assert_fails_cleanly(result, 2, "no entity 'Nobody In Particular'")


# --- the network: never touched unless the user opts in ------------------------------------------------


@pytest.fixture
def recorder():
    with RecordingServer(200) as server:
        yield server


SERVICE_FORMS = {
    "plain": "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "no-space": "SELECT * WHERE {{ SERVICE<{url}>{{ ?s ?p ?o }} }}",
    "silent": "ASK {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "lower-case": "select * where {{ ?x a exo:Departure . service <{url}> {{ ?x ?p ?o }} }}",
    "hyphenated-prefix": "PREFIX my-endpoint: <{url}>\nSELECT * WHERE {{\n  ?x a exo:Departure .\n  SERVICE my-endpoint: {{ ?x ?p ?o }}\n}}",
    "after-carriage-return-comment": "SELECT * WHERE {{ ?x a exo:Departure . # comment\rSERVICE <{url}> {{ ?x ?p ?o }}\n}}",
    "after-iri-with-hash": "SELECT * WHERE {{ ?x a <https://w3id.org/exodus-kg/ontology#Departure> . SERVICE <{url}> {{ ?x ?p ?o }} }}",
}


@pytest.mark.parametrize("form", list(SERVICE_FORMS))
def test_an_ad_hoc_service_query_is_refused_and_sends_nothing(project, recorder, form):
    """Regression: pyoxigraph sent every SERVICE clause over the network; a check of the query text
    by regular expression misses `SERVICE<iri>`, a hyphenated prefix or a comment ended by CR."""
    query = SERVICE_FORMS[form].format(url=recorder.base_url + "/sparql")
    result = run_exodus("sparql", query, project=project)
    assert_fails_cleanly(result, 2, "calls a remote SPARQL SERVICE", "--allow-service")
    assert recorder.requests == []


def test_a_saved_query_with_service_is_refused_and_sends_nothing(project, recorder):
    (project / "queries" / "remote.rq").write_text(
        "#+ summary: a saved query that calls a service\n#+ description: test\n"
        f"SELECT * WHERE {{\n  ?s ?p ?o .\n  SERVICE <{recorder.base_url}/sparql> {{ ?s ?p ?o }}\n}}\n",
        encoding="utf-8",
    )
    result = run_exodus("query", "remote", project=project)
    assert_fails_cleanly(result, 2, "remote.rq:5:", "calls a remote SPARQL SERVICE")
    assert recorder.requests == []


@pytest.mark.slow
def test_a_rule_with_service_stops_the_build_before_it_sends_anything(project, recorder):
    (project / "queries" / "rules" / "zz-remote.rq").write_text(
        "#+ summary: a rule that calls a service\n"
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{recorder.base_url}/sparql> {{ ?s ?p ?o }} }}\n",
        encoding="utf-8",
    )
    result = run_exodus("build", project=project)
    assert_fails_cleanly(result, 2, "zz-remote.rq", "calls a remote SPARQL SERVICE")
    assert recorder.requests == []


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?s WHERE { ?s rdfs:label "customer service"@en } # a service of sorts',
        "SELECT ?service WHERE { ?service a exo:Departure } LIMIT 1",
        'SELECT ?s WHERE { ?s rdfs:label ?l FILTER(CONTAINS(?l, """SERVICE <http://x/> { }""")) }',
    ],
    ids=["in-a-string-and-a-comment", "in-a-variable", "in-a-long-string"],
)
def test_the_word_service_elsewhere_is_not_a_service_call(project, query):
    result = run_exodus("sparql", query, project=project)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_owl_imports_of_a_remote_ontology_are_never_fetched_by_the_build(project, recorder):
    ontology = project / "ontology" / "exodus.ttl"
    text = ontology.read_text(encoding="utf-8")
    marker = "<https://w3id.org/exodus-kg/ontology>\n    a owl:Ontology ;\n"
    assert marker in text
    ontology.write_text(
        text.replace(marker, marker + f"    owl:imports <{recorder.base_url}/remote-ontology> ;\n"), encoding="utf-8"
    )
    result = run_exodus("build", project=project)
    assert result.returncode == 0, result.stderr
    assert recorder.requests == []


@pytest.mark.slow
def test_the_owl_checks_do_not_follow_owl_imports(tmp_path, recorder):
    """Regression: `exodus check-ontology` fetched every owl:imports (the OWL API and owlready2 both
    follow them), then printed a Java stack trace when the fetch failed."""
    if not shutil.which("java"):
        pytest.skip("java is not installed")
    from exodus_kg.maintain import ontology_checks
    from exodus_kg.pipeline.graph_loading import parse_file

    path = tmp_path / "importing.ttl"
    path.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix ex: <https://example.org/> .\n"
        f"<https://example.org/onto> a owl:Ontology ; owl:imports <{recorder.base_url}/imported> .\n"
        "ex:A a owl:Class .\n",
        encoding="utf-8",
    )
    graph = parse_file(path)
    assert ontology_checks.imported_ontologies(graph) == [f"{recorder.base_url}/imported"]
    if Path("/usr/share/java/owlapi-distribution.jar").exists() and shutil.which("javac"):
        assert ontology_checks.dl_profile(path).ok
    assert ontology_checks.hermit_consistency(graph).ok
    assert recorder.requests == []


@pytest.mark.slow
def test_a_java_failure_is_one_line(tmp_path):
    """Regression: a failure of the OWL API ended the message with the tail of a Java stack trace."""
    if not (shutil.which("java") and shutil.which("javac") and Path("/usr/share/java/owlapi-distribution.jar").exists()):
        pytest.skip("the OWL API (libowlapi-java) and a JDK are not installed")
    from exodus_kg.errors import ExodusError
    from exodus_kg.maintain import ontology_checks

    # rdflib reads this JSON-LD file; the OWL API refuses it.
    path = tmp_path / "ontology.jsonld"
    path.write_text('{"@context": {"owl": "http://www.w3.org/2002/07/owl#"}, '
                    '"@id": "https://example.org/onto", "@type": "owl:Ontology"}', encoding="utf-8")
    with pytest.raises(ExodusError) as caught:
        ontology_checks.dl_profile(path)
    assert caught.value.exit_code == 2
    assert "\n" not in caught.value.message and "\tat " not in caught.value.message
    assert caught.value.message.startswith(f"the OWL API could not check {path}: java.lang.")


# --- remote endpoints: push and link --check ------------------------------------------------------------
# tests/test_push.py covers a refused connection, a hung store, 403 from a read-only store, 404, a store
# killed mid-push and refused credentials; tests/test_wikidata_links.py a dead endpoint, 404 and a hung
# endpoint (library). These add the statuses and the command-line paths they leave out.


@pytest.mark.parametrize(("status", "said"), [(401, "401 Unauthorized"), (403, "403 Forbidden"),
                                              (500, "500 Internal Server Error")])
def test_push_to_a_store_answering_an_http_error(project, status, said):
    with RecordingServer(status) as server:
        result = run_exodus("push", "--endpoint", server.base_url, "--timeout", "10", project=project)
    line = assert_fails_cleanly(result, 3, said, "left as they were")
    if status == 401:
        assert "EXODUS_ENDPOINT_USER" in line


@pytest.mark.parametrize(("status", "said"), [(401, "Unauthorized"), (403, "403"), (500, "500")])
def test_link_check_against_an_endpoint_answering_an_http_error(project, status, said):
    with RecordingServer(status) as server:
        result = run_exodus("link", "--check", "--endpoint", server.base_url + "/query", "--timeout", "10",
                            project=project)
    assert_fails_cleanly(result, 3, said)
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["push", "link"])
def test_a_hung_endpoint_times_out_with_exit_code_3(project, command):
    with HangingServer() as server:
        args = (["push", "--endpoint", server.base_url] if command == "push"
                else ["link", "--check", "--endpoint", server.base_url + "/query"])
        started = time.monotonic()
        result = run_exodus(*args, "--timeout", "1", project=project, timeout=120)
    assert_fails_cleanly(result, 3, "within 1 s")
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_a_store_that_fails_in_the_middle_of_a_push_keeps_its_previous_state(project, tmp_path):
    """HTTP 500 after a few batches (not a killed server, which test_push.py covers): the target graphs
    keep what they held before, and the command says the push failed."""
    with OxigraphServer(tmp_path / "store") as store:
        store.update(
            "INSERT DATA { GRAPH <https://w3id.org/exodus-kg/graph/asserted> "
            "{ <https://example.org/before> <https://example.org/p> \"kept\" } }"
        )
        before = store.dump()
        with FailingProxy(store.base_url, fail_from=3) as proxy:
            result = run_exodus(
                "push", "--endpoint", proxy.base_url, "--protocol", "update", "--batch-size", "500", project=project
            )
        line = assert_fails_cleanly(result, 3, "HTTP 500", "left as they were")
        assert proxy.refused >= 1 and proxy.forwarded >= 3
        # The temporary graphs the store could not drop are named in the message, for the user to drop.
        after = [quad for quad in store.dump().splitlines() if b"/push-temp/" not in quad]
        assert sorted(after) == sorted(before.splitlines())
        if len(after) != len(store.dump().splitlines()):
            assert "DROP SILENT GRAPH" in line


@pytest.mark.slow
def test_a_federated_query_never_calls_its_service_without_the_opt_in(project, recorder):
    """Regression: `exodus federated` decided by a regular expression over the text whether a query
    calls a SERVICE; rdflib, which runs these queries, unescapes \\u0053ERVICE into SERVICE, so such a
    query sent the QIDs it joins on without --allow-service. Now a SERVICE is refused when reached."""
    (project / "queries" / "federated" / "sneaky.rq").write_text(
        "#+ summary: a federated query that spells SERVICE with an escape\n#+ description: test\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT ?person ?item ?x WHERE {\n  ?person skos:exactMatch ?item .\n"
        f"  OPTIONAL {{ \\u0053ERVICE <{recorder.base_url}/sparql> {{ ?item ?p ?x }} }}\n}}\n",
        encoding="utf-8",
    )
    refused = run_exodus("federated", "sneaky", project=project)
    assert_fails_cleanly(refused, 2, "--allow-service")
    assert recorder.requests == []
    allowed = run_exodus("federated", "sneaky", "--allow-service", project=project)
    assert allowed.returncode == 0, allowed.stderr
    assert recorder.requests, "with --allow-service the query does call its service"


def test_quickstatements_into_a_missing_folder_is_one_line_and_a_kept_file_stays_whole(project, tmp_path):
    """Regression: `exodus quickstatements -o` opened the file in place (a traceback for a missing
    folder, a truncated file when interrupted); it now writes through a temporary file."""
    url = ("--reference-url", "https://example.org/article")
    missing = run_exodus("quickstatements", *url, "-o", str(tmp_path / "no-such-folder" / "x.qs"), project=project)
    assert_fails_cleanly(missing, 2, "x.qs", "cannot write in")
    target = tmp_path / "claims.qs"
    written = run_exodus("quickstatements", *url, "-o", str(target), project=project)
    assert written.returncode == 0, written.stderr
    assert target.read_text(encoding="utf-8").count("\n") >= 1
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_docs_into_a_folder_that_cannot_be_made(project):
    """Regression: `exodus docs -o` into a folder that cannot be created printed a traceback."""
    result = run_exodus("docs", "-o", "/proc/exodus-docs", project=project)
    assert_fails_cleanly(result, 2, "/proc/exodus-docs: cannot write the documentation")


@pytest.mark.slow
def test_control_characters_in_the_data_reach_the_terminal_escaped(project):
    """Regression: `exodus show` and the table format printed values from the data raw, so a label
    carrying ESC sequences (a hostile contribution to triples/) could send the terminal commands."""
    add_turtle(project, "escape.ttl", 'exd:sam-altman rdfs:comment "evil\\u001b[31mRED\\u0007"@en .\n')
    show = run_exodus("show", "exd:sam-altman", project=project)
    assert show.returncode == 0, show.stderr
    assert "\x1b" not in show.stdout and "\x07" not in show.stdout
    assert "evil\\x1b[31mRED\\x07" in show.stdout
    table = run_exodus("sparql", "SELECT ?c WHERE { exd:sam-altman rdfs:comment ?c }", project=project)
    assert "\x1b" not in table.stdout and "evil\\x1b[31mRED\\x07" in table.stdout


# --- the table of docs/errors.md ----------------------------------------------------------------------

CASE_FILES = ("test_bad_input.py", "test_injection.py", "test_interruption.py")


def documented_cases() -> dict[str, set[int]]:
    """test name -> exit codes, from the case tables of docs/errors.md."""
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    cases = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[3].startswith("`test_"):
            cases[cells[3].strip("`")] = {int(code) for code in cells[1].split(",")}
    return cases


def codes_asserted(function) -> set[int]:
    """The exit codes a test function (an ast node) asserts: assert_fails_cleanly(result, N, ...),
    ``... returncode == N``, ``except UsageError`` (2, else 0); a test that asserts no failure expects 0."""
    import ast

    codes = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "assert_fails_cleanly":
            codes.add(node.args[1].value)
        elif isinstance(node, ast.Compare) and getattr(node.left, "attr", "") in ("returncode", "exit_code"):
            codes |= {c.value for c in node.comparators if isinstance(c, ast.Constant) and isinstance(c.value, int)}
        elif isinstance(node, ast.ExceptHandler) and getattr(node.type, "id", "") == "UsageError":
            codes |= {0, 2}  # refused (2), or else it runs (0)
    return codes or {0}


def test_docs_errors_lists_every_case_with_the_exit_code_its_test_asserts():
    """Every test of the case files has its row and asserts the exit code the row gives; a row may also
    name a test of another file (the remote edges, whose helpers assert the codes), which must exist."""
    import ast

    cases = documented_cases()
    assert len(cases) >= 40
    functions, listed = {}, set()
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and "docs_errors" not in node.name:
                functions[node.name] = node
                if path.name in CASE_FILES:
                    listed.add(node.name)
    assert sorted(listed - set(cases)) == [], "tests missing from the table of docs/errors.md"
    assert sorted(set(cases) - set(functions)) == [], "rows of docs/errors.md naming no test"
    for name, codes in cases.items():
        if name not in listed:
            continue
        asserted = codes_asserted(functions[name])
        assert codes <= asserted, f"{name}: docs/errors.md says exit code {sorted(codes)}, the test asserts {sorted(asserted)}"


def test_an_article_that_is_missing_or_not_utf8(project):
    """Regression: `exodus passages` printed a traceback for a missing or non-UTF-8 article, and
    `exodus fmt` blamed the Turtle file it was formatting."""
    article = project / "triples" / "source" / "article.txt"
    article.unlink()
    assert_fails_cleanly(run_exodus("passages", project=project), 2, "article.txt: cannot read the article")
    assert_fails_cleanly(run_exodus("fmt", "--check", project=project), 2, "article.txt: cannot read the article")
    article.write_bytes("caf\u00e9\n".encode("latin-1"))
    assert_fails_cleanly(run_exodus("passages", project=project), 2, "article.txt: the article is not UTF-8")


# --- where output goes: devices, FIFOs, links, compression ---------------------------------------------


@pytest.mark.slow
def test_export_onto_a_device_a_fifo_or_stdout_writes_through_and_never_replaces_it(project, tmp_path):
    """Regression: `export -o` and `quickstatements -o` onto a device node, a FIFO or /dev/stdout
    replaced it with a regular file and exited 0 (as root, `-o /dev/null` replaced the system's
    /dev/null). Nodes and links made here stand in for /dev/null, /dev/full and /dev/stdout (a link
    to /proc/self/fd/1, as /dev/stdout is), so a regression cannot harm the system's own."""
    import stat
    import threading

    out = tmp_path / "out"
    out.mkdir()
    (out / "stdout").symlink_to("/proc/self/fd/1")
    stdout = run_exodus("export", "-f", "nt", "-o", str(out / "stdout"), project=project)
    assert stdout.returncode == 0, stdout.stderr
    assert stdout.stdout.count(" .\n") > 1000  # the triples came out on standard output
    assert (out / "stdout").is_symlink()
    fifo = out / "pipe"
    os.mkfifo(fifo)
    for command in (("export", "-f", "nt"), ("quickstatements", "--reference-url", "https://example.org/article")):
        received = []
        # A daemon, and released below if exodus never opened the FIFO: a reader left blocked in
        # open() would otherwise keep pytest from exiting after a failure.
        reader = threading.Thread(target=lambda received=received: received.append(fifo.read_bytes()), daemon=True)
        reader.start()
        try:
            through_fifo = run_exodus(*command, "-o", str(fifo), project=project, timeout=120)
            reader.join(60)
        finally:
            if reader.is_alive():
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        assert through_fifo.returncode == 0, through_fifo.stderr
        assert stat.S_ISFIFO(fifo.stat().st_mode) and received and received[0].count(b"\n") >= 1
    full = "/dev/full"  # as another user, /dev cannot be written: the real one is safe to use
    if os.geteuid() == 0:  # making a device node needs CAP_MKNOD
        null, full = out / "null", out / "full"
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        for command in (("export",), ("quickstatements", "--reference-url", "https://example.org/article")):
            assert run_exodus(*command, "-o", str(null), project=project).returncode == 0
            assert stat.S_ISCHR(null.stat().st_mode), "the device node was replaced by a regular file"
    result = run_exodus("export", "-o", str(full), project=project)
    assert_fails_cleanly(result, 2, f"{full}: cannot write", "No space left on device")
    assert stat.S_ISCHR(os.stat(full).st_mode)
    assert not [p.name for p in out.iterdir() if p.name.endswith(".part")]


def test_export_onto_a_symlink_writes_the_file_it_points_to(project, tmp_path):
    """Regression: a symlink given to -o was replaced by a regular file while the file it points
    to kept its old content."""
    real = tmp_path / "releases" / "exodus.nt"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    for command, name in ((("export", "-f", "nt"), "latest.nt"), (("quickstatements", "--reference-url", "https://example.org/article"), "latest.qs")):
        link = tmp_path / name
        link.symlink_to(real)
        result = run_exodus(*command, "-o", str(link), project=project)
        assert result.returncode == 0, result.stderr
        assert link.is_symlink() and link.resolve() == real
        assert real.read_text(encoding="utf-8") != "old\n" and real.read_text(encoding="utf-8").endswith("\n")
        real.write_text("old\n", encoding="utf-8")
    assert sorted(p.name for p in real.parent.iterdir()) == ["exodus.nt"]  # no temporary file left


def test_export_to_a_compressed_name_compresses_and_takes_the_format_from_the_full_extension(project, tmp_path):
    """Regression: `export -o exodus.nq.gz` wrote uncompressed Turtle under a .gz name."""
    import bz2
    import gzip

    gz = run_exodus("export", "-o", str(tmp_path / "exodus.nq.gz"), project=project)
    assert gz.returncode == 0, gz.stderr
    assert "as N-Quads" in gz.stderr
    with gzip.open(tmp_path / "exodus.nq.gz", "rb") as packed:
        lines = packed.read().decode("utf-8").splitlines()
    assert len(lines) > 1000 and all(line.endswith("> .") or line.endswith('" .') or " <" in line for line in lines)
    assert all(line.rsplit(" ", 2)[-2].startswith("<https://w3id.org/exodus-kg/graph/") for line in lines[:50])
    bz = run_exodus("export", "-f", "ttl", "-o", str(tmp_path / "exodus.ttl.bz2"), project=project)
    assert bz.returncode == 0, bz.stderr
    assert bz2.decompress((tmp_path / "exodus.ttl.bz2").read_bytes()).startswith(b"@prefix")


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("-f", "ttl", "-o", "exodus.nq"), "the extension says N-Quads but -f says Turtle"),
        (("-f", "nt", "-o", "exodus.trig.gz"), "the extension says TriG but -f says N-Triples"),
        (("-o", "exodus.nq.zst"), ".zst compression is not supported"),
    ],
    ids=["nq-as-ttl", "trig-gz-as-nt", "zstd"],
)
def test_an_export_name_that_contradicts_the_format_is_refused(project, tmp_path, arguments, said):
    """Regression: the file name and -f could disagree, giving a file that lies about its content."""
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    arguments = tuple(str(tmp_path / a) if a.startswith("exodus.") else a for a in arguments)
    result = run_exodus("export", *arguments, project=project)
    assert_fails_cleanly(result, 2, said)
    assert list(tmp_path.iterdir()) == []


# --- data files: named graphs, remote contexts, what the store refuses, file names --------------------

NAMED_GRAPH_FILES = {
    "trig": "GRAPH <https://example.org/mine> {\n  exd:ghost-departure a exo:Departure .\n}\n",
    "nq": "<https://w3id.org/exodus-kg/id/ghost-departure> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
    "<https://w3id.org/exodus-kg/ontology#Departure> <https://example.org/mine> .\n",
    "jsonld": '{"@context": {"exo": "https://w3id.org/exodus-kg/ontology#"}, "@id": "https://example.org/mine",'
    ' "@graph": [{"@id": "https://w3id.org/exodus-kg/id/ghost-departure", "@type": "exo:Departure"}]}\n',
}


@pytest.mark.slow
@pytest.mark.parametrize("extension", list(NAMED_GRAPH_FILES))
def test_triples_inside_named_graphs_of_a_data_file_are_loaded_not_dropped(project, tmp_path, extension):
    """Regression: the triples inside GRAPH {} of a .trig, .nq or JSON-LD file were silently dropped by
    `build` and `validate FILE`, so a departure with no person, evidence or certainty "conformed"."""
    body = NAMED_GRAPH_FILES[extension]
    if extension == "trig":
        body = PREFIXES.replace("@prefix", "PREFIX").replace(" .\n", "\n") + body
    mine = tmp_path / f"mine.{extension}"
    mine.write_text(body, encoding="utf-8")
    validated = run_exodus("validate", str(mine), project=project)
    assert validated.returncode == 1, validated.stderr
    assert "ghost-departure" in validated.stdout
    (project / "triples" / mine.name).write_text(body, encoding="utf-8")
    built = run_exodus("build", project=project)
    assert_fails_cleanly(built, 1, "validation failed")


@pytest.mark.parametrize(
    "context",
    ['"{url}/context.jsonld"', '["{url}/context.jsonld", {{"exo": "https://w3id.org/exodus-kg/ontology#"}}]',
     '{{"@import": "{url}/context.jsonld"}}'],
    ids=["string", "in-a-list", "import"],
)
def test_a_json_ld_file_with_a_remote_context_is_refused_and_fetches_nothing(project, tmp_path, recorder, context):
    """Regression: rdflib fetched a JSON-LD file's remote @context on every build and `validate FILE`,
    with no opt-in. No input format may reach the network."""
    document = '{"@context": ' + context.format(url=recorder.base_url) + ', "@id": "https://example.org/x"}\n'
    mine = tmp_path / "remote.jsonld"
    mine.write_text(document, encoding="utf-8")
    validated = run_exodus("validate", str(mine), project=project)
    assert_fails_cleanly(validated, 2, "remote.jsonld: the JSON-LD context", "never fetches")
    (project / "triples" / "remote.jsonld").write_text(document, encoding="utf-8")
    assert_fails_cleanly(run_exodus("build", project=project), 2, "remote.jsonld: the JSON-LD context")
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("term", "said"),
    [
        ("<https://w3id.org/exodus-kg/id/sam altman>", "Invalid IRI code point ' '"),
        ("<https://w3id.org/exodus-kg/id/a|b>", "Invalid IRI code point '|'"),
        ("<https://w3id.org/exodus-kg/id/a^b>", "Invalid IRI code point '^'"),
        ("<https://w3id.org/exodus-kg/id/{slug}>", "Invalid IRI code point '{'"),
        ("<https://w3id.org/exodus-kg/id/%zz>", "Invalid IRI percent encoding"),
        ('"x"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#langString>', "has no language tag"),
    ],
    ids=["space", "pipe", "caret", "braces", "bad-percent", "langString-without-language"],
)
def test_a_term_rdflib_reads_but_the_store_refuses_names_file_and_line(project, term, said):
    """Regression: IRIs rdflib accepts and pyoxigraph refuses (space, |, ^, {}, %zz), and
    "x"^^rdf:langString, passed the load and ended the build with a traceback naming no file."""
    path = add_turtle(project, "odd-terms.ttl", f"exd:sam-altman rdfs:seeAlso {term} .\n")
    result = run_exodus("build", project=project)
    assert_fails_cleanly(result, 2, f"odd-terms.ttl:{added_line(path, 'seeAlso')}:", said)


@pytest.mark.parametrize(
    ("literal", "said"),
    [
        ('"1"^^xsd:nonsense', "unknown datatype xsd:nonsense"),
        ('"<b>never closed"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral>', "not a valid rdf:XMLLiteral"),
    ],
    ids=["xsd-nonsense", "unclosed-xml-literal"],
)
def test_a_datatype_that_does_not_exist_or_an_unclosed_xml_literal_is_named_as_such(project, literal, said):
    """Regression: "1"^^xsd:nonsense was accepted silently, and an unclosed rdf:XMLLiteral was
    reported as an xsd:XMLLiteral."""
    path = add_turtle(project, "typed.ttl", f"exd:sam-altman rdfs:comment {literal} .\n")
    result = run_exodus("build", project=project)
    assert_fails_cleanly(result, 2, f"typed.ttl:{added_line(path, 'rdfs:comment')}:", said)


def test_an_unterminated_long_string_is_reported_where_it_opens(project):
    """Regression: an unterminated \"\"\" string was reported at the end of the file."""
    body = 'exd:sam-altman rdfs:comment """opens here and never closes .\n' + "".join(
        f'exd:entity-{n} rdfs:label "entity {n}" .\n' for n in range(30)
    )
    path = add_turtle(project, "long-string.ttl", body)
    result = run_exodus("build", project=project)
    assert_fails_cleanly(
        result, 2, f"long-string.ttl:{added_line(path, 'opens here')}:", 'a """ string opened here is never closed'
    )


def test_a_huge_input_is_not_echoed_whole_in_an_error(project):
    """Regression: a 100,000-character literal came back whole in the one-line error."""
    add_turtle(project, "huge.ttl", f'exd:sam-altman exo:reportedDate "{"9" * 100_000}x"^^xsd:date .\n')
    result = run_exodus("build", project=project)
    line = assert_fails_cleanly(result, 2, "huge.ttl:", "100,001 characters", "is not a valid xsd:date")
    assert len(line) < 400


@pytest.mark.parametrize("kind", ["dev-null", "fifo", "folder"])
def test_validate_says_what_a_path_is_when_it_is_not_a_file(project, tmp_path, kind):
    """Regression: `validate /dev/null` and `validate FIFO` said "no such file" (and a FIFO could
    have blocked the read)."""
    if kind == "dev-null":
        path, said = "/dev/null", "is a character device"
    elif kind == "fifo":
        path, said = str(tmp_path / "pipe.ttl"), "is a FIFO"
        os.mkfifo(path)
    else:
        path, said = str(tmp_path), "is a directory"  # click checks this one
    result = run_exodus("validate", path, project=project, timeout=60)
    assert_fails_cleanly(result, 2, path, said)


@pytest.mark.slow
def test_data_files_named_ttl_in_capitals_turtle_or_gz_are_loaded_like_validate_reads_them(project):
    """Regression: triples/x.TTL and x.turtle were silently left out of the build while `validate
    x.TTL` read them. Each file here adds one violation, so each must be loaded for the count."""
    import gzip

    departure = "exd:ghost-{n} a exo:Departure .\n"
    for n, name in enumerate(("upper.TTL", "long.turtle")):
        add_turtle(project, name, departure.format(n=n))
    (project / "triples" / "packed.ttl.gz").write_bytes(gzip.compress((PREFIXES + departure.format(n=2)).encode()))
    result = run_exodus("validate", project=project)
    assert result.returncode == 1, result.stderr
    for n in range(3):
        assert f"ghost-{n}" in result.stdout


@pytest.mark.slow
def test_symlinks_in_triples_are_followed_or_named(project, tmp_path):
    """Regression: a symlinked folder in triples/ was silently left out, a dangling symlink too, and a
    loop of symlinks ended in an OSError traceback."""
    outside = tmp_path / "more-triples"
    outside.mkdir()
    (outside / "ghost.ttl").write_text(PREFIXES + "exd:ghost-linked a exo:Departure .\n", encoding="utf-8")
    (project / "triples" / "linked").symlink_to(outside)
    (outside / "back").symlink_to(project / "triples")  # a loop through the folders: read once
    result = run_exodus("validate", project=project)
    assert result.returncode == 1, result.stderr
    assert "ghost-linked" in result.stdout
    (project / "triples" / "linked").unlink()
    dangling = project / "triples" / "gone.ttl"
    dangling.symlink_to(tmp_path / "deleted.ttl")
    assert_fails_cleanly(run_exodus("build", project=project), 2, "gone.ttl: a symbolic link to nothing")
    dangling.unlink()
    (project / "triples" / "a.ttl").symlink_to("b.ttl")
    (project / "triples" / "b.ttl").symlink_to("a.ttl")
    for command in ("build", "query"):
        result = run_exodus(command, *(["departures"] if command == "query" else []), project=project)
        assert_fails_cleanly(result, 2, ".ttl: a loop of symbolic links")


def test_fmt_refuses_to_drop_comments_unless_asked_and_then_names_each(project):
    """Regression: `exodus fmt` removed a user's Turtle comments without a word."""
    body = (
        "# Why Peter Deng's departure is dated by the report: the article gives no day.\n"
        'exd:peter-deng rdfs:label "Peter Deng"@en .  # as the article spells him\n'
        'exd:peter-deng rdfs:comment "a # in a string is no comment" .\n'
    )
    path = add_turtle(project, "commented.ttl", body)
    before = path.read_bytes()
    plain = add_turtle(project, "another.ttl", 'exd:peter-deng rdfs:label "Peter Deng"@en .\n')  # not canonical
    plain_before = plain.read_bytes()
    first, second = added_line(path, "# Why"), added_line(path, "# as the")
    refused = run_exodus("fmt", str(plain), str(path), project=project)
    said = f"commented.ttl: 2 comment(s) would be lost (line {first}, {second})"
    assert_fails_cleanly(refused, 2, said, "--drop-comments")
    assert path.read_bytes() == before
    assert plain.read_bytes() == plain_before  # refused before any file was rewritten
    dropped = run_exodus("fmt", "--drop-comments", str(path), project=project)
    assert dropped.returncode == 0, dropped.stderr
    assert f"commented.ttl:{first}: dropped comment: # Why Peter Deng" in dropped.stderr
    assert f"commented.ttl:{second}: dropped comment: # as the article spells him" in dropped.stderr
    rewritten = path.read_text(encoding="utf-8")
    assert "a # in a string is no comment" in rewritten and "Why Peter Deng" not in rewritten


# --- permissions, full disks, closed or odd standard streams ------------------------------------------


@pytest.fixture
def public_project():
    """A built copy of the project in a folder any user can reach (pytest's tmp_path is private to
    root), with a user cache anyone may write: for commands run as nobody (unprivileged_prefix)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="exodus-public-"))
    folder.chmod(0o755)
    project = clone_built_article(folder / "project")
    cache = folder / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    yield project, exodus_env(XDG_CACHE_HOME=str(cache))
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(folder)


def test_an_unreadable_input_file_folder_or_saved_query_is_one_line(public_project):
    """Regression: an input file, a folder of triples/ or a saved query that the user may not read
    ended in a PermissionError traceback (run as an ordinary user: root reads anything)."""
    project, env = public_project
    people = project / "triples" / "people.ttl"
    people.chmod(0o000)
    result = run_exodus("query", "departures", project=project, env=env, unprivileged=True)
    assert_fails_cleanly(result, 2, "people.ttl: cannot read (Permission denied)")
    people.chmod(0o644)
    source = project / "triples" / "source"
    source.chmod(0o000)
    result = run_exodus("build", project=project, env=env, unprivileged=True)
    assert_fails_cleanly(result, 2, "triples/source: cannot read the folder (Permission denied)")
    source.chmod(0o755)
    saved = project / "queries" / "departures.rq"
    saved.chmod(0o000)
    for command in (("query", "departures"), ("queries",)):
        result = run_exodus(*command, project=project, env=env, unprivileged=True)
        assert_fails_cleanly(result, 2, "departures.rq: cannot read the query (Permission denied)")


def test_export_to_dev_stdout_as_an_ordinary_user(public_project):
    """Regression: `export -o /dev/stdout` as an ordinary user failed ("not readable", then
    "Permission denied"): reopening /proc/self/fd/1 needs rights on a pipe another user made. The
    descriptor the process holds is written instead."""
    project, env = public_project
    result = run_exodus("export", "-f", "nt", "-o", "/dev/stdout", project=project, env=env, unprivileged=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(" .\n") > 1000


def test_a_read_only_project_whose_cache_cannot_be_written_fails_before_building(tmp_path):
    """Regression: with the project read-only and no writable user cache, the build ran to the end and
    then died with a traceback."""
    project = copy_article(tmp_path / "project")
    env = exodus_env(XDG_CACHE_HOME="/proc/exodus-cache")  # a folder nobody can make
    result = run_exodus("build", project=project, env=env, read_only=project)
    assert_fails_cleanly(result, 2, "cannot write the build cache in /proc/exodus-cache/exodus-kg", "XDG_CACHE_HOME")
    assert "validate" not in result.stdout + result.stderr  # refused before the work, not after


def test_a_full_disk_during_the_build_or_on_standard_output(project):
    """Regression: a full disk while the build wrote its cache entry, or standard output on a full
    device (`> /dev/full`), ended in an OSError traceback."""
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        for args in (("query", "departures"), ("show", "馬斯克"), ("queries",), ("export",)):
            result = subprocess.run(
                [sys.executable, "-m", "exodus_kg", "--project", str(project), *args],
                stdout=full, stderr=subprocess.PIPE, text=True, env=exodus_env(), timeout=300, check=False,
            )
            assert_fails_cleanly(result, 2, "cannot write to standard output (No space left on device)")
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a small full file system for the cache needs root and unshare --mount (mount -t tmpfs)")
    add_turtle(project, "changed.ttl", 'exd:sam-altman rdfs:comment "a change, so the build runs"@en .\n')
    cache = project / "build"
    script = 'mount -t tmpfs -o size=256k tmpfs "$0" && exec "$@"'
    command = ["unshare", "--mount", "sh", "-c", script, str(cache), sys.executable, "-m", "exodus_kg",
               "--project", str(project), "build"]
    result = subprocess.run(command, capture_output=True, text=True, env=exodus_env(), timeout=300, check=False)
    assert_fails_cleanly(result, 2, "cannot write the built graph to", "No space left on device", "nothing was cached")


def test_a_query_name_longer_than_a_file_name_may_be(project):
    """Regression: a query name of more than 255 characters ended in an ENAMETOOLONG traceback (and
    the name came back whole in the message)."""
    result = run_exodus("query", "x" * 300, project=project)
    line = assert_fails_cleanly(result, 2, "no saved query named", "(300 characters)")
    assert len(line) < 300


@pytest.mark.parametrize(
    "environment",
    [{"PYTHONIOENCODING": "latin-1"}, {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}],
    ids=["latin-1-output", "c-locale-without-utf8"],
)
def test_a_terminal_or_locale_that_is_not_utf8(project, environment):
    """Regression: `exodus show 馬斯克` under a non-UTF-8 locale, or with PYTHONIOENCODING=latin-1,
    crashed (UnicodeEncodeError, or surrogates from the argument)."""
    env = {key: value for key, value in exodus_env().items() if key not in ("LANG", "LC_ALL", "LC_CTYPE")}
    env.update(environment)
    if "PYTHONIOENCODING" not in environment:
        del env["PYTHONIOENCODING"]
    shown = run_exodus("show", "馬斯克", project=project, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "exd:elon-musk" in shown.stdout and "Traceback" not in shown.stderr
    if "PYTHONIOENCODING" in environment:
        assert "\\u99ac" in shown.stdout  # the Chinese label, escaped rather than a crash
    bound = run_exodus("sparql", "SELECT ?x WHERE { ?x rdfs:label ?_name }", "-p", "name", "馬斯克", project=project, env=env)
    assert bound.returncode == 0, bound.stderr


def test_an_ad_hoc_query_from_dev_zero_or_stdin_that_is_not_utf8(project):
    """Regression: `sparql @/dev/zero` read until the memory ran out; non-UTF-8 standard input said
    "surrogates not allowed"."""
    zero = run_exodus("sparql", "@/dev/zero", project=project, timeout=120)
    assert_fails_cleanly(zero, 2, "/dev/zero: larger than 10,485,760 bytes; refused")
    import subprocess
    import sys

    latin = subprocess.run(
        [sys.executable, "-m", "exodus_kg", "--project", str(project), "sparql", "-"],
        input=b"SELECT ?caf\xe9 WHERE {}", capture_output=True, env=exodus_env(), timeout=120, check=False,
    )
    latin = subprocess.CompletedProcess(latin.args, latin.returncode, latin.stdout.decode(), latin.stderr.decode())
    assert_fails_cleanly(latin, 2, "<stdin>:1: not UTF-8 (byte 0xe9 at offset 11)")


def test_passages_in_a_read_only_project_and_commands_with_standard_output_closed(project):
    """Regression: `exodus passages` in a read-only project, and commands run with standard output
    closed (`exodus queries >&-`), ended in a traceback."""
    import subprocess
    import sys

    passages = project / "triples" / "source" / "passages.ttl"
    before = passages.read_bytes()
    result = run_exodus("passages", project=project, read_only=project)
    assert_fails_cleanly(result, 2, "passages.ttl: cannot write in")
    assert passages.read_bytes() == before
    for args in (("queries",), ("query", "departures"), ("show", "sam-altman")):
        closed = subprocess.run(
            [sys.executable, "-m", "exodus_kg", "--project", str(project), *args],
            stdout=None, stderr=subprocess.PIPE, text=True, env=exodus_env(), timeout=300, check=False,
            preexec_fn=lambda: os.close(1),
        )
        assert_fails_cleanly(closed, 2, "cannot write to standard output (Bad file descriptor)")


# --- the classes again, with other instances ----------------------------------------------------------


def test_other_devices_and_odd_entries_of_triples(project, tmp_path):
    """The device, FIFO and file-name cases again with other instances: a block device as -o (written
    through it would overwrite a disk: refused), a FIFO named like a data file in triples/ (it used to
    be skipped without a word; read, it would block), a data file that is a link to /dev/null."""
    import stat

    if os.geteuid() == 0:  # a block node of a major no driver has: harmless even if opened
        disk = tmp_path / "disk"
        os.mknod(disk, 0o600 | stat.S_IFBLK, os.makedev(240, 0))
        result = run_exodus("export", "-o", str(disk), project=project)
        assert_fails_cleanly(result, 2, "disk: is a block device (a disk); refused")
        assert stat.S_ISBLK(disk.stat().st_mode)
    fifo = project / "triples" / "pipe.ttl"
    os.mkfifo(fifo)
    assert_fails_cleanly(run_exodus("build", project=project, timeout=120), 2, "pipe.ttl: not a regular file")
    fifo.unlink()
    (project / "triples" / "null.ttl").symlink_to("/dev/null")
    assert_fails_cleanly(run_exodus("build", project=project, timeout=120), 2, "null.ttl: not a regular file")


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("escaped.ttl", "exd:sam-altman rdfs:seeAlso <https://w3id.org/exodus-kg/id/sam\\u0020altman> .\n",
         "is not a valid IRI (Invalid IRI code point ' ')"),
        ("backtick.ttl", "exd:sam-altman rdfs:seeAlso <https://w3id.org/exodus-kg/id/`x`> .\n",
         "Invalid IRI code point '`'"),
        ("two-hashes.ttl", "exd:sam-altman rdfs:seeAlso <https://w3id.org/exodus-kg/ontology#a#b> .\n",
         "Invalid IRI code point '#'"),
        ("host.ttl", "exd:sam-altman rdfs:seeAlso <http://[::1/x> .\n", "Invalid character '[' in host"),
        ("node.jsonld", '{\n  "@id": "https://w3id.org/exodus-kg/id/sam altman",\n  "http://www.w3.org/2000/01/rdf-schema#label": "x"\n}\n',
         "is not a valid IRI"),
    ],
    ids=["unicode-escape", "backtick", "two-hashes", "bad-host", "json-ld-id"],
)
def test_other_bad_iris_name_file_and_line(project, name, content, said):
    """The bad-IRI class again: an IRI spelt with a \\u escape, a backtick, two #, a broken IPv6 host;
    a JSON-LD node whose @id is not an IRI (JSON-LD drops such a node and all it says, silently)."""
    path = project / "triples" / name
    path.write_text((PREFIXES + "\n" if name.endswith(".ttl") else "") + content, encoding="utf-8")
    marker = "@id" if name.endswith(".jsonld") else "seeAlso"
    result = run_exodus("build", project=project)
    assert_fails_cleanly(result, 2, f"{name}:{added_line(path, marker)}:", said)


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("entity.rdf", '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY ext SYSTEM "{url}/entity.xml">]>\n'
         '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
         '<rdf:Description rdf:about="https://w3id.org/exodus-kg/id/sam-altman"><rdfs:comment>&ext;</rdfs:comment></rdf:Description>\n</rdf:RDF>\n'),
        ("dtd.rdf", '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "{url}/rdf.dtd">\n'
         '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
         '<rdf:Description rdf:about="https://w3id.org/exodus-kg/id/sam-altman"><rdfs:comment>x</rdfs:comment></rdf:Description>\n</rdf:RDF>\n'),
        ("base.ttl", "@base <{url}/base/> .\n<x> <http://www.w3.org/2000/01/rdf-schema#comment> \"y\" .\n"),
        ("vocab.jsonld", '{{"@context": {{"@base": "{url}/", "@vocab": "{url}/v#"}}, "@id": "x", "q": "y"}}\n'),
    ],
    ids=["rdf-xml-external-entity", "rdf-xml-external-dtd", "turtle-base", "json-ld-base-and-vocab"],
)
def test_no_input_format_reaches_the_network(project, tmp_path, recorder, name, document):
    """The remote-context class again, in the other formats: an RDF/XML external entity or DTD, a
    Turtle @base and a JSON-LD @base/@vocab naming a server: none is fetched by validate."""
    mine = tmp_path / name
    mine.write_text(document.format(url=recorder.base_url), encoding="utf-8")
    result = run_exodus("validate", str(mine), project=project)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert recorder.requests == []
