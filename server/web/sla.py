"""The SLA page (admins and auditors): overdue and at-risk tasks by process, lane, group and owner.

Everything comes from the task projection in one query; no workflow is deserialized. The template
helpers here also put the SLA badge and the ladder's story on every task list and task page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import render_template
from sqlalchemy import select

from server import auth, sla, sla_state
from server.clock import utcnow
from server.db import db
from server.errors import Forbidden
from server.models import Task
from server.web import web

SLA_LIMIT = 2000  # tasks the page looks at, most urgent first
CHART_BARS = 12  # processes in the chart
CHART_WIDTH = 560  # px of the widest bar
STATES_SHOWN = ("overdue", "escalated", "at_risk")


@dataclass
class Bucket:
    """Tasks that share a process, lane, group or owner, counted by SLA state."""

    name: str
    overdue: int = 0
    at_risk: int = 0
    escalated: int = 0
    oldest: datetime | None = None  # opening time of its oldest task
    tasks: list[Task] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.overdue + self.at_risk + self.escalated

    def add(self, task: Task, state: str) -> None:
        if state == "escalated":
            self.escalated += 1
        elif state == "overdue":
            self.overdue += 1
        else:
            self.at_risk += 1
        self.tasks.append(task)
        if self.oldest is None or task.created_at < self.oldest:
            self.oldest = task.created_at


def _process(task: Task) -> str:
    return task.instance.process_version.display_name if task.instance else task.process_id


def _groups(task: Task) -> list[str]:
    return list(task.candidate_groups or []) or ["(no group)"]


def _owner(task: Task) -> str:
    return task.assignee or "(unclaimed)"


def buckets(rows: list[tuple[Task, str]], key: Callable[[Task], list[str]]) -> list[Bucket]:
    """Group (task, state) pairs by `key` (a task may fall in several groups), biggest first."""
    found: dict[str, Bucket] = {}
    for task, state in rows:
        for name in key(task):
            found.setdefault(name, Bucket(name)).add(task, state)
    return sorted(found.values(), key=lambda b: (-(b.overdue + b.escalated), -b.total, b.name))


def chart(rows: list[Bucket]) -> list[dict[str, object]]:
    """Bars for the SVG chart: one per process, red (overdue or escalated) then amber (at risk)."""
    shown = rows[:CHART_BARS]
    widest = max((b.total for b in shown), default=0) or 1
    bars = []
    for index, bucket in enumerate(shown):
        late = bucket.overdue + bucket.escalated
        bars.append({
            "name": bucket.name, "y": index * 28, "late": late, "at_risk": bucket.at_risk,
            "late_width": round(CHART_WIDTH * late / widest),
            "risk_width": round(CHART_WIDTH * bucket.at_risk / widest),
        })
    return bars


@web.get("/sla")
def sla_page() -> str:
    user = auth.user()
    if not user.sees_everything:
        raise Forbidden("The SLA page is for admins and auditors.")
    now = utcnow()
    query = (select(Task).where(sla_state.needs_attention(now))
             .order_by(sla_state.urgency(now), Task.due_at, Task.created_at).limit(SLA_LIMIT))
    tasks = list(db.session.scalars(query).unique())
    rows = [(task, sla_state.state_of(task, now) or "on_track") for task in tasks]
    by_process = buckets(rows, lambda t: [_process(t)])
    return render_template(
        "sla.html",
        now=now,
        rows=rows,
        limited=len(tasks) >= SLA_LIMIT,
        counts={state: sum(1 for _, s in rows if s == state) for state in STATES_SHOWN},
        by_process=by_process,
        by_lane=buckets(rows, lambda t: [t.lane or "(no lane)"]),
        by_group=buckets(rows, _groups),
        by_owner=buckets(rows, lambda t: [_owner(t)]),
        bars=chart(by_process),
        chart_width=CHART_WIDTH,
        process_of=_process,
    )


# --- template helpers (globals, so imported macros see them too) --------------------------------


@web.app_template_global("sla_state_of")
def sla_state_of(task: Task) -> str | None:
    return sla_state.state_of(task)


@web.app_template_global("sla_label")
def sla_label(state: str | None) -> str:
    return sla_state.LABELS.get(state or "", "")


@web.app_template_global("ladder_text")
def ladder_text(task: Task) -> str:
    return sla_state.ladder_text(task)


@web.app_template_global("sla_upcoming")
def sla_upcoming(task: Task) -> list[tuple[datetime, str]]:
    """The ladder steps still to come, in words (task page)."""
    if task.state != "open":
        return []
    return [(at, step.describe()) for at, step in sla.upcoming_steps(task)]


@web.app_template_global("age_text")
def age_text(moment: datetime | None) -> str:
    return sla_state.ago(moment).removesuffix(" ago") if moment else ""
