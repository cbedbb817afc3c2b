"""Instances: the filtered list, and one instance's page with its tasks, waits, variables and history."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from server import access, auth, comments, deploying, progress, runtime, version_migration, watchers
from server.db import db
from server.errors import NotFound, TaskNotOpen
from server.models import Event, Instance, Task, User
from server.models.instance import STATUSES
from server.steps import KIND as ENGINE_STEPS
from server.web import web
from server.web.describe import happening, owner
from server.web.layout import paginate


def visible_instance(instance_id: int, user: User) -> Instance:
    row = db.session.get(Instance, instance_id)
    if row is None or not access.may_see_instance(user, row):
        raise NotFound(f"Instance {instance_id} does not exist, or it is not one you can see.")
    return row


@web.get("/instances")
def instances() -> str:
    user = auth.user()
    query = access.visible_instances(user)
    process_id = request.args.get("process", "").strip()
    status = request.args.get("status", "").strip()
    mine = request.args.get("mine", "") == "1"
    if process_id:
        query = query.where(Instance.process_id == process_id)
    if status in STATUSES:
        query = query.where(Instance.status == status)
    else:
        status = ""
    if mine:
        query = query.where(Instance.started_by_id == user.id)
    chosen = {"process": process_id, "status": status, "mine": "1" if mine else ""}
    filters = {k: v for k, v in chosen.items() if v}
    return render_template(
        "instances.html",
        page=paginate(query),
        processes=deploying.latest_versions(),
        statuses=STATUSES,
        filters=filters,
    )


@web.get("/instances/<int:instance_id>")
def instance(instance_id: int) -> str:
    user = auth.user()
    row = visible_instance(instance_id, user)
    tasks = select(Task).where(Task.instance_id == row.id)
    open_tasks = db.session.scalars(tasks.where(Task.state == "open").order_by(Task.created_at, Task.id))
    done_tasks = db.session.scalars(tasks.where(Task.state != "open").order_by(Task.completed_at, Task.id))
    events = db.session.scalars(  # (engine_steps are for heatmaps, not a case's history)
        select(Event).where(Event.instance_id == row.id, Event.kind != ENGINE_STEPS).order_by(Event.seq))
    return render_template(
        "instance.html",
        instance=row,
        open_tasks=[(t, owner(t, user), access.may_see_task(user, t)) for t in open_tasks],
        done_tasks=[(t, access.may_see_task(user, t)) for t in done_tasks],
        timeline=[(e, happening(e)) for e in events],
        may_cancel=user.is_admin and row.status in ("running", "error"),
        migrate_to=version_migration.newer_version(row) if may_migrate(user, row) else None,
        progress=progress.progress(row, user),
        comments=comments.for_instance(row.id),
        watching=watchers.is_watching(user, row.id),
    )


def may_migrate(user: User, row: Instance) -> bool:
    return user.is_admin and row.status == "running"


@web.post("/instances/<int:instance_id>/cancel")
def cancel(instance_id: int) -> Response:
    user = auth.require_role("admin")
    row = visible_instance(instance_id, user)
    title = row.title
    try:
        runtime.cancel_instance(instance_id, user)
    except TaskNotOpen as exc:
        flash(exc.message, "error")
    else:
        flash(f"{title} is cancelled; its open tasks were withdrawn.", "success")
    return redirect(url_for("web.instance", instance_id=instance_id))
