"""Apache Jena's SHACL engine as a second opinion (Debian package ``libapache-jena-java``).

Debian's jena-core relocates the bundled Xerces classes to ``xerces.*`` but leaves their message
bundles under ``org/apache/jena/ext/xerces/``; without them Jena fails at start-up with
"RuntimeException: internal error" in XSSimpleTypeDecl. ``classpath()`` therefore adds a small jar
holding copies of those bundles at the paths the classes look for.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import rdflib

JAVA_DIR = Path("/usr/share/java")
# jena-cmds and what it needs at run time (the package's dependencies), without a second slf4j binding.
JARS = (
    "jena-cmds",
    "jena-shacl",
    "jena-arq",
    "jena-core",
    "jena-base",
    "jena-iri",
    "jena-shex",
    "jena-rdfconnection",
    "jena-tdb",
    "jena-tdb2",
    "jena-dboe-base",
    "jena-dboe-index",
    "jena-dboe-storage",
    "jena-dboe-trans-data",
    "jena-dboe-transaction",
    "commons-cli",
    "commons-codec",
    "commons-compress",
    "commons-csv",
    "commons-io",
    "commons-lang3",
    "commons-logging",
    "dexx.collection",
    "gson",
    "guava",
    "httpclient",
    "httpcore",
    "jackson-annotations",
    "jackson-core",
    "jackson-databind",
    "jakarta.json-api",
    "jsonld-java",
    "protobuf",
    "thrift",
    "titanium-json-ld",
    "slf4j-api",
    "slf4j-nop",
)
INSTALL_HINT = "apt-get install -y default-jre-headless libapache-jena-java"


def available() -> bool:
    return shutil.which("java") is not None and (JAVA_DIR / "jena-shacl.jar").is_file()


def _message_bundle_jar(folder: Path) -> Path:
    target = folder / "jena-xerces-messages.jar"
    if target.is_file():
        return target
    prefix = "org/apache/jena/ext/"
    partial = folder / "jena-xerces-messages.jar.part"
    with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as source, zipfile.ZipFile(partial, "w") as shim:
        for name in source.namelist():
            if name.startswith(prefix + "xerces/") and name.endswith(".properties"):
                shim.writestr(name[len(prefix) :], source.read(name))
    partial.replace(target)
    return target


def classpath(folder: Path) -> str:
    missing = [name for name in JARS if not (JAVA_DIR / f"{name}.jar").is_file()]
    if missing:
        raise RuntimeError(f"Jena's jars are incomplete (missing {', '.join(missing)}): {INSTALL_HINT}")
    jars = [_message_bundle_jar(folder)] + [JAVA_DIR / f"{name}.jar" for name in JARS]
    return ":".join(str(jar) for jar in jars)


def validate(shapes: Path, data: Path, folder: Path) -> rdflib.Graph:
    """Run ``shacl validate`` and return its report graph."""
    completed = subprocess.run(
        [
            "java",
            "-cp",
            classpath(folder),
            "shacl.shacl",
            "validate",
            "--shapes",
            str(shapes),
            "--data",
            str(data),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0 or "ValidationReport" not in completed.stdout:
        raise RuntimeError(f"Jena shacl failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return rdflib.Graph().parse(data=completed.stdout, format="turtle")
