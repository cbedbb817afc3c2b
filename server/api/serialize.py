"""JSON shapes of the API's resources (kept stable: other systems depend on them)."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from server import instructions, runtime
from server.clock import iso, utcnow
from server.db import db, records
from server.incidents import open_for_instance
from server.models import Incident, Instance, ProcessVersion, Task
from server.projection import TASK_COLUMNS, form_json
from server.sla_state import sla_json, state_of


def task_json(task: Any, now: datetime | None = None) -> dict[str, Any]:
    """A task as the API shows it, from a Task or a plain row of the tasks table (whose form may
    come as its stored text, `form_text`: server.projection.TASK_COLUMNS). `now`: one clock for a
    whole list."""
    now = now or utcnow()
    state = state_of(task, now)
    form, shown = _form_parts(_form_text(task))
    return {
        "id": task.id,
        "instance_id": task.instance_id,
        "process_id": task.process_id,
        "element_id": task.element_id,
        "name": task.name,
        "lane": task.lane,
        "state": task.state,
        "assignee": task.assignee,
        "candidate_users": list(_stored(task, "candidate_users") or []),
        "candidate_groups": list(_stored(task, "candidate_groups") or []),
        "priority": task.priority,
        "due_at": iso(task.due_at),
        "sla_state": state,
        "sla": sla_json(task, now, state=state),
        "created_at": iso(task.created_at),
        "claimed_at": iso(task.claimed_at),
        "completed_at": iso(task.completed_at),
        "completed_by": task.completed_by,
        "documentation": task.documentation,
        "form": form,
        "properties": dict(_stored(task, "properties") or {}),
        **shown,
    }


_ABSENT = object()


def _stored(task: Any, key: str) -> Any:
    """A JSON column of a Task, or of a plain row that read it as text (`<key>_text`, parsed once
    per distinct text: shared, so read-only)."""
    text = getattr(task, f"{key}_text", _ABSENT)
    if text is _ABSENT:
        return getattr(task, key)
    return _parsed(text) if text is not None else None


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> Any:
    return json.loads(text)


def _form_text(task: Any) -> str:
    text = getattr(task, "form_text", None)
    return text if isinstance(text, str) else json.dumps(task.form or [], default=str)


@functools.lru_cache(maxsize=1024)
def _form_parts(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stored form's API shape and its SpiffArena instructions (Markdown, HTML, error), built once
    per distinct form: many tasks share one. Shared, so read-only (answers only serialize them)."""
    fields = json.loads(text) or []
    found = instructions.of_form(fields)
    shown = found.to_dict() if found is not None else \
        {"instructions": None, "instructions_html": None, "instructions_error": None}
    return form_json(fields), shown


_TASKS = Task.__table__
_OPEN_TASKS = (  # built once: every answer of a change runs it
    select(*TASK_COLUMNS).where(_TASKS.c.instance_id == bindparam("b_instance"), _TASKS.c.state == "open")
    .order_by(_TASKS.c.created_at, _TASKS.c.id)
)


def instance_json(row: Instance, open_tasks: list[Any] | None = None) -> dict[str, Any]:
    if open_tasks is None:  # plain rows: task_json reads only columns
        open_tasks = records(db.session.connection().execute(_OPEN_TASKS, {"b_instance": row.id}))
    name, deployment_id, version = _process(row)
    now = utcnow()
    return {
        "id": row.id,
        "process_id": row.process_id,
        "process_name": name,
        "deployment_id": deployment_id,
        "version": version,
        "business_key": row.business_key,
        "status": row.status,
        "error": row.error,
        "started_by": _starter(row),
        "started_at": iso(row.started_at),
        "updated_at": iso(row.updated_at),
        "ended_at": iso(row.ended_at),
        "data": row.data,
        "open_tasks": [task_json(t, now) for t in open_tasks],
        "waiting": list(row.waiting or []),
        "incidents": [incident_summary(i) for i in _open_incidents(row)],
    }


def _process(row: Instance) -> tuple[str, int, int]:
    known: tuple[str, int, int] | None = runtime.known_facts(row).get("process")
    if known is not None:
        return known
    version = row.process_version
    return version.display_name, version.deployment_id, version.version


def _starter(row: Instance) -> str | None:
    if "started_by_email" in runtime.known_facts(row):
        return runtime.known_facts(row)["started_by_email"]  # type: ignore[no-any-return]
    return row.started_by.email if row.started_by else None


def _open_incidents(row: Instance) -> list[Incident]:
    known: list[Incident] | None = runtime.known_facts(row).get("open_incidents")
    return known if known is not None else open_for_instance(row.id)


def process_json(pv: ProcessVersion) -> dict[str, Any]:
    return {
        "id": pv.process_id,
        "name": pv.display_name,
        "version": pv.version,
        "deployment_id": pv.deployment_id,
        "documentation": pv.documentation,
        "startable": pv.startable,
        "startable_in_tasklist": pv.startable_in_tasklist,
        "start_form": form_json(pv.start_form or []),
        "deployed_at": iso(pv.created_at),
    }


def incident_summary(incident: Incident) -> dict[str, Any]:
    """What the instance JSON says about one of its open incidents (details: /api/v1/incidents/<id>)."""
    return {
        "id": incident.id,
        "kind": incident.kind,
        "element_id": incident.element_id,
        "task_id": incident.task_id,
        "message": incident.message,
        "created_at": iso(incident.created_at),
    }
