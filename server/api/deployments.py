"""POST /api/v1/deployments: upload .bpmn/.dmn files; GET to list deployments."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import select

from server import auth, deploying
from server.api import api
from server.api.paging import paged
from server.clock import iso
from server.errors import BadRequest
from server.models import Deployment
from server.web.uploads import read_model_files


@api.post("/deployments")
def deploy() -> tuple[Response, int]:
    user = auth.user()
    files = read_model_files(request.files.getlist("files"))
    if not files:
        raise BadRequest("Send one or more .bpmn/.dmn files as multipart field 'files'.", field="files")
    result = deploying.deploy(files, user)
    return jsonify(result.to_dict()), (200 if result.unchanged else 201)


def _deployment_json(d: Deployment) -> dict[str, Any]:
    return {
        "id": d.id,
        "checksum": d.checksum,
        "created_at": iso(d.created_at),
        "files": [f.name for f in d.files],
        "processes": [
            {"id": p.process_id, "name": p.display_name, "version": p.version} for p in d.processes
        ],
        "warnings": d.warnings,
    }


@api.get("/deployments")
def list_deployments() -> Response:
    auth.require_role("admin", "analyst", "auditor")
    return paged(select(Deployment).order_by(Deployment.id.desc()), _deployment_json)
