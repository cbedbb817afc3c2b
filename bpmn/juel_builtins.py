"""The Java calls Camunda models make in `${...}`, served by documented Python equivalents.

Baton runs these, and refuses every other function or method call with a clear error:

- `dateTime()`: the current instant in UTC (Camunda's is Joda-Time's `DateTime`), with
  `plusYears(n)`, `plusMonths(n)`, `plusWeeks(n)`, `plusDays(n)`, `plusHours(n)`, `plusMinutes(n)`,
  `plusSeconds(n)` and the same `minus...(n)`, `withTimeAtStartOfDay()`, and to leave it
  `toDate()` (a timezone-aware `datetime` in UTC; stored in task data as such, shown as ISO 8601)
  or `toString()` (ISO 8601 text). Months and years keep the day of month where it exists and
  otherwise take the month's last day, as Joda-Time does.
- `now()`: the current date and time in UTC, a `datetime` (Camunda's is a `java.util.Date`).
- `execution.getVariable('name')`: the variable's value, null when it is not set.

So `camunda:dueDate="${dateTime().plusWeeks(1).toDate()}"` from Camunda's invoice example gives a
due date a week from now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import isodate

from bpmn.juel_values import JuelFailure, to_number

Evaluator = Callable[[Mapping[str, Any]], Any]

_STEPS: dict[str, Callable[[float], Any]] = {
    "Years": lambda n: isodate.Duration(years=n),
    "Months": lambda n: isodate.Duration(months=n),
    "Weeks": lambda n: timedelta(weeks=n),
    "Days": lambda n: timedelta(days=n),
    "Hours": lambda n: timedelta(hours=n),
    "Minutes": lambda n: timedelta(minutes=n),
    "Seconds": lambda n: timedelta(seconds=n),
}


@dataclass(frozen=True)
class DateTime:
    """What `dateTime()` gives: a moment with Joda-Time's fluent methods (see the module docstring)."""

    moment: datetime

    def shifted(self, unit: str, amount: Any, sign: int) -> DateTime:
        number = to_number(amount)
        if isinstance(number, float) and not number.is_integer():
            raise JuelFailure(f"plus{unit}/minus{unit} take a whole number, not {amount!r}")
        step = _STEPS[unit](int(number) * sign)
        shifted: datetime = self.moment + step
        return DateTime(shifted)

    def __str__(self) -> str:
        return self.moment.isoformat()


def _method(name: str) -> Callable[[DateTime, list[Any]], Any] | None:
    for prefix, sign in (("plus", 1), ("minus", -1)):
        unit = name.removeprefix(prefix)
        if name.startswith(prefix) and unit in _STEPS:
            return lambda value, args: value.shifted(unit, _one(name, args), sign)
    plain: dict[str, Callable[[DateTime], Any]] = {
        "toDate": lambda value: value.moment,
        "toString": lambda value: value.moment.isoformat(),
        "withTimeAtStartOfDay": lambda value: DateTime(
            value.moment.replace(hour=0, minute=0, second=0, microsecond=0)),
    }
    if name in plain:
        return lambda value, args: plain[name](_no_args(name, args, value))
    return None


def _one(name: str, args: list[Any]) -> Any:
    if len(args) != 1:
        raise JuelFailure(f"{name}() takes one argument, not {len(args)}")
    return args[0]


def _no_args(name: str, args: list[Any], value: DateTime) -> DateTime:
    if args:
        raise JuelFailure(f"{name}() takes no arguments")
    return value


_FUNCTIONS: dict[str, Callable[[], Any]] = {
    "dateTime": lambda: DateTime(datetime.now(UTC)),
    "now": lambda: datetime.now(UTC),
}


def function(name: str, args: list[Evaluator]) -> Evaluator | None:
    """`name(...)` as a built-in function, or None when Baton has no such function."""
    make = _FUNCTIONS.get(name)
    if make is None or args:
        return None
    return lambda data: make()


def method(base_name: str | None, name: str, base: Evaluator, args: list[Evaluator]) -> Evaluator | None:
    """`base.name(...)` as a built-in method, or None when it is not one Baton serves.

    `base_name` is the variable the call is made on when it is a plain name (`execution`).
    """
    if base_name == "execution":
        if name != "getVariable" or len(args) != 1:
            return None
        [key] = args
        return lambda data: data.get(str(key(data)))
    run = _method(name)
    if run is None:
        return None

    def call(data: Mapping[str, Any]) -> Any:
        value = base(data)
        if not isinstance(value, DateTime):
            raise JuelFailure(f"{name}() is only available on dateTime(), not on {value!r}")
        return run(value, [arg(data) for arg in args])

    return call
