"""Ownership on the task page: delegate, resolve, reassign and priority forms and their routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from server import auth, ownership
from server.errors import BadRequest, Forbidden, TaskNotOpen
from server.models import Task
from server.web import web
from server.web.tasks import visible_task


@web.app_template_global("ownership_actions")
def ownership_actions(task: Task) -> dict[str, bool]:
    """Which ownership forms the signed-in person gets on a task's page."""
    user = current_user
    if task.state != "open" or not user.is_authenticated:
        return {"delegate": False, "resolve": False, "reassign": False, "priority": False}
    return {
        "delegate": ownership.may_delegate(user, task) and task.delegation_state != "pending",
        "resolve": ownership.may_resolve(user, task),
        "reassign": ownership.may_reassign(user, task),
        "priority": ownership.may_prioritise(user, task),
    }


def _act(task_id: str, action: Callable[[], Any], done: str) -> Response:
    try:
        action()
    except (BadRequest, Forbidden, TaskNotOpen) as exc:
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("web.task", task_id=task_id))


@web.post("/tasks/<task_id>/delegate")
def delegate_task(task_id: str) -> Response:
    user = auth.user()
    task = visible_task(task_id, user)
    to = request.form.get("to", "").strip()
    return _act(task_id, lambda: ownership.delegate(task_id, user, to),
                f"“{task.name}” is delegated to {to}; it comes back to you once they resolve it.")


@web.post("/tasks/<task_id>/resolve")
def resolve_task(task_id: str) -> Response:
    user = auth.user()
    task = visible_task(task_id, user)
    return _act(task_id, lambda: ownership.resolve(task_id, user),
                f"Resolved: “{task.name}” is back with {task.owner} to complete.")


@web.post("/tasks/<task_id>/reassign")
def reassign_task(task_id: str) -> Response:
    user = auth.user()
    task = visible_task(task_id, user)
    kind = request.form.get("kind", "user")
    target = f"{kind}:{request.form.get('to', '').strip()}"
    return _act(task_id, lambda: ownership.reassign(task_id, user, target), f"“{task.name}” is reassigned.")


@web.post("/tasks/<task_id>/priority")
def prioritise_task(task_id: str) -> Response:
    user = auth.user()
    task = visible_task(task_id, user)
    value = request.form.get("priority", "").strip()
    return _act(task_id, lambda: ownership.set_priority(task_id, user, value),
                f"The priority of “{task.name}” is {value} now.")
