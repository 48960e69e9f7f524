"""Build the dataset once and cache it: load -> validate -> reason -> write.

The built dataset is written as N-Quads (``dataset.nq``) plus an Oxigraph store (``store/``) and a
``manifest.json`` into a folder named after the input hash (see ``project.Project.input_hash``). The
folder is filled under a temporary name and renamed into place in one step, so a reader never sees a
half-written build, and a build whose inputs changed is never served.

``exodus query`` only needs ``open_built``; when the cache is fresh that costs a hash of the inputs
and opening the store, without importing rdflib, owlrl or pySHACL.

>>> store = open_built(find_project())  # doctest: +SKIP
>>> store.query("ASK { ?s ?p ?o }", use_default_graph_as_union=True)  # doctest: +SKIP
<QueryBoolean true>
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyoxigraph as ox

from exodus_kg import __version__
from exodus_kg.project import Project
from exodus_kg.rdf.namespaces import EXG, XSD

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the query path
if TYPE_CHECKING:
    from collections.abc import Callable

    import rdflib

    from exodus_kg.pipeline.graph_loading import Spellings

    Progress = Callable[[str], None]

GRAPH_BASE = EXG
ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
ASSERTED_GRAPH = GRAPH_BASE + "asserted"
LINKS_GRAPH = GRAPH_BASE + "links"
INFERRED_GRAPH = GRAPH_BASE + "inferred"
GRAPHS = (ONTOLOGY_GRAPH, ASSERTED_GRAPH, LINKS_GRAPH, INFERRED_GRAPH)

DATASET_FILE = "dataset.nq"
STORE_DIR = "store"
MANIFEST_FILE = "manifest.json"
XSD_STRING = XSD + "string"
TRASH_PREFIX = ".trash-"
MAX_BUILD_ATTEMPTS = 3  # builds started over because an input was saved during the build
MAX_OPEN_ATTEMPTS = 3  # a damaged entry is set aside and built again, once or twice
BULK_LOAD_LINES = 200_000  # quads per call of the on-disk store's bulk loader (see _write_entry)
STALE_STAGING_SECONDS = 3600  # a staging folder untouched this long belongs to a build that died


class BuildResult:
    """What a build did: where the cache entry is, whether it was reused, time per stage, size per graph."""

    def __init__(
        self,
        entry: Path,
        input_hash: str,
        reused: bool,
        timings: dict[str, float] | None = None,
        counts: dict[str, int] | None = None,
    ):
        self.entry = entry
        self.input_hash = input_hash
        self.reused = reused
        self.timings = timings or {}
        self.counts = counts or {}

    def __repr__(self) -> str:
        return f"BuildResult(entry={self.entry!r}, reused={self.reused!r}, counts={self.counts!r})"


class InputGraphs:
    """The three layers read from the project's files (rdflib graphs)."""

    def __init__(self, ontology: rdflib.Graph, asserted: rdflib.Graph, links: rdflib.Graph):
        self.ontology = ontology
        self.asserted = asserted
        self.links = links


def cache_entry(project: Project, input_hash: str | None = None) -> Path:
    return project.cache_root() / (input_hash or project.input_hash())


def fresh_entry(project: Project) -> Path | None:
    """The cache entry for the project's current inputs, or None when it has not been built."""
    # The input index saves hashing every input on each query; the build itself hashes them all.
    entry = cache_entry(project, project.indexed_input_hash())
    return entry if (entry / MANIFEST_FILE).is_file() else None


def entry_damage(entry: Path) -> str | None:
    """What is wrong with a cache entry that has its manifest ("dataset.nq is truncated", ...), or
    None when its files are all there at the sizes the build wrote."""
    try:
        manifest = read_manifest(entry)
    except (OSError, ValueError) as error:
        return f"{MANIFEST_FILE} cannot be read ({getattr(error, 'strerror', None) or error})"
    if not (entry / STORE_DIR / "CURRENT").is_file():
        return f"{STORE_DIR}/ is incomplete"
    expected = manifest.get("files", {}).get(DATASET_FILE) if isinstance(manifest, dict) else None
    try:
        size = (entry / DATASET_FILE).stat().st_size
    except OSError:
        return f"{DATASET_FILE} is missing"
    if expected is not None and size != expected:
        return f"{DATASET_FILE} has {size} bytes, the build wrote {expected}"
    return None


def set_aside(entry: Path, why: str) -> None:
    """Move a damaged cache entry out of the way (removed once no reader holds it); an entry that
    cannot be moved (a read-only cache) is an InputError saying what to run."""
    from exodus_kg.errors import InputError

    trash = entry.parent / f"{TRASH_PREFIX}{os.getpid()}-damaged-{entry.name}"
    try:
        os.replace(entry, trash)
    except FileNotFoundError:
        return  # another process moved it first
    except OSError as error:
        raise InputError(
            f"the cached build {entry} is damaged ({why}) and cannot be moved ({error.strerror}); "
            f"remove it (rm -r '{entry}') and run the command again"
        ) from None
    _remove_unless_read(trash)


# Descriptors of the cache entries this process reads, each with a shared lock (flock): a build
# removes an old entry only when it can take the lock exclusively, so never under a reader's feet.
_pinned_entries: dict[tuple[int, int], int] = {}  # (device, inode) of the folder -> descriptor


def pin_entry(entry: Path) -> Path | None:
    """Hold ``entry`` for reading (a shared lock, kept until the process ends) and return a path to it
    that stays valid when a build renames it aside (``/proc/self/fd/N`` on Linux): a reader opening the
    store through it can never mix the files of two entries. None when ``entry`` was replaced or
    removed meanwhile (look it up again)."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no locks, the path itself
        return entry if entry.is_dir() else None
    try:
        descriptor = os.open(entry, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH)
        held, current = os.fstat(descriptor), os.stat(entry)
        if (held.st_dev, held.st_ino) != (current.st_dev, current.st_ino):
            raise FileNotFoundError(entry)  # swapped for a newer entry between open and lock
    except OSError:
        os.close(descriptor)
        return None
    key = (held.st_dev, held.st_ino)
    if key in _pinned_entries:  # held already (a long-lived process opening it again)
        os.close(descriptor)
        descriptor = _pinned_entries[key]
    else:
        _pinned_entries[key] = descriptor
    stable = Path(f"/proc/self/fd/{descriptor}")
    return stable if (stable / MANIFEST_FILE).is_file() else entry


def _remove_unless_read(folder: Path) -> bool:
    """Remove a cache folder unless a reader holds it (``pin_entry``); True when removed."""
    import shutil

    try:
        import fcntl
    except ImportError:
        shutil.rmtree(folder, ignore_errors=True)
        return True
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return not folder.exists()
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a reader still has it open: a later build removes it
        shutil.rmtree(folder, ignore_errors=True)
        return True
    finally:
        os.close(descriptor)


def _swap_into_place(staging: Path, entry: Path, trash: Path) -> None:
    """Put ``staging`` at ``entry`` in one step. Linux swaps the two folders atomically
    (renameat2 RENAME_EXCHANGE), so a reader finds the old entry or the new one, never none; the old
    one ends at ``trash``. Elsewhere: rename the old one aside, then the new one in."""
    if entry.exists() and _exchange(staging, entry):
        os.replace(staging, trash)
        return
    import contextlib

    with contextlib.suppress(FileNotFoundError):
        os.replace(entry, trash)
    os.replace(staging, entry)


def _exchange(first: Path, second: Path) -> bool:
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0


def read_manifest(entry: Path) -> dict:
    import json

    return json.loads((entry / MANIFEST_FILE).read_text(encoding="utf-8"))


def load_inputs(project: Project) -> InputGraphs:
    """Parse the ontology, the asserted triples and the links (InputError names file and line)."""
    from exodus_kg.pipeline.graph_loading import load_graphs

    return InputGraphs(
        ontology=load_graphs(project.ontology_files()),
        asserted=load_graphs(project.asserted_files()),
        links=load_graphs(project.link_files()),
    )


def build(project: Project, force: bool = False, progress: Progress | None = None) -> BuildResult:
    """Build the dataset unless a fresh cache entry exists (or ``force``); return what happened.

    Raises InputError for unparsable inputs and CheckFailed when validation finds violations.
    """
    say = progress or (lambda message: None)
    input_hash = project.input_hash()
    entry = cache_entry(project, input_hash)
    if not force and (entry / MANIFEST_FILE).is_file():
        damage = entry_damage(entry)
        if damage is None:
            manifest = read_manifest(entry)
            return BuildResult(
                entry, input_hash, True, manifest.get("timings", {}), manifest.get("counts", {})
            )
        say(f"the cached build {entry.name[:12]} is damaged ({damage}); building it again")
        set_aside(entry, damage)

    _check_cache_writable(entry.parent)
    from exodus_kg.pipeline import reasoning, validation

    # A file saved while the build reads the inputs would leave a graph that is neither version
    # filed under the hash of one of them, to be served when that version comes back. So the hash
    # is taken again at the end, and the build starts over (on the new inputs) when it moved.
    for _attempt in range(MAX_BUILD_ATTEMPTS):
        timings, layers = _build_layers(project, validation, reasoning, say)
        current_hash = project.input_hash()
        if current_hash == input_hash:
            break
        say("the inputs changed during the build; building again")
        input_hash = current_hash
        entry = cache_entry(project, input_hash)
    else:
        from exodus_kg.errors import InputError

        raise InputError(
            "the inputs kept changing during the build; run the command again when they are saved"
        )

    try:
        counts = _write_entry(project, entry, input_hash, layers, timings)
    except OSError as error:  # a full disk, a quota, a cache folder made read-only meanwhile
        from exodus_kg.errors import InputError

        raise InputError(
            f"cannot write the built graph to {entry.parent} ({error.strerror or error}); nothing was "
            "cached: free some space, or set XDG_CACHE_HOME to another folder"
        ) from None
    say(f"write     {timings['write']:7.2f} s")
    _remove_other_entries(project, entry)
    return BuildResult(entry, input_hash, False, timings, counts)


class BuiltLayers:
    """The dataset as the build holds it between the stages: one in-memory store with the layers as
    the named graphs ``GRAPHS``, and the spellings the store changed (see ``graph_loading.respellings``)."""

    def __init__(self) -> None:
        self.store: ox.Store | None = ox.Store()
        from exodus_kg.pipeline.graph_loading import Spellings

        self.spellings = Spellings()

    def take_store(self) -> ox.Store:
        """The store, let go of here: the write stage frees it before it builds the on-disk one,
        so that the two are never held at once (they are the build's peak)."""
        store, self.store = self.store, None
        return store


def _build_layers(project: Project, validation, reasoning, say) -> tuple[dict[str, float], BuiltLayers]:
    """Load, validate and reason into one store: the timings and the layers of the dataset."""
    timings: dict[str, float] = {}
    layers = BuiltLayers()
    store = layers.store

    started = time.perf_counter()
    sources = {
        ONTOLOGY_GRAPH: project.ontology_files(),
        ASSERTED_GRAPH: project.asserted_files(),
        LINKS_GRAPH: project.link_files(),
    }
    for graph_name, paths in sources.items():
        _load_layer(paths, store, graph_name, spellings=layers.spellings)
    timings["load"] = time.perf_counter() - started
    say(f"load      {timings['load']:7.2f} s")

    started = time.perf_counter()
    validation.validate_store(
        store,
        project,
        data_graphs=(ASSERTED_GRAPH, LINKS_GRAPH),
        ontology_graph=ONTOLOGY_GRAPH,
        spellings=layers.spellings,
        sources=sources,
    )
    timings["validate"] = time.perf_counter() - started
    say(f"validate  {timings['validate']:7.2f} s")

    started = time.perf_counter()
    # The links stay out of reasoning: owl:sameAs to Wikidata would copy every statement onto the
    # Wikidata IRIs and every saved query would return each entity twice.
    reasoning.infer_into_store(
        store,
        ontology_graph=ONTOLOGY_GRAPH,
        data_graphs=(ASSERTED_GRAPH,),
        target_graph=INFERRED_GRAPH,
        rules=project.rule_files(),
    )
    _drop_restated(store, INFERRED_GRAPH, (LINKS_GRAPH,))
    timings["reason"] = time.perf_counter() - started
    say(f"reason    {timings['reason']:7.2f} s")
    return timings, layers


def _drop_restated(store: ox.Store, graph_name: str, others: tuple[str, ...]) -> None:
    """Remove from ``graph_name`` what another layer states already (a derived owl:sameAs that is
    also a link): each triple sits in one layer."""
    target = ox.NamedNode(graph_name)
    for other in others:
        for quad in list(store.quads_for_pattern(None, None, None, ox.NamedNode(other))):
            store.remove(ox.Quad(quad.subject, quad.predicate, quad.object, target))


def _load_layer(paths, store: ox.Store, graph_name: str, *, spellings: Spellings) -> int:
    """``graph_loading.load_into_store`` (Oxigraph parses into the layer, with load_graphs's triples
    and errors), recording in ``spellings`` the literals the store keeps in another form (the stored
    form -> as written). Returns the number of triples added."""
    from exodus_kg.pipeline.graph_loading import load_into_store, respellings

    written: dict[ox.Literal, None] = {}
    added = load_into_store(paths, store, graph_name, literals=written)
    respellings(written, spellings)
    return added


def ensure_built(
    project: Project, progress: Progress | None = None, on_rebuild: Callable[[], None] | None = None
) -> Path:
    """The cache entry of the project's current inputs, building it first when it is missing
    (``on_rebuild`` is called before such a build, to say so)."""
    entry = fresh_entry(project)
    if entry is not None:
        damage = entry_damage(entry)
        if damage is None:
            return entry
        if progress is not None:
            progress(f"the cached build {entry.name[:12]} is damaged ({damage}); building it again")
        set_aside(entry, damage)
    elif on_rebuild is not None:
        on_rebuild()
    return build(project, progress=progress).entry


def open_built(
    project: Project,
    inference: bool = True,
    progress: Progress | None = None,
    on_rebuild: Callable[[], None] | None = None,
) -> ox.Store:
    """The built dataset as a pyoxigraph Store (rebuilt first if any input changed).

    Every triple sits in one of the named graphs ``exg:ontology``, ``exg:asserted``, ``exg:links``,
    ``exg:inferred``; query with ``use_default_graph_as_union=True`` to see their union. With
    ``inference=False`` the store leaves out ``exg:inferred``.
    """
    from exodus_kg.errors import InputError

    say = progress or (lambda message: None)
    for _attempt in range(MAX_OPEN_ATTEMPTS):
        entry = ensure_built(project, progress=progress, on_rebuild=on_rebuild)
        # Pinned: a `build --force` running meanwhile swaps in a new entry but cannot delete this one.
        folder = pin_entry(entry)
        if folder is None:
            continue  # replaced between the look-up and the lock: look again
        try:
            built = ox.Store.read_only(str(folder / STORE_DIR))
            if inference:
                return built
            store = ox.Store()
            inferred = ox.NamedNode(INFERRED_GRAPH)
            store.extend(quad for quad in built if quad.graph_name != inferred)
            return store
        except (OSError, RuntimeError) as error:  # RocksDB: "IO error", "Corruption"
            why = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
            why = why.replace(str(folder), str(entry))  # the entry's own path, not /proc/self/fd/N
            say(f"the cached build {entry.name[:12]} cannot be opened ({why}); building it again")
            set_aside(entry, why)
    raise InputError(
        f"the cached build in {cache_entry(project).parent} could not be opened {MAX_OPEN_ATTEMPTS} times; "
        "run exodus build --force"
    )


def _check_cache_writable(root: Path) -> None:
    """Fail before the build, not after it, when the cache folder cannot be written (a read-only
    project whose user cache is read-only too)."""
    from exodus_kg.errors import InputError

    try:
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as error:
        raise InputError(
            f"cannot write the build cache in {root} ({error.strerror or error}); set XDG_CACHE_HOME "
            "to a folder you can write, or run exodus in a copy of the project you can write"
        ) from None


def open_store(project: Project, no_inference: bool = False) -> ox.Store:
    """``open_built`` for a command: rebuilding when stale, and saying so on stderr."""
    from exodus_kg.errors import note

    return open_built(
        project,
        inference=not no_inference,
        progress=note,
        on_rebuild=lambda: note("building the graph (no cached build of these inputs yet)"),
    )


def _write_entry(
    project: Project,
    entry: Path,
    input_hash: str,
    layers: BuiltLayers,
    timings: dict[str, float],
) -> dict[str, int]:
    """Fill a staging folder, then rename it into place; set ``timings["write"]``; return the
    number of triples written per graph."""
    import json
    import shutil
    import tempfile

    started = time.perf_counter()
    root = entry.parent
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{input_hash[:12]}-", dir=root))
    trash = root / f"{TRASH_PREFIX}{os.getpid()}-{staging.name}"
    try:
        store = layers.take_store()
        counts = _graph_counts(store)
        _dump_as_written(store, staging / DATASET_FILE, layers.spellings)
        del store  # before the on-disk store is built: the two at once would be the build's peak
        _return_freed_memory()
        lines = _skolemised_lines(staging / DATASET_FILE)
        with open(staging / DATASET_FILE, "wb") as target:
            target.writelines(lines)
        disk = ox.Store(str(staging / STORE_DIR))
        # In slices: the bulk loader holds a slice's quads and terms in memory at once (some 600 MB
        # for the 800,000 quads of the 100x graph in one go), and reads no slower for it. Lenient:
        # the lines are Oxigraph's own N-Quads, so checking every IRI again only costs (4%).
        for start in range(0, len(lines), BULK_LOAD_LINES):
            chunk = b"".join(lines[start : start + BULK_LOAD_LINES])
            disk.bulk_load(input=chunk, format=ox.RdfFormat.N_QUADS, lenient=True)
        del lines
        disk.flush()
        del disk
        timings["write"] = time.perf_counter() - started
        manifest = {
            "exodus_kg_version": __version__,
            "input_hash": input_hash,
            "project": str(project.root),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "graphs": {name: {"triples": counts[name]} for name in counts},
            "counts": counts,
            "files": {DATASET_FILE: (staging / DATASET_FILE).stat().st_size},
            "timings": timings,
            "inputs": [path.relative_to(project.root).as_posix() for path in project.input_files()],
        }
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        # An entry already there (--force, or one a killed run left half-deleted) is swapped out
        # in one step, never deleted in place: a reader must never find a manifest beside a
        # half-deleted store, and a folder without one must not block the rename.
        try:
            _swap_into_place(staging, entry, trash)
        except OSError:
            # Another process finished the same build first; its entry is as good as ours.
            if not (entry / MANIFEST_FILE).is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if trash.exists():
            _remove_unless_read(trash)  # a reader holding it keeps it until a later build
    return counts


def _return_freed_memory() -> None:
    """Hand the memory the store freed back to the system: glibc keeps it for later allocations,
    which Python's own small-object allocator never makes, so the write stage's lists would come on
    top of it (at 100x the peak went 1.0 GB with it kept)."""
    import contextlib
    import ctypes

    # Not glibc (macOS, musl, Windows): no malloc_trim, nothing to ask.
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols: glibc's on Linux


def _skolemised_lines(path: Path) -> list[bytes]:
    """The lines of an N-Quads file with its blank nodes skolemised, sorted.

    Blank nodes become stable IRIs (``rdf.skolemisation``), so each named graph stands alone (a
    Graph Store push, a graph replaced by itself) and a rebuild names them the same. Sorted, because
    the store writes quads in the order the stages added them, which nothing fixes, and the same
    inputs must give the same bytes."""
    from exodus_kg.rdf.skolemisation import skolemise_nquads

    with open(path, "rb") as source:
        lines = skolemise_nquads(source.readlines())
    lines.sort()
    return lines


def _graph_counts(store: ox.Store) -> dict[str, int]:
    counts = dict.fromkeys(GRAPHS, 0)
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    for row in store.query(query):
        counts[row["g"].value] = int(row["n"].value)
    return counts


def _dump_as_written(store: ox.Store, path: Path, spellings: dict[ox.Literal, ox.Literal]) -> None:
    """Write the store as N-Quads to ``path``, the literals in ``spellings`` as written (the quads
    that hold them are taken out of the store and written last)."""
    respelled = []
    for stored, written in spellings.items():
        for quad in list(store.quads_for_pattern(None, None, stored, None)):
            store.remove(quad)
            respelled.append(ox.Quad(quad.subject, quad.predicate, written, quad.graph_name))
    store.dump(output=str(path), format=ox.RdfFormat.N_QUADS)
    if respelled:
        with open(path, "ab") as output:
            ox.serialize(respelled, output=output, format=ox.RdfFormat.N_QUADS)


def _remove_other_entries(project: Project, keep: Path) -> None:
    """Drop stale entries of this project's own build folder (never in the shared user cache)."""
    import contextlib
    import shutil

    root = keep.parent
    if project.shipped or root != project.root / "build" / "exodus-kg":
        return
    now = time.time()
    for other in root.iterdir():
        if other == keep or not other.is_dir():
            continue
        # Hidden folders are staging folders of builds in progress, or leftovers of builds that
        # were killed: those are removed once no build can still be writing them.
        if other.name.startswith(".") and not other.name.startswith(TRASH_PREFIX):
            with contextlib.suppress(OSError):
                if now - other.stat().st_mtime < STALE_STAGING_SECONDS:
                    continue
            shutil.rmtree(other, ignore_errors=True)
        else:
            _remove_unless_read(other)  # an older entry or trash a reader may still hold
