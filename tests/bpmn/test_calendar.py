"""ISO offsets and business calendars: working days, hours, holidays and time zones."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bpmn.calendar import parse_calendar, parse_offset, shift
from bpmn.errors import SlaInvalid

BERLIN = ZoneInfo("Europe/Berlin")
WORKWEEK_BERLIN = "Mon-Fri 09:00-17:00 Europe/Berlin DE"


def berlin(*args: int) -> datetime:
    """A Berlin wall-clock time as the naive UTC datetime the server stores."""
    return datetime(*args, tzinfo=BERLIN).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "negative", "months", "days", "seconds"),
    [("PT4H", False, 0, 0, 14400), ("-PT4H", True, 0, 0, 14400), ("P1DT2H", False, 0, 1, 7200),
     ("P1M", False, 1, 0, 0), ("-P1Y2M", True, 14, 0, 0), ("PT0S", False, 0, 0, 0)],
)
def test_offsets_split_into_months_days_and_seconds(
    text: str, negative: bool, months: int, days: int, seconds: float
) -> None:
    offset = parse_offset(text)
    assert (offset.negative, offset.months, offset.days, offset.seconds) == (negative, months, days, seconds)


@pytest.mark.parametrize("text", ["two days", "2025-01-01", "P", "4h"])
def test_unreadable_offset_names_the_setting(text: str) -> None:
    with pytest.raises(SlaInvalid) as caught:
        parse_offset(text, "sla.nudge")
    assert caught.value.key == "sla.nudge"
    assert "ISO 8601 duration" in str(caught.value)


def test_calendar_time_counts_every_hour_and_month_ends() -> None:
    friday = datetime(2025, 1, 31, 16, 0)
    assert shift(friday, parse_offset("PT2H")) == datetime(2025, 1, 31, 18, 0)
    assert shift(friday, parse_offset("P1M")) == datetime(2025, 2, 28, 16, 0)
    assert shift(friday, parse_offset("-P1D")) == datetime(2025, 1, 30, 16, 0)


def test_calendar_text_reads_days_hours_zone_and_country() -> None:
    calendar = parse_calendar("Sun-Thu 08:30-16:00 Asia/Jerusalem IL")
    assert calendar is not None
    assert calendar.days == frozenset({6, 0, 1, 2, 3})
    assert (calendar.opens, calendar.closes) == (time(8, 30), time(16))
    assert (calendar.zone, calendar.country) == ("Asia/Jerusalem", "IL")
    defaults = parse_calendar("DE-BY")
    assert defaults is not None and defaults.subdivision == "BY" and defaults.zone == "UTC"
    assert str(defaults) == "Mon,Tue,Wed,Thu,Fri 09:00-17:00 UTC DE-BY"
    assert parse_calendar("24/7") is None


@pytest.mark.parametrize(
    ("text", "words"),
    [("Mon-Fri Mars/Olympus", "time zone"), ("Mon-Fri QQ", "no holiday calendar"),
     ("17:00-09:00", "open before they close"), ("weekdays", "cannot read"), ("Mon-Fro", "cannot read")],
)
def test_unreadable_calendar_says_which_part(text: str, words: str) -> None:
    with pytest.raises(SlaInvalid) as caught:
        parse_calendar(text)
    assert words in str(caught.value)


def test_working_hours_carry_over_the_weekend() -> None:
    calendar = parse_calendar(WORKWEEK_BERLIN)
    friday_4pm = berlin(2025, 3, 7, 16, 0)
    assert calendar is not None
    assert calendar.shift(friday_4pm, parse_offset("PT2H")) == berlin(2025, 3, 10, 10, 0)
    assert calendar.shift(friday_4pm, parse_offset("P1D")) == berlin(2025, 3, 10, 16, 0)
    assert calendar.shift(friday_4pm, parse_offset("PT1H")) == berlin(2025, 3, 7, 17, 0)


def test_work_handed_in_outside_hours_starts_at_the_next_opening() -> None:
    calendar = parse_calendar(WORKWEEK_BERLIN)
    saturday = berlin(2025, 3, 8, 12, 0)
    assert calendar is not None
    assert calendar.shift(saturday, parse_offset("PT1H")) == berlin(2025, 3, 10, 10, 0)


def test_public_holidays_are_not_working_days() -> None:
    calendar = parse_calendar(WORKWEEK_BERLIN)
    christmas_eve = berlin(2025, 12, 24, 10, 0)  # a Wednesday; the 25th and 26th are holidays in DE
    assert calendar is not None
    assert calendar.shift(christmas_eve, parse_offset("P1D")) == berlin(2025, 12, 29, 10, 0)
    without = parse_calendar("Mon-Fri 09:00-17:00 Europe/Berlin")
    assert without is not None
    assert without.shift(christmas_eve, parse_offset("P1D")) == berlin(2025, 12, 25, 10, 0)


def test_regional_holidays_follow_the_subdivision() -> None:
    bavaria = parse_calendar("Europe/Berlin DE-BY")
    berlin_city = parse_calendar("Europe/Berlin DE-BE")
    day_before_epiphany = berlin(2025, 1, 5, 12, 0)  # Sunday; 6 January is a holiday in Bavaria only
    assert bavaria is not None and berlin_city is not None
    assert bavaria.shift(day_before_epiphany, parse_offset("PT1H")) == berlin(2025, 1, 7, 10, 0)
    assert berlin_city.shift(day_before_epiphany, parse_offset("PT1H")) == berlin(2025, 1, 6, 10, 0)


def test_negative_offsets_count_working_time_backwards() -> None:
    calendar = parse_calendar(WORKWEEK_BERLIN)
    monday_10am = berlin(2025, 3, 10, 10, 0)
    assert calendar is not None
    assert calendar.shift(monday_10am, parse_offset("-PT2H")) == berlin(2025, 3, 7, 16, 0)
    assert calendar.shift(monday_10am, parse_offset("-P1D")) == berlin(2025, 3, 7, 10, 0)
    assert calendar.shift(monday_10am, parse_offset("PT0S")) == monday_10am


def test_working_hours_are_wall_clock_hours_across_a_clock_change() -> None:
    calendar = parse_calendar(WORKWEEK_BERLIN)
    before_dst = berlin(2025, 3, 28, 16, 0)  # Friday, CET; clocks go forward on Sunday the 30th
    assert calendar is not None
    due = calendar.shift(before_dst, parse_offset("PT2H"))
    assert due == berlin(2025, 3, 31, 10, 0)
    assert due == datetime(2025, 3, 31, 8, 0)  # CEST is UTC+2
