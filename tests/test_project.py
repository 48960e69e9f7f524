"""project.py: finding the project, listing its layers, hashing its inputs, choosing the cache."""

from __future__ import annotations

import pytest

from exodus_kg import project as project_module
from exodus_kg.errors import UsageError
from exodus_kg.project import ENV_PROJECT, Project, find_project


def test_explicit_option_wins_over_environment(scratch_project, tmp_path, monkeypatch):
    other = tmp_path / "other"
    (other / "ontology").mkdir(parents=True)
    (other / "triples").mkdir()
    monkeypatch.setenv(ENV_PROJECT, str(other))
    assert find_project(scratch_project.root).root == scratch_project.root.resolve()
    assert find_project().root == other.resolve()


def test_current_folder_and_its_parents(scratch_project, monkeypatch):
    monkeypatch.chdir(scratch_project.root / "triples" / "links")
    assert find_project().root == scratch_project.root.resolve()


@pytest.mark.parametrize("origin", ["option", "environment"])
def test_a_folder_that_is_no_project_is_named(tmp_path, monkeypatch, origin):
    if origin == "option":
        with pytest.raises(UsageError, match=r"--project .*not an exodus-kg project"):
            find_project(tmp_path)
    else:
        monkeypatch.setenv(ENV_PROJECT, str(tmp_path))
        with pytest.raises(UsageError, match=r"EXODUS_PROJECT .*not an exodus-kg project"):
            find_project()


def test_layers_keep_links_apart_from_asserted(scratch_project):
    asserted = {path.name for path in scratch_project.asserted_files()}
    links = {path.name for path in scratch_project.link_files()}
    assert asserted == {"people.ttl", "departures.ttl"}
    assert links == {"wikidata.ttl"}
    assert [path.name for path in scratch_project.ontology_files()] == ["mini.ttl"]
    assert [path.name for path in scratch_project.rule_files()] == ["class-hierarchy.rq"]
    assert "people" in {path.stem for path in scratch_project.saved_query_files()}
    # Saved queries are not build inputs; rules and the article text are.
    names = {path.name for path in scratch_project.input_files()}
    assert "class-hierarchy.rq" in names and "article.txt" in names and "people.rq" not in names


def test_hidden_and_backup_files_are_ignored(scratch_project):
    before = scratch_project.input_hash()
    (scratch_project.triples_dir / ".people.ttl.swp").write_text("junk")
    (scratch_project.triples_dir / "people.ttl~").write_text("junk")
    assert scratch_project.input_hash() == before
    assert all(not path.name.startswith(".") for path in scratch_project.asserted_files())


@pytest.mark.parametrize(
    "change",
    ["edit a triple file", "add a link file", "edit a rule", "add a shape", "rename a file", "new version"],
)
def test_input_hash_changes_with_every_input(scratch_project, monkeypatch, change):
    root = scratch_project.root
    before = scratch_project.input_hash()
    if change == "edit a triple file":
        path = root / "triples" / "people.ttl"
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    elif change == "add a link file":
        (root / "triples" / "links" / "more.ttl").write_text("", encoding="utf-8")
    elif change == "edit a rule":
        path = root / "queries" / "rules" / "class-hierarchy.rq"
        path.write_text(path.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    elif change == "add a shape":
        (root / "ontology" / "shapes").mkdir(exist_ok=True)  # git keeps no empty folder
        (root / "ontology" / "shapes" / "extra.shacl.ttl").write_text("", encoding="utf-8")
    elif change == "rename a file":
        (root / "triples" / "people.ttl").rename(root / "triples" / "persons.ttl")
    else:
        monkeypatch.setattr(project_module, "__version__", "999.0")
    assert scratch_project.input_hash() != before


def test_saved_queries_do_not_change_the_hash(scratch_project):
    before = scratch_project.input_hash()
    (scratch_project.queries_dir / "new.rq").write_text("#+ summary: x\nASK {}\n", encoding="utf-8")
    assert scratch_project.input_hash() == before


def test_cache_goes_to_the_project_build_folder(scratch_project):
    assert scratch_project.cache_root() == scratch_project.root / "build" / "exodus-kg"


def test_shipped_copy_uses_the_user_cache(scratch_project, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    shipped = Project(scratch_project.root, shipped=True)
    assert shipped.cache_root() == tmp_path / "xdg" / "exodus-kg"


def test_unwritable_project_uses_the_user_cache(scratch_project, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(project_module, "_writable", lambda folder: False)
    assert scratch_project.cache_root() == tmp_path / "xdg" / "exodus-kg"


def test_projects_compare_by_folder(scratch_project):
    assert Project(scratch_project.root) == scratch_project
    assert len({Project(scratch_project.root), scratch_project}) == 1
    assert Project(scratch_project.root, shipped=True) != scratch_project


def test_input_hash_is_a_sha256_of_path_and_bytes(scratch_project):
    """The hash object _sha256 gives is the standard SHA-256: same digests as hashlib."""
    import hashlib

    from exodus_kg.project import _sha256

    data = "愛麗絲".encode() * 1000
    digest = _sha256()
    digest.update(data)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert len(scratch_project.input_hash()) == 64


def test_the_cache_key_covers_every_file_the_package_ships(scratch_project, tmp_path, monkeypatch):
    """Every module and resource, in every subpackage, is part of the key (a moved or renamed module
    cannot drop out of it); the shipped project copy, byte code and hidden folders are not."""
    package = tmp_path / "exodus_kg"
    for name in ("cli.py", "pipeline/reasoning.py", "sparql/q.rq", "_data/triples/x.ttl",
                 "__pycache__/cli.pyc", "pipeline/__pycache__/reasoning.pyc", ".hidden/x.py"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(name, encoding="utf-8")
    monkeypatch.setattr(project_module, "PACKAGE_DIR", package)
    monkeypatch.setattr(project_module, "SHIPPED_DATA_DIR", package / "_data")
    files = [path.relative_to(package).as_posix() for path in project_module.package_code_files()]
    assert files == ["cli.py", "pipeline/reasoning.py", "sparql/q.rq"]
    before = scratch_project.input_hash()
    (package / "pipeline" / "reasoning.py").write_text("changed", encoding="utf-8")
    assert scratch_project.input_hash() != before


# The input index (Project.indexed_input_hash): the cache key without hashing every file each time.


def _index_file(project):
    [index] = [path for path in project.cache_root().iterdir() if path.name.startswith(".input-index-")]
    return index


def _touched_until_the_clock_moves(path, edit):
    """Run ``edit`` on ``path`` until its status-change time differs from before (the kernel's file
    clock ticks every few milliseconds; an edit within the same tick is the racy case, tested apart)."""
    import os

    before = os.stat(path).st_ctime_ns
    edit()
    while os.stat(path).st_ctime_ns == before:
        edit()


@pytest.fixture
def indexed_project(scratch_project, monkeypatch):
    """The scratch project with its cache folder made, and every file counted as old enough for the
    index (the racy-edit rule has a test of its own)."""
    scratch_project.cache_root().mkdir(parents=True)
    monkeypatch.setattr(project_module, "RACY_MARGIN_NS", -(10**18))
    return scratch_project


def test_the_input_index_gives_the_input_hash_without_reading_the_files(indexed_project, monkeypatch):
    key = indexed_project.indexed_input_hash()
    assert key == indexed_project.input_hash()
    assert _index_file(indexed_project).read_bytes().endswith(key.encode())
    monkeypatch.setattr(Project, "input_hash", lambda self: pytest.fail("hashed the files again"))
    assert indexed_project.indexed_input_hash() == key


@pytest.mark.parametrize(
    "change", ["same size, modification time set back", "add a file", "remove a file", "another project"]
)
def test_the_input_index_sees_every_change(indexed_project, tmp_path, change):
    import os
    import shutil

    key = indexed_project.indexed_input_hash()
    path = indexed_project.triples_dir / "people.ttl"
    if change == "same size, modification time set back":  # as `touch -d` leaves it
        old = os.stat(path)
        text = path.read_bytes()
        edited = text.replace(b"Alice", b"Alize", 1)
        assert edited != text and len(edited) == len(text)

        def edit():
            path.write_bytes(edited)
            os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))

        _touched_until_the_clock_moves(path, edit)
        assert (os.stat(path).st_size, os.stat(path).st_mtime_ns) == (old.st_size, old.st_mtime_ns)
    elif change == "add a file":
        (indexed_project.triples_dir / "more.ttl").write_text("", encoding="utf-8")
    elif change == "remove a file":
        (indexed_project.triples_dir / "links" / "wikidata.ttl").unlink()
    else:  # a copy of the project whose cache folder holds the first one's index under its name
        other = Project(tmp_path / "other")
        shutil.copytree(indexed_project.root, other.root)
        (path := other.root / "triples" / "people.ttl").write_text(
            path.read_text(encoding="utf-8") + "\n", encoding="utf-8"
        )
        index = _index_file(other)
        index.rename(index.parent / other._input_index_path().rsplit("/", 1)[1])
        indexed_project = other
    assert indexed_project.indexed_input_hash() == indexed_project.input_hash() != key


@pytest.mark.parametrize("racy_rule", [True, False])
def test_an_edit_within_the_clock_tick_the_index_recorded_is_seen(indexed_project, monkeypatch, racy_rule):
    """On a file system whose clock is too coarse to tell an edit from the version recorded (here it
    stands still: every file keeps the times it had a second ago), size, times and inode all look
    unchanged. The index was written within the margin of those times, so it is not trusted (git's
    "racy git" rule); without the rule, the old key would be served for the new bytes."""
    import os
    import time

    frozen = time.time_ns() - 10**9

    monkeypatch.setattr(project_module, "_stat", lambda path: _Frozen(os.stat(path), frozen))
    if racy_rule:
        monkeypatch.setattr(project_module, "RACY_MARGIN_NS", 3 * 10**9)
    key = indexed_project.indexed_input_hash()
    path = indexed_project.triples_dir / "people.ttl"
    path.write_bytes(path.read_bytes().replace(b"Alice", b"Alize", 1))
    if racy_rule:
        assert indexed_project.indexed_input_hash() == indexed_project.input_hash() != key
    else:
        assert indexed_project.indexed_input_hash() == key != indexed_project.input_hash()


class _Frozen:
    """A stat result whose times stand still."""

    def __init__(self, found, frozen):
        self.st_size, self.st_ino, self.st_dev = found.st_size, found.st_ino, found.st_dev
        self.st_mtime_ns = self.st_ctime_ns = frozen


def test_an_index_that_cannot_be_written_leaves_the_key_and_no_temporary_file(indexed_project, monkeypatch):
    import os

    def full_disk(descriptor, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    assert indexed_project.indexed_input_hash() == indexed_project.input_hash()
    assert list(indexed_project.cache_root().iterdir()) == []
