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

from exodus_kg.rdf.namespaces import XSD

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


# What the query engine (pyoxigraph) computes with, where it is narrower than XSD's unbounded value
# spaces: integers are 64-bit, decimals have 18 fraction digits and fit in 128 bits, dates count
# seconds in a 128-bit decimal. A value beyond these is stored and compared as text, but arithmetic,
# YEAR() or a comparison with another date computes to nothing, so it is refused up front.
INTEGER_RANGE = (-(2**63), 2**63 - 1)
# XSD's own bounds for the sized integer types, narrowed to the engine's 64 bits.
_SIZED_INTEGERS = {
    "long": INTEGER_RANGE,
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
    "unsignedLong": (0, 2**63 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1),
}
_INTEGER_TYPES = ("integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger")
DECIMAL_FRACTION_DIGITS = 18
DECIMAL_LIMIT = "170141183460469231731.687303715884105727"  # (2**127 - 1) / 10**18
# The engine reaches about year 5,391,559,471,918; twelve digits keep well inside it.
YEAR_LIMIT = 999_999_999_999
_DATED = ("date", "dateTime", "dateTimeStamp", "gYear", "gYearMonth")


def engine_range_problem(lexical: str, datatype: str) -> str | None:
    """Why a valid lexical form (see is_valid) is beyond what the query engine computes with, or None
    when it is within. For messages: "9223372036854775808 is larger than ...".

    >>> engine_range_problem("9223372036854775808", XSD + "integer")
    'an xsd:integer the query engine computes with lies between -9223372036854775808 and 9223372036854775807'
    >>> engine_range_problem("2024", XSD + "gYear") is None
    True
    """
    if not datatype.startswith(XSD):
        return None
    name = datatype[len(XSD) :]
    if name in _SIZED_INTEGERS or name in _INTEGER_TYPES:
        low, high = _SIZED_INTEGERS.get(name, INTEGER_RANGE)
        if not low <= int(lexical) <= high:
            return f"an xsd:{name} the query engine computes with lies between {low} and {high}"
        return None
    if name == "decimal":
        from decimal import Decimal

        fraction = lexical.partition(".")[2].rstrip("0")
        if len(fraction) > DECIMAL_FRACTION_DIGITS:
            return f"an xsd:decimal has at most {DECIMAL_FRACTION_DIGITS} digits after the point in the query engine"
        if abs(Decimal(lexical)) > Decimal(DECIMAL_LIMIT):
            return f"an xsd:decimal the query engine computes with lies between -{DECIMAL_LIMIT} and {DECIMAL_LIMIT}"
        return None
    if name in _DATED:
        year = int(re.match(r"-?[0-9]+", lexical).group(0))
        if abs(year) > YEAR_LIMIT:
            return f"the query engine computes with years from -{YEAR_LIMIT:,} to {YEAR_LIMIT:,}"
    return None
