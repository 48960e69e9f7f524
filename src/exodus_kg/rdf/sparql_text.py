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


# FROM as a keyword: not a variable, a prefixed name's local part or a longer word.
_DATASET_CLAUSE = re.compile(r"(?<![\w?$:.-])FROM(?=\s)", re.I)


def uses_dataset_clause(text: str) -> bool:
    """Whether the query names its dataset (FROM or FROM NAMED): then it is not the union."""
    return _DATASET_CLAUSE.search(mask_non_code(text)) is not None


_SUBSELECT = re.compile(r"(?<![\w?$:.-])SELECT\b", re.I)
_VALUES_HEAD = re.compile(r"VALUES\s*(\([^()]*\)|[?$]\w+)\s*$", re.I)


def bind_in_subqueries(text: str, substitutions: dict) -> tuple[str, list[tuple[int, int]]]:
    """The text with VALUES blocks binding the parameters inside every subquery that uses them;
    returns it with the insertions made, as (offset in ``text``, length).

    Substitution binds the variables of the outer query only: a subquery has its own scope, so a
    parameter used only there would stay unbound and the answer widen to every value.
    """
    return bind_with_values(text, substitutions, top_level=False)


def bind_with_values(
    text: str, substitutions: dict, *, top_level: bool = True
) -> tuple[str, list[tuple[int, int]]]:
    """The text with each parameter bound by a VALUES block at the start of every group that uses
    it (and of the WHERE group of every SELECT that uses it anywhere), so that a FILTER in a nested
    group or a subquery sees the value as it sees a substituted one. Plain SPARQL 1.1: the result
    runs unchanged in any engine. ``top_level=False`` leaves the groups outside subqueries alone
    (the outer query is bound by substitution). Returns the text and its insertions, as (offset in
    ``text``, length); the values are RDF terms written by pyoxigraph, never query text, and lines
    stay where they were.
    """
    masked = mask_non_code(text)
    names = [variable.value for variable in substitutions]
    form = QUERY_FORM.search(masked)
    template = None
    if form is not None and form.group(1).upper() == "CONSTRUCT":
        after = masked[form.end() :]
        if after.lstrip().startswith("{"):
            template = form.end() + len(after) - len(after.lstrip())
    # The WHERE group of every SELECT, with the extent of that SELECT.
    selects = []
    for select in _SUBSELECT.finditer(masked):
        brace = _group_start(masked, select.end())
        if brace is not None:
            selects.append((select.start(), brace, _select_end(masked, select.start(), brace)))
    inside_subquery = [(brace, end) for start, brace, end in selects if form is None or start != form.start()]
    if not top_level and not inside_subquery:
        return text, []  # no subquery: substitution binds everything (the common case, on every query)
    mentions = {name: re.compile(rf"[?$]{re.escape(name)}(?!\w)") for name in names}

    def used(fragment: str) -> list[str]:
        return [name for name in names if mentions[name].search(fragment)]

    chosen: dict[int, list[str]] = {}
    for start, brace, end in selects:
        if top_level or (brace, end) in inside_subquery:
            chosen.setdefault(brace, []).extend(used(masked[start:end]))
    if top_level and form is not None and form.group(1).upper() != "SELECT":
        brace = _where_group(masked, form, template)
        if brace is not None:
            chosen.setdefault(brace, []).extend(used(masked))
    for position, char in enumerate(masked):
        if char != "{" or position == template or _VALUES_HEAD.search(masked, 0, position):
            continue
        if not top_level and not any(brace <= position < end for brace, end in inside_subquery):
            continue
        direct = _direct_content(masked, position)
        if re.match(r"\s*SELECT\b", direct, re.I):
            continue  # a group holding a subquery holds nothing else
        chosen.setdefault(position, []).extend(used(direct))
    insertions = []
    for position in sorted(chosen):
        wanted = list(dict.fromkeys(chosen[position]))
        if wanted:
            block = values_block(wanted, substitutions)
            if text[position + 1 : position + 2].isspace():
                block = block.rstrip(" ")  # no trailing blank before a line break
            insertions.append((position + 1, block))
    for offset, block in reversed(insertions):
        text = text[:offset] + block + text[offset:]
    return text, [(offset, len(block)) for offset, block in insertions]


def values_block(names: list[str], substitutions: dict) -> str:
    """`` VALUES (?a ?b) { (<x> "y") } `` for the given variables, written by pyoxigraph."""
    values = {variable.value: term for variable, term in substitutions.items()}
    terms = " ".join(str(values[name]) for name in names)
    variables = " ".join("?" + name for name in names)
    return f" VALUES ({variables}) {{ ({terms}) }} "


def _where_group(masked: str, form: re.Match, template: int | None) -> int | None:
    """The ``{`` of the WHERE group of an ASK, CONSTRUCT or DESCRIBE query (None: it has none)."""
    position = form.end()
    if template is not None:
        position = _group_end(masked, template) + 1
    brace = masked.find("{", position)
    return brace if brace >= 0 else None


def _select_end(masked: str, start: int, brace: int) -> int:
    """Where the SELECT starting at ``start`` ends: its WHERE group, then its solution modifiers up
    to the brace closing the group around it (or the end of the text)."""
    end = _group_end(masked, brace)
    depth = 0
    for position in range(end + 1, len(masked)):
        depth += masked[position] == "{"
        depth -= masked[position] == "}"
        if depth < 0:
            return position
    return len(masked)


def _direct_content(masked: str, brace: int) -> str:
    """The text of the group opening at ``brace``, without the groups nested in it."""
    depth = 0
    kept = []
    for position in range(brace, len(masked)):
        char = masked[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                break
        elif depth == 1:
            kept.append(char)
    return "".join(kept)


def _group_start(masked: str, position: int) -> int | None:
    """The ``{`` opening the WHERE group of the SELECT whose keyword ends at ``position``."""
    depth = 0
    while position < len(masked):
        char = masked[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "{" and depth == 0:
            return position
        elif char == "}" and depth == 0:
            return None
        position += 1
    return None


def _group_end(masked: str, brace: int) -> int:
    depth = 0
    for position in range(brace, len(masked)):
        depth += masked[position] == "{"
        depth -= masked[position] == "}"
        if depth == 0:
            return position
    return len(masked)


def inserted_at(before: str, after: str) -> list[tuple[int, int]]:
    """The one insertion that turned ``before`` into ``after``, as [(offset, length)] (or [])."""
    if before == after:
        return []
    start = 0
    while start < len(before) and before[start] == after[start]:
        start += 1
    return [(start, len(after) - len(before))]


def shift_insertions(earlier: list[tuple[int, int]], later: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Insertions into the original text, given ``earlier`` ones and ``later`` ones made after them
    (whose offsets count the earlier insertions)."""
    result = list(earlier)
    for offset, length in later:
        original = offset
        for at, size in earlier:
            if at < offset:
                original -= min(size, offset - at)
        result.append((original, length))
    return sorted(result)


def project_variables(text: str, variables: list[str]) -> tuple[str, list[str]]:
    """Add ``variables`` to the top-level SELECT projection where missing; return the new text and
    the variables added.

    pyoxigraph substitutes (SEP-0007) only variables of the projection, while a saved query may
    use a parameter in its pattern or a FILTER alone. Only the projection is changed; the values
    are still bound by substitution, never written into the text. run_query hides the added columns.
    """
    masked = mask_non_code(text)
    select = re.search(r"\bSELECT\b", masked, re.I)
    if not select or (QUERY_FORM.search(masked) or select).start() != select.start():
        return text, []
    position = select.end()
    modifier = re.match(r"\s+(DISTINCT|REDUCED)\b", masked[position:], re.I)
    if modifier:
        position += modifier.end()
    start, depth, stop = position, 0, None
    while position < len(masked):
        char = masked[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif (
            depth == 0
            and (char == "{" or re.match(r"(WHERE|FROM)\b", masked[position:], re.I))
            and not (position and (masked[position - 1].isalnum() or masked[position - 1] in "_?$"))
        ):
            stop = position
            break
        position += 1
    if stop is None:
        return text, []
    segment = masked[start:stop]
    if segment.strip() == "*":
        return text, []
    projected = set(re.findall(r"\bAS\s+[?$](\w+)", segment, re.I))
    depth = 0
    for index, char in enumerate(segment):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and char in "?$":
            match = re.match(r"[?$](\w+)", segment[index:])
            if match:
                projected.add(match.group(1))
    missing = [variable for variable in variables if variable not in projected]
    if not missing:
        return text, []
    if _is_aggregate(segment, masked[stop:]):
        # A grouped query may only project group keys and aggregates; SAMPLE of the substituted
        # constant keeps an aggregate without GROUP BY answering one row even over no solutions.
        added = " ".join(f"(SAMPLE(?{variable}) AS ?{variable})" for variable in missing)
    else:
        added = " ".join("?" + variable for variable in missing)
    # Right after the projection, on its line, so that line numbers in syntax errors still match.
    cut = len(text[:stop].rstrip())
    return f"{text[:cut]} {added}{text[cut:]}", missing


_AGGREGATE = re.compile(r"\b(COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\(", re.I)


def _is_aggregate(projection: str, rest: str) -> bool:
    """Whether the top-level SELECT groups: an aggregate in its projection, or GROUP BY / HAVING
    after its WHERE group (``rest`` starts at that group, masked)."""
    if _AGGREGATE.search(projection):
        return True
    opening = rest.find("{")
    depth = 0
    for index in range(opening, len(rest)) if opening >= 0 else ():
        depth += rest[index] == "{"
        depth -= rest[index] == "}"
        if depth == 0:
            return re.search(r"\b(GROUP\s+BY|HAVING)\b", rest[index:], re.I) is not None
    return False
