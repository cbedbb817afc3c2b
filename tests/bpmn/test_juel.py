"""JUEL expressions as Camunda modellers write them: grammar, precedence, null rules, errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpmn import juel
from bpmn.errors import ExpressionError

DATA: dict[str, Any] = {
    "approved": True,
    "rejected": False,
    "amount": 150,
    "price": 9.5,
    "urgent": False,
    "name": "Ann",
    "blank": "",
    "nothing": None,
    "items": [10, 20, {"sku": "x-1"}],
    "none_yet": [],
    "customer": {"name": "ACME", "address": {"city": "Lyon"}, "tags": ["a", "b"]},
    "count_text": "42",
    "flag_text": "TRUE",
    "order": 3,
    "android": 1,
    "notes": "n",
}

TRUTH_TABLE = [
    # literals
    ("${true}", True),
    ("${false}", False),
    ("${null}", None),
    ("${42}", 42),
    ("${4.5}", 4.5),
    ("${1e3}", 1000.0),
    ("${'single'}", "single"),
    ('${"double"}', "double"),
    (r"${'it\'s'}", "it's"),
    (r'${"say \"hi\""}', 'say "hi"'),
    # variables and properties
    ("${approved}", True),
    ("${name}", "Ann"),
    ("${customer.name}", "ACME"),
    ("${customer.address.city}", "Lyon"),
    ("${customer['address']['city']}", "Lyon"),
    ('${customer["tags"][1]}', "b"),
    ("${items[0]}", 10),
    ("${items[2].sku}", "x-1"),
    ("${items[7]}", None),
    ("${customer.missing}", None),
    ("${nothing.anything}", None),
    ("${order}", 3),
    ("${android}", 1),
    ("${notes}", "n"),
    # comparisons, symbols and words
    ("${amount > 100}", True),
    ("${amount gt 100}", True),
    ("${amount < 100}", False),
    ("${amount lt 100}", False),
    ("${amount >= 150}", True),
    ("${amount ge 151}", False),
    ("${amount <= 150}", True),
    ("${amount le 149}", False),
    ("${amount == 150}", True),
    ("${amount eq 150}", True),
    ("${amount != 150}", False),
    ("${amount ne 150}", False),
    ("${name == 'Ann'}", True),
    ("${name < 'Bob'}", True),
    ("${count_text == 42}", True),
    ("${count_text > 41}", True),
    ("${price == 9.5}", True),
    ("${approved == 'true'}", True),
    # logic, symbols and words
    ("${amount > 100 && !urgent}", True),
    ("${amount > 100 and not urgent}", True),
    ("${approved && rejected}", False),
    ("${approved || rejected}", True),
    ("${rejected or approved}", True),
    ("${!approved}", False),
    ("${not rejected}", True),
    ("${!nothing}", True),
    ("${flag_text && approved}", True),
    ("${'false' || rejected}", False),
    ("${'yes' && approved}", False),
    # precedence
    ("${true || false && false}", True),
    ("${(true || false) && false}", False),
    ("${!true || true}", True),
    ("${!(true || true)}", False),
    ("${1 + 2 * 3}", 7),
    ("${(1 + 2) * 3}", 9),
    ("${10 - 4 - 3}", 3),
    ("${2 * 3 > 5 && 1 + 1 == 2}", True),
    ("${1 < 2 == true}", True),
    ("${-2 * -3}", 6),
    ("${- amount + 1}", -149),
    ("${not empty name and amount > 1}", True),
    # arithmetic
    ("${7 / 2}", 3.5),
    ("${8 div 2}", 4.0),
    ("${7 % 3}", 1),
    ("${7 mod 3}", 1),
    ("${-7 % 3}", -1),
    ("${price * 2}", 19.0),
    ("${nothing + 1}", 1),
    ("${count_text + 1}", 43),
    # empty
    ("${empty blank}", True),
    ("${empty nothing}", True),
    ("${empty none_yet}", True),
    ("${empty items}", False),
    ("${not empty name}", True),
    ("${!empty customer}", True),
    ("${empty 0}", False),
    # ternary
    ("${amount > 100 ? 'big' : 'small'}", "big"),
    ("${amount > 1000 ? 'huge' : amount > 100 ? 'big' : 'small'}", "big"),
    ("${urgent ? 1 : 2}", 2),
    # null rules
    ("${nothing == null}", True),
    ("${nothing != null}", False),
    ("${name == null}", False),
    ("${nothing < 1}", False),
    ("${nothing > 1}", False),
    ("${nothing <= nothing}", True),
    # #{} is the deferred form of the same language
    ("#{amount > 100}", True),
    ("${ amount   >   100 }", True),
]


@pytest.mark.parametrize(("expression", "expected"), TRUTH_TABLE)
def test_truth_table(expression: str, expected: Any) -> None:
    result = juel.evaluate(expression, DATA)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello ${name}", "Hello Ann"),
        ("Hello ${name}!", "Hello Ann!"),
        ("${name} owes ${amount} EUR", "Ann owes 150 EUR"),
        ("${customer.name}-${customer.address.city}", "ACME-Lyon"),
        ("flag=${approved}, none=[${nothing}]", "flag=true, none=[]"),
        ("${'a}b'} and ${\"}\"}", "a}b and }"),
        (r"price \${not parsed} is ${price}", "price ${not parsed} is 9.5"),
        ("no expression at all", "no expression at all"),
        ("", ""),
        ("$ and # and { alone", "$ and # and { alone"),
    ],
)
def test_composite_text(text: str, expected: str) -> None:
    assert juel.evaluate(text, DATA) == expected


def test_a_lone_expression_keeps_its_type_but_text_around_it_makes_a_string() -> None:
    assert juel.evaluate("${amount}", DATA) == 150
    assert juel.evaluate(" ${amount}", DATA) == " 150"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("${x}", True), ("#{x}", True), ("text ${x} more", True), ("x > 1", False), ("$x", False), ("", False)],
)
def test_is_juel(text: str, expected: bool) -> None:
    assert juel.is_juel(text) is expected


def test_unknown_variable_names_the_close_match_and_the_variables() -> None:
    with pytest.raises(ExpressionError) as caught:
        juel.evaluate("${amout > 1}", {"amount": 1, "approved": True})
    message = str(caught.value)
    assert "unknown variable 'amout'" in message
    assert "did you mean 'amount'" in message
    assert "amount, approved" in message
    assert caught.value.expression == "${amout > 1}"


def test_unknown_variable_with_nothing_close() -> None:
    with pytest.raises(ExpressionError, match=r"unknown variable 'zzz' \(variables available: none\)"):
        juel.evaluate("${zzz}", {})


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("${1 +}", "ends too early"),
        ("${amount >}", "ends too early"),
        ("${a ! b}", "unexpected '!' at position 5"),
        ("${amount @ 2}", "unexpected character '@' at position 10"),
        ("Hi ${name ==== 1}", "unexpected '==' at position 13"),
        ("${}", "empty expression at position 1"),
        ("Hello ${name", "'${' at position 7 is never closed"),
        ("${'unclosed}", "never closed"),
        ("${a._secret}", "starting with '_'"),
    ],
)
def test_syntax_errors_say_where(expression: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        juel.compile(expression)
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("expression", "name", "position"),
    [
        ("${customer.getName()}", "getName()", 3),
        ("${execution.getProcessInstanceId()}", "getProcessInstanceId()", 3),
        ("due ${today()}", "today()", 7),
        ("${dateTime().getDayOfWeek()}", "getDayOfWeek()", 3),
    ],
)
def test_method_calls_are_refused_clearly(expression: str, name: str, position: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        juel.compile(expression)
    assert f"method calls such as {name} are not supported" in caught.value.message
    assert f"(at position {position})" in caught.value.message


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("${name + 1}", "'+' adds numbers"),
        ("${amount / 0}", "division by zero"),
        ("${amount && true}", "is not true or false"),
        ("${customer < 1}", "is not a number"),
        ("${-name}", "is not a number"),
        ("${items['x']}", "is not a list index"),
    ],
)
def test_evaluation_errors(expression: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        juel.evaluate(expression, DATA)
    assert fragment in caught.value.message


def test_compile_is_cached_and_reusable() -> None:
    compiled = juel.compile("${amount > limit}")
    assert compiled is juel.compile("${amount > limit}")
    assert compiled({"amount": 5, "limit": 1}) is True
    assert compiled({"amount": 0, "limit": 1}) is False


def test_python_objects_expose_public_properties_only() -> None:
    import datetime

    day = datetime.date(2024, 5, 17)
    assert juel.evaluate("${day.year}", {"day": day}) == 2024
    with pytest.raises(ExpressionError, match="no property 'isoformat'"):
        juel.evaluate("${day.isoformat}", {"day": day})
    with pytest.raises(ExpressionError, match="starting with '_'"):
        juel.evaluate("${day['__class__']}", {"day": day})


small_ints = st.integers(min_value=-10_000, max_value=10_000)


@given(small_ints, small_ints, st.sampled_from(["+", "-", "*"]))
def test_integer_arithmetic_matches_python(a: int, b: int, op: str) -> None:
    expected = {"+": a + b, "-": a - b, "*": a * b}[op]
    assert juel.evaluate(f"${{a {op} b}}", {"a": a, "b": b}) == expected


@given(small_ints, small_ints)
def test_comparisons_match_python(a: int, b: int) -> None:
    data = {"a": a, "b": b}
    assert juel.evaluate("${a < b}", data) is (a < b)
    assert juel.evaluate("${a ge b}", data) is (a >= b)
    assert juel.evaluate("${a == b}", data) is (a == b)
    assert juel.evaluate("${a ne b}", data) is (a != b)


@given(st.booleans(), st.booleans(), st.booleans())
def test_logic_matches_python_precedence(a: bool, b: bool, c: bool) -> None:
    data = {"a": a, "b": b, "c": c}
    assert juel.evaluate("${a || b && !c}", data) is (a or (b and not c))
    assert juel.evaluate("${not a and b or c}", data) is (((not a) and b) or c)
    assert juel.evaluate("${a ? b : c}", data) is (b if a else c)


@given(st.text(alphabet=st.characters(blacklist_characters="$#\\"), max_size=40))
def test_text_without_expressions_is_itself(text: str) -> None:
    assert juel.evaluate(text, {}) == text


@given(st.text(alphabet=st.characters(blacklist_characters="'\\", blacklist_categories=("Cs",)), max_size=30))
def test_string_literals_round_trip(text: str) -> None:
    assert juel.evaluate("${'" + text + "'}", {}) == text
