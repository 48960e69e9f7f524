"""Copies of the article project for tests that break things, and a way to run `exodus` on them.

Every test that changes data works on a copy (ontology/, triples/, queries/), never on the checkout.
Building the article graph takes seconds, so one built copy is made per session and cloned together
with its build cache: the cache is keyed by the inputs' relative paths and bytes, so a clone is as
fresh as the original until the test changes a file.

``run_exodus`` runs the real command line in a child process (``python -m exodus_kg``), as a user
would, so a traceback, a wrong exit code or a hang shows as it would in a terminal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("ontology", "triples", "queries")
_template: Path | None = None


def copy_article(target: Path, with_build: bool = False) -> Path:
    """A private copy of the checkout's ontology/, triples/ and queries/ at ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("build", "__pycache__"))
    return target


def built_article_template() -> Path:
    """A copy of the article project built once per session (tests must not change it; clone it)."""
    global _template
    if _template is None or not (_template / "build").is_dir():
        from exodus_kg.pipeline.build import build
        from exodus_kg.project import Project

        folder = Path(tempfile.mkdtemp(prefix="exodus-template-"))
        os.chmod(folder, 0o755)  # readable by the unprivileged user some tests run as
        root = copy_article(folder / "project")
        build(Project(root))
        _template = root
    return _template


def discard_template() -> None:
    """Remove the session's built template (conftest.py calls this when the session ends)."""
    global _template
    if _template is not None:
        shutil.rmtree(_template.parent, ignore_errors=True)
        _template = None


def clone_built_article(target: Path) -> Path:
    """A copy of the built template, build cache included: fresh until a file is changed."""
    shutil.copytree(built_article_template(), target, symlinks=True)
    return target


def exodus_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "EXODUS_PROJECT"}
    env.update(PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def run_exodus(
    *args: str,
    project: Path | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    stdin: str | None = None,
    read_only: Path | None = None,
    unprivileged: bool = False,
) -> subprocess.CompletedProcess:
    """Run ``exodus [--project PROJECT] ARGS...`` in a child process; never raises on failure.

    ``read_only``: a folder the child may not write to, whoever it runs as (see read_only_prefix).
    ``unprivileged``: permission bits bind the child even when the tests run as root (see
    unprivileged_prefix).
    """
    command = [sys.executable, "-m", "exodus_kg"]
    if project is not None:
        command += ["--project", str(project)]
    command += list(args)
    if read_only is not None:
        command = read_only_prefix(read_only) + command
    if unprivileged:
        command = unprivileged_prefix() + command
    return subprocess.run(
        command,
        cwd=cwd or ROOT,
        env=env or exodus_env(),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
    )


def read_only_prefix(folder: Path) -> list[str]:
    """A command prefix that runs the rest with ``folder`` read-only.

    Permission bits do not stop root, and tests may run as root: then the child gets its own mount
    namespace (``unshare --mount``) in which ``folder`` is bind-mounted read-only; nothing changes
    outside the child. As another user, taking away the write bits is enough.
    """
    if os.geteuid() != 0:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir():
                path.chmod(0o555)
        return []
    unshare = shutil.which("unshare")
    probe = subprocess.run(
        [unshare or "unshare", "--mount", "true"], capture_output=True, check=False
    ) if unshare else None
    if probe is None or probe.returncode != 0:
        import pytest

        pytest.skip("running as root without `unshare --mount`: cannot make a folder read-only")
    script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"'
    return [unshare, "--mount", "sh", "-c", script, str(folder)]


def unprivileged_prefix() -> list[str]:
    """A command prefix under which file permission bits bind as they do for an ordinary user.

    Root ignores permission bits, and tests may run as root. Then the child runs as nobody
    (``setpriv --reuid=65534``) when nobody can run this interpreter and read the checkout; where it
    cannot (an interpreter under /root, as pyenv installs it), the child stays root but without the
    capabilities that bypass permission bits (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), which for
    files root owns is the same test. Without setpriv the test is skipped, saying why.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        import pytest

        pytest.skip("running as root without setpriv: cannot drop the right to ignore permissions")
    for prefix in (
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"],
        [setpriv, "--bounding-set", "-dac_override,-dac_read_search"],
    ):
        probe = subprocess.run(
            [*prefix, sys.executable, "-c", "import exodus_kg"], capture_output=True, check=False, cwd="/"
        )
        if probe.returncode == 0:
            return prefix
    import pytest

    pytest.skip("neither setpriv --reuid nor a reduced capability set can run this interpreter")


def error_line(result: subprocess.CompletedProcess) -> str:
    """The one ``exodus: error: ...`` line of a failed run (or click's ``Error: ...`` line)."""
    lines = [line for line in result.stderr.splitlines() if line.startswith(("exodus: error:", "Error:"))]
    assert len(lines) == 1, f"expected one error line, got:\n{result.stderr}"
    return lines[0]


def assert_fails_cleanly(result: subprocess.CompletedProcess, exit_code: int, *fragments: str) -> str:
    """The run failed with ``exit_code``, said so in one line holding every fragment, and printed no
    Python traceback; return that line."""
    assert "Traceback (most recent call last)" not in result.stderr, result.stderr
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    line = error_line(result)
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line
