"""A build or an export killed midway (SIGKILL, as a crash or an impatient `kill -9` would): the next
run is correct and never serves a stale or half-written cache or output.

The kills are real: `exodus` runs in a child process and is killed at a chosen point, found by
watching what it prints and what appears on disk. No test hook in the library is needed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exodus_kg.project import INPUT_INDEX_PREFIX
from support.project_copies import assert_fails_cleanly, clone_built_article, exodus_env, run_exodus

CACHE = Path("build") / "exodus-kg"
ADDED = '@prefix exd: <https://w3id.org/exodus-kg/id/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\nexd:interruption-test rdfs:comment "added after the last build"@en .\n'
ASK_ADDED = 'ASK { exd:interruption-test rdfs:comment "added after the last build"@en }'


@pytest.fixture
def project(tmp_path) -> Path:
    return clone_built_article(tmp_path / "project")


def start(*args: str, project: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "exodus_kg", "--project", str(project), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=exodus_env(),
    )


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL


def entries(project: Path) -> list[Path]:
    """The cache entries, staging folders and trash of a project (not its input index)."""
    root = project / CACHE
    return sorted(p for p in root.iterdir() if not p.name.startswith(INPUT_INDEX_PREFIX)) if root.is_dir() else []


def complete_entries(project: Path) -> list[Path]:
    return [entry for entry in entries(project) if (entry / "manifest.json").is_file()]


def current_entry(project: Path) -> Path:
    """The cache entry of the project's inputs and code as they are now (built if the code changed
    since the session's template was built)."""
    result = run_exodus("build", project=project)
    assert result.returncode == 0, result.stderr
    [entry] = complete_entries(project)
    return entry


def asserted_triples(project: Path) -> int:
    result = run_exodus("stats", "-f", "json", project=project)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["triples"]["exg:asserted"]


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["validate", "write"])
def test_a_build_killed_midway_is_never_served_and_the_next_run_is_correct(project, stage):
    before = asserted_triples(project)
    [old_entry] = complete_entries(project)
    (project / "triples" / "interruption.ttl").write_text(ADDED, encoding="utf-8")

    process = start("build", project=project)
    # The build prints each stage when it ends: "load" ends, validation starts; "reason" ends,
    # the cache entry is being written into a hidden staging folder.
    trigger = {"validate": "load", "write": "reason"}[stage]
    for line in process.stdout:
        if line.split() and line.split()[0] == trigger:
            break
    if stage == "write":
        deadline = time.monotonic() + 30
        while not any(p.name.startswith(".") for p in entries(project)) and time.monotonic() < deadline:
            time.sleep(0.001)
    kill(process)

    # No cache entry for the new inputs exists; the old one is still there but not theirs.
    assert complete_entries(project) == [old_entry]
    if stage == "write":
        assert any(p.name.startswith(".") for p in entries(project)), "the kill missed the write stage"

    result = run_exodus("sparql", ASK_ADDED, project=project)
    assert result.returncode == 0, result.stderr
    assert "building the graph" in result.stderr
    assert result.stdout.strip() == "true"
    assert asserted_triples(project) == before + 1
    assert len(complete_entries(project)) == 1 and complete_entries(project) != [old_entry]


def test_a_half_deleted_cache_entry_is_rebuilt(project):
    """Regression: an entry folder without its manifest (what a kill in the middle of deleting an old
    entry left) made every later build fail with a traceback ("Directory not empty") when it renamed
    the new entry into place. Now it is moved aside and the build succeeds."""
    entry = current_entry(project)
    (entry / "manifest.json").unlink()
    store_files = sorted((entry / "store").iterdir())
    for path in store_files[: len(store_files) // 2]:
        path.unlink()
    result = run_exodus("query", "departures", "-f", "csv", project=project)
    assert result.returncode == 0, result.stderr
    assert "building the graph" in result.stderr and "/john-schulman," in result.stdout
    assert complete_entries(project) == [entry]
    assert (entry / "store").is_dir() and (entry / "dataset.nq").stat().st_size > 100_000


def test_build_force_leaves_one_complete_entry_and_no_trash(project):
    entry = current_entry(project)
    result = run_exodus("build", "--force", project=project)
    assert result.returncode == 0, result.stderr
    assert entries(project) == [entry] and complete_entries(project) == [entry]


def test_leftovers_of_killed_builds_are_cleaned_once_they_are_stale(project):
    """Regression: the hidden staging folders of killed builds were never removed."""
    root = project / CACHE
    stale = root / ".0123456789ab-stale"
    recent = root / ".0123456789ab-recent"  # as if another build were writing it right now
    trash = root / ".trash-1-.0123456789ab-old"
    for folder in (stale, recent, trash):
        (folder / "store").mkdir(parents=True)
        (folder / "dataset.nq").write_text("half written\n", encoding="utf-8")
    two_hours_ago = time.time() - 7200
    for folder in (stale, trash):
        os.utime(folder, (two_hours_ago, two_hours_ago))
    result = run_exodus("build", "--force", project=project)
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and not trash.exists()
    assert recent.exists()


def test_a_killed_export_leaves_the_previous_file_whole(project, tmp_path):
    """The export writes a hidden temporary file and renames it over the target: a kill at any point
    leaves the previous export (or none), never a part of one."""
    target = tmp_path / "out" / "exodus.nq"
    target.parent.mkdir()
    first = run_exodus("export", "-o", str(target), project=project)
    assert first.returncode == 0, first.stderr
    reference = target.read_bytes()
    target.write_bytes(b"the previous export\n")

    caught = 0
    for _attempt in range(10):
        process = start("export", "-o", str(target), project=project)
        while process.poll() is None:
            if any(p.name.endswith(".part") for p in target.parent.iterdir()):
                kill(process)
                caught += 1
                break
            time.sleep(0.0005)
        else:
            process.communicate()
            assert process.returncode == 0
            target.write_bytes(b"the previous export\n")
            continue
        assert target.read_bytes() == b"the previous export\n"
        break
    assert caught, "no export was caught while writing"

    again = run_exodus("export", "-o", str(target), project=project)
    assert again.returncode == 0, again.stderr
    assert target.read_bytes() == reference


def test_an_input_changed_after_the_build_is_never_answered_from_the_old_cache(project):
    departures = project / "triples" / "departures.ttl"
    text = departures.read_text(encoding="utf-8")
    assert '"Peter Deng leaves OpenAI"@en' in text
    departures.write_text(text.replace('"Peter Deng leaves OpenAI"@en', '"Peter Deng quits OpenAI"@en'), encoding="utf-8")
    result = run_exodus("sparql", "SELECT ?l WHERE { exd:departure-peter-deng-2024 rdfs:label ?l }", "-f", "csv",
                        project=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == ["Peter Deng quits OpenAI"]


def test_a_build_that_fails_keeps_no_entry_for_its_inputs(project):
    (project / "triples" / "broken.ttl").write_text("exd:x exd:y .\n", encoding="utf-8")
    [old] = complete_entries(project)
    result = run_exodus("build", project=project)
    assert_fails_cleanly(result, 2, "broken.ttl:1:")
    assert entries(project) == [old]


def test_ctrl_c_during_a_build_aborts_cleanly(project):
    """Ctrl-C (SIGINT) stops a build with click's "Aborted!" and exit code 1, no traceback, and
    leaves no cache entry for the inputs it was building."""
    [old_entry] = complete_entries(project)
    (project / "triples" / "interruption.ttl").write_text(ADDED, encoding="utf-8")
    process = start("build", project=project)
    for line in process.stdout:
        if line.split() and line.split()[0] == "load":
            break
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert "Aborted!" in err and "Traceback" not in err
    assert complete_entries(project) == [old_entry]
    result = run_exodus("sparql", ASK_ADDED, project=project)
    assert result.returncode == 0 and result.stdout.strip() == "true"


def test_an_input_saved_during_a_build_is_built_again_not_filed_under_the_old_version(project):
    """A file saved while the build reads the inputs: the build used to file whatever it had read under
    the hash taken before (if the save fell between the hash and the reading of that file, a graph of
    the new text passed for the old one when the old text came back). The hash is now taken again at
    the end and the build starts over on the new inputs."""
    from exodus_kg.project import Project

    target = project / "triples" / "saved-during-build.ttl"

    def save(version: str) -> str:
        partial = target.with_name(target.name + ".partial")
        partial.write_text(ADDED.replace("added after the last build", f"version {version}"), encoding="utf-8")
        os.replace(partial, target)
        return Project(project).input_hash()

    save("A")
    process = start("build", project=project)
    for line in process.stdout:
        if line.split() and line.split()[0] == "load":
            break
    hash_b = save("B")
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert "the inputs changed during the build; building again" in out
    [entry] = complete_entries(project)
    assert entry.name == hash_b
    dataset = (entry / "dataset.nq").read_text(encoding="utf-8")
    assert '"version B"@en' in dataset and '"version A"@en' not in dataset


@pytest.mark.slow
def test_queries_during_build_force_never_see_a_store_being_written(project):
    """Regression: `exodus query` while `exodus build --force` ran failed about 1 in 270 with a RocksDB
    "Corruption" traceback: the old entry was renamed away and deleted while a reader opened its store
    by path, and for a moment there was no entry at all. Readers here open the built store as fast as
    they can (in this process, to open it hundreds of times) while another process rebuilds."""
    import threading

    from exodus_kg.pipeline.build import open_built
    from exodus_kg.project import Project

    current_entry(project)
    builds = 3
    rebuilding = threading.Event()
    failures: list[str] = []

    def rebuild() -> None:
        try:
            for _ in range(builds):
                result = run_exodus("build", "--force", project=project)
                if result.returncode != 0:
                    failures.append(f"build: {result.stderr}")
        finally:
            rebuilding.set()

    builder = threading.Thread(target=rebuild)
    builder.start()
    opened, rebuilt_by_reader = 0, []
    while not rebuilding.is_set():
        try:
            store = open_built(Project(project.resolve()), on_rebuild=lambda: rebuilt_by_reader.append(1))
            answer = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
            if int(next(iter(answer))["n"].value) < 10_000:
                failures.append("a store with too few triples")
            opened += 1
        except Exception as error:  # what a reader met: RocksDB's "Corruption", a missing file ...
            failures.append(f"{type(error).__name__}: {error}")
    builder.join()
    assert failures == []
    assert rebuilt_by_reader == [], "a reader found no entry at all and built one itself"
    assert opened > 20, opened
    # The entries this process still holds are kept (renamed aside); once it lets go, the next
    # build removes them.
    assert [entry.name.startswith(".") for entry in complete_entries(project)].count(False) == 1
    from exodus_kg.pipeline import build

    for descriptor in build._pinned_entries.values():
        os.close(descriptor)
    build._pinned_entries.clear()
    assert run_exodus("build", "--force", project=project).returncode == 0
    assert len(entries(project)) == 1


@pytest.mark.parametrize("damage", ["store-files-missing", "dataset-truncated", "manifest-garbled"])
def test_a_damaged_cache_entry_is_detected_and_built_again(project, damage):
    """Regression: a cache entry with its manifest but missing store files, or a truncated
    dataset.nq, gave a traceback on every run (or, for --no-inference, silently fewer triples)."""
    entry = current_entry(project)
    if damage == "store-files-missing":
        for path in (entry / "store").glob("*.sst"):
            path.unlink()
    elif damage == "dataset-truncated":
        dataset = entry / "dataset.nq"
        data = dataset.read_bytes()
        dataset.write_bytes(data[: data.rindex(b"\n", 0, len(data) // 2) + 1])  # whole lines: parses
    else:
        (entry / "manifest.json").write_text("{not json", encoding="utf-8")
    for number, arguments in enumerate((("departures", "-f", "csv"), ("departures", "-f", "csv", "--no-inference"))):
        result = run_exodus("query", *arguments, project=project)
        assert "Traceback" not in result.stderr
        assert result.returncode == 0, result.stderr
        assert "/john-schulman," in result.stdout
        # The first run finds the damage, says so and builds again; the second finds a whole entry.
        assert ("building it again" in result.stderr) == (number == 0), result.stderr
    [rebuilt] = [e for e in complete_entries(project) if not e.name.startswith(".")]
    assert json.loads((rebuilt / "manifest.json").read_text(encoding="utf-8"))["files"]["dataset.nq"] == (
        rebuilt / "dataset.nq"
    ).stat().st_size
