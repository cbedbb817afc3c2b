"""Timer values: ISO 8601 dates, durations and repeating intervals, and cron, read the Baton way.

Differences from SpiffWorkflow's own parsing: a date without an offset is UTC (not the server's
local time), a Python expression may give a datetime, date or timedelta instead of a string, and a
time cycle may be a cron expression (Quartz's 6/7 fields as Camunda writes them, or classic 5).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from croniter import croniter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .errors import BpmnError

_clock = threading.local()


class TimerValueError(BpmnError):
    """A timer expression that gives no date, duration or cycle Baton can use."""


def now() -> datetime:
    """The current time for timers: aware UTC; `clock(at)` overrides it in this thread."""
    fixed: datetime | None = getattr(_clock, "at", None)
    return fixed if fixed is not None else datetime.now(UTC)


@contextmanager
def clock(at: datetime) -> Iterator[None]:
    """Make timers in this thread see `at` (naive = UTC) as now: what the server says is due, is."""
    previous = getattr(_clock, "at", None)
    _clock.at = as_utc(at)
    try:
        yield
    finally:
        _clock.at = previous


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def text_of(value: Any) -> str:
    """A timer expression's result as the text the parsers read (datetime/date/timedelta allowed)."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"PT{value.total_seconds():g}S"
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise TimerValueError(f"a timer expression gave {value!r}, not a date, duration or cycle")


def parse_date(text: str) -> datetime:
    """An ISO 8601 date or date-time (also week dates); no offset means UTC."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-?W\d{2}-?\d(T.*)?", value, re.IGNORECASE):
            parsed: datetime = TimerEventDefinition.parse_iso_week(value)
            return as_utc(parsed)
        return as_utc(datetime.fromisoformat(value))
    except (ValueError, AttributeError):
        raise TimerValueError(f"{text!r} is not an ISO 8601 date") from None


def parse_duration(text: str) -> dict[str, Any]:
    """The parts of an ISO 8601 duration (`PT5M`, `P1DT2H`); months and years count calendar time."""
    try:
        parts: dict[str, Any] = TimerEventDefinition.parse_iso_duration(text.strip())
    except Exception:  # SpiffWorkflow raises a bare Exception
        raise TimerValueError(f"{text!r} is not an ISO 8601 duration") from None
    return parts


def add_duration(start: datetime, text: str) -> datetime:
    """`start` plus the ISO 8601 duration `text`."""
    delta: timedelta = TimerEventDefinition.get_timedelta_from_start(parse_duration(text), start)
    return start + delta


def duration_seconds(text: str, start: datetime) -> float:
    """Length in seconds of the duration `text` counted from `start`."""
    return (add_duration(start, text) - start).total_seconds()


# -- cron ---------------------------------------------------------------------------------------

_CRON_FIELD = re.compile(r"^[0-9*?/,\-LW#A-Za-z]+$")


def is_cron(text: str) -> bool:
    """Whether `text` looks like a cron expression (5 to 7 fields) rather than ISO 8601."""
    fields = text.split()
    if text.startswith(("R", "P")) or not 5 <= len(fields) <= 7:
        return False
    return all(_CRON_FIELD.match(field) for field in fields)


def _quartz_weekday(field: str) -> str:
    """Quartz counts weekdays 1-7 from Sunday; cron counts 0-6 from Sunday."""
    return re.sub(r"(?<![#/])\b([1-7])\b", lambda m: str(int(m.group(1)) - 1), field)


def cron_for_croniter(text: str) -> tuple[str, bool]:
    """Translate a cron expression for croniter: returns (expression, seconds_first).

    Quartz (Camunda): `sec min hour day-of-month month day-of-week [year]` with `?`, weekdays 1-7
    from Sunday. Classic: `min hour day-of-month month day-of-week`.
    """
    fields = text.split()
    if len(fields) == 5:
        expression, seconds_first = " ".join(fields), False
    elif len(fields) in (6, 7):
        if len(fields) == 7 and fields[6] not in ("*", "?"):
            raise TimerValueError(f"cron {text!r}: a year field other than * is not supported")
        sec, minute, hour, dom, month, dow = fields[:6]
        dow = _quartz_weekday(dow)
        expression, seconds_first = " ".join([sec, minute, hour, dom, month, dow]), True
    else:
        raise TimerValueError(f"cron {text!r} must have 5, 6 or 7 fields")
    expression = expression.replace("?", "*")
    if not croniter.is_valid(expression, second_at_beginning=seconds_first):
        raise TimerValueError(f"{text!r} is not a cron expression Baton understands")
    return expression, seconds_first


def cron_next(text: str, after: datetime) -> datetime:
    """The first time after `after` (aware) that the cron expression `text` names, in UTC."""
    expression, seconds_first = cron_for_croniter(text)
    schedule = croniter(expression, as_utc(after), second_at_beginning=seconds_first)
    found: datetime = schedule.get_next(datetime)
    return as_utc(found)


# -- cycles -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    """A repeating timer: how many times (-1 forever), the first time, and the interval or cron."""

    cycles: int
    first: datetime
    seconds: float
    cron: str | None = None

    def after(self, moment: datetime) -> datetime:
        """The occurrence that follows `moment` (for cron) or `moment + interval`."""
        if self.cron is not None:
            return cron_next(self.cron, moment)
        return moment + timedelta(seconds=self.seconds)


def parse_cycle(text: str, start: datetime) -> Cycle:
    """A time cycle: `R3/PT1H`, `R/2027-01-01T00:00:00Z/P1D`, `R2/P1D/2027-01-05`, or cron.

    `start` is when the timer is armed: `R3/PT1H` first fires an hour later.
    """
    value = text.strip()
    if is_cron(value):
        return Cycle(-1, cron_next(value, start), 0.0, cron=value)
    parts = value.upper().replace("--", "/").split("/")
    if not parts[0].startswith("R") or len(parts) not in (2, 3):
        raise TimerValueError(f"{text!r} is not an ISO 8601 repeating interval (R[n]/...) or cron")
    count = parts[0][1:]
    if count and not count.isdigit():
        raise TimerValueError(f"{text!r}: the repetition count {count!r} is not a number")
    cycles = int(count) if count else -1
    first, second = parts[1], parts[2] if len(parts) == 3 else None
    if second is None:
        seconds = duration_seconds(first, start)
        return Cycle(cycles, start + timedelta(seconds=seconds), seconds)
    if first.startswith("P"):  # duration/end: counted back from the end
        end = parse_date(second)
        seconds = duration_seconds(first, end)
        return Cycle(cycles, end - timedelta(seconds=seconds), seconds)
    begin = parse_date(first)
    return Cycle(cycles, begin, duration_seconds(second, begin))
