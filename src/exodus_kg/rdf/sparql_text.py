"""Reading SPARQL text without a parser: what is code, which prefixes it declares, where its CONSTRUCT
template is, whether it calls a SERVICE, and where a syntax error points.

Every function here first blanks out what is not code (comments, string literals, IRIs) with
``mask_non_code``, which keeps every offset and line break, so a keyword inside a string or a ``#``
inside an IRI is never taken for the query's own. This module is on the path of every
``exodus query``: it imports ``re`` only (pyoxigraph when ``refuse_service`` has a word to check).

>>> declared_prefixes('PREFIX exd: <https://w3id.org/exodus-kg/id/> SELECT * { ?s ?p "PREFIX x: <y>" }')
{'exd': 'https://w3id.org/exodus-kg/id/'}
>>> construct_parts("CONSTRUCT { ?s a ?o } WHERE { ?s a ?o }")[1]
' ?s a ?o '
"""

from __future__ import annotations

import re

from exodus_kg.errors import InputError, UsageError, escape_for_terminal

# One scanner, leftmost match first: a "#" inside a string or an IRI is not a comment, and a quote
# inside a comment opens no string.
_NON_CODE = re.compile(
    r"""\#[^\n]*"""
    r"""|'''.*?'''|\"\"\".*?\"\"\""""
    r"""|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\""""
    r"""|<[^<>"{}|^`\\\s]*>""",
    re.S,
)
QUERY_FORM = re.compile(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", re.I)
_PREFIX_KEYWORD = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*", re.I)
_PREFIX_DECLARATION = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.I)
_SERVICE_WORD = re.compile(r"(servic)(e)", re.I)
# Needed only for a SERVICE clause or a syntax error: compiled on first use (re caches them), not on
# every `exodus query`.
_SERVICE_CLAUSE = r"(?i)\bSERVICE\s+(?:SILENT\s+)?(<[^>\s]*>|[?$]\w+|\w*:\w*)"
_POSITION = r"(?s)error at (\d+):(\d+): ?(.*)"
_CHAR_CLASS = r"\[[^\]]*\]"
_ERROR_ITEM = r'\s*(?:"(?:[^"\\]|\\.)*"|[^,]+)'


def mask_non_code(text: str) -> str:
    """The text with comments, string literals and IRIs blanked out, keeping every offset and line."""
    return _NON_CODE.sub(_blank, text)


def _blank(match: re.Match) -> str:
    found = match.group(0)
    if "\n" not in found:  # all but long strings: no line break to keep
        return " " * len(found)
    return "\n".join(" " * len(line) for line in found.split("\n"))


def query_form(text: str) -> str:
    """SELECT, CONSTRUCT, ASK or DESCRIBE: the first query keyword of the code (SELECT if none)."""
    match = QUERY_FORM.search(mask_non_code(text))
    return match.group(1).upper() if match else "SELECT"


def declared_prefixes(text: str) -> dict[str, str]:
    """The ``PREFIX p: <iri>`` declarations of a query (the empty prefix as "")."""
    # The mask blanks IRIs out, so the declarations are read from the text at the same offsets.
    found = {}
    for match in _PREFIX_KEYWORD.finditer(mask_non_code(text)):
        declared = _PREFIX_DECLARATION.match(text, match.start())
        if declared:
            found[declared.group(1) or ""] = declared.group(2)
    return found


def variables(text: str) -> list[str]:
    """The names of the variables the code mentions, in order of first use, without ``?``/``$``."""
    return list(dict.fromkeys(re.findall(r"[?$](\w+)", mask_non_code(text))))


def construct_parts(text: str) -> tuple[str, str, str]:
    """A CONSTRUCT query -> (prologue, template without its braces, the rest from WHERE on).

    Raises ValueError when the text has no CONSTRUCT template.
    """
    masked = mask_non_code(text)
    match = re.search(r"\bCONSTRUCT\s*\{", masked, re.I)
    if not match:
        raise ValueError("no CONSTRUCT { ... } template")
    depth = 0
    for index in range(match.end() - 1, len(masked)):
        depth += masked[index] == "{"
        depth -= masked[index] == "}"
        if depth == 0:
            return text[: match.start()], text[match.end() : index], text[index + 1 :]
    raise ValueError("unbalanced braces in the CONSTRUCT template")


def makes_blank_nodes(template: str) -> bool:
    """Whether a CONSTRUCT template writes ``[ ]`` or ``_:x``: a fresh blank node per solution."""
    return re.search(r"\[|\b_:", mask_non_code(template)) is not None


def service_targets(text: str) -> list[str]:
    """The targets of every SERVICE clause of a query (IRIs without <>, or variables), ignoring the word
    SERVICE inside strings, comments and IRIs.

    >>> service_targets('SELECT * { ?s ?p "SERVICE <x>" . SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }')
    ['https://query.wikidata.org/sparql']
    """
    found = []
    for match in re.finditer(r"\bSERVICE\b", mask_non_code(text), re.I):
        clause = re.compile(_SERVICE_CLAUSE).match(text, match.start())
        if clause:
            found.append(clause.group(1).strip("<>"))
    return found


def refuse_service(text: str, source: str = "query", prefixes: dict[str, str] | None = None) -> None:
    """Raise UsageError when ``text`` calls a remote SERVICE: pyoxigraph would send it over the network.

    Scanning the text for the keyword cannot be trusted (strings, comments, IRIs and the ``<``
    operator make it a parser's job, and two parsers disagree at the edges), so pyoxigraph itself
    decides: every "service" in the text, in any case, becomes "servicx" and the twin is parsed on an
    empty store. Inside a string, comment, IRI or name that changes nothing; as the SERVICE keyword it
    is a syntax error. The query runs only when its twin parses, so a SERVICE can never slip through.
    """
    if not _SERVICE_WORD.search(text):
        return
    import pyoxigraph as ox

    twin = _SERVICE_WORD.sub(lambda m: m.group(1) + ("X" if m.group(2) == "E" else "x"), text)
    try:
        ox.Store().query(twin, prefixes=prefixes)  # parsed now; an empty store has nothing to evaluate
        return
    except SyntaxError as error:
        problem = str(error)
    except Exception:  # parsed, then failed over nothing: no SERVICE in it either
        return
    match = re.match(_POSITION, problem)
    if match:
        lines = text.split("\n")
        line, column = int(match.group(1)), int(match.group(2))
        offset = sum(len(part) + 1 for part in lines[: line - 1]) + column - 1
        for word in _SERVICE_WORD.finditer(text):
            # pyoxigraph reports the failure one character past the word, or at the next token.
            between = re.sub(r"#[^\n]*", "", text[word.end() : offset]) if word.start() <= offset else "x"
            if word.start() <= offset <= word.end() + 1 or not between.strip():
                raise UsageError(
                    f"{source}:{text.count(chr(10), 0, word.start()) + 1}: the query calls a remote SPARQL "
                    "SERVICE, refused: exodus sends no query and none of its values over the network "
                    "(only the saved federated queries do, with `exodus federated NAME --allow-service`)"
                )
    raise InputError(describe_syntax_error(problem, text, source))


def describe_syntax_error(
    message: str, text: str, source: str, insertions: list[tuple[int, int]] | None = None
) -> str:
    """pyoxigraph's "error at L:C: expected one of ..." -> "source:L:C: reason; near: the line"
    with a ">>" marking the column. ``insertions`` (see original_position) are taken out, so that
    line, column and the quoted line are those of the query as written."""
    match = re.match(_POSITION, message)
    if not match:
        first = message.splitlines()[0] if message else "?"
        return f"{source}: SPARQL syntax error: {escape_for_terminal(first)}"
    line, column, detail = int(match.group(1)), int(match.group(2)), match.group(3)
    if insertions:
        line, column = original_position(text, line, column, insertions)
        text = _remove(text, insertions)
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    near = ""
    if source_line.strip():
        cut = max(0, min(column - 1, len(source_line)))
        near = f"; near: {source_line[:cut].lstrip()}>>{source_line[cut:].rstrip()}"
    reason = _simplify(detail)
    if reason.startswith("Prefix not found"):
        prefix = re.findall(r"([A-Za-z][\w.-]*)?:[\w.-]*$", source_line[: max(0, column - 1)])
        if prefix:
            reason = f"unknown prefix {prefix[-1]}: (declare it with PREFIX {prefix[-1]}: <...>)"
    return escape_for_terminal(f"{source}:{line}:{column}: SPARQL syntax error: {reason}{near}")


def original_position(
    text: str, line: int, column: int, insertions: list[tuple[int, int]]
) -> tuple[int, int]:
    """Line and column in the query as written, for a position in ``text``, the query as run
    (the original with ``insertions`` made, each given by its offset in the original)."""
    if not insertions:
        return line, column
    lines = text.split("\n")
    offset = sum(len(part) + 1 for part in lines[: line - 1]) + column - 1
    original = offset
    shift = 0
    for at, size in sorted(insertions):
        start = at + shift
        if offset >= start + size:
            original -= size
        elif offset >= start:
            original = at  # inside an inserted block: the place it was inserted at
            break
        else:
            break
        shift += size
    original_text = _remove(text, insertions)
    line_number = original_text.count("\n", 0, original) + 1
    line_start = original_text.rfind("\n", 0, original) + 1
    return line_number, original - line_start + 1


def _remove(text: str, insertions: list[tuple[int, int]]) -> str:
    shift = 0
    pieces = []
    last = 0
    for at, size in sorted(insertions):
        start = at + shift
        pieces.append(text[last:start])
        last = start + size
        shift += size
    pieces.append(text[last:])
    return "".join(pieces)


def _simplify(detail: str) -> str:
    """Keep the readable parts of a parser message (quoted tokens, sentences), drop character classes."""
    detail = " ".join(detail.split())
    if not detail.startswith("expected one of"):
        return detail
    items = [item.strip() for item in re.findall(_ERROR_ITEM, re.sub(_CHAR_CLASS, "", detail[len("expected one of") :]))]
    items = [item for item in items if item and item != "[_]"]
    sentences = [item for item in items if " " in item and not item.startswith('"')]
    if sentences:
        return "; ".join(sentences)
    return "expected one of " + ", ".join(items[:12]) if items else "unexpected input"
