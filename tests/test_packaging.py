"""Packaging: the wheel ships ontology/, triples/ and queries/ (as exodus_kg/_data/) and the
library's own SPARQL, so that `pip install .` gives a CLI that works from any folder.

The wheel is built offline from a copy of the checkout (no build isolation, so nothing is fetched);
.ci/run installs it for real into a fresh environment and runs the main job from another folder.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from exodus_kg.project import Project, find_project

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    source = tmp_path_factory.mktemp("source") / "exodus-kg"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "_data", "build")
    for name in ("src", "ontology", "triples", "queries"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=600,
    )  # fmt: skip
    (path,) = out.glob("exodus_kg-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_the_graph_sources(wheel):
    names = set(wheel.namelist())
    for folder in ("ontology", "triples", "queries"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith("."):
                shipped = "exodus_kg/_data/" + path.relative_to(ROOT).as_posix()
                assert shipped in names, f"{shipped} is missing from the wheel"


def test_wheel_ships_the_library_queries_and_the_console_script(wheel):
    names = set(wheel.namelist())
    for path in sorted((ROOT / "src" / "exodus_kg" / "sparql").glob("*.rq")):
        assert f"exodus_kg/sparql/{path.name}" in names
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    assert "exodus = exodus_kg.entry_point:main" in wheel.read(entry_points).decode()
    assert not any(name.startswith("exodus_kg/_data/build/") or "/build/exodus-kg/" in name for name in names)


def test_shipped_copy_is_found_last_and_is_read_only(tmp_path, monkeypatch):
    """Outside any checkout, with no option or variable, the copy inside the package is used."""
    from exodus_kg import project as project_module

    shipped = tmp_path / "site-packages" / "exodus_kg" / "_data"
    for folder in ("ontology", "triples", "queries"):
        (shipped / folder).mkdir(parents=True)
    package_dir = shipped.parent
    monkeypatch.setattr(project_module, "SHIPPED_DATA_DIR", shipped)
    monkeypatch.setattr(project_module, "PACKAGE_DIR", package_dir)
    monkeypatch.chdir(tmp_path)
    found = find_project()
    assert found == Project(shipped, shipped=True)
    assert found.cache_root().name == "exodus-kg" and shipped not in found.cache_root().parents


def test_wheel_ships_the_site_templates_and_the_query_ui(wheel):
    """`exodus site` and `exodus serve` from a plain `pip install .` need their templates and YASGUI."""
    names = set(wheel.namelist())
    publish = ROOT / "src" / "exodus_kg" / "publish"
    for folder in ("templates", "static"):
        for path in sorted((publish / folder).rglob("*")):
            if path.is_file():
                assert f"exodus_kg/publish/{path.relative_to(publish).as_posix()}" in names, path.name
    assert "exodus_kg/publish/static/yasgui/LICENSE" in names
