"""Where the graph's sources are: the project folders, their files, their hash and the build cache.

A project is a folder holding ``ontology/``, ``triples/`` and ``queries/``. It is found, in this order:

1. the ``--project DIR`` option (``find_project(explicit=DIR)``);
2. the ``EXODUS_PROJECT`` environment variable;
3. the current folder or one of its parents, if it holds ``ontology/`` and ``triples/``;
4. the checkout this package was installed from in editable mode (``src/exodus_kg/../../``);
5. the copy shipped inside the wheel at ``exodus_kg/_data/``.

This module is on the path of every ``exodus query``: it imports nothing heavy.
"""

from __future__ import annotations

import os
import stat
from fnmatch import fnmatchcase
from pathlib import Path

from exodus_kg import __version__
from exodus_kg.errors import InputError, UsageError

ENV_PROJECT = "EXODUS_PROJECT"
PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED_DATA_DIR = PACKAGE_DIR / "_data"
CACHE_SUBDIR = "exodus-kg"



def shown_path(path) -> str:
    """A path as messages show it: relative to the current folder when that is shorter."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if len(relative) < len(str(path)) else str(path)


def resource_path(*parts: str) -> Path:
    """The one way to find a file the package ships beside its code (``sparql/``, ``data/``,
    ``java/``, ...): ``resource_path("sparql", "stats-graphs.rq")``."""
    return PACKAGE_DIR.joinpath(*parts)


# Extensions rdflib can parse, mapped to its format names; graph_loading.py uses the same table.
# Case does not matter (x.TTL), and a compressed file (x.ttl.gz) counts by the name inside.
RDF_EXTENSIONS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".n3": "n3",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
}


def rdf_extension(path: Path) -> str:
    """The RDF extension of a file name, lower case, under any compression: ``x.TTL.gz`` -> ``.ttl``
    ("" when the name has none, or one exodus does not read)."""
    from exodus_kg.rdf.files import without_compression

    suffix = without_compression(path).suffix.lower()
    return suffix if suffix in RDF_EXTENSIONS else ""


def _is_project_dir(path: Path) -> bool:
    return (path / "ontology").is_dir() and (path / "triples").is_dir()


def _visible_files(folder: Path, pattern: str = "**/*") -> list[Path]:
    """Files under ``folder`` matching ``pattern`` ("**/*", "*" or "*.ext"), in a stable order,
    leaving out hidden files and folders, caches and editor backups.

    (os.scandir rather than Path.glob: this runs on every `exodus query`, and is several times faster.)

    A symbolic link to a folder is followed (once: a loop of them is not), and a link that leads
    nowhere is an InputError naming it, as is a folder that cannot be read: a file is never left out
    without a word.
    """
    recursive = pattern.startswith("**/")
    name_pattern = pattern[3:] if recursive else pattern
    found: list[Path] = []
    seen_folders: set[str] = set()

    def scan(directory: str) -> None:
        real = os.path.realpath(directory)
        if real in seen_folders:
            return  # a link back to a folder already read
        seen_folders.add(real)
        try:
            with os.scandir(directory) as entries:
                listed = list(entries)
        except OSError as error:
            raise InputError(f"{directory}: cannot read the folder ({error.strerror or error})") from None
        for entry in listed:
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                if recursive:
                    scan(entry.path)
            elif entry.is_symlink():
                _linked(entry)
            elif _matches(entry.name):
                if not entry.is_file():
                    _not_a_file(entry.path)
                found.append(Path(entry.path))

    def _matches(name: str) -> bool:
        return not name.endswith("~") and fnmatchcase(name, name_pattern)

    def _linked(entry: os.DirEntry) -> None:
        try:
            target = os.stat(entry.path)
        except OSError as error:
            import errno

            why = "a loop of symbolic links" if error.errno == errno.ELOOP else "a symbolic link to nothing"
            raise InputError(
                f"{entry.path}: {why} ({os.readlink(entry.path)}); remove it or point it at a file"
            ) from None
        if stat.S_ISDIR(target.st_mode):
            if recursive:
                scan(entry.path)
        elif _matches(entry.name):
            if not stat.S_ISREG(target.st_mode):
                _not_a_file(entry.path)
            found.append(Path(entry.path))

    def _not_a_file(path: str) -> None:
        # A FIFO would block the read, a device never ends: named, never read, never skipped silently.
        raise InputError(f"{path}: not a regular file (a FIFO, a device or a socket); remove it")

    if folder.is_dir():
        scan(str(folder))
    return sorted(found)


class Project:
    """A folder of graph sources. ``shipped`` is true for the read-only copy inside the wheel.

    (A plain class, not a dataclass: importing dataclasses costs every `exodus query` ~10 ms.)
    """

    __slots__ = ("root", "shipped")

    def __init__(self, root: Path, shipped: bool = False):
        self.root = Path(root)
        self.shipped = shipped

    def __repr__(self) -> str:
        return f"Project(root={self.root!r}, shipped={self.shipped!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and (self.root, self.shipped) == (other.root, other.shipped)

    def __hash__(self) -> int:
        return hash((self.root, self.shipped))

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "ontology" / "shapes"

    @property
    def triples_dir(self) -> Path:
        return self.root / "triples"

    @property
    def links_dir(self) -> Path:
        return self.root / "triples" / "links"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def rules_dir(self) -> Path:
        return self.root / "queries" / "rules"

    @property
    def checks_dir(self) -> Path:
        return self.root / "queries" / "checks"

    # The layers of the built dataset (architecture.md, "Named graphs").

    def ontology_files(self) -> list[Path]:
        """The ontology proper: RDF files directly in ontology/ (the shapes are not part of it)."""
        return [p for p in _visible_files(self.ontology_dir, "*") if rdf_extension(p)]

    def shape_files(self) -> list[Path]:
        return [p for p in _visible_files(self.shapes_dir) if rdf_extension(p)]

    def asserted_files(self) -> list[Path]:
        """triples/**/*.ttl (and other RDF files) except triples/links/."""
        return [
            p
            for p in _visible_files(self.triples_dir)
            if rdf_extension(p) and self.links_dir not in p.parents
        ]

    def link_files(self) -> list[Path]:
        return [p for p in _visible_files(self.links_dir) if rdf_extension(p)]

    def rule_files(self) -> list[Path]:
        return _visible_files(self.rules_dir, "*.rq")

    def check_files(self) -> list[Path]:
        return _visible_files(self.checks_dir, "*.rq")

    def saved_query_files(self) -> list[Path]:
        return _visible_files(self.queries_dir, "*.rq")

    def input_files(self) -> list[Path]:
        """Every file whose bytes decide the built dataset."""
        files = set(_visible_files(self.ontology_dir)) | set(_visible_files(self.triples_dir))
        files |= set(self.rule_files()) | set(self.check_files())
        return sorted(files)

    def input_hash(self) -> str:
        """sha256 over every input file (relative path + bytes), the package version and the
        build code, so that a change to any of them gives a new cache entry."""
        digest = _sha256()
        digest.update(f"exodus-kg {__version__}\n".encode())
        for path in self.input_files():
            try:
                data = path.read_bytes()
            except OSError as error:
                raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
            name = path.relative_to(self.root).as_posix()
            digest.update(f"input {name} {len(data)}\n".encode())
            digest.update(data)
        # The package itself is an input too: every module and resource it ships, found by walking
        # it, so that a fix to a rule engine is never hidden by a cache built before it, and a moved
        # or renamed module cannot drop out of the key.
        for path in package_code_files():
            data = path.read_bytes()
            digest.update(f"code {path.relative_to(PACKAGE_DIR).as_posix()} {len(data)}\n".encode())
            digest.update(data)
        return digest.hexdigest()

    def cache_root(self) -> Path:
        """``<project>/build/exodus-kg/`` when that can be written, else the user cache folder."""
        if not self.shipped:
            build_dir = self.root / "build"
            if _writable(build_dir):
                return build_dir / CACHE_SUBDIR
        return user_cache_dir()


def package_code_files() -> list[Path]:
    """Every file of the installed package except the shipped project copy (``_data/``, whose
    files are inputs in their own right) and byte-code caches."""
    # _data/ is left out before the walk, not after: this runs on every `exodus query`, and in a
    # wheel that folder holds the whole project.
    files = _visible_files(PACKAGE_DIR, "*")
    with os.scandir(PACKAGE_DIR) as entries:
        for entry in entries:
            skipped = entry.name.startswith(".") or entry.name in ("__pycache__", SHIPPED_DATA_DIR.name)
            if entry.is_dir(follow_symlinks=False) and not skipped:
                files += _visible_files(Path(entry.path))
    return sorted(path for path in files if path.suffix != ".pyc")


def _sha256():
    """A new SHA-256 hash object. OpenSSL's, imported directly (``_hashlib``, not ``hashlib``, which
    also loads every other algorithm): the key covers ~2 MB (the package ships the site's scripts),
    which OpenSSL hashes in ~1 ms after a ~2 ms import, where CPython's own SHA-256 needs ~20 ms.
    Same digests either way."""
    try:
        from _hashlib import openssl_sha256 as sha256
    except ImportError:
        from hashlib import sha256
    return sha256()


def _writable(folder: Path) -> bool:
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            return False
        existing = existing.parent
    return existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)


def user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / CACHE_SUBDIR


def find_project(explicit: str | os.PathLike[str] | None = None) -> Project:
    """The project to work on; see the module docstring for the order in which it is looked for."""
    for given, origin in ((explicit, "--project"), (os.environ.get(ENV_PROJECT) or None, ENV_PROJECT)):
        if given:
            root = Path(given).expanduser().resolve()
            if not _is_project_dir(root):
                raise UsageError(
                    f"{origin} {given}: not an exodus-kg project (it needs ontology/ and triples/ folders)"
                )
            return Project(root)
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if _is_project_dir(candidate):
            return Project(candidate)
    source_checkout = PACKAGE_DIR.parent.parent
    if PACKAGE_DIR.parent.name == "src" and _is_project_dir(source_checkout):
        return Project(source_checkout)
    if _is_project_dir(SHIPPED_DATA_DIR):
        return Project(SHIPPED_DATA_DIR, shipped=True)
    raise UsageError(
        "no exodus-kg project found: run inside a checkout, pass --project DIR or set "
        f"{ENV_PROJECT}, or reinstall the package (its wheel ships the graph in exodus_kg/_data/)"
    )
