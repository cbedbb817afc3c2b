"""The task page: documentation, the generated form and the instance around it; claim, give back, complete."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from server import access, auth, documents, instructions, owners, runtime
from server.db import db
from server.errors import InvalidInput, NotFound, TaskNotOpen, TaskTaken
from server.models import Task, User
from server.projection import form_json
from server.web import web
from server.web.describe import owner, submitted_rows


def visible_task(task_id: str, user: User) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or not access.may_see_task(user, task):
        raise NotFound("This task does not exist, or it is not one you can see.")
    return task


def is_for(user: User, task: Task) -> bool:
    """Is this open task the user's own work: assigned to them, or offered to them and unclaimed?"""
    return owners.is_assignee(user, task) or (not task.assignee and owners.is_candidate(user, task))


def next_task(user: User, instance_id: int) -> Task | None:
    """The first open task of an instance that is the user's to do, if any."""
    candidates: list[Task] = list(db.session.scalars(select(Task).where(
        Task.id.in_(access.visible_tasks(user, instance_id=instance_id).with_only_columns(Task.id))
    ).order_by(Task.created_at, Task.id)))
    for task in candidates:
        if is_for(user, task) and owners.may_complete(user, task):
            return task
    return None


def nested_values(form: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`values` plus, under its dotted id, the value of each nested field (a JSON Schema object's)."""
    flat = dict(values)
    for field in form.get("fields", []):
        path = field.get("path")
        if not path or field["id"] in flat:
            continue
        here: Any = values
        for part in path:
            here = here.get(part) if isinstance(here, dict) else None
        if here is not None:
            flat[field["id"]] = here
    return flat


def _render(task: Task, user: User, values: dict[str, Any] | None = None,
            errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    form = form_json(task.form or [])
    row = task.instance
    others = db.session.scalars(
        select(Task).where(Task.instance_id == row.id, Task.state == "open", Task.id != task.id)
        .order_by(Task.created_at, Task.id)
    )
    is_open = task.state == "open"
    may_complete = is_open and owners.may_complete(user, task)
    may_claim = is_open and not task.assignee and owners.may_claim(user, task)
    holds = bool(task.assignee) and (owners.is_assignee(user, task) or user.is_admin)
    may_give_back = is_open and holds and bool(task.candidate_users or task.candidate_groups)
    return render_template(
        "task.html",
        task=task,
        instance=row,
        form=form,
        values=nested_values(form, values if values is not None
                             else (row.data if is_open else task.submitted) or {}),
        instructions=instructions.of_form(task.form),
        errors=errors or {},
        owner=owner(task, user),
        may_complete=may_complete,
        may_claim=may_claim,
        may_give_back=may_give_back,
        submitted=submitted_rows(form, task.submitted) if task.state == "completed" else [],
        other_tasks=[(t, owner(t, user), access.may_see_task(user, t)) for t in others],
    ), status


@web.get("/tasks/<task_id>")
def task(task_id: str) -> tuple[str, int]:
    user = auth.user()
    return _render(visible_task(task_id, user), user)


@web.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    user = auth.user()
    task = visible_task(task_id, user)
    try:
        runtime.claim_task(task_id, user)
    except (TaskNotOpen, TaskTaken) as exc:
        flash(exc.message, "error")
    else:
        flash(f"“{task.name}” is yours now. Nobody else will see it in their group tasks.", "success")
    return redirect(url_for("web.task", task_id=task_id))


@web.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Response:
    user = auth.user()
    task = visible_task(task_id, user)
    try:
        runtime.unclaim_task(task_id, user)
    except (TaskNotOpen, TaskTaken) as exc:
        flash(exc.message, "error")
    else:
        flash(f"You gave “{task.name}” back; it is offered to its group again.", "success")
    return redirect(url_for("web.task", task_id=task_id))


@web.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Response | tuple[str, int]:
    user = auth.user()
    task = visible_task(task_id, user)
    name, instance_id = task.name, task.instance_id
    # A group of check boxes (a multiple choice) sends its name once per ticked box.
    submitted: dict[str, Any] = {k: v if len(v) > 1 else v[0] for k, v in request.form.lists()}
    submitted.pop("csrf_token", None)
    try:
        if task.state == "open" and owners.may_complete(user, task):
            documents.take_uploads(task, user, request.files, submitted)
        runtime.complete_task(task_id, user, submitted, from_html=True)
    except InvalidInput as exc:
        db.session.rollback()
        flash("Some fields need attention; see the messages next to them.", "error")
        return _render(visible_task(task_id, user), user, submitted, exc.fields, 422)
    except TaskNotOpen as exc:
        flash(exc.message, "error")
        return redirect(url_for("web.task", task_id=task_id))
    following = next_task(user, instance_id)
    if following is not None:
        flash(f"Done: “{name}”. Next up in this case: “{following.name}”.", "success")
        return redirect(url_for("web.task", task_id=following.id))
    flash(f"Done: “{name}”.", "success")
    return redirect(url_for("web.instance", instance_id=instance_id))
