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

from exodus_kg.errors import ExodusError, QueryTimeout, error_line
from exodus_kg.query.run_options import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT, OUTPUT_FORMATS


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
            elif value in OUTPUT_FORMATS:
                output_format = value
            else:
                return None
        elif arg == "--no-inference" and value is None:
            no_inference = True
        else:
            return None  # an option or argument only click knows how to report
        index += 1
    return PlainQuery(project_dir, name, params, output_format, no_inference, timeout, memory_limit)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `exodus` console script and of `python -m exodus_kg`.

    Called without ``argv`` (as the console script is), a plain query ends the process with
    ``os._exit`` once its output is flushed: the interpreter's teardown of pyoxigraph and the
    modules costs a cold `exodus query` about 20 ms and has nothing left to do. Called with
    ``argv`` (tests), it raises SystemExit or returns as usual.
    """
    from exodus_kg import standard_streams

    hard_exit = argv is None
    if hard_exit:
        standard_streams.prepare()
    argv = standard_streams.arguments(sys.argv[1:] if argv is None else list(argv))
    plain = parse_plain_query(argv)
    if plain is None:
        from exodus_kg.cli import main as click_main

        click_main(argv)
        return
    try:
        from exodus_kg.project import find_project
        from exodus_kg.query.result_formats import table_width
        from exodus_kg.query.saved_queries import run_saved_query

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
    except ExodusError as error:  # standard_streams.OutputError: /dev/full, a closed descriptor
        sys.stderr.write(error_line(error) + "\n")
        _exit(error.exit_code, hard_exit)
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
