"""Ownership of live tasks: delegate, resolve, reassign, priority."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from server import auth, ownership
from server.api import api
from server.api.body import json_body
from server.api.serialize import task_json
from server.api.tasks import visible_task
from server.errors import BadRequest
from server.models import Task


def _ownership_json(task: Task) -> dict[str, Any]:
    return {**task_json(task), "owner": task.owner, "delegation_state": task.delegation_state}


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} is required.", field=name)
    return value.strip()


@api.post("/tasks/<task_id>/delegate")
def delegate(task_id: str) -> Response:
    user = auth.user()
    visible_task(task_id)
    return jsonify(_ownership_json(ownership.delegate(task_id, user, _text(json_body(), "to"))))


@api.post("/tasks/<task_id>/resolve")
def resolve(task_id: str) -> Response:
    user = auth.user()
    visible_task(task_id)
    return jsonify(_ownership_json(ownership.resolve(task_id, user)))


@api.post("/tasks/<task_id>/reassign")
def reassign(task_id: str) -> Response:
    user = auth.user()
    visible_task(task_id)
    return jsonify(_ownership_json(ownership.reassign(task_id, user, _text(json_body(), "to"))))


@api.post("/tasks/<task_id>/priority")
def priority(task_id: str) -> Response:
    user = auth.user()
    visible_task(task_id)
    body = json_body()
    if "priority" not in body:
        raise BadRequest("priority is required.", field="priority")
    return jsonify(_ownership_json(ownership.set_priority(task_id, user, body["priority"])))
