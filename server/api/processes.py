"""The process catalog and starting instances."""

from __future__ import annotations

from flask import Response, jsonify

from server import access, auth, deploying, runtime
from server.api import api
from server.api.body import json_body, object_field
from server.api.serialize import instance_json, process_json
from server.errors import BadRequest, Forbidden, NotFound, StartedByOtherProcesses


@api.get("/processes")
def list_processes() -> Response:
    auth.user()
    return jsonify([process_json(p) for p in deploying.latest_versions()])


@api.get("/processes/<process_id>")
def get_process(process_id: str) -> Response:
    auth.user()
    version = deploying.latest_version(process_id)
    if version is None:
        raise NotFound(f"No process {process_id!r} is deployed.")
    return jsonify(process_json(version))


@api.post("/processes/<process_id>/instances")
def start(process_id: str) -> tuple[Response, int]:
    user = auth.user()
    version = deploying.latest_version(process_id)
    if version is None:
        raise NotFound(f"No process {process_id!r} is deployed.")
    if not version.startable_in_tasklist:
        raise StartedByOtherProcesses(deploying.not_in_tasklist(version))
    if not access.can_start(user, version):
        raise Forbidden(f"You may not start {version.display_name!r}.")
    if not version.startable:
        raise BadRequest(f"{version.display_name!r} starts by a message or timer, not by hand.")
    payload = json_body()
    data = object_field(payload, "data")
    business_key = payload.get("business_key")
    if business_key is not None and not isinstance(business_key, str | int):
        raise BadRequest("business_key must be a string.", field="business_key")
    variables = dict(data)
    if version.start_form:
        variables.update(runtime.validate_submission(version.start_form, data, from_html=False))
    row = runtime.start_instance(
        version, user, variables, str(business_key) if business_key is not None else None
    )
    return jsonify(instance_json(row)), 201
