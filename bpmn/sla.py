"""SLA settings of a user task: due and follow-up dates, the business calendar, the ladder of steps.

Analysts write them as camunda:properties (Camunda Modeler's properties panel) on the task, or on
the process as defaults for every task (`sla.due`) or for the tasks of one lane (`sla.due.<lane>`).
`camunda:dueDate` / `camunda:followUpDate` on the task win over `sla.due` / `sla.followUp`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, cast

import isodate

from .calendar import Calendar, Offset, parse_calendar, parse_offset, shift
from .errors import SlaInvalid

PREFIX = "sla."
SETTINGS = ("due", "followUp", "calendar", "nudge", "escalate", "reassign")
Action = Literal["nudge", "escalate", "reassign"]
ACTIONS: tuple[Action, ...] = ("nudge", "escalate", "reassign")
TARGETS: dict[str, tuple[str, ...]] = {
    "escalate": ("leads", "leads:", "group:", "user:", "manager"),
    "reassign": ("user:", "group:", "manager"),
}
AT_RISK_SHARE = 0.75
"""A task is at risk once this share of the time from opening to due has passed."""

_UNITS = "Years|Months|Weeks|Days|Hours|Minutes|Seconds"
_JODA = re.compile(rf"^\$\{{\s*dateTime\(\)((?:\.plus(?:{_UNITS})\(\d+\))+)\.toDate\(\)\s*\}}$")
_JODA_PART = re.compile(r"\.plus(Years|Months|Weeks|Days|Hours|Minutes|Seconds)\((\d+)\)")


def is_expression(text: str) -> bool:
    return "${" in text or "#{" in text


def camunda_date_expression(text: str) -> str | None:
    """`${dateTime().plusDays(2).toDate()}` (Camunda's Joda idiom) as the ISO duration `P2D`."""
    match = _JODA.match(text.strip())
    if not match:
        return None
    units = dict.fromkeys(("Years", "Months", "Weeks", "Days", "Hours", "Minutes", "Seconds"), 0)
    for unit, amount in _JODA_PART.findall(match.group(1)):
        units[unit] += int(amount)
    days = units["Weeks"] * 7 + units["Days"]
    clock = "".join(f"{units[u]}{u[0]}" for u in ("Hours", "Minutes", "Seconds") if units[u])
    dates = "".join(f"{n}{c}" for n, c in ((units["Years"], "Y"), (units["Months"], "M"), (days, "D")) if n)
    return "P" + dates + (f"T{clock}" if clock else "") if dates or clock else "PT0S"


def settings_for(
    task_properties: Mapping[str, str],
    process_properties: Mapping[str, str],
    lane: str | None,
    due_date: str | None = None,
    follow_up_date: str | None = None,
) -> dict[str, str]:
    """The SLA settings that apply to one task, by name (`due`, `nudge`, ...), still unevaluated.

    Each setting comes from the task's own property, else the process's `sla.<name>.<lane>`, else the
    process's `sla.<name>`; `camunda:dueDate` and `camunda:followUpDate` win over everything.
    """
    found: dict[str, str] = {}
    for name in SETTINGS:
        key = PREFIX + name
        candidates = [task_properties.get(key)]
        if lane:
            candidates.append(process_properties.get(f"{key}.{lane}"))
        candidates.append(process_properties.get(key))
        value = next((c.strip() for c in candidates if c is not None and c.strip()), None)
        if value is not None:
            found[name] = value
    if due_date and due_date.strip():
        found["due"] = due_date.strip()
    if follow_up_date and follow_up_date.strip():
        found["followUp"] = follow_up_date.strip()
    for name in ("due", "followUp"):
        if name in found and (duration := camunda_date_expression(found[name])):
            found[name] = duration
    return found


def as_text(value: Any) -> str | None:
    """An evaluated setting as text: datetimes and dates in ISO 8601, timedeltas as durations."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return cast(str, isodate.duration_isoformat(value))
    return str(value)


@dataclass(frozen=True)
class Step:
    """One rung of the ladder: what to do, when (relative to the due date), and to whom."""

    action: Action
    offset: Offset
    target: str | None = None

    def describe(self) -> str:
        """`nudge 4 h before due`, `escalate 2 h after due to leads`."""
        when = "at due" if self.offset.is_zero else (
            f"{self.offset.text.lstrip('-+')} {'before' if self.offset.negative else 'after'} due")
        return f"{self.action} {when}" + (f" to {self.target}" if self.target else "")

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "offset": self.offset.text, "target": self.target}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        action = str(data.get("action"))
        if action not in ACTIONS:
            raise SlaInvalid("sla step", action, f"unknown action; use one of {', '.join(ACTIONS)}")
        target = data.get("target")
        return cls(action, parse_offset(str(data.get("offset") or "PT0S")),
                   str(target) if target else None)


def _target(action: str, text: str, key: str, value: str) -> str:
    target = text.strip()
    allowed = TARGETS[action]
    head = target.split(":", 1)[0].lower()
    if target.lower() in allowed and not target.endswith(":"):
        return target.lower()
    if ":" in target and f"{head}:" in allowed and target.split(":", 1)[1].strip():
        return f"{head}:{target.split(':', 1)[1].strip()}"
    shown = ", ".join(a + ("<name>" if a.endswith(":") else "") for a in allowed)
    raise SlaInvalid(key, value, f"cannot {action} to {target!r}; write one of {shown}")


def parse_steps(action: Action, text: str) -> list[Step]:
    """`-PT4H, PT0S` (nudges) or `PT2H -> leads, P1D -> manager` (escalations, reassignments)."""
    key = PREFIX + action
    steps: list[Step] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        when, arrow, whom = item.partition("->")
        if action == "nudge":
            if arrow:
                raise SlaInvalid(key, text, "a nudge goes to whoever holds the task; write only the time")
            steps.append(Step("nudge", parse_offset(when, key)))
            continue
        if not arrow:
            raise SlaInvalid(key, text, f"say where to {action} to, e.g. 'PT2H -> leads'")
        offset = parse_offset(when, key) if when.strip() else parse_offset("PT0S")
        steps.append(Step(action, offset, _target(action, whom, key, text)))
    return steps


def ladder(settings: Mapping[str, str]) -> tuple[Step, ...]:
    """Every step the settings ask for, in the order they would fire on calendar time."""
    steps = [step for action in ACTIONS if settings.get(action)
             for step in parse_steps(action, settings[action])]
    return tuple(sorted(steps, key=lambda s: s.offset.as_timedelta()))


def calendar_of(settings: Mapping[str, str]) -> Calendar | None:
    raw = settings.get("calendar")
    return parse_calendar(raw) if raw else None


def moment(text: str, start: datetime, calendar: Calendar | None, key: str = "sla.due") -> datetime:
    """A due or follow-up date (naive UTC): a duration from `start`, an ISO datetime, or an ISO date.

    A datetime without a zone is local to the calendar (UTC without one); a date alone means the end
    of that day (the calendar's closing time).
    """
    raw = text.strip()
    if raw.lstrip("+-").startswith("P"):
        offset = parse_offset(raw.lstrip("+"), key)
        if offset.negative:
            raise SlaInvalid(key, text, "a due date cannot lie before the task opens")
        return shift(start, offset, calendar)
    zone = calendar.tz if calendar is not None else UTC
    try:
        if "T" in raw or " " in raw:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "T"))
            aware = value if value.tzinfo else value.replace(tzinfo=zone)
            return aware.astimezone(UTC).replace(tzinfo=None)
        day = date.fromisoformat(raw)
    except ValueError:
        raise SlaInvalid(key, text, "not a duration (P2D, PT4H), an ISO date or date and time") from None
    if calendar is not None:
        return calendar.end_of(day)
    return datetime.combine(day + timedelta(days=1), datetime.min.time())


@dataclass(frozen=True)
class Plan:
    """What the SLA of one task means in time: its dates, and when each ladder step fires."""

    due_at: datetime | None
    follow_up_at: datetime | None
    at_risk_at: datetime | None
    steps: tuple[tuple[Step, datetime], ...]


def plan(settings: Mapping[str, str], opened: datetime) -> Plan:
    """The dates of a task opened at `opened` (naive UTC). Raises SlaInvalid for a setting it cannot read.

    Nudges that would fall before the task opened are dropped; an escalation or reassignment whose
    time has already passed fires at once.
    """
    calendar = calendar_of(settings)
    due = moment(settings["due"], opened, calendar) if settings.get("due") else None
    follow_up = (moment(settings["followUp"], opened, calendar, "sla.followUp")
                 if settings.get("followUp") else None)
    steps: list[tuple[Step, datetime]] = []
    at_risk = None
    if due is not None:
        at_risk = opened + (due - opened) * AT_RISK_SHARE if due > opened else due
        for step in ladder(settings):
            at = shift(due, step.offset, calendar)
            if at < opened and step.action == "nudge":
                continue
            steps.append((step, max(at, opened)))
    return Plan(due, follow_up, at_risk, tuple(steps))


def problems(settings: Mapping[str, str]) -> list[SlaInvalid]:
    """What is wrong with settings that can be checked before run time (expressions are skipped)."""
    found: list[SlaInvalid] = []
    literal = {k: v for k, v in settings.items() if not is_expression(v)}
    calendar = None
    try:
        calendar = calendar_of(literal)
    except SlaInvalid as exc:
        found.append(exc)
    try:
        ladder(literal)
    except SlaInvalid as exc:
        found.append(exc)
    for name in ("due", "followUp"):
        if literal.get(name):
            try:
                moment(literal[name], datetime(2000, 1, 3, 9), calendar, PREFIX + name)
            except SlaInvalid as exc:
                found.append(exc)
    if literal.keys() & set(ACTIONS) and "due" not in settings:
        found.append(SlaInvalid("sla.due", "", "the ladder counts from the due date, but the task has none:"
                                " set camunda:dueDate or sla.due"))
    return list({str(exc): exc for exc in found}.values())
