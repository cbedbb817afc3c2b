"""The next action of a case, worded for the viewer: "You: complete …" / "Waiting on Legal, due in 3 h"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server import owners, sla_state
from server.models import Instance, Task, User


def is_for(viewer: User, task: Task) -> bool:
    """Is this open task the viewer's to act on (theirs, or offered to them and unclaimed)?"""
    return owners.is_assignee(viewer, task) or (not task.assignee and owners.is_candidate(viewer, task))


def _due(task: Task, now: datetime) -> str:
    return f", {sla_state.due_phrase(task.due_at, now)}" if task.due_at else ""


def _inputs(current: dict[str, Any]) -> str:
    labels = [i["label"] for i in current["required_inputs"]]
    return f" (still needed: {', '.join(labels)})" if labels else ""


def _mine(task: Task, current: dict[str, Any], now: datetime) -> dict[str, Any]:
    if task.delegation_state == "pending":
        verb = f"resolve “{task.name}” for {task.owner}"
    elif task.delegation_state == "resolved":
        verb = f"review and complete “{task.name}” (the delegate resolved it)"
    elif task.assignee:
        verb = f"complete “{task.name}”"
    else:
        verb = f"claim or complete “{task.name}”"
    return {"actor": "you", "text": f"You: {verb}{_inputs(current)}{_due(task, now)}"}


def _until(at: str | None, now: datetime) -> str:
    if not at:
        return ""
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return ""
    return f", {sla_state.due_phrase(moment, now)}"


def next_action(row: Instance, viewer: User, tasks: list[Task], current: list[dict[str, Any]],
                blockers: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """What has to happen next, and by whom, from the viewer's point of view."""
    if row.status in ("completed", "cancelled"):
        return {"actor": None, "text": f"Nothing: this case is {row.status}."}
    pairs = list(zip(tasks, current, strict=True))
    for task, item in pairs:
        if is_for(viewer, task):
            return _mine(task, item, now)
    if pairs:
        task, item = min(pairs, key=lambda p: (p[0].due_at is None, p[0].due_at or now, p[0].created_at))
        who = item["owner"]["name"]
        delegated = f" (delegated by {task.owner})" if task.delegation_state == "pending" else ""
        text = f"Waiting on {who}{delegated} to complete “{task.name}”{_due(task, now)}"
        return {"actor": who, "text": text}
    for blocker in blockers:
        if blocker["kind"] == "incident":
            if viewer.is_admin:
                return {"actor": "you", "text": f"You: retry, skip or cancel — {blocker['description']}"}
            return {"actor": "operator", "text": f"Waiting on an operator: {blocker['description']}"}
    for blocker in blockers:
        what = blocker["description"][:1].lower() + blocker["description"][1:]
        if blocker["kind"] == "timer":
            until = _until(blocker["until"], now)
            return {"actor": "timer", "text": f"Waiting for the {what}{until}"}
        return {"actor": "system", "text": f"Waiting for {what}"}
    return {"actor": "engine", "text": "Moving on: the engine is working on the next step."}
