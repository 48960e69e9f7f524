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
# The input index beside the cache entries (Project.indexed_input_hash), and how much older than
# the scan that writes it every file it records must be: git's rule against edits within one tick
# of the clock, with room for file systems that keep times to the second or two (FAT, SMB).
INPUT_INDEX_PREFIX = ".input-index-"
RACY_MARGIN_NS = 3 * 10**9


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

    A symbolic link to a folder is followed (once: a loop of them is not), and a link that leads
    nowhere is an InputError naming it, as is a folder that cannot be read: a file is never left out
    without a word.
    """
    return sorted(map(Path, _walk(str(folder), pattern)))


def _walk(folder: str, pattern: str = "**/*") -> list[str]:
    """``_visible_files`` as path strings, in no particular order: this runs on every `exodus query`
    (os.scandir, and folders told apart by device and inode rather than by os.path.realpath,
    which looks up every component of every path)."""
    recursive = pattern.startswith("**/")
    name_pattern = pattern[3:] if recursive else pattern
    any_name = name_pattern == "*"
    found: list[str] = []
    seen_folders: set[tuple[int, int]] = set()

    def scan(directory: str, identity: os.stat_result | None = None) -> None:
        try:
            identity = identity or os.stat(directory)
            key = (identity.st_dev, identity.st_ino)
            if key in seen_folders:
                return  # a link back to a folder already read
            seen_folders.add(key)
            with os.scandir(directory) as entries:
                listed = list(entries)
        except OSError as error:
            raise InputError(f"{directory}: cannot read the folder ({error.strerror or error})") from None
        for entry in listed:
            name = entry.name
            if name[0] == "." or name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                if recursive:
                    scan(entry.path)
            elif entry.is_symlink():
                _linked(entry)
            elif _matches(name):
                if not entry.is_file(follow_symlinks=False):
                    _not_a_file(entry.path)
                found.append(entry.path)

    def _matches(name: str) -> bool:
        return not name.endswith("~") and (any_name or fnmatchcase(name, name_pattern))

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
                scan(entry.path, target)
        elif _matches(entry.name):
            if not stat.S_ISREG(target.st_mode):
                _not_a_file(entry.path)
            found.append(entry.path)

    def _not_a_file(path: str) -> None:
        # A FIFO would block the read, a device never ends: named, never read, never skipped silently.
        raise InputError(f"{path}: not a regular file (a FIFO, a device or a socket); remove it")

    try:
        top = os.stat(folder)
    except OSError:
        return found
    if stat.S_ISDIR(top.st_mode):
        scan(folder, top)
    return found


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
        return sorted(map(Path, self._input_paths()))

    def _input_paths(self) -> set[str]:
        return (
            set(_walk(str(self.ontology_dir)))
            | set(_walk(str(self.triples_dir)))
            | set(_walk(str(self.rules_dir), "*.rq"))
            | set(_walk(str(self.checks_dir), "*.rq"))
        )

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

    def indexed_input_hash(self) -> str:
        """``input_hash()``, read from the input index beside the cache when no file it covers has
        changed since the index was written; else computed, and the index written again.

        The index records each file's path, size, modification and status-change times (ns), inode
        and device, as git's index does. An edit that keeps the size and sets the modification time
        back (``touch -d``) still changes the status-change time, which no one can set. Like git, it
        guards against an edit made within the clock tick it records ("racy git"): an index is written
        only when every file it records is older, by ``RACY_MARGIN_NS``, than the start of the scan
        (read from the cache folder's file system, whose clock the file times come from), so a later
        edit can never leave a recorded file looking unchanged. Any doubt (no index, a file added,
        removed or changed, a cache folder that cannot be written) means a full hash.
        """
        index = self._input_index_path()
        signature, _newest = _input_signature(self)
        try:
            with open(index, "rb") as handle:
                recorded = handle.read()
        except OSError:
            recorded = b""
        key = recorded[len(signature) :]
        if len(key) == 64 and recorded.startswith(signature) and not key.strip(b"0123456789abcdef"):
            return key.decode("ascii")
        return self._index_inputs(index)

    def _input_index_path(self) -> str:
        # One per project folder (the user cache serves every project that cannot hold its own);
        # the index itself names the folder it describes.
        try:
            found = os.stat(self.root)
            name = f"{INPUT_INDEX_PREFIX}{found.st_dev:x}-{found.st_ino:x}"
        except OSError:
            name = f"{INPUT_INDEX_PREFIX}0"
        return os.path.join(str(self.cache_root()), name)

    def _index_inputs(self, index: str) -> str:
        """The full input hash, and a new index of the files it covers when they are all old enough."""
        if not os.path.isdir(os.path.dirname(index)):
            return self.input_hash()  # nothing is cached yet: the build makes the folder
        import _thread

        temporary = f"{index}.{os.getpid()}-{_thread.get_ident()}.tmp"
        try:
            if os.path.lexists(temporary):  # left by a process that died, whose id came back
                os.unlink(temporary)
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError:
            return self.input_hash()  # a cache folder that cannot be written: no index
        written = False
        try:
            started = os.fstat(descriptor).st_mtime_ns
            # File times first, bytes after: a file saved in between is recorded as it was before
            # and looks changed next time.
            signature, newest = _input_signature(self)
            key = self.input_hash()
            if newest < started - RACY_MARGIN_NS:
                written = _write_and_rename(descriptor, temporary, index, signature + key.encode("ascii"))
                descriptor = -1
        finally:
            if descriptor >= 0:
                os.close(descriptor)
            if not written:
                import contextlib

                with contextlib.suppress(OSError):
                    os.unlink(temporary)
        return key

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
    return sorted(map(Path, _package_paths()))


def _package_paths() -> list[str]:
    # _data/ is left out before the walk, not after: this runs on every `exodus query`, and in a
    # wheel that folder holds the whole project.
    package = str(PACKAGE_DIR)
    files = _walk(package, "*")
    with os.scandir(package) as entries:
        for entry in entries:
            skipped = entry.name.startswith(".") or entry.name in ("__pycache__", SHIPPED_DATA_DIR.name)
            if entry.is_dir(follow_symlinks=False) and not skipped:
                files += _walk(entry.path)
    return [path for path in files if not path.endswith(".pyc")]


def _input_signature(project: Project) -> tuple[bytes, int]:
    """What the input index records of the files ``input_hash`` covers (see
    ``Project.indexed_input_hash``), and the newest of their modification and status-change times."""
    records = [f"exodus-kg input index 1 {__version__}\0{project.root}\0"]
    newest = 0
    for group in (sorted(project._input_paths()), sorted(_package_paths())):
        for path in group:
            try:
                found = _stat(path)
            except OSError as error:
                raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
            records.append(
                f"{path}\0{found.st_size} {found.st_mtime_ns} {found.st_ctime_ns} {found.st_ino} {found.st_dev}\0"
            )
            newest = max(newest, found.st_mtime_ns, found.st_ctime_ns)
    return "".join(records).encode("utf-8", "surrogateescape"), newest


_stat = os.stat  # (tests make a file system whose clock ticks too coarsely to see an edit)


def _write_and_rename(descriptor: int, temporary: str, target: str, content: bytes) -> bool:
    """Write ``content`` to the open ``temporary`` file, close it and rename it to ``target``; False
    when that failed (a full disk: the key stands, only the index is lost)."""
    try:
        try:
            while content:
                content = content[os.write(descriptor, content) :]
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except OSError:
        return False
    return True


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
