"""SLA state of a task from the projection alone: on track, at risk, overdue, escalated; met or missed.

Computed from the task row (due_at, at_risk_at, nudge_count, escalated_at): no workflow is ever
deserialized, so lists and the SLA page stay one query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_

from server.clock import iso, utcnow
from server.models import Task

OPEN_STATES = ("on_track", "at_risk", "overdue", "escalated")
CLOSED_STATES = ("met", "missed")
LABELS = {"on_track": "on track", "at_risk": "at risk", "overdue": "overdue", "escalated": "escalated",
          "met": "met", "missed": "missed"}
TIMES = {1: "once", 2: "twice"}


def state_of(task: Task, now: datetime | None = None) -> str | None:
    """`on_track` | `at_risk` | `overdue` | `escalated` for an open task; `met` | `missed` | None once closed.

    Escalated wins (someone above is on it); overdue once the due time passed; at risk once most of
    the time is gone (at_risk_at) or a nudge went out. A task without a due date is on track.
    """
    now = now or utcnow()
    if task.state != "open":
        if task.state != "completed" or task.due_at is None or task.completed_at is None:
            return None
        return "met" if task.completed_at <= task.due_at else "missed"
    if task.escalated_at is not None:
        return "escalated"
    if task.due_at is None:
        return "on_track"
    if task.due_at <= now:
        return "overdue"
    if (task.at_risk_at is not None and task.at_risk_at <= now) or task.nudge_count:
        return "at_risk"
    return "on_track"


def _span(seconds: float) -> str:
    minutes = abs(seconds) / 60
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{int(minutes)} min"
    if minutes < 60 * 24:
        return f"{int(minutes // 60)} h"
    return f"{int(minutes // (60 * 24))} d"


def due_phrase(due_at: datetime | None, now: datetime | None = None, *, late: bool = False) -> str:
    """`due in 3 h`, `due now`, `overdue by 2 d` (for notifications); `late`: never `due now`."""
    if due_at is None:
        return "waiting"
    seconds = (due_at - (now or utcnow())).total_seconds()
    if -60 < seconds <= 0:
        return "overdue" if late else "due now"
    return f"due in {_span(seconds)}" if seconds > 0 else f"overdue by {_span(seconds)}"


def ago(moment: datetime, now: datetime | None = None) -> str:
    seconds = ((now or utcnow()) - moment).total_seconds()
    return "just now" if seconds < 60 else f"{_span(seconds)} ago"


def ladder_text(task: Task, now: datetime | None = None) -> str:
    """What the ladder did so far: `nudged twice; escalated to legal leads 2 h ago` ('' = nothing)."""
    parts = []
    if task.nudge_count:
        parts.append(f"nudged {TIMES.get(task.nudge_count, f'{task.nudge_count} times')}")
    if task.escalated_at is not None:
        parts.append(f"escalated to {task.escalated_to or 'someone'} {ago(task.escalated_at, now)}")
    return "; ".join(parts)


def sla_json(task: Task, now: datetime | None = None, *, state: str | None = None) -> dict[str, Any]:
    """The `sla` object of a task in the API (`state`: its `state_of`, when the caller has it)."""
    now = now or utcnow()
    return {
        "state": state if state is not None else state_of(task, now),
        "due_at": iso(task.due_at),
        "follow_up_at": iso(task.follow_up_at),
        "at_risk_at": iso(task.at_risk_at),
        "nudge_count": task.nudge_count or 0,
        "last_nudged_at": iso(task.last_nudged_at),
        "escalated_to": task.escalated_to,
        "escalated_at": iso(task.escalated_at),
        "summary": ladder_text(task, now),
    }


# --- the same rules in SQL ---------------------------------------------------------------------


def is_overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Task.due_at.is_not(None), Task.due_at <= now)


def needs_attention(now: datetime) -> ColumnElement[bool]:
    """Open tasks that are overdue, at risk or escalated."""
    return and_(Task.state == "open", or_(
        is_overdue(now), Task.at_risk_at <= now, Task.nudge_count > 0, Task.escalated_at.is_not(None)))


def urgency(now: datetime) -> ColumnElement[int]:
    """Sort key: escalated and overdue first (0), then at risk (1), then the rest (2)."""
    return case(
        (or_(Task.escalated_at.is_not(None), is_overdue(now)), 0),
        (or_(Task.at_risk_at <= now, Task.nudge_count > 0), 1),
        else_=2,
    )
