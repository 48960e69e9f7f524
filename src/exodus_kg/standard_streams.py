"""The process's standard streams and arguments, made safe before a command runs.

- Standard output that cannot take what is written (``> /dev/full``, a closed descriptor, a full
  disk) raises ``OutputError``: one line on stderr and exit code 2, not a traceback. A broken pipe
  (``| head``) stays a BrokenPipeError, which the CLI ends quietly, as click does.
- A descriptor 0, 1 or 2 that is closed when exodus starts is taken by a read-only ``/dev/null``, so a
  file exodus opens later can never become its standard output by accident.
- A terminal or locale that is not UTF-8 (``PYTHONIOENCODING=latin-1``, ``LANG=C``) gets Chinese
  text as ``\\u99ac`` escapes instead of a UnicodeEncodeError, and arguments typed as UTF-8 are read
  as such (``exodus show 馬斯克``).

This module is on the path of every ``exodus query``: it imports nothing heavy.
"""

from __future__ import annotations

import io
import os
import sys

from exodus_kg.errors import ExodusError

# An ad-hoc query read from a file or standard input larger than this is refused: `sparql @/dev/zero`
# would otherwise read until the memory runs out.
MAX_QUERY_BYTES = 10 * 1024 * 1024


class OutputError(ExodusError):
    """Standard output cannot be written (full device, closed descriptor)."""


class _GuardedOutput(io.FileIO):
    """Descriptor 1 whose write errors (other than a broken pipe) become OutputError."""

    def write(self, data) -> int:  # type: ignore[override]
        try:
            return super().write(data)
        except BrokenPipeError:
            raise
        except OSError as error:
            _silence_stdout()
            raise OutputError(f"cannot write to standard output ({error.strerror or error})") from None


def _silence_stdout() -> None:
    """After a failed write, point descriptor 1 at /dev/null: the interpreter's final flush of what
    is still buffered must not fail (and print) a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


def prepare() -> None:
    """Guard stdin, stdout and stderr as the module doc says. Idempotent; call before anything runs."""
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            os.open(os.devnull, os.O_RDONLY)  # takes the lowest free descriptor: this one
    if isinstance(getattr(sys.stdout, "buffer", None), io.BufferedWriter) and isinstance(
        getattr(sys.stdout.buffer, "raw", None), _GuardedOutput
    ):
        return
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    line_buffering = bool(getattr(sys.stdout, "line_buffering", False))
    errors = "strict" if encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig") else "backslashreplace"
    raw = _GuardedOutput(1, "wb", closefd=False)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw), encoding=encoding, errors=errors, line_buffering=line_buffering
    )
    stderr_encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    if errors != "strict" or "utf" not in stderr_encoding.lower():
        import contextlib

        with contextlib.suppress(AttributeError, ValueError):
            sys.stderr.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]


def arguments(argv: list[str]) -> list[str]:
    """Command-line arguments with UTF-8 bytes read as UTF-8 whatever the locale says: under a
    non-UTF-8 locale Python decodes them to surrogates, and `show 馬斯克` would look for nonsense."""
    fixed = []
    for argument in argv:
        try:
            fixed.append(os.fsencode(argument).decode("utf-8"))
        except (UnicodeDecodeError, UnicodeEncodeError):
            fixed.append(argument)
    return fixed


def read_query_text(source: str) -> tuple[str, str]:
    """An ad-hoc query's text: from standard input (``-``), a file (``@FILE``), or the argument itself;
    returns the text and the name to show in messages. At most MAX_QUERY_BYTES are read, and text
    that is not UTF-8 is an InputError naming the byte."""
    from exodus_kg.errors import InputError

    if source == "-":
        name = "<stdin>"
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise InputError("<stdin>: standard input is closed; give the query as text or @FILE")
        data = stream.read(MAX_QUERY_BYTES + 1)
        if len(data) > MAX_QUERY_BYTES:
            raise InputError(f"<stdin>: larger than {MAX_QUERY_BYTES:,} bytes; refused")
    elif source.startswith("@"):
        from exodus_kg.rdf.files import read_bytes

        name = source[1:]
        data = read_bytes(name, limit=MAX_QUERY_BYTES, what="cannot read the query")
    else:
        return source, "query"
    from exodus_kg.rdf.files import decode_utf8

    return decode_utf8(data, name, "give the query as UTF-8"), name
