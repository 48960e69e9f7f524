"""build.py: the pipeline, the cache keyed by the input hash, and what `exodus query` imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pyoxigraph as ox
import pytest

from exodus_kg.errors import InputError
from exodus_kg.pipeline.build import (
    ASSERTED_GRAPH,
    DATASET_FILE,
    GRAPHS,
    INFERRED_GRAPH,
    LINKS_GRAPH,
    MANIFEST_FILE,
    ONTOLOGY_GRAPH,
    build,
    fresh_entry,
    open_built,
)
from exodus_kg.project import INPUT_INDEX_PREFIX

EXO = "https://w3id.org/exodus-kg/ontology#"
EXD = "https://w3id.org/exodus-kg/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def graph_counts(store: ox.Store) -> dict[str, int]:
    counts = dict.fromkeys(GRAPHS, 0)
    for quad in store:
        counts[quad.graph_name.value] += 1
    return counts


def test_build_writes_every_layer_into_its_graph(fixture_project, fixture_store):
    counts = graph_counts(fixture_store)
    assert set(counts) == set(GRAPHS)
    assert counts[ONTOLOGY_GRAPH] > 0 and counts[ASSERTED_GRAPH] > 0
    assert counts[LINKS_GRAPH] == 1
    # The fixture's rule derives exo:Agent for each exo:Person.
    alice_is_agent = ox.Quad(
        ox.NamedNode(EXD + "alice"),
        ox.NamedNode(RDF_TYPE),
        ox.NamedNode(EXO + "Agent"),
        ox.NamedNode(INFERRED_GRAPH),
    )
    assert alice_is_agent in fixture_store
    entry = fresh_entry(fixture_project)
    manifest = json.loads((entry / MANIFEST_FILE).read_text())
    assert manifest["counts"] == counts
    assert manifest["input_hash"] == fixture_project.input_hash() == entry.name
    assert set(manifest["timings"]) == {"load", "validate", "reason", "write"}


def test_inferred_graph_holds_only_new_triples(fixture_store):
    asserted = {
        (q.subject, q.predicate, q.object) for q in fixture_store if q.graph_name.value != INFERRED_GRAPH
    }
    inferred = {
        (q.subject, q.predicate, q.object) for q in fixture_store if q.graph_name.value == INFERRED_GRAPH
    }
    assert inferred and not (inferred & asserted)


def test_nquads_and_store_hold_the_same_dataset(fixture_project, fixture_store):
    entry = fresh_entry(fixture_project)
    from_file = list(ox.parse(path=str(entry / DATASET_FILE), format=ox.RdfFormat.N_QUADS))
    assert len(from_file) == len(list(fixture_store))
    # Blank nodes (evidence) stay shared between the layers: every evidence node has its quote.
    query = """PREFIX exo: <https://w3id.org/exodus-kg/ontology#>
        SELECT (COUNT(*) AS ?n) WHERE { ?s exo:evidence ?e . ?e exo:quote ?q }"""
    (row,) = fixture_store.query(query, use_default_graph_as_union=True)
    assert int(row["n"].value) == 2


def test_second_build_reuses_the_cache(fixture_project):
    result = build(fixture_project)
    assert result.reused
    assert result.entry == fresh_entry(fixture_project)


def test_changed_input_is_never_served_stale(scratch_project):
    old = build(scratch_project).entry
    people = scratch_project.triples_dir / "people.ttl"
    people.write_text(
        people.read_text(encoding="utf-8").replace('"Alice Example"@en', '"Alice Renamed"@en'),
        encoding="utf-8",
    )
    assert fresh_entry(scratch_project) is None
    store = open_built(scratch_project)
    labels = {
        q.object.value
        for q in store.quads_for_pattern(ox.NamedNode(EXD + "alice"), None, None)
        if q.object.value
    }
    assert "Alice Renamed" in labels and "Alice Example" not in labels
    new = fresh_entry(scratch_project)
    assert new != old
    # The old entry of this project's own build folder is gone, and no staging folder is left.
    assert not old.exists()
    assert [p.name for p in new.parent.iterdir() if not p.name.startswith(INPUT_INDEX_PREFIX)] == [new.name]


def test_force_rebuilds(scratch_project):
    first = build(scratch_project)
    second = build(scratch_project, force=True)
    assert not second.reused and second.entry == first.entry
    assert (second.entry / MANIFEST_FILE).is_file()


def test_no_inference_leaves_out_the_inferred_graph(fixture_project):
    store = open_built(fixture_project, inference=False)
    counts = graph_counts(store)
    assert counts[INFERRED_GRAPH] == 0 and counts[ASSERTED_GRAPH] > 0


def test_a_syntax_error_stops_the_build_and_keeps_no_entry(scratch_project):
    (scratch_project.triples_dir / "broken.ttl").write_text("@prefix ex: <http://e/> .\nex:a ex:b .\n")
    with pytest.raises(InputError, match=r"broken.ttl:2"):
        build(scratch_project)
    assert fresh_entry(scratch_project) is None
    root = scratch_project.cache_root()
    assert not root.exists() or not [p for p in root.iterdir() if not p.name.startswith(INPUT_INDEX_PREFIX)]


def test_progress_reports_each_stage(scratch_project):
    lines = []
    build(scratch_project, progress=lines.append)
    assert [line.split()[0] for line in lines] == ["load", "validate", "reason", "write"]


def test_build_passes_the_project_rules_to_reasoning(scratch_project, monkeypatch):
    """A --project build must use that project's rules, not those of the current folder."""
    from exodus_kg.pipeline import reasoning

    seen = {}
    original = reasoning.infer_into_store

    def spy(store, **kwargs):
        seen.update(kwargs)
        return original(store, **kwargs)

    monkeypatch.setattr(reasoning, "infer_into_store", spy)
    build(scratch_project, force=True)
    assert [path.name for path in seen["rules"]] == ["class-hierarchy.rq"]


def test_query_path_imports_neither_rdflib_nor_click(fixture_project_dir):
    """A fresh cache means `exodus query` takes the key from the input index and opens the store,
    nothing more: no hashing (the index is written by a first run), no thread module."""

    def run(before: str = "") -> subprocess.CompletedProcess:
        code = (
            "import sys\n"
            f"{before}"
            "from exodus_kg.entry_point import main\n"
            f"argv = ['--project', {str(fixture_project_dir)!r}, 'query', 'people', '-f', 'csv']\n"
            "try:\n    main(argv)\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('rdflib', 'owlrl', 'pyshacl', 'click', 'httpx', 'dataclasses', 'threading', 'hashlib', "
            "'_hashlib', 'binascii'))\n"
            "print('IMPORTED', heavy, file=sys.stderr)\n"
        )
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    # The first run writes the index (every file counted as old enough: the fixture was just copied).
    first = run("import exodus_kg.project\nexodus_kg.project.RACY_MARGIN_NS = -(10**18)\n")
    assert first.returncode == 0, first.stderr
    result = run()
    assert result.returncode == 0, result.stderr
    assert "IMPORTED []" in result.stderr, result.stderr
    assert result.stdout.startswith("person,label,age")


def test_a_build_that_succeeds_imports_neither_rdflib_nor_pyshacl(tmp_path):
    """Load, validation, reasoning and write all work on the Oxigraph store: rdflib (~150 ms to
    import), pySHACL and owlrl are for failures and other commands."""
    from support.project_copies import copy_article

    project = copy_article(tmp_path / "project")
    code = (
        "import sys\n"
        "from exodus_kg.pipeline.build import build\n"
        "from exodus_kg.project import Project\n"
        f"build(Project({str(project)!r}), force=True)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rdflib', 'pyshacl', 'owlrl')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout
