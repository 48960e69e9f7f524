"""Shared fixtures: the article project, and a small fixture project (tests/data/project) built once.

Tests are offline. The session keeps the build caches it makes out of the user's cache folder
(XDG_CACHE_HOME points into the session's temporary folder) and ignores an EXODUS_PROJECT set in
the developer's shell.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_PROJECT = ROOT / "tests" / "data" / "project"


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory):
    saved = {name: os.environ.get(name) for name in ("XDG_CACHE_HOME", "EXODUS_PROJECT")}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    os.environ.pop("EXODUS_PROJECT", None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def copy_fixture_project(target: Path) -> Path:
    """A private, writable copy of tests/data/project (without any build folder)."""
    shutil.copytree(FIXTURE_PROJECT, target, ignore=shutil.ignore_patterns("build"))
    return target


@pytest.fixture(scope="session")
def fixture_project_dir(tmp_path_factory) -> Path:
    """The fixture project, copied once per session and built (tests must not change it)."""
    from exodus_kg.pipeline.build import build
    from exodus_kg.project import Project

    root = copy_fixture_project(tmp_path_factory.mktemp("fixture") / "project")
    build(Project(root))
    return root


@pytest.fixture(scope="session")
def fixture_project(fixture_project_dir):
    from exodus_kg.project import Project

    return Project(fixture_project_dir)


@pytest.fixture(scope="session")
def fixture_store(fixture_project):
    from exodus_kg.pipeline.build import open_built

    return open_built(fixture_project)


@pytest.fixture
def scratch_project(tmp_path):
    """A fresh copy of the fixture project that a test may change (built on first use)."""
    from exodus_kg.project import Project

    return Project(copy_fixture_project(tmp_path / "project"))


@pytest.fixture(scope="session")
def article_project():
    """The project of this checkout: the article graph."""
    from exodus_kg.project import find_project

    return find_project(ROOT)


def pytest_sessionfinish(session):
    """The built article template lives outside pytest's temporary folders (an unprivileged child
    must read it): remove it, or every session would leave one in /tmp."""
    from support.project_copies import discard_template

    discard_template()


def pytest_collection_modifyitems(config, items):
    """Tests marked `network` reach the real internet: they run only when asked (`-m network`)."""
    if "network" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="reaches the network; run with -m network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)
