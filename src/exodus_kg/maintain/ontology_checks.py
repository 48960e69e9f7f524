"""Checks of the ontology as OWL: OWL 2 DL profile (OWL API), consistency (HermiT, owlrl's OWL 2 RL).

The DL profile check compiles a small Java class against Debian's OWL API (``libowlapi-java``); HermiT
is the copy shipped with owlready2. Both need Java; each function says clearly when a tool is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import OWL, RDF

from exodus_kg.errors import ExodusError
from exodus_kg.project import resource_path

OWLAPI_CLASSPATH = "/usr/share/java/*"


@dataclass
class CheckResult:
    ok: bool
    problems: list[str] = field(default_factory=list)


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise ExodusError("java is not installed: the OWL checks need a Java runtime (apt-get install default-jre)", 2)
    return java


def _compiled_profile_checker(work_dir: Path) -> Path:
    javac = shutil.which("javac")
    if javac is None:
        raise ExodusError("javac is not installed: the OWL 2 DL profile check compiles a small class", 2)
    if not Path("/usr/share/java/owlapi-distribution.jar").exists():
        raise ExodusError("the OWL API is not installed (apt-get install libowlapi-java)", 2)
    source = resource_path("java", "DLProfileCheck.java")
    target = work_dir / "DLProfileCheck.java"
    target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run([javac, "-nowarn", "-cp", OWLAPI_CLASSPATH, str(target)], check=True, capture_output=True)
    return work_dir


def imported_ontologies(graph: Graph) -> list[str]:
    """The IRIs the graph owl:imports. The checks never fetch them (no network access)."""
    return sorted(str(iri) for iri in graph.objects(None, OWL.imports))


def _without_imports(graph: Graph) -> Graph:
    """The graph itself, or a copy without its owl:imports: the OWL API and owlready2 would fetch
    every imported ontology over the network."""
    if (None, OWL.imports, None) not in graph:
        return graph
    copy = Graph()
    for triple in graph:
        if triple[1] != OWL.imports:
            copy.add(triple)
    return copy


def _java_failure(stderr: str) -> str:
    """The one line of a Java failure worth showing (the exception's message), not its stack."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Exception in thread"):
            return line.split(" ", 4)[-1] if line.count(" ") >= 4 else line
    meaningful = [line for line in lines if not line.startswith(("at ", "...", "SLF4J:"))]
    return (meaningful or lines or ["no message"])[-1][:500]


def dl_profile(ontology_file: Path) -> CheckResult:
    """Violations of the OWL 2 DL profile, as reported by the OWL API's OWL2DLProfile.

    An owl:imports is not followed: the file is checked alone (a copy without the import).
    """
    from exodus_kg.pipeline.graph_loading import parse_file

    java = _java()
    ontology = parse_file(Path(ontology_file))
    with tempfile.TemporaryDirectory(prefix="exodus-dl-") as tmp:
        class_dir = _compiled_profile_checker(Path(tmp))
        checked = Path(ontology_file)
        if imported_ontologies(ontology):
            checked = Path(tmp) / "ontology-without-imports.ttl"
            _without_imports(ontology).serialize(checked, format="turtle", encoding="utf-8")
        run = subprocess.run(
            [java, "-cp", f"{OWLAPI_CLASSPATH}{os.pathsep}{class_dir}", "DLProfileCheck", str(checked)],
            capture_output=True, text=True, check=False,
        )
    lines = run.stdout.splitlines()
    if run.returncode != 0 or not lines or lines[-1] not in ("IN_PROFILE", "NOT_IN_PROFILE"):
        raise ExodusError(f"the OWL API could not check {ontology_file}: {_java_failure(run.stderr)}", 2)
    problems = [line.split("\t", 1)[1] for line in lines if line.startswith("VIOLATION\t")]
    return CheckResult(lines[-1] == "IN_PROFILE", problems)


def hermit_consistency(graph: Graph) -> CheckResult:
    """Run HermiT (via owlready2) over a graph; unsupported datatypes (xsd:date, gYear) are ignored."""
    try:
        import owlready2
    except ImportError:
        raise ExodusError(
            "owlready2 is not installed: the HermiT check needs it (pip install 'exodus-kg[ontology-checks]')", 2
        ) from None

    _java()
    with tempfile.TemporaryDirectory(prefix="exodus-hermit-") as tmp:
        path = Path(tmp) / "graph.nt"
        _without_imports(graph).serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        ontology = world.get_ontology(path.as_uri()).load()
        try:
            with ontology:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                                               ignore_unsupported_datatypes=True)
        except owlready2.OwlReadyInconsistentOntologyError as error:
            return CheckResult(False, [f"HermiT: inconsistent ontology: {error}"])
        unsatisfiable = [str(c.iri) for c in world.inconsistent_classes()]
    return CheckResult(not unsatisfiable, [f"HermiT: unsatisfiable class {iri}" for iri in unsatisfiable])


def owlrl_consistency(graph: Graph) -> CheckResult:
    """OWL 2 RL closure with owlrl over a copy of the graph; inconsistencies are its error messages."""
    import owlrl
    from owlrl.Namespaces import ERRNS

    closure = Graph()
    for triple in graph:
        closure.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    messages = [str(closure.value(node, ERRNS.error) or node)
                for node in closure.subjects(RDF.type, ERRNS.ErrorMessage)]
    return CheckResult(not messages, messages)
