"""Tasks: the caller's lists, one task, claim, unclaim, complete."""

from __future__ import annotations

from flask import Response, jsonify, request

from server import access, auth, runtime
from server.api import api
from server.api.body import json_body, object_field
from server.api.paging import next_page_url, page_args, paged
from server.api.serialize import instance_json, task_json
from server.clock import utcnow
from server.db import db
from server.errors import BadRequest, NotFound
from server.models import Task

STATES = ("open", "completed", "cancelled", "all")


@api.get("/tasks")
def list_tasks() -> Response:
    user = auth.user()
    state = request.args.get("state", "open")
    if state not in STATES:
        raise BadRequest(f"state must be one of {', '.join(STATES)}.", field="state")
    instance_id = request.args.get("instance_id")
    try:
        iid = int(instance_id) if instance_id else None
    except ValueError as exc:
        raise BadRequest("instance_id must be a number.", field="instance_id") from exc
    mine = request.args.get("mine", "") in ("1", "true", "yes")
    if iid is None and not mine and state != "all" and not user.sees_everything:
        limit, offset = page_args()  # the common task list: served from the visibility index alone
        exact = request.args.get("count", "") == "exact"
        rows, total = access.task_page(user, state=state, limit=limit, offset=offset, exact=exact)
        now = utcnow()
        response = jsonify([task_json(t, now) for t in rows])
        if total is not None:
            response.headers["X-Total-Count"] = str(total)
        if len(rows) == limit and (total is None or offset + limit < total):
            response.headers["Link"] = f'<{next_page_url(limit, offset)}>; rel="next"'
        return response
    return paged(access.visible_tasks(user, state=state, instance_id=iid, mine=mine), task_json)


def visible_task(task_id: str) -> Task:
    user = auth.user()
    task = db.session.get(Task, task_id)
    if task is None or not access.may_see_task(user, task):
        raise NotFound(f"Task {task_id} does not exist or is not visible to you.")
    return task


@api.get("/tasks/<task_id>")
def get_task(task_id: str) -> Response:
    return jsonify(task_json(visible_task(task_id)))


@api.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    user = auth.user()
    return jsonify(task_json(runtime.claim_task(task_id, user)))


@api.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Response:
    user = auth.user()
    return jsonify(task_json(runtime.unclaim_task(task_id, user)))


@api.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Response:
    user = auth.user()
    data = object_field(json_body(), "data")
    return jsonify(instance_json(runtime.complete_task(task_id, user, data)))
