#!/usr/bin/env python3
"""Print a pip constraints file that pins every runtime dependency of pyproject.toml to its floor.

`.ci/run` installs with it into a separate venv and runs the main job and a fast subset of the
tests, so the floors in pyproject.toml are versions that were tried, not guesses. A dependency
without a floor (`>=` or `==`) is an error: its lowest version could not be tested.

`--test NAME...` adds those packages of the test extra at their floors too: pytest-xdist, which the
pytest options of pyproject.toml (`-n`, `--dist`) need.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement

try:
    import tomllib
except ImportError:  # Python 3.10: the copy pip carries
    from pip._vendor import tomli as tomllib


def floors(pyproject: Path, test_packages: tuple[str, ...] = ()) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    dependencies = list(project["dependencies"])
    for name in test_packages:
        found = [t for t in project["optional-dependencies"]["test"] if Requirement(t).name == name]
        if not found:
            raise SystemExit(f"{pyproject}: {name} is not in the test extra")
        dependencies += found
    pins = []
    for text in dependencies:
        requirement = Requirement(text)
        lowest = [s.version for s in requirement.specifier if s.operator in (">=", "==", "~=")]
        if len(lowest) != 1:
            raise SystemExit(f"{pyproject}: {text!r} needs exactly one floor (>=, == or ~=)")
        pins.append(f"{requirement.name}=={lowest[0]}")
    return pins


if __name__ == "__main__":
    args = sys.argv[1:]
    tests = tuple(args[args.index("--test") + 1:]) if "--test" in args else ()
    args = args[: args.index("--test")] if "--test" in args else args
    root = Path(args[0]) if args else Path(__file__).resolve().parents[1]
    print("\n".join(floors(root / "pyproject.toml", tests)))
