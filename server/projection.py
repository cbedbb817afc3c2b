"""Keep the task projection (tasks + task_access rows) in step with the engine, in the same transaction."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, bindparam, cast, select, update

import bpmn
import forms
from server import owners
from server.audit import PendingEvent
from server.db import db
from server.models import Instance, Task, TaskAccess, User

TASKS = Task.__table__
ACCESS = TaskAccess.__table__
# Built once (building a statement costs more than running it): every change runs these. The SET
# clause comes from the parameters' keys (a few shapes, each compiled once).
_OPEN_ROWS = select(TASKS.c.id, TASKS.c.assignee, TASKS.c.element_id, TASKS.c.name, TASKS.c.due_at).where(
    TASKS.c.instance_id == bindparam("b_instance"), TASKS.c.state == "open"
)
_CLOSE_TASK = TASKS.update().where(TASKS.c.id == bindparam("b_id"))
_CLOSE_ACCESS = ACCESS.update().where(ACCESS.c.task_id == bindparam("b_id"))
_INSERT_TASKS = TASKS.insert()
_INSERT_ACCESS = ACCESS.insert()


# The tasks table's columns for lists of plain rows, with the JSON columns as their stored text
# (`form_text`, `candidate_groups_text`, ...): the API parses each distinct text once
# (server/api/serialize.py) instead of every row's (a page of 50 repeats a handful of forms and
# groups); the submitted data, which lists do not show, is not read at all.
JSON_AS_TEXT = ("form", "candidate_users", "candidate_groups", "properties")
TASK_COLUMNS = [c for c in TASKS.c if c.key not in (*JSON_AS_TEXT, "submitted")] + [
    cast(TASKS.c[key], Text).label(f"{key}_text") for key in JSON_AS_TEXT
]


@dataclass(frozen=True)
class Completion:
    """The task a change completed, by whom, with what."""

    task_id: str
    actor: User
    data: dict[str, Any]


def form_json(fields: list[dict[str, Any]]) -> dict[str, Any]:
    """A task's or start event's form as the API shows it (definitions are checked at deploy).

    Many tasks share one form definition, so the built form is cached by its definition's text (keys
    in their order: a JSON Schema form's fields come in the order of its properties).
    """
    if not fields:
        return {"fields": []}
    built: dict[str, Any] = json.loads(_form_json(json.dumps(fields, default=str)))
    return built  # a fresh copy each time (parsing the cached text is cheaper than a deep copy)


@functools.lru_cache(maxsize=1024)
def _form_json(fields_text: str) -> str:
    try:
        built = forms.form_from_fields(json.loads(fields_text)).to_dict()
    except forms.FormsError:
        built = {"fields": []}
    return json.dumps(built, default=str)


def sync(
    row: Instance,
    wf: bpmn.Instance,
    now: datetime,
    completion: Completion | None = None,
    open_rows: dict[str, Task] | None = None,
) -> list[PendingEvent]:
    """Insert newly ready tasks, close the ones the engine moved past; return the events to record."""
    # Core statements on the session's connection: the ORM's bulk-update bookkeeping (matching
    # the identity map) costs more than the statements themselves on this hot path.
    conn = db.session.connection()
    if open_rows is None:
        open_rows = {t.id: t for t in conn.execute(_OPEN_ROWS, {"b_instance": row.id})}  # type: ignore[misc]
    ready = {t.id: t for t in wf.human_tasks()} if wf.status == "running" else {}
    events: list[PendingEvent] = []

    for task_id, task in open_rows.items():
        if task_id in ready:
            continue
        if completion is not None and task_id == completion.task_id:
            values: dict[str, Any] = {
                "state": "completed",
                "completed_at": now,
                "completed_by": completion.actor.email,
                "submitted": completion.data,
            }
            if not task.assignee:
                values.update(assignee=completion.actor.email, claimed_at=now)
            state = "completed"
        else:
            values = {"state": "cancelled", "completed_at": now}
            state = "cancelled"
            events.append(
                PendingEvent(
                    "task_cancelled",
                    actor_label="engine",
                    element_id=task.element_id,
                    name=task.name,
                    task_id=task_id,
                    meta={"due": getattr(task, "due_at", True) is not None},
                )
            )
        conn.execute(_CLOSE_TASK, {"b_id": task_id, **values})
        conn.execute(_CLOSE_ACCESS, {"b_id": task_id, "state": state})

    new_tasks: list[dict[str, Any]] = []
    access: list[dict[str, Any]] = []
    starter = row.started_by
    for task_id, human in ready.items():
        if task_id in open_rows:
            continue
        who = owners.resolve(human, starter)
        new_tasks.append(
            {
                "id": task_id,
                "instance_id": row.id,
                "process_id": human.process_id or row.process_id,
                "element_id": human.element_id,
                "name": human.name or human.element_id,
                "lane": human.lane,
                "state": "open",
                "assignee": who.assignee,
                "candidate_users": who.candidate_users,
                "candidate_groups": who.candidate_groups,
                "documentation": human.documentation or "",
                "form": list(human.form_fields),
                "properties": human.details,
                "priority": _priority(human.priority),
                "created_at": now,
            }
        )
        for principal in owners.principals(who, starter):
            access.append({"task_id": task_id, "principal": principal, "state": "open", "created_at": now})
        events.append(
            PendingEvent(
                "task_opened",
                actor_label="engine",
                element_id=human.element_id,
                name=human.name,
                task_id=task_id,
                data={
                    "assignee": who.assignee,
                    "candidate_users": who.candidate_users,
                    "candidate_groups": who.candidate_groups,
                },
                meta={
                    "sla": bool(human.sla),
                    "outside": bool(who.assignee) or any(
                        n.strip().casefold().startswith(owners.EXTERNAL_PREFIX) for n in human.candidate_users
                    ),
                },
            )
        )
    if new_tasks:
        conn.execute(_INSERT_TASKS, new_tasks)
        conn.execute(_INSERT_ACCESS, access)
    return events


def close_all(row: Instance, now: datetime) -> None:
    """Cancel every open task of an instance (it was cancelled or ended)."""
    ids = list(db.session.scalars(select(Task.id).where(Task.instance_id == row.id, Task.state == "open")))
    if ids:
        db.session.execute(update(Task).where(Task.id.in_(ids)).values(state="cancelled", completed_at=now))
        db.session.execute(update(TaskAccess).where(TaskAccess.task_id.in_(ids)).values(state="cancelled"))


def _priority(raw: str | None) -> int:
    try:
        return int(raw) if raw not in (None, "") else 50
    except ValueError:
        return 50
