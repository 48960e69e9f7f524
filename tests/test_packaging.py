"""Packaging: the artefacts of the standard release build (`python -m build`: an sdist, then a
wheel built from that sdist) carry the graph and every resource, install, and run from another folder.

Everything is offline: the build runs without isolation (the backend, hatchling, is in the test
extra), and each install goes into a fresh venv that borrows the test venv's site-packages for the
dependencies (`--no-deps --no-index`), so only exodus-kg itself comes from the artefact under test.
"""

from __future__ import annotations

import csv
import email.parser
import io
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from exodus_kg import __version__
from exodus_kg.project import Project, find_project

ROOT = Path(__file__).resolve().parents[1]
GRAPH_FOLDERS = ("ontology", "triples", "queries")
# Files the package reads beside its code: the library's queries, the Wikidata mappings, the DL
# profile checker of `exodus check-ontology`, and the typing marker.
RESOURCE_FOLDERS = ("sparql", "data", "java")

pytestmark = pytest.mark.slow


def shipped_sources(folder: str) -> list[str]:
    return [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / folder).rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    ]


def package_resources() -> list[str]:
    package = ROOT / "src" / "exodus_kg"
    found = [p for folder in RESOURCE_FOLDERS for p in sorted((package / folder).iterdir()) if p.is_file()]
    return [p.relative_to(package).as_posix() for p in [*found, package / "py.typed"]]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    # Without --sdist/--wheel, `build` makes the sdist and then the wheel *from the sdist*.
    assert "Building wheel from sdist" in build.stderr
    return out


@pytest.fixture(scope="module")
def sdist(dist) -> tarfile.TarFile:
    (path,) = dist.glob("exodus_kg-*.tar.gz")
    return tarfile.open(path)


@pytest.fixture(scope="module")
def wheel(dist) -> zipfile.ZipFile:
    (path,) = dist.glob("exodus_kg-*-py3-none-any.whl")
    return zipfile.ZipFile(path)


def test_sdist_carries_the_graph_sources_and_the_resources(sdist):
    prefix = f"exodus_kg-{__version__}/"
    names = {name.removeprefix(prefix) for name in sdist.getnames()}
    for folder in GRAPH_FOLDERS:
        for source in shipped_sources(folder):
            assert source in names, f"{source} is missing from the sdist"
    for resource in package_resources():
        assert f"src/exodus_kg/{resource}" in names, f"{resource} is missing from the sdist"
    for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSES/CC-BY-4.0.txt", "NOTICE.md", "CITATION.cff", "CHANGELOG.md"):
        assert name in names
    assert not any("__pycache__" in name or name.startswith(("build/", "src/exodus_kg/_data")) for name in names)


def test_wheel_ships_the_graph_sources_and_every_resource(wheel):
    names = set(wheel.namelist())
    for folder in GRAPH_FOLDERS:
        for source in shipped_sources(folder):
            assert f"exodus_kg/_data/{source}" in names, f"{source} is missing from the wheel"
    for resource in package_resources():
        assert f"exodus_kg/{resource}" in names, f"{resource} is missing from the wheel"
    assert "exodus_kg/java/DLProfileCheck.java" in names
    assert not any("__pycache__" in name or "/build/" in name for name in names)


def test_wheel_metadata_names_licence_authors_and_entry_point(wheel):
    dist_info = f"exodus_kg-{__version__}.dist-info"
    metadata = email.parser.Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "MIT AND CC-BY-4.0 AND LicenseRef-Shidao-Article"
    assert metadata["Author"]
    assert metadata.get_all("Project-URL")
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert any(line.startswith("pyoxigraph") and ">=0.5.12" in line for line in metadata.get_all("Requires-Dist"))
    for licence in ("LICENSE", "LICENSES/CC-BY-4.0.txt", "NOTICE.md"):
        assert f"{dist_info}/licenses/{licence}" in wheel.namelist()
    entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    assert "exodus = exodus_kg.entry_point:main" in entry_points


def fresh_venv(where: Path) -> Path:
    """A venv without pip whose imports fall back on the test venv's site-packages (dependencies,
    pip and the build backend). Its own site-packages comes first, so exodus_kg is the installed one."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    python = where / "bin" / "python"
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(site_packages, "borrowed-test-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.fixture(scope="module", params=["wheel", "sdist"])
def installed(request, dist, tmp_path_factory) -> Path:
    """The bin/ folder of a venv where exodus-kg was installed from the artefact (the wheel, or
    the sdist, which pip builds into a wheel of its own)."""
    pattern = "exodus_kg-*.whl" if request.param == "wheel" else "exodus_kg-*.tar.gz"
    (artefact,) = dist.glob(pattern)
    python = fresh_venv(tmp_path_factory.mktemp(f"venv-{request.param}"))
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation", "-q", str(artefact)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    return python.parent


def run_installed(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("EXODUS_PROJECT", "PYTHONPATH")}
    env["XDG_CACHE_HOME"] = str(cwd / "cache")
    return subprocess.run(
        [str(bin_dir / "exodus"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_installed_copy_runs_the_main_job_from_another_folder(installed, tmp_path):
    located = subprocess.run(
        [str(installed / "python"), "-c", "import exodus_kg.project as p; print(p.find_project())"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "shipped=True" in located and str(installed.parent) in located
    result = run_installed(installed, "query", "alumni-companies", "-f", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) >= 5
    assert {"Anthropic", "Perplexity AI", "Safe Superintelligence"} <= {row["companyLabel"] for row in rows}


def test_installed_copy_checks_the_ontology_from_another_folder(installed, tmp_path):
    """The DL profile check compiles the shipped DLProfileCheck.java against Debian's OWL API."""
    result = run_installed(installed, "check-ontology", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "OWL 2 DL profile: ok",
        "HermiT consistency: ok",
        "OWL 2 RL consistency (owlrl): ok",
    ]


def test_shipped_copy_is_found_last_and_is_read_only(tmp_path, monkeypatch):
    """Outside any checkout, with no option or variable, the copy inside the package is used."""
    from exodus_kg import project as project_module

    shipped = tmp_path / "site-packages" / "exodus_kg" / "_data"
    for folder in GRAPH_FOLDERS:
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
