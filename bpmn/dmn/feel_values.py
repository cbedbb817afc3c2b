"""FEEL's value rules for the subset Baton runs: comparison, arithmetic, built-in functions, typeRef."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import isodate

from .errors import FeelFailure


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _to_datetime(value: date) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)  # naive reads as UTC
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def parse_temporal(text: str) -> date | datetime | time | None:
    """An ISO date, date-time or time written as text, or None when the text is none of them."""
    text = text.strip()
    for parse in (date.fromisoformat, datetime.fromisoformat, time.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _comparable(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both values in one kind that Python can compare, or None when FEEL says they do not compare.

    Task data holds dates as ISO text (forms send "YYYY-MM-DD"): text compared with a date is read
    as one. A date compared with a date-time counts as its midnight, UTC.
    """
    if is_number(left) and is_number(right):
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    if isinstance(left, bool) and isinstance(right, bool):
        return left, right
    temporal = (date, time)
    if isinstance(left, temporal) and isinstance(right, str):
        right = parse_temporal(right)
    elif isinstance(right, temporal) and isinstance(left, str):
        left = parse_temporal(left)
    if isinstance(left, time) and isinstance(right, time):
        return left, right
    if isinstance(left, date) and isinstance(right, date):
        if isinstance(left, datetime) or isinstance(right, datetime):
            return _to_datetime(left), _to_datetime(right)
        return left, right
    if isinstance(left, timedelta) and isinstance(right, timedelta):
        return left, right
    return None


def equals(left: Any, right: Any) -> bool:
    """FEEL `=`: null equals only null; values of different kinds are not equal."""
    if left is None or right is None:
        return left is None and right is None
    pair = _comparable(left, right)
    if pair is None:
        return bool(left == right) if type(left) is type(right) else False
    return bool(pair[0] == pair[1])


def compare(operator: str, left: Any, right: Any) -> bool | None:
    """`= != < <= > >=`; None (FEEL's null, no match) when the values do not compare."""
    if operator == "=":
        return equals(left, right)
    if operator == "!=":
        return not equals(left, right)
    if left is None or right is None:
        return None
    pair = _comparable(left, right)
    if pair is None or isinstance(pair[0], bool):
        return None
    a, b = pair
    if operator == "<":
        return bool(a < b)
    if operator == "<=":
        return bool(a <= b)
    if operator == ">":
        return bool(a > b)
    return bool(a >= b)


def arithmetic(operator: str, left: Any, right: Any) -> Any:
    """`+ - * / **` on numbers, `+` joining text, dates plus or minus durations; null in, null out."""
    if left is None or right is None:
        return None
    if is_number(left) and is_number(right):
        if operator == "+":
            return left + right
        if operator == "-":
            return left - right
        if operator == "*":
            return left * right
        if operator == "**":
            return left**right
        if right == 0:
            return None  # FEEL: division by zero is null
        quotient = left / right
        return int(quotient) if isinstance(left, int) and isinstance(right, int) and left % right == 0 \
            else quotient
    if operator == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    temporal = (date, timedelta, isodate.Duration)
    if operator in "+-" and isinstance(left, temporal) and isinstance(right, temporal):
        try:
            return left + right if operator == "+" else left - right  # type: ignore[operator]
        except TypeError:
            pass
    raise FeelFailure(f"cannot apply '{operator}' to {left!r} and {right!r}")


def negate(value: Any) -> Any:
    if value is None:
        return None
    if is_number(value) or isinstance(value, timedelta):
        return -value
    raise FeelFailure(f"cannot negate {value!r}")


def truth(value: Any) -> bool | None:
    """A boolean, or None (FEEL's null) for anything else."""
    return value if isinstance(value, bool) else None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise FeelFailure(f"expected text, found {value!r}")


def _date(*args: Any) -> date:
    if len(args) == 3:
        return date(*(int(a) for a in args))
    [value] = args
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(_text(value).strip()[:10])


def _date_and_time(*args: Any) -> datetime:
    if len(args) == 2:
        day, moment = args
        return datetime.combine(_date(day), moment if isinstance(moment, time) else _time(moment))
    [value] = args
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(_text(value).strip())


def _time(value: Any) -> time:
    if isinstance(value, datetime):
        return value.timetz()
    if isinstance(value, time):
        return value
    return time.fromisoformat(_text(value).strip())


def _duration(value: Any) -> Any:
    return isodate.parse_duration(_text(value).strip())


def _number(value: Any) -> int | float:
    if is_number(value):
        number: int | float = value
        return number
    text = _text(value).strip()
    return int(text) if text.lstrip("+-").isdigit() else float(text)


def _items(args: Sequence[Any]) -> list[Any]:
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return list(args[0])
    return list(args)


def _decimal(value: Any, scale: Any) -> Any:
    rounded = round(_number(value), int(_number(scale)))
    return int(rounded) if int(_number(scale)) <= 0 else rounded


def _string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, (date, time)) else str(value)


# name -> (function, smallest and largest argument count; -1: any number)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "date": (_date, 1, 3),
    "date and time": (_date_and_time, 1, 2),
    "time": (_time, 1, 1),
    "duration": (_duration, 1, 1),
    "now": (lambda: datetime.now(UTC), 0, 0),
    "today": (lambda: datetime.now(UTC).date(), 0, 0),
    "string": (_string, 1, 1),
    "number": (_number, 1, 1),
    "abs": (lambda v: abs(_number(v)), 1, 1),
    "floor": (lambda v: math.floor(_number(v)), 1, 1),
    "ceiling": (lambda v: math.ceil(_number(v)), 1, 1),
    "decimal": (_decimal, 2, 2),
    "min": (lambda *a: min(_items(a)), 1, -1),
    "max": (lambda *a: max(_items(a)), 1, -1),
    "sum": (lambda *a: sum(_items(a)), 1, -1),
    "count": (lambda *a: len(_items(a)), 1, -1),
    "upper": (lambda v: _text(v).upper(), 1, 1),
    "lower": (lambda v: _text(v).lower(), 1, 1),
}


def call(name: str, args: list[Any]) -> Any:
    function = FUNCTIONS[name][0]
    try:
        return function(*args)
    except FeelFailure:
        raise
    except (TypeError, ValueError, ArithmeticError, isodate.ISO8601Error) as error:
        raise FeelFailure(f"{name}({', '.join(repr(a) for a in args)}) failed: {error}") from None


_INTEGER_TYPES = ("integer", "long", "int", "short")
_DECIMAL_TYPES = ("double", "float", "decimal")


def coerce(value: Any, type_ref: str) -> Any:
    """Convert a value to a DMN typeRef the way Camunda's type transformers do; FeelFailure if it cannot."""
    kind = type_ref.strip().lower()
    if value is None or not kind:
        return value
    if kind == "string":
        return _string(value) if not isinstance(value, str) else value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
    elif kind in _INTEGER_TYPES + _DECIMAL_TYPES + ("number",):
        if isinstance(value, bool):
            raise FeelFailure(f"{value!r} is not of type {type_ref}")
        try:
            number = _number(value)
        except (FeelFailure, ValueError):
            raise FeelFailure(f"{value!r} is not of type {type_ref}") from None
        if kind in _DECIMAL_TYPES:
            return float(number)
        if kind == "number":
            return number
        if isinstance(number, int) or number.is_integer():
            return int(number)
    elif kind in ("date", "datetime", "date and time"):
        if isinstance(value, date):
            return value
        if isinstance(value, str) and isinstance(parsed := parse_temporal(value), date):
            return parsed
    else:
        return value  # a type Baton does not know: left as it is
    raise FeelFailure(f"{value!r} is not of type {type_ref}")
