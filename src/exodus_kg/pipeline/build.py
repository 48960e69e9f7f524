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
from exodus_kg.rdf.namespaces import EXG

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the query path
if TYPE_CHECKING:
    from collections.abc import Callable

    import rdflib

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
TRASH_PREFIX = ".trash-"
MAX_BUILD_ATTEMPTS = 3  # builds started over because an input was saved during the build
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
    entry = cache_entry(project)
    return entry if (entry / MANIFEST_FILE).is_file() else None


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
        manifest = read_manifest(entry)
        return BuildResult(entry, input_hash, True, manifest.get("timings", {}), manifest.get("counts", {}))

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

        raise InputError("the inputs kept changing during the build; run the command again when they are saved")

    counts = _write_entry(project, entry, input_hash, layers, timings)
    say(f"write     {timings['write']:7.2f} s")
    _remove_other_entries(project, entry)
    return BuildResult(entry, input_hash, False, timings, counts)


def _build_layers(project: Project, validation, reasoning, say) -> tuple[dict[str, float], dict]:
    """Load, validate and reason: the timings and the four layers of the dataset."""
    timings: dict[str, float] = {}

    started = time.perf_counter()
    inputs = load_inputs(project)
    timings["load"] = time.perf_counter() - started
    say(f"load      {timings['load']:7.2f} s")

    started = time.perf_counter()
    validation.validate_for_build(
        project=project, ontology=inputs.ontology, asserted=inputs.asserted, links=inputs.links
    )
    timings["validate"] = time.perf_counter() - started
    say(f"validate  {timings['validate']:7.2f} s")

    started = time.perf_counter()
    # The links stay out of reasoning: owl:sameAs to Wikidata would copy every statement onto the
    # Wikidata IRIs and every saved query would return each entity twice.
    inferred = reasoning.infer(inputs.ontology, inputs.asserted, rules=project.rule_files())
    for layer in (inputs.ontology, inputs.asserted, inputs.links):
        inferred -= layer
    timings["reason"] = time.perf_counter() - started
    say(f"reason    {timings['reason']:7.2f} s")

    layers = {
        ONTOLOGY_GRAPH: inputs.ontology,
        ASSERTED_GRAPH: inputs.asserted,
        LINKS_GRAPH: inputs.links,
        INFERRED_GRAPH: inferred,
    }
    return timings, layers


def ensure_built(
    project: Project, progress: Progress | None = None, on_rebuild: Callable[[], None] | None = None
) -> Path:
    """The cache entry of the project's current inputs, building it first when it is missing
    (``on_rebuild`` is called before such a build, to say so)."""
    entry = fresh_entry(project)
    if entry is not None:
        return entry
    if on_rebuild is not None:
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
    entry = ensure_built(project, progress=progress, on_rebuild=on_rebuild)
    if inference:
        return ox.Store.read_only(str(entry / STORE_DIR))
    store = ox.Store()
    inferred = ox.NamedNode(INFERRED_GRAPH)
    store.extend(
        quad
        for quad in ox.parse(path=str(entry / DATASET_FILE), format=ox.RdfFormat.N_QUADS)
        if quad.graph_name != inferred
    )
    return store


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
    layers: dict[str, rdflib.Graph],
    timings: dict[str, float],
) -> dict[str, int]:
    """Fill a staging folder, then rename it into place; set ``timings["write"]``; return the
    number of triples written per graph."""
    import contextlib
    import json
    import shutil
    import tempfile

    from exodus_kg.rdf.skolemisation import skolemise

    started = time.perf_counter()
    root = entry.parent
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{input_hash[:12]}-", dir=root))
    trash = root / f"{TRASH_PREFIX}{os.getpid()}-{staging.name}"
    try:
        quads, counts, skipped = _to_quads(layers)
        # Blank nodes become stable IRIs, so each named graph stands alone (a Graph Store push, a
        # graph replaced by itself) and a rebuild names them the same.
        quads = skolemise(quads)
        ox.serialize(quads, output=str(staging / DATASET_FILE), format=ox.RdfFormat.N_QUADS)
        store = ox.Store(str(staging / STORE_DIR))
        store.bulk_load(path=str(staging / DATASET_FILE), format=ox.RdfFormat.N_QUADS)
        store.flush()
        del store
        timings["write"] = time.perf_counter() - started
        manifest = {
            "exodus_kg_version": __version__,
            "input_hash": input_hash,
            "project": str(project.root),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "graphs": {name: {"triples": counts[name]} for name in counts},
            "counts": counts,
            "skipped_generalised_triples": skipped,
            "timings": timings,
            "inputs": [path.relative_to(project.root).as_posix() for path in project.input_files()],
        }
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        # An entry already there (--force, or one a killed run left half-deleted) is renamed out
        # of the way in one step, never deleted in place: a reader must never find a manifest
        # beside a half-deleted store, and a folder without one must not block the rename.
        with contextlib.suppress(FileNotFoundError):
            os.replace(entry, trash)
        try:
            os.replace(staging, entry)
        except OSError:
            # Another process finished the same build first; its entry is as good as ours.
            if not (entry / MANIFEST_FILE).is_file():
                raise
    finally:
        for leftover in (staging, trash):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
    return counts


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


def _to_quads(layers: dict[str, rdflib.Graph]) -> tuple[list[ox.Quad], dict[str, int], int]:
    """rdflib triples -> pyoxigraph quads, the count per graph, and how many were left out.

    One blank node map serves all layers, so that an inferred triple about an asserted blank node
    (an evidence node, an amount) keeps pointing at it. Generalised triples that a reasoner may
    produce (a literal as subject) are not RDF and are left out.
    """
    from exodus_kg.rdf.terms import TermMap, is_rdf_triple

    terms = TermMap()
    quads: list[ox.Quad] = []
    counts: dict[str, int] = {}
    skipped = 0
    for graph_name, graph in layers.items():
        graph_node = ox.NamedNode(graph_name)
        before = len(quads)
        for triple in graph:
            if not is_rdf_triple(triple):
                skipped += 1
                continue
            quads.append(terms.quad(triple, graph_node))
        counts[graph_name] = len(quads) - before
    return quads, counts, skipped
