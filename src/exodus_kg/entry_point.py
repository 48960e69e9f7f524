"""The `exodus` console script.

``exodus query NAME [-p NAME VALUE]... [-f FORMAT] [--no-inference] [--timeout SECONDS]
[--memory-limit MB]`` is the
project's main job, run by scripts again and again, so it is parsed here without importing click
(which costs each call more than the query itself). Anything else, and any query command this small
parser does not fully understand (``--help``, a bad format, a missing value...), goes to the click
CLI in cli.py, which defines the same options and gives the usage messages. A test runs both paths
over the same arguments and compares their output.
"""

from __future__ import annotations

import os
import sys

from exodus_kg.errors import ExodusError, QueryTimeout, UsageError

# The formats of result_formats.FORMATS (a test keeps them equal), without importing pyoxigraph.
FORMATS = ("table", "csv", "tsv", "json", "xml", "markdown", "ttl", "nt")
# The defaults of query.engine, which this module must not import to parse arguments.
DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_LIMIT_MB = 1024


class PlainQuery:
    """The arguments of a plain ``exodus query`` call."""

    __slots__ = ("memory_limit", "name", "no_inference", "output_format", "params", "project_dir", "timeout")

    def __init__(self, project_dir, name, params, output_format, no_inference, timeout, memory_limit):
        self.project_dir = project_dir
        self.name = name
        self.params = params
        self.output_format = output_format
        self.no_inference = no_inference
        self.timeout = timeout
        self.memory_limit = memory_limit


def parse_plain_query(argv: list[str]) -> PlainQuery | None:
    """The arguments of ``[--project DIR] query NAME [options]``, or None for anything else."""
    args = list(argv)
    project_dir = None
    while args and args[0].startswith("--project"):
        if args[0] == "--project" and len(args) > 1:
            project_dir, args = args[1], args[2:]
        elif args[0].startswith("--project="):
            project_dir, args = args[0].split("=", 1)[1], args[1:]
        else:
            return None
    if len(args) < 2 or args[0] != "query" or args[1].startswith("-"):
        return None
    name, rest = args[1], args[2:]
    params: list[tuple[str, str]] = []
    output_format, no_inference, timeout, memory_limit = "table", False, DEFAULT_TIMEOUT, DEFAULT_MEMORY_LIMIT_MB
    index = 0
    while index < len(rest):
        arg = rest[index]
        value = None
        if arg.startswith("--") and "=" in arg:
            arg, value = arg.split("=", 1)
        elif arg.startswith("-f") and len(arg) > 2 and not arg.startswith("--"):
            arg, value = "-f", arg[2:]
        if arg in ("-p", "--param"):
            if value is not None or index + 2 >= len(rest):
                return None
            params.append((rest[index + 1], rest[index + 2]))
            index += 3
            continue
        if arg in ("-f", "--format", "--timeout", "--memory-limit"):
            if value is None:
                if index + 1 >= len(rest):
                    return None
                value = rest[index + 1]
                index += 1
            if arg in ("--timeout", "--memory-limit"):
                try:
                    number = float(value)
                except ValueError:
                    return None
                if not number > 0 or number == float("inf"):  # NaN is not > 0
                    return None
                if arg == "--timeout":
                    timeout = number
                else:
                    memory_limit = number
            elif value in FORMATS:
                output_format = value
            else:
                return None
        elif arg == "--no-inference" and value is None:
            no_inference = True
        else:
            return None  # an option or argument only click knows how to report
        index += 1
    return PlainQuery(project_dir, name, params, output_format, no_inference, timeout, memory_limit)


def progress_to_stderr(message: str) -> None:
    sys.stderr.write(f"exodus: {message}\n")
    sys.stderr.flush()


def open_store(project, no_inference: bool):
    """The built dataset for a command, rebuilding it (and saying so on stderr) when stale."""
    from exodus_kg.pipeline.build import open_built

    return open_built(
        project,
        inference=not no_inference,
        progress=progress_to_stderr,
        on_rebuild=lambda: progress_to_stderr("building the graph (no cached build of these inputs yet)"),
    )


def table_width(stream=None) -> int | None:
    """The terminal's width when output goes to a terminal, else None (no truncation)."""
    stream = stream or sys.stdout
    if not stream.isatty():
        return None
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


def run_saved_query(
    project,
    name: str,
    params: list[tuple[str, str]],
    output_format: str = "table",
    no_inference: bool = False,
    timeout: float | None = None,
    max_width: int | None = None,
    memory_limit_mb: float | None = None,
) -> bytes:
    """Run the saved query ``name`` of ``project`` and return its output in ``output_format``,
    rendered within the same ``timeout`` and ``memory_limit_mb`` as the query.

    Raises ExodusError subclasses for the user's mistakes (unknown query, bad parameter, ...).
    """
    from exodus_kg.query.engine import run_query
    from exodus_kg.query.result_formats import render

    saved, substitutions = bind_saved_query(project, name, params)
    store = open_store(project, no_inference)
    return run_query(
        store,
        saved.text,
        substitutions=substitutions,
        source=shown_path(saved.path),
        timeout=timeout,
        memory_limit_mb=memory_limit_mb,
        then=lambda outcome: render(outcome, output_format, prefixes=saved.prefixes(), max_width=max_width),
    )


def bind_saved_query(project, name: str, params: list[tuple[str, str]]):
    """The saved query ``name`` with its header checked, and its parameters bound from ``params``
    (NAME, VALUE pairs as typed) as pyoxigraph substitutions."""
    from exodus_kg.query.engine import PREFIXES
    from exodus_kg.query.saved_queries import check_header, get, to_oxigraph_substitutions

    saved = get(project, name)
    check_header(saved, shown_path(saved.path))
    given: dict[str, str] = {}
    for param_name, value in params:
        if param_name in given:
            raise UsageError(f"query {saved.name}: parameter {param_name} given twice")
        given[param_name] = value
    return saved, to_oxigraph_substitutions(saved.bind(given, PREFIXES))


def shown_path(path) -> str:
    """A path relative to the current folder when that is shorter, for messages."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if len(relative) < len(str(path)) else str(path)


def error_line(error: ExodusError) -> str:
    return f"exodus: error: {error.message}"


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `exodus` console script and of `python -m exodus_kg`.

    Called without ``argv`` (as the console script is), a plain query ends the process with
    ``os._exit`` once its output is flushed: the interpreter's teardown of pyoxigraph and the
    modules costs a cold `exodus query` about 20 ms and has nothing left to do. Called with
    ``argv`` (tests), it raises SystemExit or returns as usual.
    """
    hard_exit = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    plain = parse_plain_query(argv)
    if plain is None:
        from exodus_kg.cli import main as click_main

        click_main(argv)
        return
    try:
        from exodus_kg.project import find_project

        data = run_saved_query(
            find_project(plain.project_dir),
            plain.name,
            plain.params,
            plain.output_format,
            plain.no_inference,
            plain.timeout,
            max_width=table_width() if plain.output_format == "table" else None,
            memory_limit_mb=plain.memory_limit,
        )
    except ExodusError as error:
        sys.stderr.write(error_line(error) + "\n")
        # A timed-out query still runs in native code in a daemon thread: never wait for it.
        _exit(error.exit_code, hard_exit or isinstance(error, QueryTimeout))
    except KeyboardInterrupt:
        sys.stderr.write("Aborted!\n")  # as click says it
        _exit(1, hard_exit)
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (head, less) went away: stop quietly, as click does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        _exit(1, hard_exit)
    if hard_exit:
        _exit(0, True)


def _exit(code: int, hard: bool) -> None:
    if not hard:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)
