"""The shape of the package: no import cycle, the console script imported by no library module, empty
subpackage __init__ files (so `exodus query` imports only what it uses), and every module named in
docs/architecture.md."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "exodus_kg"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(("exodus_kg", *path.relative_to(PACKAGE).with_suffix("").parts))
        found[name.removesuffix(".__init__")] = path
    return found


def imports() -> dict[str, set[str]]:
    """Module -> the package modules it imports, at the top or inside a function."""
    known = modules()
    graph = {name: set() for name in known}
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("exodus_kg"):
                for target in (node.module, *(f"{node.module}.{alias.name}" for alias in node.names)):
                    if target in known and target != name:
                        graph[name].add(target)
            elif isinstance(node, ast.Import):
                graph[name] |= {alias.name for alias in node.names if alias.name in known and alias.name != name}
    return graph


def test_no_import_cycle():
    graph = imports()
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            assert state.get(target) != "open", "import cycle: " + " -> ".join([*path, target])
            if target not in state:
                visit(target, [*path, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert len(graph) > 40


def test_the_console_script_is_imported_by_no_library_module():
    importers = sorted(name for name, targets in imports().items() if "exodus_kg.entry_point" in targets)
    assert importers == ["exodus_kg.__main__"]


def test_subpackage_init_files_are_empty():
    for path in PACKAGE.glob("*/__init__.py"):
        assert path.read_text(encoding="utf-8").strip() == "", f"{path.relative_to(ROOT)} imports on every use"


def test_every_module_is_named_in_the_architecture_doc():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        str(path.relative_to(PACKAGE))
        for path in modules().values()
        if path.name not in ("__init__.py", "__main__.py") and f"`{path.name}`" not in text
    ]
    assert missing == [], "docs/architecture.md does not name " + ", ".join(missing)


def test_every_module_imports():
    """A name moved to another module and still imported from the old one fails here, not in the one
    command that happens to use it."""
    import importlib

    for name in modules():
        importlib.import_module(name)
