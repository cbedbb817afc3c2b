"""SLA durations as people write them ("2 days", "4h", "P2D") to ISO 8601, and the SLA ladder."""

from __future__ import annotations

import re
from datetime import timedelta

import isodate

_UNITS: dict[str, int] = {}
for _names, _unit_seconds in (
    (("s", "sec", "secs", "second", "seconds"), 1),
    (("m", "min", "mins", "minute", "minutes"), 60),
    (("h", "hr", "hrs", "hour", "hours"), 3600),
    (("d", "day", "days"), 86400),
    (("w", "wk", "wks", "week", "weeks"), 7 * 86400),
):
    for _name in _names:
        _UNITS[_name] = _unit_seconds

_WORKING = r"(?:business|working|work|calendar)\s+"
_NATURAL = re.compile(
    r"^(?:(?:sla|due|deadline|within|in|max(?:imum)?|up\s+to|takes?)\s*[:=]?\s*)*"
    rf"(?P<number>\d+(?:[.,]\d+)?|an?|one)\s*(?P<working>{_WORKING})?(?P<unit>[a-z]+)\.?$"
)
_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0}
WORKING_CALENDAR = "Mon-Fri 09:00-17:00"
WORKING_HOURS_PER_DAY = 8
_SPECIAL = {"same day": 86400, "next day": 86400, "overnight": 86400, "immediately": 3600}


def parse_duration(text: str) -> tuple[str, bool] | None:
    """The ISO 8601 duration of an SLA and whether it counts working time; None if unclear.

    `3 business days` is P3D in working time (a business week is five working days, and half a
    working day is four working hours); see `sla_ladder` for the calendar that goes with it.
    """
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        return None
    if cleaned.upper().startswith("P"):
        try:
            parsed = isodate.parse_duration(cleaned.upper())
        except (isodate.ISO8601Error, ValueError):
            return None
        if isinstance(parsed, timedelta):
            return (format_duration(parsed), False) if parsed > timedelta(0) else None
        return cleaned.upper(), False  # years or months: keep as written, isodate.Duration
    if cleaned in _SPECIAL:
        return format_duration(timedelta(seconds=_SPECIAL[cleaned])), False
    match = _NATURAL.match(cleaned)
    if not match:
        return None
    unit = match["unit"]
    if unit not in _UNITS:
        return None
    number_text = match["number"]
    number = _WORDS.get(number_text) or float(number_text.replace(",", "."))
    working = bool(match["working"]) and "calendar" not in match[0]
    if working and _UNITS[unit] >= 86400:
        days = number * (5 if _UNITS[unit] > 86400 else 1)
        whole, hours = int(days), round((days - int(days)) * WORKING_HOURS_PER_DAY)
        if whole <= 0 and hours <= 0:
            return None
        return format_duration(timedelta(days=whole, hours=hours)), True
    seconds = round(number * _UNITS[unit])
    if seconds <= 0:
        return None
    return format_duration(timedelta(seconds=seconds)), working


def format_duration(value: timedelta) -> str:
    """A timedelta as a compact ISO 8601 duration: P2D, PT4H, P1DT12H, -PT6H, PT0S."""
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    date_part = f"{days}D" if days else ""
    time_part = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    if not date_part and not time_part:
        return "PT0S"
    return f"{sign}P{date_part}" + (f"T{time_part}" if time_part else "")


def _seconds(iso: str) -> int | None:
    parsed = isodate.parse_duration(iso)
    return round(parsed.total_seconds()) if isinstance(parsed, timedelta) else None


def sla_ladder(iso: str, working: bool = False) -> dict[str, str]:
    """The camunda:properties that give a task with this SLA its ladder (read by bpmn.sla).

    `sla.nudge`: remind the assignee a quarter of the SLA before the due date (a negative offset;
    at least a minute); `sla.escalate`: tell the lane's leads at the due date (`PT0S -> leads`).
    An SLA written in working days also gets `sla.calendar` = `Mon-Fri 09:00-17:00`, so its due
    date and ladder count working time. The due date itself is the task's camunda:dueDate.
    """
    ladder: dict[str, str] = {}
    if working:
        ladder["sla.calendar"] = WORKING_CALENDAR
    seconds = _seconds(iso)
    if seconds and working and seconds % 86400 == 0:
        days = seconds // 86400
        ladder["sla.nudge"] = f"-P{max(1, round(days / 4))}D" if days >= 2 else "-PT2H"
    elif seconds:
        # Whole minutes keep the ladder readable (PT12H, not PT11H59M59S).
        ladder["sla.nudge"] = format_duration(timedelta(seconds=-max(60, round(seconds / 4 / 60) * 60)))
    ladder["sla.escalate"] = "PT0S -> leads"
    return ladder
