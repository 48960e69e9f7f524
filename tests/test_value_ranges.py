"""Typed values beyond what the query engine computes with (integers past 64 bits, decimals with more
than 18 fraction digits, years of twenty digits) are refused with a message, as parameters and in
the data, instead of being bound and then computing to nothing.

The property: a value check_value accepts is one pyoxigraph computes with (arithmetic or YEAR()
gives an answer); a value it refuses for its range is one the engine would not compute with, or one
past the documented bound. The strategies reach far past the bounds on purpose.
"""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from exodus_kg.errors import UsageError
from exodus_kg.query.engine import PREFIXES
from exodus_kg.query.saved_queries import Param, check_value
from exodus_kg.rdf.xsd_lexical import DECIMAL_LIMIT, INTEGER_RANGE, YEAR_LIMIT, engine_range_problem
from support.project_copies import assert_fails_cleanly, clone_built_article, run_exodus

XSD = "http://www.w3.org/2001/XMLSchema#"
STORE = ox.Store()


def computes(lexical: str, datatype: str) -> bool:
    """Whether pyoxigraph computes with the value: ``?x + 0`` for numbers, YEAR() and a comparison
    with another value of the type for dates."""
    literal = ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype))
    if datatype in ("integer", "decimal", "long", "int"):
        expression = "(?x + 0)"
    else:
        other = {
            "gYear": "2024",
            "date": "2024-01-01",
            "gYearMonth": "2024-01",
            "dateTime": "2024-01-01T00:00:00Z",
        }
        expression = f'(?x > "{other[datatype]}"^^<{XSD}{datatype}>)'
    query = f"SELECT ({expression} AS ?y) WHERE {{ VALUES ?x {{ {literal} }} }}"
    return next(iter(STORE.query(query)))["y"] is not None


def bind(value: str, datatype: str):
    return check_value(Param("v", datatype, None, ""), value, PREFIXES, "q")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(), st.integers(min_value=-(2**200), max_value=2**200)))
@example(2**63)
@example(2**63 - 1)
@example(-(2**63))
@example(-(2**63) - 1)
@example(10**40)
def test_an_integer_parameter_is_refused_exactly_where_the_engine_stops(number):
    low, high = INTEGER_RANGE
    try:
        bound = bind(str(number), "integer")
    except UsageError as error:
        assert not low <= number <= high
        assert "is out of range" in error.message and str(high) in error.message
        assert not computes(str(number), "integer")
        return
    assert low <= number <= high and computes(bound.value, "integer")


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=-(10**25), max_value=10**25),
    st.integers(min_value=0, max_value=10**30),
    st.integers(min_value=0, max_value=30),
)
@example(1, 1, 19)  # 1.0000000000000000001: 19 fraction digits
@example(1, 123456789012345678, 18)
@example(170141183460469231732, 0, 0)
@example(0, 0, 25)  # trailing zeros only: still 0
def test_a_decimal_parameter_is_refused_exactly_where_the_engine_stops(whole, fraction, digits):
    lexical = f"{whole}.{str(fraction).zfill(digits)[-digits:] if digits else '0'}"
    try:
        bound = bind(lexical, "decimal")
    except UsageError as error:
        assert "is out of range" in error.message
        significant = lexical.partition(".")[2].rstrip("0")
        assert len(significant) > 18 or abs(Decimal(lexical)) > Decimal(DECIMAL_LIMIT)
        assert not computes(lexical, "decimal")
        return
    assert computes(bound.value, "decimal")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["gYear", "date", "gYearMonth"]),
    st.one_of(
        st.integers(min_value=1000, max_value=9999), st.integers(min_value=-(10**21), max_value=10**21)
    ),
)
@example("gYear", 12345678901234567890)
@example("date", 10**19)
@example("gYear", YEAR_LIMIT)
@example("gYear", -YEAR_LIMIT)
def test_a_year_parameter_is_refused_beyond_twelve_digits(datatype, year):
    if -999 <= year <= 999:
        year += 2000  # XSD wants four digits at least
    digits = f"{'-' if year < 0 else ''}{abs(year):04d}"
    lexical = {
        "gYear": digits,
        "date": f"{digits}-06-15",
        "gYearMonth": f"{digits}-06",
        "dateTime": f"{digits}-06-15T12:00:00Z",
    }[datatype]
    try:
        bound = bind(lexical, datatype)
    except UsageError as error:
        assert abs(year) > YEAR_LIMIT and "years from" in error.message
        return
    assert abs(year) <= YEAR_LIMIT and computes(bound.value, datatype)


@pytest.mark.parametrize(
    ("lexical", "datatype"),
    [("2147483648", "int"), ("-129", "byte"), ("65536", "unsignedShort"), ("-1", "unsignedInt")],
)
def test_sized_integer_types_keep_their_xsd_bounds(lexical, datatype):
    assert engine_range_problem(lexical, XSD + datatype) is not None
    assert engine_range_problem(str(int(lexical) // 2), XSD + datatype) is None or int(lexical) < 0


def test_an_integer_beyond_64_bits_in_the_data_names_file_and_line(tmp_path):
    """Regression: "9223372036854775808"^^xsd:integer in a Turtle file was accepted, then computed
    to nothing in every query."""
    project = clone_built_article(tmp_path / "project")
    path = project / "triples" / "big.ttl"
    path.write_text(
        "@prefix exd: <https://w3id.org/exodus-kg/id/> .\n@prefix exo: <https://w3id.org/exodus-kg/ontology#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n"
        'exd:openai exo:employeeCount "9223372036854775808"^^xsd:integer .\n',
        encoding="utf-8",
    )
    result = run_exodus("build", project=project)
    assert_fails_cleanly(result, 2, "big.ttl:5:", "is out of range", "9223372036854775807")


def test_an_out_of_range_parameter_through_the_command_line(tmp_path):
    project = clone_built_article(tmp_path / "project")
    query = project / "queries" / "since.rq"
    query.write_text(
        "#+ summary: s\n#+ description: d\n#+ params:\n#+   - year: gYear - the year\n#+ defaults:\n#+   - year: 2024\n"
        "SELECT ?y WHERE { BIND (YEAR(?_year) AS ?y) }\n",
        encoding="utf-8",
    )
    result = run_exodus("query", "since", "-p", "year", "12345678901234567890", project=project)
    assert_fails_cleanly(result, 2, "parameter year: '12345678901234567890' is out of range")
