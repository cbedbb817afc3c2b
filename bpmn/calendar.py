"""Time arithmetic for SLAs: ISO 8601 offsets, counted in calendar time or on a business calendar."""

from __future__ import annotations

import calendar as month_calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import isodate

from .errors import SlaInvalid

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = ("24/7", "calendar", "none", "")
"""Calendar settings that mean plain calendar time (the default)."""

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_COUNTRY = re.compile(r"^([A-Z]{2,3})(?:-([A-Z0-9]{1,4}))?$")
_SEARCH_DAYS = 366 * 2  # how far to look for a working day before giving up (a calendar with none)


@dataclass(frozen=True)
class Offset:
    """A signed ISO 8601 duration, split the way a calendar counts it: months, days, then seconds."""

    text: str
    negative: bool
    months: int
    days: int
    seconds: float

    @property
    def is_zero(self) -> bool:
        return not (self.months or self.days or self.seconds)

    def as_timedelta(self) -> timedelta:
        """The offset in calendar time (months counted as 30 days; only for estimates)."""
        span = timedelta(days=self.months * 30 + self.days, seconds=self.seconds)
        return -span if self.negative else span


def parse_offset(text: str, key: str = "duration") -> Offset:
    """`PT4H`, `P2D`, `-PT30M`, `P1M`: an ISO 8601 duration, minus sign for "before"."""
    raw = text.strip()
    try:
        value = isodate.parse_duration(raw)
    except (isodate.ISO8601Error, ValueError, TypeError):
        raise SlaInvalid(key, text, "not an ISO 8601 duration such as PT4H, P2D or -PT30M") from None
    if isinstance(value, isodate.Duration):
        months, delta = int(value.years * 12 + value.months), value.tdelta
    else:
        months, delta = 0, value
    negative = raw.startswith("-")
    if negative:
        months, delta = -months, -delta
    if months < 0 or delta < timedelta(0):
        raise SlaInvalid(key, text, "mixes positive and negative parts")
    return Offset(raw, negative, months, delta.days, delta.seconds + delta.microseconds / 1e6)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (or earlier), the day clamped to the month's length."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, month_calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


@dataclass(frozen=True)
class Calendar:
    """Working days and hours in a time zone, minus a country's public holidays."""

    days: frozenset[int]
    opens: time
    closes: time
    zone: str = "UTC"
    country: str | None = None
    subdivision: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def is_working_day(self, day: date) -> bool:
        if day.weekday() not in self.days:
            return False
        return self.country is None or day not in _holidays(self.country, self.subdivision)

    def _day(self, start: date, step: int) -> date:
        """The first working day from `start` on (step 1) or back (step -1), `start` included."""
        day = start
        for _ in range(_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=step)
        raise SlaInvalid("sla.calendar", str(self), "has no working day in two years")

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz)

    def _forward(self, local: datetime) -> datetime:
        """`local` if it is working time, else the next opening."""
        if self.is_working_day(local.date()) and self.opens <= local.time() < self.closes:
            return local
        day = local.date() if local.time() < self.opens else local.date() + timedelta(days=1)
        return self._at(self._day(day, 1), self.opens)

    def _backward(self, local: datetime) -> datetime:
        """`local` if it is working time (closing time included), else the last closing before it."""
        if self.is_working_day(local.date()) and self.opens < local.time() <= self.closes:
            return local
        day = local.date() if local.time() > self.closes else local.date() - timedelta(days=1)
        return self._at(self._day(day, -1), self.closes)

    def shift(self, moment: datetime, offset: Offset) -> datetime:
        """`moment` (naive UTC) moved by `offset` in working time; naive UTC back.

        Months move the date, days count working days (same clock time), hours count working hours.
        """
        if offset.is_zero:
            return moment
        step = -1 if offset.negative else 1
        local = _utc(moment).astimezone(self.tz)
        if offset.months:
            local = add_months(local, step * offset.months)
        local = self._forward(local) if step > 0 else self._backward(local)
        for _ in range(offset.days):
            day = self._day(local.date() + timedelta(days=step), step)
            local = self._at(day, local.time())
        remaining = timedelta(seconds=offset.seconds)
        while remaining > timedelta(0):
            if step > 0:
                edge = self._at(local.date(), self.closes)
                if local + remaining <= edge:
                    local += remaining
                    break
                remaining -= edge - local
                local = self._at(self._day(local.date() + timedelta(days=1), 1), self.opens)
            else:
                edge = self._at(local.date(), self.opens)
                if local - remaining >= edge:
                    local -= remaining
                    break
                remaining -= local - edge
                local = self._at(self._day(local.date() - timedelta(days=1), -1), self.closes)
        return local.astimezone(UTC).replace(tzinfo=None)

    def end_of(self, day: date) -> datetime:
        """Closing time of `day` (naive UTC): what a due date without a time means."""
        return self._at(day, self.closes).astimezone(UTC).replace(tzinfo=None)

    def __str__(self) -> str:
        names = ",".join(DAY_NAMES[d].capitalize() for d in sorted(self.days))
        hours = f"{self.opens:%H:%M}-{self.closes:%H:%M}"
        region = f"-{self.subdivision}" if self.subdivision else ""
        region = f" {self.country}{region}" if self.country else ""
        return f"{names} {hours} {self.zone}{region}"


def shift(moment: datetime, offset: Offset, calendar: Calendar | None = None) -> datetime:
    """`moment` (naive UTC) moved by `offset`: calendar time, or working time on `calendar`."""
    if calendar is not None:
        return calendar.shift(moment, offset)
    step = -1 if offset.negative else 1
    moved = add_months(moment, step * offset.months) if offset.months else moment
    return moved + step * timedelta(days=offset.days, seconds=offset.seconds)


def _days(token: str, key: str, text: str) -> frozenset[int]:
    found: set[int] = set()
    for part in token.lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise SlaInvalid(key, text, f"{part!r} is not a day or day range such as Mon-Fri")
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        found.update((start + i) % 7 for i in range((end - start) % 7 + 1))
    return frozenset(found)


def _hours(match: re.Match[str], key: str, text: str) -> tuple[time, time]:
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        opens, closes = time(h1, m1), time(h2, m2)
    except ValueError:
        raise SlaInvalid(key, text, "working hours must be HH:MM-HH:MM, e.g. 09:00-17:00") from None
    if opens >= closes:
        raise SlaInvalid(key, text, "working hours must open before they close (overnight shifts: not yet)")
    return opens, closes


def parse_calendar(text: str, key: str = "sla.calendar") -> Calendar | None:
    """`Mon-Fri 09:00-17:00 Europe/Berlin DE-BY`: any of the parts, in any order; None = calendar time.

    Defaults: Mon-Fri, 09:00-17:00, UTC, no holidays. The country (ISO code, optional subdivision
    after a dash) brings its public holidays from the `holidays` package.
    """
    if text.strip().lower() in ALWAYS:
        return None
    days, hours = frozenset(range(5)), (time(9), time(17))
    zone, country, subdivision = "UTC", None, None
    for token in text.split():
        if hour_match := _HOURS.match(token):
            hours = _hours(hour_match, key, text)
        elif all(part in DAY_NAMES for part in re.split(r"[,-]", token.lower())):
            days = _days(token, key, text)
        elif "/" in token or token.upper() == "UTC":
            zone = "UTC" if token.upper() == "UTC" else token
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise SlaInvalid(key, text, f"{token!r} is not a time zone such as Europe/Berlin") from None
        elif country_match := _COUNTRY.match(token):
            country, subdivision = country_match.group(1), country_match.group(2)
            try:
                _holidays(country, subdivision)
            except NotImplementedError:
                raise SlaInvalid(key, text, f"no holiday calendar for {token!r}") from None
        else:
            example = "Mon-Fri 09:00-17:00 Europe/Berlin DE"
            raise SlaInvalid(key, text, f"cannot read {token!r}: write e.g. {example}")
    return Calendar(days, hours[0], hours[1], zone, country, subdivision)
