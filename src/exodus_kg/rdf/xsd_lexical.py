"""Whether a literal's lexical form belongs to its XSD datatype ("abc"^^xsd:date does not).

One table serves the data (graph_loading.py rejects an ill-typed literal at load, naming file and line)
and the query parameters (saved_queries.py checks a value before binding it), so that both accept
exactly the XSD 1.1 lexical spaces. Python's own parsers are too lenient for this: ``int()`` reads
full-width digits and ``date.fromisoformat`` reads "20240805" and "2024-W32-1", none of which is XSD.
rdflib's ``Literal.ill_typed`` does not know gYear or gYearMonth.

>>> is_valid("2024-08-05", XSD + "date"), is_valid("2024-02-30", XSD + "date")
(True, False)
>>> is_valid("２０２４", XSD + "integer"), is_valid("anything", "https://example.org/own-type")
(False, None)
"""

from __future__ import annotations

import re

XSD = "http://www.w3.org/2001/XMLSchema#"

_TZ = r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_YEAR = r"-?([1-9][0-9]{3,}|0[0-9]{3})"
_MONTH = r"(0[1-9]|1[0-2])"
_DAY = r"(0[1-9]|[12][0-9]|3[01])"
_TIME = r"(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)"
_DECIMAL = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_INTEGER = r"[+-]?[0-9]+"

# re.ASCII: \d and friends are not used, but keep Unicode digits out whatever a pattern says.
PATTERNS = {
    name: re.compile(f"(?:{pattern})", re.ASCII)
    for name, pattern in {
        "boolean": r"true|false|1|0",
        "integer": _INTEGER,
        "int": _INTEGER,
        "long": _INTEGER,
        "short": _INTEGER,
        "byte": _INTEGER,
        "nonNegativeInteger": r"\+?[0-9]+|-0+",
        "positiveInteger": r"\+?0*[1-9][0-9]*",
        "nonPositiveInteger": r"-[0-9]+|\+?0+",
        "negativeInteger": r"-0*[1-9][0-9]*",
        "unsignedInt": r"\+?[0-9]+",
        "unsignedLong": r"\+?[0-9]+",
        "decimal": _DECIMAL,
        "double": _DECIMAL + r"([Ee][+-]?[0-9]+)?|[+-]?INF|NaN",
        "float": _DECIMAL + r"([Ee][+-]?[0-9]+)?|[+-]?INF|NaN",
        "date": f"{_YEAR}-{_MONTH}-{_DAY}{_TZ}",
        "dateTime": f"{_YEAR}-{_MONTH}-{_DAY}T{_TIME}{_TZ}",
        "dateTimeStamp": f"{_YEAR}-{_MONTH}-{_DAY}T{_TIME}(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))",
        "time": f"{_TIME}{_TZ}",
        "gYear": f"{_YEAR}{_TZ}",
        "gYearMonth": f"{_YEAR}-{_MONTH}{_TZ}",
        "gMonth": f"--{_MONTH}{_TZ}",
        "gMonthDay": f"--{_MONTH}-{_DAY}{_TZ}",
        "gDay": f"---{_DAY}{_TZ}",
    }.items()
}

_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_valid(lexical: str, datatype: str) -> bool | None:
    """True when ``lexical`` is in the lexical space of the XSD ``datatype`` (a full IRI), False when
    it is not, None for a datatype this table does not know (it is then taken as it is)."""
    if not datatype.startswith(XSD):
        return None
    pattern = PATTERNS.get(datatype[len(XSD) :])
    if pattern is None:
        return None
    if not pattern.fullmatch(lexical):
        return False
    if datatype.endswith(("#date", "#dateTime", "#dateTimeStamp")):
        return _real_day(lexical)
    if datatype.endswith("#gMonthDay"):
        month, day = int(lexical[2:4]), int(lexical[5:7])
        return day <= _DAYS_IN_MONTH[month - 1]
    return True


def _real_day(lexical: str) -> bool:
    """2024-02-29 exists, 2023-02-29 and 2024-04-31 do not."""
    match = re.match(r"(-?[0-9]+)-([0-9]{2})-([0-9]{2})", lexical)
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if month == 2 and day == 29:
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= _DAYS_IN_MONTH[month - 1]


_EXAMPLES = {
    "boolean": "true",
    "date": "2024-08-05",
    "dateTime": "2024-08-05T12:00:00Z",
    "gYear": "2024",
    "gYearMonth": "2024-08",
    "decimal": "7.5",
    "double": "7.5E0",
    "float": "7.5E0",
    "time": "12:00:00",
}


def example(datatype: str) -> str:
    """A valid lexical form of the XSD ``datatype``, for messages ("2024-08-05" for xsd:date)."""
    name = datatype[len(XSD) :] if datatype.startswith(XSD) else datatype
    return _EXAMPLES.get(name, "2024" if name in PATTERNS and PATTERNS[name].fullmatch("2024") else "")

# Every datatype XML Schema 1.1 defines (Part 2, section 3): an IRI in the XSD namespace outside this
# list is a typo ("1"^^xsd:nonsense), never a datatype.
XSD_DATATYPES = frozenset(
    ["anyType", "anySimpleType", "anyAtomicType", "string", "boolean", "decimal", "float", "double", "duration", "dateTime", "time", "date", "gYearMonth", "gYear", "gMonthDay", "gDay", "gMonth", "hexBinary", "base64Binary", "anyURI", "QName", "NOTATION", "normalizedString", "token", "language", "NMTOKEN", "NMTOKENS", "Name", "NCName", "ID", "IDREF", "IDREFS", "ENTITY", "ENTITIES", "integer", "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte", "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "positiveInteger", "yearMonthDuration", "dayTimeDuration", "dateTimeStamp"]
)
