"""JUEL's value rules (coercion, null, empty, operators) as the EL specification states them."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

Number = int | float | Decimal

_INTEGER = re.compile(r"[+-]?\d+")


class JuelFailure(Exception):
    """An evaluation rule was broken; juel.py turns it into an ExpressionError naming the expression."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def to_boolean(value: Any) -> bool:
    """EL coercion to Boolean: null is false, a string is true only when it says "true"."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    raise JuelFailure(f"{value!r} is not true or false")


def to_number(value: Any) -> Number:
    """EL coercion to a number: null is 0, a string must read as one."""
    if value is None:
        return 0
    if _is_number(value):
        number: Number = value
        return number
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        try:
            return float(text)
        except ValueError:
            pass
    raise JuelFailure(f"{value!r} is not a number")


def to_text(value: Any) -> str:
    """EL coercion to String, used when parts of a text are joined ("Hello ${name}")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_empty(value: Any) -> bool:
    """`empty x`: null, "" and empty collections are empty."""
    if value is None:
        return True
    if isinstance(value, (str, Sequence, Mapping, set, frozenset)):
        return len(value) == 0
    return False


def _same_kind(left: Number, right: Number) -> tuple[Number, Number]:
    if isinstance(left, Decimal) and isinstance(right, float):
        return float(left), right
    if isinstance(right, Decimal) and isinstance(left, float):
        return left, float(right)
    return left, right


def equals(left: Any, right: Any) -> bool:
    """`==` / `eq`: numbers by value, booleans and strings after coercion, null equal only to null."""
    if left is right:
        return True
    if left is None or right is None:
        return False
    if isinstance(left, bool) and isinstance(right, bool):
        return left == right
    if _is_number(left) or _is_number(right):
        try:
            a, b = _same_kind(to_number(left), to_number(right))
        except JuelFailure:
            return False
        return a == b
    if isinstance(left, bool) or isinstance(right, bool):
        return to_boolean(left) == to_boolean(right)
    if isinstance(left, str) or isinstance(right, str):
        return to_text(left) == to_text(right)
    return bool(left == right)


def order(operator: str, left: Any, right: Any) -> bool:
    """`< > <= >=` (and lt gt le ge): false when either side is null, as EL says."""
    if left is right and operator in ("<=", ">=", "le", "ge"):
        return True
    if left is None or right is None:
        return False
    a: Any
    b: Any
    if _is_number(left) or _is_number(right):
        a, b = _same_kind(to_number(left), to_number(right))
    else:
        a, b = left, right
    try:
        if operator in ("<", "lt"):
            return bool(a < b)
        if operator in (">", "gt"):
            return bool(a > b)
        if operator in ("<=", "le"):
            return bool(a <= b)
        return bool(a >= b)
    except TypeError:
        raise JuelFailure(f"cannot compare {left!r} with {right!r}") from None


def arithmetic(operator: str, left: Any, right: Any) -> Number:
    """`+ - * / div % mod` on numbers (null counts as 0); `+` never joins text in EL."""
    try:
        a, b = _same_kind(to_number(left), to_number(right))
    except JuelFailure as failure:
        if operator == "+" and (isinstance(left, str) or isinstance(right, str)):
            raise JuelFailure(
                f"{failure}: '+' adds numbers in expressions; to join text write \"${{a}}${{b}}\""
            ) from None
        raise
    result: Any
    if operator == "+":
        result = a + b  # type: ignore[operator]
    elif operator == "-":
        result = a - b  # type: ignore[operator]
    elif operator == "*":
        result = a * b  # type: ignore[operator]
    elif b == 0:
        raise JuelFailure("division by zero")
    elif operator in ("/", "div"):
        result = a / b if isinstance(a, Decimal) and isinstance(b, Decimal) else float(a) / float(b)
    elif isinstance(a, int) and isinstance(b, int):
        result = int(math.copysign(abs(a) % abs(b), a)) if a else 0  # Java's remainder keeps a's sign
    else:
        result = math.fmod(a, b) if not isinstance(a, Decimal) else a % b  # type: ignore[operator]
    number: Number = result
    return number


def negate(value: Any) -> Number:
    """Unary minus; null counts as 0."""
    number = to_number(value)
    return -number


def property_of(base: Any, key: Any) -> Any:
    """`a.b`, `a['b']`, `a[0]`: null in, null out; a missing key or index is null; no private names."""
    if base is None or key is None:
        return None
    if isinstance(base, Mapping):
        return base.get(key)
    if isinstance(base, (list, tuple, str)):
        try:
            index = int(to_number(key))
        except (JuelFailure, ValueError, InvalidOperation):
            raise JuelFailure(f"{key!r} is not a list index") from None
        return base[index] if 0 <= index < len(base) else None
    name = to_text(key)
    if name.startswith("_"):
        raise JuelFailure(f"property names starting with '_' are not allowed ({name!r})")
    value = getattr(base, name, None)
    if value is None or callable(value):
        raise JuelFailure(f"{type(base).__name__} value has no property {name!r}")
    return value
