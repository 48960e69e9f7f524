"""The ``.rq`` files: the one reader of their ``#+`` header, and the one loader of the package's own queries.

Saved queries (``queries/*.rq``), federated queries, derivation rules (``queries/rules/``) and SPARQL
checks (``queries/checks/``) all start with a header of ``#+`` lines. The header is YAML, as grlc
reads it (grlc strips the ``#+`` of every such line and hands the rest to a YAML parser), written in
a small subset that this module reads without a YAML library (whose import would cost every
``exodus query``); a test reads every ``.rq`` of the repository with a real YAML parser too and
checks that both agree::

    #+ summary: People who left OpenAI, when, how and where they went
    #+ description: >-
    #+   One row per departure statement: the person, the organization left, the date. Longer text
    #+   goes on over more lines, each indented by two more spaces; they are joined with one space.
    #+ tags:
    #+   - people
    #+   - departures
    #+ params:
    #+   - person: iri - the person who left
    #+ defaults:
    #+   - person: https://w3id.org/exodus-kg/id/john-schulman
    #+ enumerate:
    #+   - certainty:
    #+     - https://w3id.org/exodus-kg/vocab/firm
    #+     - https://w3id.org/exodus-kg/vocab/unconfirmed

The rules of the subset, each chosen so that this reader and YAML can never read one header two ways:

- The header is the ``#+`` lines at the top of the file. The first line that is not one (a blank
  line, a plain ``#`` comment, the query) ends it; a ``#+`` line further down is an error, because
  grlc would read it as part of the header.
- Every header line is ``key: value``, ``key: >-`` (a text on the lines below, indented two more
  spaces), ``key:`` (a list on the lines below, ``  - item``) or ``key: [a, b]``. Any other line is
  an error naming the file and line.
- A key given twice is an error (YAML forbids it; grlc's parser would keep the last silently).
- A key the kind of file does not know is an error naming the known ones.
- A one-line value must read as the same text in YAML: no ``: `` or `` #`` inside, no leading
  quote, bracket or other indicator, not a word YAML turns into a boolean or null. Such a text goes
  in a ``>-`` block instead, where anything may be written.
- ``tags`` is a list, never a comma-separated text (grlc shows a text's characters as tags).
"""

from __future__ import annotations

import re
from pathlib import Path

from exodus_kg.errors import InputError

TEXT = "text"
LIST = "list"
PAIRS = "pairs"  # a list of one-key mappings: ``- name: value``, read as {name: value}
CHOICES = "choices"  # a list of ``- name:`` each with its own list: {name: [value, ...]}

_KEY_LINE = re.compile(r"^ ([a-z][a-z-]*):(?: (.*))?$")
_ITEM_LINE = re.compile(r"^( +)- (.*)$")
_FOLDED = (">-", ">")
# Plain YAML scalars that resolve to something other than the text (YAML 1.1, as PyYAML reads it).
_NOT_TEXT = re.compile(
    r"^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
    r"|on|On|ON|off|Off|OFF)$"
)
_INDICATOR = re.compile(r"""^[-?:,\[\]{}#&*!|>'"%@`]""")


class QueryFileError(InputError):
    """A malformed ``.rq`` header; the message names the file and line."""


class Header(dict):
    """{key: value} of a header, with the line of each key and of each item of a PAIRS or CHOICES key:
    ``line(key)``, ``line(key, name)``."""

    def __init__(self):
        super().__init__()
        self.lines: dict[tuple[str, str | None], int] = {}

    def line(self, key: str, name: str | None = None) -> int:
        return self.lines.get((key, name), 0)


def read_text(path: Path, what: str = "query") -> str:
    """The text of a ``.rq`` file; InputError names the file when it cannot be read as UTF-8."""
    try:
        # An editor's byte order mark would hide the header.
        return Path(path).read_text(encoding="utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        from exodus_kg.rdf.files import decode_utf8  # for the message: line and byte

        decode_utf8(Path(path).read_bytes(), path, f"save the {what} as UTF-8")
        raise
    except OSError as error:
        raise InputError(f"{path}: cannot read the {what} ({error.strerror or error})") from None


def read_header(text: str, source: object, keys: dict[str, str]) -> Header:
    """The ``#+`` header of ``text`` as {key: value}, for the keys present.

    ``keys`` maps each key the file may use to its shape: TEXT (a str), LIST (a list of str), PAIRS
    ({name: value}) or CHOICES ({name: [value, ...]}). ``source`` names the file in messages.
    Raises QueryFileError naming the file and line of the first problem.
    """
    lines = text.splitlines()
    header_end = 0
    while header_end < len(lines) and lines[header_end].startswith("#+"):
        header_end += 1
    for number in range(header_end, len(lines)):
        if lines[number].startswith("#+"):
            raise QueryFileError(
                f"{source}:{number + 1}: a '#+' line after the header ended on line {header_end + 1}; "
                "the header is the '#+' lines at the top of the file, with nothing between them"
            )
    body = [line[2:] for line in lines[:header_end]]
    found = Header()
    index = 0
    while index < len(body):
        number = index + 1
        line = body[index]
        if "\t" in line:
            raise QueryFileError(f"{source}:{number}: a tab in the header; indent with spaces")
        match = _KEY_LINE.match(line)
        if not match:
            raise QueryFileError(
                f"{source}:{number}: expected '#+ key: value' (a text that goes on over more lines "
                "starts with 'key: >-'), got " + repr("#+" + line)
            )
        key, value = match.group(1), (match.group(2) or "").rstrip()
        if key not in keys:
            raise QueryFileError(f"{source}:{number}: unknown header key {key!r} (known: {', '.join(keys)})")
        if key in found:
            raise QueryFileError(f"{source}:{number}: the header key {key!r} is given twice")
        found.lines[(key, None)] = number
        block, index = _indented_block(body, index + 1)
        shape = keys[key]
        if shape == TEXT:
            found[key] = _text(key, value, block, source, number)
        else:
            items = _list(key, value, block, source, number)
            if shape == LIST:
                found[key] = [_plain(item, source, line_number) for item, _nested, line_number in items]
            elif shape == PAIRS:
                found[key] = _pairs(key, items, source)
            else:
                found[key] = _choices(key, items, source)
            for item, _nested, line_number in items:
                found.lines.setdefault((key, re.split(r":(?: |$)", item, maxsplit=1)[0]), line_number)
    return found


def _indented_block(body: list[str], index: int) -> tuple[list[tuple[int, str]], int]:
    """The lines below a key that are indented further (numbered), and where the next key starts."""
    block = []
    while index < len(body) and (body[index].startswith("  ") or not body[index].strip()):
        block.append((index + 1, body[index]))
        index += 1
    return block, index


def _text(key: str, value: str, block: list[tuple[int, str]], source: object, number: int) -> str:
    if value in _FOLDED:
        if not block:
            raise QueryFileError(f"{source}:{number}: '{key}: {value}' is followed by no indented text")
        indent = len(block[0][1]) - len(block[0][1].lstrip(" "))
        parts = []
        for line_number, line in block:
            if not line.strip():
                raise QueryFileError(
                    f"{source}:{line_number}: an empty line inside '{key}' (YAML would keep it as a line break)"
                )
            if len(line) - len(line.lstrip(" ")) != indent:
                raise QueryFileError(
                    f"{source}:{line_number}: the lines of '{key}' must all be indented alike "
                    "(YAML keeps the line breaks of a line indented further)"
                )
            parts.append(line.strip())
        return " ".join(parts)
    if block:
        raise QueryFileError(
            f"{source}:{block[0][0]}: '{key}' goes on over more lines: "
            f"write '#+ {key}: >-' and put all of its text on the indented lines below"
        )
    return _plain(value, source, number)


def _plain(value: str, source: object, number: int) -> str:
    """A one-line value, refused where YAML would read something else than this text."""
    if not value:
        raise QueryFileError(f"{source}:{number}: an empty value")
    if ": " in value or " #" in value or value.endswith(":") or _INDICATOR.match(value):
        raise QueryFileError(
            f"{source}:{number}: {value!r} does not read as plain text in YAML (it has ': ', ' #' or starts "
            "with a quote or sign); put it in a '>-' block: 'key: >-', then the text indented below"
        )
    if _NOT_TEXT.match(value):
        raise QueryFileError(f"{source}:{number}: YAML reads {value!r} as a boolean or null, not as text")
    return value


def _list(
    key: str, value: str, block: list[tuple[int, str]], source: object, number: int
) -> list[tuple[str, list[tuple[int, str]], int]]:
    """A block list (``  - item``, each with the lines indented below it) or a flow list ``[a, b]``."""
    if value:
        if block or not (value.startswith("[") and value.endswith("]")):
            raise QueryFileError(
                f"{source}:{number}: '{key}' is a list: '#+ {key}: [a, b]', or '#+ {key}:' "
                "then one '#+   - item' line per item"
            )
        inner = value[1:-1].strip()
        return [(item.strip(), [], number) for item in inner.split(",")] if inner else []
    if not block:
        raise QueryFileError(f"{source}:{number}: '{key}:' is followed by no '  - item' lines")
    items: list[tuple[str, list[tuple[int, str]], int]] = []
    item_indent = None
    for line_number, line in block:
        match = _ITEM_LINE.match(line)
        indent = len(match.group(1)) if match else None
        if match and (item_indent is None or indent == item_indent):
            item_indent = indent
            items.append((match.group(2).rstrip(), [], line_number))
        elif items and len(line) - len(line.lstrip(" ")) > (item_indent or 0):
            items[-1][1].append((line_number, line))
        else:
            raise QueryFileError(f"{source}:{line_number}: expected a list item '- value' under '{key}'")
    return items


def _pairs(key: str, items, source: object) -> dict[str, str]:
    found: dict[str, str] = {}
    for item, nested, number in items:
        name, separator, value = item.partition(": ")
        if not separator or nested or not re.fullmatch(r"[A-Za-z][\w-]*", name):
            raise QueryFileError(f"{source}:{number}: each item of '{key}' is '- name: value'")
        if name in found:
            raise QueryFileError(f"{source}:{number}: {name!r} is given twice under '{key}'")
        found[name] = _plain(value.strip(), source, number)
    return found


def _choices(key: str, items, source: object) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item, nested, number in items:
        name = item[:-1] if item.endswith(":") else ""
        if not re.fullmatch(r"[A-Za-z][\w-]*", name) or not nested:
            raise QueryFileError(
                f"{source}:{number}: each item of '{key}' is '- name:' with its values below, one "
                "'- value' line each"
            )
        if name in found:
            raise QueryFileError(f"{source}:{number}: {name!r} is given twice under '{key}'")
        values = _list(name, "", nested, source, number)
        found[name] = [_plain(value, source, line_number) for value, _inner, line_number in values]
    return found


def package_query(name: str) -> str:
    """The text of one of the package's own queries, ``src/exodus_kg/sparql/NAME.rq``."""
    from exodus_kg.project import resource_path

    return resource_path("sparql", f"{name.removesuffix('.rq')}.rq").read_text(encoding="utf-8")
