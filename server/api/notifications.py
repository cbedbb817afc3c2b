"""Notifications of the caller: list (newest first), mark one read, mark all read."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from server import auth, notifications
from server.api import api
from server.api.paging import paged
from server.clock import iso
from server.db import db
from server.errors import NotFound
from server.models import Notification


def notification_json(row: Notification) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "title": row.title,
        "body": row.body,
        "link": row.link,
        "instance_id": row.instance_id,
        "task_id": row.task_id,
        "created_at": iso(row.created_at),
        "read_at": iso(row.read_at),
        "email_status": row.email_status,
    }


@api.get("/notifications")
def list_notifications() -> Response:
    """`?unread=1` for the unread ones only; the X-Unread-Count header counts them either way."""
    user = auth.user()
    unread_only = request.args.get("unread", "") in ("1", "true", "yes")
    response = paged(notifications.for_user(user, unread_only=unread_only), notification_json)
    response.headers["X-Unread-Count"] = str(notifications.unread_count(user))
    return response


@api.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int) -> Response:
    user = auth.user()
    row = notifications.mark_read(user, notification_id)
    if row is None:
        raise NotFound(f"Notification {notification_id} does not exist or is not yours.")
    db.session.commit()
    return jsonify(notification_json(row))


@api.post("/notifications/read")
def read_all_notifications() -> Response:
    user = auth.user()
    count = notifications.mark_all_read(user)
    db.session.commit()
    return jsonify({"marked_read": count})
