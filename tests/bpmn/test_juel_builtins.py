"""The Java calls Camunda models make in ${...}, served by bpmn/juel_builtins.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bpmn import juel
from bpmn.errors import ExpressionError
from tests.bpmn.helpers import CORPUS


def close_to(value: object, expected: datetime) -> bool:
    return isinstance(value, datetime) and abs(value - expected) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("expression", "shift"),
    [
        ("${dateTime().plusWeeks(1).toDate()}", timedelta(weeks=1)),
        ("${dateTime().plusDays(2).toDate()}", timedelta(days=2)),
        ("${dateTime().plusHours(3).toDate()}", timedelta(hours=3)),
        ("${dateTime().plusMinutes(30).toDate()}", timedelta(minutes=30)),
        ("${dateTime().plusSeconds(n).toDate()}", timedelta(seconds=45)),
        ("${dateTime().minusDays(1).toDate()}", timedelta(days=-1)),
        ("${dateTime().plusDays(1).minusHours(1).toDate()}", timedelta(hours=23)),
        ("${now()}", timedelta()),
    ],
)
def test_date_time_arithmetic(expression: str, shift: timedelta) -> None:
    value = juel.evaluate(expression, {"n": 45})
    assert close_to(value, datetime.now(UTC) + shift)
    assert value.tzinfo is not None


def test_months_keep_the_day_or_take_the_last_one() -> None:
    text = juel.evaluate("${dateTime().plusMonths(1).withTimeAtStartOfDay().toString()}", {})
    assert text.endswith("T00:00:00+00:00")


def test_date_time_in_text_is_iso() -> None:
    text = juel.evaluate("due ${dateTime().toString()}", {})
    assert close_to(datetime.fromisoformat(text.removeprefix("due ")), datetime.now(UTC))


def test_execution_get_variable() -> None:
    assert juel.evaluate("${execution.getVariable('amount') > 10}", {"amount": 30}) is True
    assert juel.evaluate("${execution.getVariable('missing')}", {}) is None


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("${amount.plusDays(1)}", "plusDays() is only available on dateTime(), not on 3"),
        ("${dateTime().plusDays(1.5)}", "take a whole number"),
        ("${dateTime().toDate(1)}", "toDate() takes no arguments"),
        ("${dateTime().getDayOfWeek()}", "method calls such as getDayOfWeek() are not supported"),
    ],
)
def test_misuse_is_a_clear_error(expression: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        juel.evaluate(expression, {"amount": 3})
    assert fragment in caught.value.message


def test_the_invoice_examples_due_dates_evaluate() -> None:
    resources = CORPUS / "camunda-invoice/examples/invoice/src/main/resources"
    found = re.findall(r'camunda:dueDate="([^"]+)"', (resources / "invoice.v2.bpmn").read_text()
                       + (resources / "reviewInvoice.bpmn").read_text())
    assert sorted(set(found)) == ["${dateTime().plusDays(2).toDate()}", "${dateTime().plusWeeks(1).toDate()}"]
    for expression in found:
        assert juel.evaluate(expression, {}) > datetime.now(UTC)
