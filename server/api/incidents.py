"""Incidents: list and read them (admins, auditors); retry, skip with output data, cancel (admins)."""

from __future__ import annotations

from flask import Response, jsonify, request
from sqlalchemy import select

from server import auth, incidents
from server.api import api
from server.api.body import json_body, object_field
from server.api.paging import paged
from server.db import db
from server.errors import BadRequest, NotFound
from server.models import Incident
from server.models.service import INCIDENT_STATUSES


def _incident(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"Incident {incident_id} does not exist.")
    return incident


@api.get("/incidents")
def list_incidents() -> Response:
    """Newest first; `status` (open | resolved) and `instance_id` narrow the list."""
    auth.require_role("admin", "auditor")
    query = select(Incident).order_by(Incident.created_at.desc(), Incident.id.desc())
    status = request.args.get("status")
    if status:
        if status not in INCIDENT_STATUSES:
            raise BadRequest(f"status must be one of {', '.join(INCIDENT_STATUSES)}.", field="status")
        query = query.where(Incident.status == status)
    if request.args.get("instance_id"):
        try:
            query = query.where(Incident.instance_id == int(request.args["instance_id"]))
        except ValueError as exc:
            raise BadRequest("instance_id must be a number.", field="instance_id") from exc
    return paged(query, incidents.incident_json)


@api.get("/incidents/<int:incident_id>")
def get_incident(incident_id: int) -> Response:
    auth.require_role("admin", "auditor")
    return jsonify(incidents.incident_json(_incident(incident_id)))


@api.post("/incidents/<int:incident_id>/retry")
def retry_incident(incident_id: int) -> Response:
    """Run the service call again from its first attempt."""
    user = auth.require_role("admin")
    return jsonify(incidents.incident_json(incidents.retry(incident_id, user)))


@api.post("/incidents/<int:incident_id>/skip")
def skip_incident(incident_id: int) -> Response:
    """Complete the task without calling out; body {"data": {...}} gives the variables to set."""
    user = auth.require_role("admin")
    data = object_field(json_body(), "data")
    return jsonify(incidents.incident_json(incidents.skip(incident_id, user, data)))


@api.post("/incidents/<int:incident_id>/cancel")
def cancel_incident(incident_id: int) -> Response:
    """Cancel the instance the incident blocks."""
    user = auth.require_role("admin")
    return jsonify(incidents.incident_json(incidents.cancel(incident_id, user)))
