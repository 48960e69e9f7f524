"""Errors a user can cause or meet, each with the exit code the CLI returns for it.

Exit codes (documented in ``exodus --help`` and the README):

- 0: ok
- 1: a check failed (SHACL violations, a failed SPARQL check, a failed verification)
- 2: usage or input error (bad option, unknown query, unparsable Turtle or SPARQL, timeout)
- 3: a remote endpoint failed (push, link)
"""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_REMOTE = 3

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 a check failed (violations, failed verification); "
    "2 usage or input error; 3 a remote endpoint failed."
)


class ExodusError(Exception):
    """An error with a one-line message meant for the user, and an exit code."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class UsageError(ExodusError):
    """The command was called wrongly: unknown query, missing parameter, bad option value."""

    exit_code = EXIT_USAGE


class InputError(ExodusError):
    """An input file or query text could not be read or parsed."""

    exit_code = EXIT_USAGE


class QueryTimeout(UsageError):
    """A query ran longer than the time the user allowed it."""


class CheckFailed(ExodusError):
    """A check ran and found problems (SHACL violations, SPARQL checks with rows)."""

    exit_code = EXIT_CHECK_FAILED


class RemoteError(ExodusError):
    """A remote SPARQL endpoint or web service failed or refused."""

    exit_code = EXIT_REMOTE


class QueryMemoryExceeded(QueryTimeout):
    """A query outgrew the memory allowed it; like a timed-out one, it is abandoned, not waited for."""


# C0 and C1 controls (ESC, BEL, NUL...) and the bidirectional controls (U+202A-U+202E, U+2066-U+2069,
# U+200E, U+200F, U+061C), which would reorder what the terminal shows around them. None of them is
# printable (str.isprintable), so text that is needs no look, and the pattern is compiled (by re's
# cache) only for text that is not: a table of plain cells is printed without it.
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"


def escape_for_terminal(text: str) -> str:
    """``text`` with control and bidirectional-override characters written as escapes (\\x1b,
    \\u202e): messages quote queries and data from outside, and a terminal obeys such characters."""
    if text.isprintable() or not re.search(_UNSAFE, text):
        return text
    return re.sub(_UNSAFE, lambda match: _escape_char(match.group(0)), text)


def _escape_char(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def error_line(error: ExodusError) -> str:
    """The one line a user sees for an error, on stderr."""
    return f"exodus: error: {error.message}"


def note(message: str) -> None:
    """A line for the user on stderr: progress, what was written where."""
    import sys

    sys.stderr.write(f"exodus: {message}\n")
    sys.stderr.flush()
