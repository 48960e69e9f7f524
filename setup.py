"""Build hook: ship ontology/, triples/ and queries/ inside the wheel as exodus_kg/_data/.

All metadata lives in pyproject.toml; this file only adds the copy step, so that
`pip install .` gives a CLI that works from any folder.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED_FOLDERS = ("ontology", "triples", "queries")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            # An editable install reads the checkout itself (project.py finds it).
            return
        target = Path(self.build_lib) / "exodus_kg" / "_data"
        if target.exists():
            shutil.rmtree(target)
        for name in SHIPPED_FOLDERS:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(
                    source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
                )


setup(cmdclass={"build_py": BuildPyWithData})
