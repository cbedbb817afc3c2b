"""Instances: read, list with filters, cancel, move to another version."""

from __future__ import annotations

from flask import Response, jsonify, request

from server import access, auth, runtime, version_migration
from server.api import api
from server.api.body import json_body
from server.api.paging import paged
from server.api.serialize import instance_json
from server.db import db
from server.errors import BadRequest, NotFound
from server.models import Instance
from server.models.instance import STATUSES


def visible_instance(instance_id: int) -> Instance:
    user = auth.user()
    row = db.session.get(Instance, instance_id)
    if row is None or not access.may_see_instance(user, row):
        raise NotFound(f"Instance {instance_id} does not exist or is not visible to you.")
    return row


@api.get("/instances/<int:instance_id>")
def get_instance(instance_id: int) -> Response:
    return jsonify(instance_json(visible_instance(instance_id)))


@api.get("/instances")
def list_instances() -> Response:
    user = auth.user()
    query = access.visible_instances(user)
    if request.args.get("process_id"):
        query = query.where(Instance.process_id == request.args["process_id"])
    status = request.args.get("status")
    if status:
        if status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}.", field="status")
        query = query.where(Instance.status == status)
    if request.args.get("business_key"):
        query = query.where(Instance.business_key == request.args["business_key"])
    return paged(query, instance_json)


@api.post("/instances/<int:instance_id>/cancel")
def cancel(instance_id: int) -> Response:
    user = auth.require_role("admin")
    visible_instance(instance_id)
    return jsonify(instance_json(runtime.cancel_instance(instance_id, user)))


@api.post("/instances/<int:instance_id>/migrate")
def migrate(instance_id: int) -> Response:
    """{"to_version": N (default: the latest), "dry_run": true|false} -> the plan (200); 409 when the
    instance cannot move (the reasons, and the plan when there is one), 422 for a version it cannot
    move to. A dry run answers the plan whether or not the move is possible, and changes nothing."""
    user = auth.require_role("admin")
    payload = json_body()
    to_version = payload.get("to_version")
    if to_version is not None and (isinstance(to_version, bool) or not isinstance(to_version, int)):
        raise BadRequest("'to_version' must be a whole number.", field="to_version")
    dry_run = payload.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise BadRequest("'dry_run' must be true or false.", field="dry_run")
    visible_instance(instance_id)
    if dry_run:
        return jsonify(version_migration.plan(instance_id, user, to_version))
    result = version_migration.migrate_instance(instance_id, user, to_version)
    return jsonify({**result, "instance": instance_json(visible_instance(instance_id))})
