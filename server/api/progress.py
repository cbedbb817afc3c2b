"""The progress view of a case as JSON: where it stands, who it waits on, what comes next."""

from __future__ import annotations

from flask import Response, jsonify

from server import auth, progress
from server.api import api
from server.api.instances import visible_instance


@api.get("/instances/<int:instance_id>/progress")
def instance_progress(instance_id: int) -> Response:
    row = visible_instance(instance_id)
    return jsonify(progress.progress(row, auth.user()))
