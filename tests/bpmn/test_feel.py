"""FEEL as Camunda DMN cells use it: every simple unary test form, expressions, and syntax errors."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpmn.dmn.errors import CellSyntaxError, FeelFailure
from bpmn.dmn.feel import Context, compile_expression, compile_tests

VARIABLES: dict[str, Any] = {"limit": 100, "flag": True,
                             "order": {"amount": 250, "customer": {"name": "Ada"}}}


def passes(test: str, value: Any) -> bool:
    return compile_tests(test)(Context(VARIABLES, value))


@pytest.mark.parametrize(
    ("test", "value", "expected"),
    [
        # comparisons
        ("< 10", 9, True), ("< 10", 10, False), ("<= 10", 10, True), ("> 10", 10, False),
        (">= 1000", 1000, True), ("> 10.5", 10.6, True), ("< limit", 99, True), ("< -5", -6, True),
        ("!= 3", 4, True), ("= 3", 3, True),
        # ranges, every kind of end
        ("[1000..10000[", 1000, True), ("[1000..10000[", 10000, False), ("[1..5]", 5, True),
        ("]1..5]", 1, False), ("]1..5]", 2, True), ("(1..5)", 5, False), ("(1..5)", 4.5, True),
        ("[limit..order.amount]", 200, True), ('["a".."c"]', "b", True),
        # lists
        ('"a","b"', "b", True), ('"a","b"', "c", False), ("1,2,3", 2, True), ("1, 2, 3", 4, False),
        ("< 0, > 100", 150, True), ("< 0, [10..20]", 15, True), ("< 0, [10..20]", 5, False),
        # not(...)
        ('not("a","b")', "c", True), ('not("a","b")', "a", False), ("not(< 10)", 10, True),
        ("not([1..5])", 3, False),
        # anything
        ("-", None, True), ("-", "x", True), ("", 7, True),
        # literals
        ('"Misc"', "Misc", True), ('"Misc"', "misc", False), ("42", 42, True), ("42", 42.0, True),
        ("42", "42", False), ("true", True, True), ("false", True, False), ("null", None, True),
        ('"say \\"hi\\""', 'say "hi"', True),
        # dates: date values, and ISO text as forms send it
        ('date("2024-03-01")', date(2024, 3, 1), True),
        ('>= date("2024-01-01")', "2024-02-01", True),
        ('< date("2024-01-01")', date(2024, 2, 1), False),
        ('[date("2024-01-01")..date("2024-12-31")]', "2024-06-30", True),
        ('> date and time("2024-01-01T10:00:00")', datetime(2024, 1, 1, 11), True),
        # conditions on the input
        ("? > 5 and ? < 10", 7, True), ("? > 5 and ? < 10", 10, False), ("cellInput > 2", 3, True),
        ("? = limit or ? = 0", 0, True),
        # a value of another kind, or null, never matches a comparison
        ("< 10", "5", False), ("< 10", None, False), ('"5"', 5, False), ("[1..5]", None, False),
    ],
)
def test_unary_tests(test: str, value: Any, expected: bool) -> None:
    assert passes(test, value) is expected


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("15.00", 15.0), ("7", 7), ('"budget"', "budget"), ("true", True), ("null", None),
        ("limit * 2 + 1", 201), ("limit / 8", 12.5), ("limit / 4", 25), ("2 ** 10", 1024),
        ("-limit", -100), ("order.amount - limit", 150), ("order.customer.name", "Ada"),
        ("order.missing", None), ('"a" + "b"', "ab"), ("limit / 0", None),
        ('if order.amount > 200 then "big" else "small"', "big"),
        ("limit between 1 and 100", True), ("flag and limit > 5", True), ("flag or null", True),
        ("false and null", False), ("true and null", None),
        ('date("2024-01-31") + duration("P1D")', date(2024, 2, 1)),
        ('date and time("2024-01-01T00:00:00") - date and time("2023-12-31T00:00:00")', timedelta(days=1)),
        ('string(limit)', "100"), ('number("12")', 12), ("floor(2.7)", 2), ("ceiling(2.1)", 3),
        ("decimal(2.456, 2)", 2.46), ("min(3, 1, 2)", 1), ("max(3, 1, 2)", 3), ("sum(1, 2, 3)", 6),
        ("count(1, 2)", 2), ('upper("a")', "A"), ("abs(-3)", 3),
    ],
)
def test_expressions(expression: str, value: Any) -> None:
    assert compile_expression(expression)(Context(VARIABLES)) == value


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[1..", "ends too early"),
        ("'a'", "unexpected character \"'\" at position 1 (FEEL strings use double quotes)"),
        ("< ", "ends too early"),
        ("1 +", "ends too early"),
        ("=> 5", "unexpected '>' at position 2"),
        ("[1..5", "ends too early"),
        ("spell(1)", "unknown function spell()"),
        ("date()", "date() takes 1-3 argument(s), not 0"),
        ("x @ 2", "unexpected character '@' at position 3"),
        ("True", "True is Python; FEEL writes true"),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, fragment: str) -> None:
    with pytest.raises(CellSyntaxError) as caught:
        compile_tests(text)
    assert fragment in caught.value.message


def test_the_input_value_only_exists_in_input_entries() -> None:
    with pytest.raises(CellSyntaxError, match=r"'\?' \(the input value\) can only be used in input entries"):
        compile_expression("? + 1")


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("nobody + 1", "no variable 'nobody' is set"),
        ('"a" - 1', "cannot apply '-' to 'a' and 1"),
        ('date("soon")', "date('soon') failed"),
        ("limit.amount", "100 has no member 'amount'"),
    ],
)
def test_evaluation_errors(expression: str, fragment: str) -> None:
    with pytest.raises(FeelFailure, match=re.escape(fragment)):
        compile_expression(expression)(Context(VARIABLES))


@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6), st.integers(-10**6, 10**6),
       st.booleans(), st.booleans())
def test_ranges_agree_with_python_comparisons(low: int, high: int, value: int, closed_low: bool,
                                              closed_high: bool) -> None:
    test = f"{'[' if closed_low else ']'}{low}..{high}{']' if closed_high else '['}"
    above = value >= low if closed_low else value > low
    below = value <= high if closed_high else value < high
    assert passes(test, value) is (above and below)
