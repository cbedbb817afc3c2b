"""Comments on a case (with @mentions that notify) and watching a case."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from server import auth, comments, watchers
from server.api import api
from server.api.body import json_body
from server.api.instances import visible_instance
from server.clock import iso
from server.errors import BadRequest
from server.models import Comment


def comment_json(comment: Comment) -> dict[str, Any]:
    return {"id": comment.id, "instance_id": comment.instance_id, "author": comment.author,
            "body": comment.body, "mentions": list(comment.mentions or []),
            "created_at": iso(comment.created_at)}


@api.get("/instances/<int:instance_id>/comments")
def list_comments(instance_id: int) -> Response:
    visible_instance(instance_id)
    return jsonify([comment_json(c) for c in comments.for_instance(instance_id)])


@api.post("/instances/<int:instance_id>/comments")
def post_comment(instance_id: int) -> tuple[Response, int]:
    user = auth.user()
    row = visible_instance(instance_id)
    body = json_body().get("body")
    if not isinstance(body, str):
        raise BadRequest("body is required.", field="body")
    return jsonify(comment_json(comments.add(row, user, body))), 201


@api.post("/instances/<int:instance_id>/watch")
def watch(instance_id: int) -> Response:
    user = auth.user()
    watchers.watch(user, visible_instance(instance_id))
    return jsonify({"instance_id": instance_id, "watching": True})


@api.post("/instances/<int:instance_id>/unwatch")
def unwatch(instance_id: int) -> Response:
    user = auth.user()
    watchers.unwatch(user, visible_instance(instance_id))
    return jsonify({"instance_id": instance_id, "watching": False})
