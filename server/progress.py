"""The progress view of a case: where it stands, who it waits on, what comes next — from the projection.

Nothing here deserializes a workflow: the open task rows, the instance's `waiting` list, pending timer
rows, open incidents and the audit events say where a case is; the parsed definition (cached per
process version) predicts the road ahead and which boundary timers hang on a task.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select

import bpmn
from bpmn.ahead import Attachment, Step, ahead, attachments
from server import sla_state
from server.audit import erased_marker
from server.audit_words import actor_words, erased_text
from server.clock import iso, utcnow
from server.db import db
from server.definitions import definition_for
from server.incidents import open_for_instance
from server.models import Event, Incident, Instance, ProcessVersion, Task, Timer, User
from server.notifications import find_user, group_members
from server.progress_words import next_action
from server.projection import form_json
from server.steps import KIND as ENGINE_STEPS

EXTERNAL_PREFIX = "external:"
CACHE_SIZE = 512  # predictions kept (process version x set of current elements)

RequiredInputs = Callable[[Task, Instance], list[dict[str, Any]]]
REQUIRED_INPUT_SOURCES: list[RequiredInputs] = []
"""Further sources of a task's missing inputs (documents register here); each returns
[{"id", "label", "kind"}] for one open task."""

_lock = threading.Lock()
# Keyed like server.definitions: the same deployed files give the same diagram, whatever the row id.
_ahead_cache: OrderedDict[tuple[str, str, frozenset[str]], list[Step]] = OrderedDict()
_attach_cache: OrderedDict[tuple[str, str], dict[str, Attachment]] = OrderedDict()


# --- the diagram, cached per process version ---------------------------------------------------


def _definition(version: ProcessVersion) -> bpmn.Definition | None:
    try:
        return definition_for(version)
    except (LookupError, bpmn.BpmnError):
        return None


def boundary_timers(version: ProcessVersion) -> dict[str, Attachment]:
    """Boundary event id -> the activity it hangs on, for one process version (cached)."""
    key = (version.checksum, version.process_id)
    with _lock:
        found = _attach_cache.get(key)
    if found is None:
        definition = _definition(version)
        found = attachments(definition) if definition is not None else {}
        with _lock:
            _attach_cache[key] = found
            while len(_attach_cache) > CACHE_SIZE:
                _attach_cache.popitem(last=False)
    return found


def road_ahead(version: ProcessVersion, current: set[str]) -> list[Step]:
    """The steps still to come from `current` (cached per process version and current set)."""
    key = (version.checksum, version.process_id, frozenset(current))
    with _lock:
        found = _ahead_cache.get(key)
        if found is not None:
            _ahead_cache.move_to_end(key)
            return found
    definition = _definition(version)
    steps = ahead(definition, current) if definition is not None and current else []
    with _lock:
        _ahead_cache[key] = steps
        while len(_ahead_cache) > CACHE_SIZE:
            _ahead_cache.popitem(last=False)
    return steps


# --- owners --------------------------------------------------------------------------------------


def _member(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.display_name, "email": user.email}


def _person(email: str) -> dict[str, Any]:
    """One named person as an owner: a user, or an outside party (no account, or an external one)."""
    address = email[len(EXTERNAL_PREFIX):] if email.startswith(EXTERNAL_PREFIX) else email
    user = find_user(address)
    if user is None:
        member = {"id": None, "name": address, "email": address}
        return {"kind": "external", "name": address, "members": [member]}
    kind = "external" if user.is_external or email.startswith(EXTERNAL_PREFIX) else "user"
    return {"kind": kind, "name": user.display_name, "members": [_member(user)]}


def task_owner(task: Task) -> dict[str, Any]:
    """Who a task waits on: its assignee, else the groups (with their members) and users it is offered to."""
    if task.assignee:
        return _person(task.assignee)
    groups = list(task.candidate_groups or [])
    users = list(task.candidate_users or [])
    if not groups and len(users) == 1:
        return _person(users[0])
    members: dict[str, dict[str, Any]] = {}
    for group in groups:
        for user in group_members(group):
            members.setdefault(user.email, _member(user))
    for email in users:
        for member in _person(email)["members"]:
            members.setdefault(member["email"], member)
    name = ", ".join([*groups, *users]) or "nobody yet"
    return {"kind": "group", "name": name, "members": list(members.values())}


# --- one open task -------------------------------------------------------------------------------


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def missing_fields(task: Task, row: Instance) -> list[dict[str, Any]]:
    """Required form fields with no value yet (neither in the case's variables nor as a default)."""
    missing = []
    data = row.data or {}
    for field in form_json(task.form or [])["fields"]:
        if not field.get("required") or field.get("readonly") or field.get("type") == "file":
            continue
        if _filled(data.get(field["id"])) or _filled(field.get("default")):
            continue
        missing.append({"id": field["id"], "label": field.get("label") or field["id"], "kind": "field"})
    return missing


def required_inputs(task: Task, row: Instance) -> list[dict[str, Any]]:
    found = missing_fields(task, row)
    for source in REQUIRED_INPUT_SOURCES:
        found.extend(source(task, row))
    return found


def _current(task: Task, row: Instance, deadlines: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "name": task.name,
        "element_id": task.element_id,
        "owner": task_owner(task),
        "since": iso(task.created_at),
        "due_at": iso(task.due_at),
        "deadlines": deadlines,
        "sla_state": sla_state.state_of(task, now),
        "required_inputs": required_inputs(task, row),
        "priority": task.priority,
        "delegation": (
            {"owner": task.owner, "state": task.delegation_state, "at": iso(task.delegated_at)}
            if task.delegation_state else None
        ),
    }


# --- the whole view ------------------------------------------------------------------------------


def _pending_timers(row: Instance) -> dict[str, Timer]:
    query = select(Timer).where(Timer.instance_id == row.id, Timer.kind == "bpmn",
                                Timer.status == "pending")
    return {t.element_id: t for t in db.session.scalars(query) if t.element_id}


def _wait_blocker(wait: dict[str, Any], timer: Timer | None, idle_since: str | None) -> dict[str, Any]:
    name = wait.get("name") or wait.get("element_id") or "event"
    kind = wait.get("kind")
    if kind == "timer":
        return {"kind": "timer", "description": f"Timer “{name}”",
                "since": iso(timer.created_at) if timer else idle_since,
                "until": wait.get("due_at") or (iso(timer.due_at) if timer else None)}
    if kind == "message":
        return {"kind": "message", "description": f"Message “{name}” from another system",
                "since": idle_since, "until": None}
    if kind == "signal":
        return {"kind": "message", "description": f"Signal “{name}”", "since": idle_since, "until": None}
    return {"kind": "message", "description": f"A reply from another system (service task “{name}”)",
            "since": idle_since, "until": None}


def _incident_blocker(incident: Incident) -> dict[str, Any]:
    return {"kind": "incident", "description": f"Incident #{incident.id}: {incident.message}",
            "since": iso(incident.created_at), "until": None, "incident_id": incident.id}


def timeline_json(events: list[Event]) -> list[dict[str, Any]]:
    """The case's events in order; "erased" (only where it applies) says who erased an event's
    personal data and when."""
    timeline = []
    for ev in events:
        entry = {"at": iso(ev.at), "kind": ev.kind, "element_id": ev.element_id, "name": ev.name,
                 "actor": actor_words(ev.actor) or "engine"}
        marker = erased_marker(ev.data)
        if marker is not None:
            entry["erased"] = erased_text(marker)
        timeline.append(entry)
    return timeline


def progress(row: Instance, viewer: User, now: datetime | None = None) -> dict[str, Any]:
    """The progress view of one case, worded for `viewer` (who may see it: the caller checks)."""
    now = now or utcnow()
    running = row.status == "running"
    open_tasks = select(Task).where(Task.instance_id == row.id, Task.state == "open")
    tasks = list(db.session.scalars(open_tasks.order_by(Task.created_at, Task.id))) if running else []
    events = list(db.session.scalars(  # (engine_steps are for the diagram and heatmaps, not the story)
        select(Event).where(Event.instance_id == row.id, Event.kind != ENGINE_STEPS).order_by(Event.seq)))
    incidents = open_for_instance(row.id) if row.status in ("running", "error") else []
    hooks = boundary_timers(row.process_version)
    timers = _pending_timers(row) if running else {}
    waits = list(row.waiting or []) if running else []
    idle_since = iso(events[-1].at) if events else iso(row.updated_at)

    task_elements = {t.element_id for t in tasks}
    deadlines: dict[str, list[dict[str, Any]]] = {}
    blockers: list[dict[str, Any]] = []
    wait_elements: set[str] = set()
    for wait in waits:
        element_id = wait.get("element_id") or ""
        hook = hooks.get(element_id)
        timer = timers.get(element_id)
        if hook is not None and hook.attached_to in task_elements:
            at = wait.get("due_at") or (iso(timer.due_at) if timer else None)
            deadlines.setdefault(hook.attached_to, []).append(
                {"element_id": element_id, "name": hook.name, "at": at, "interrupting": hook.interrupting})
            continue
        wait_elements.add(element_id)
        blockers.append(_wait_blocker(wait, timer, idle_since))
    current = [_current(t, row, deadlines.get(t.element_id, []), now) for t in tasks]
    person_blockers = [
        {"kind": "person", "description": f"{c['owner']['name']} to complete “{c['name']}”",
         "since": c["since"], "until": c["due_at"]}
        for c in current
    ]
    blockers = person_blockers + blockers + [_incident_blocker(i) for i in incidents]
    if row.status == "error" and not incidents:
        blockers.append({"kind": "incident", "description": row.error or "The case stopped with an error.",
                         "since": iso(row.updated_at), "until": None})
    here = task_elements | wait_elements | {i.element_id for i in incidents if i.element_id}
    steps = road_ahead(row.process_version, here) if row.status in ("running", "error") else []
    return {
        "instance_id": row.id,
        "status": row.status,
        "title": row.title,
        "started_at": iso(row.started_at),
        "ended_at": iso(row.ended_at),
        "revision": row.event_seq,
        "current": current,
        "blockers": blockers,
        "timeline": timeline_json(events),
        "next_action": next_action(row, viewer, tasks, current, blockers, now),
        "ahead": [s.to_dict() for s in steps],
    }

