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
