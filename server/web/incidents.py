"""Incidents: the list operators work from, one incident's page, and retry / skip / cancel."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from server import auth, incidents
from server.db import db
from server.errors import BatonError, NotFound
from server.models import Incident, Instance, ServiceCall, User
from server.models.service import INCIDENT_STATUSES
from server.web import web
from server.web.layout import paginate


def _incident(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"Incident {incident_id} does not exist.")
    return incident


@web.get("/incidents", endpoint="incidents")
def incidents_page() -> str:
    auth.require_role("admin", "auditor")
    status = request.args.get("status", "open")
    query = select(Incident).order_by(Incident.created_at.desc(), Incident.id.desc())
    if status in INCIDENT_STATUSES:
        query = query.where(Incident.status == status)
    else:
        status = ""
    page = paginate(query)
    instances = {row.id: row for row in db.session.scalars(
        select(Instance).where(Instance.id.in_({i.instance_id for i in page.rows})))}
    return render_template("incidents.html", page=page, status=status, statuses=INCIDENT_STATUSES,
                           instances=instances, filters={"status": status} if status else {})


@web.get("/incidents/<int:incident_id>")
def incident_page(incident_id: int) -> str:
    user = auth.require_role("admin", "auditor")
    incident = _incident(incident_id)
    call = db.session.get(ServiceCall, incident.service_call_id) if incident.service_call_id else None
    resolver = db.session.get(User, incident.resolved_by_id) if incident.resolved_by_id else None
    return render_template(
        "incident.html", incident=incident, call=call, resolver=resolver,
        instance=db.session.get(Instance, incident.instance_id),
        may_act=user.is_admin and incident.status == "open" and call is not None,
        skip_data=request.args.get("data", "{}"),
    )


@web.app_template_global()
def open_incidents_of(instance_id: int) -> list[Incident]:
    """The open incidents holding an instance (the instance page shows each as a blocker)."""
    return incidents.open_for_instance(instance_id)


def _act(incident_id: int, done: str, action: Any) -> Response:
    try:
        action()
    except BatonError as exc:
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("web.incident_page", incident_id=incident_id))


@web.post("/incidents/<int:incident_id>/retry")
def retry_incident(incident_id: int) -> Response:
    user = auth.require_role("admin")
    return _act(incident_id, "Retrying: the call runs again from its first attempt.",
                lambda: incidents.retry(incident_id, user))


@web.post("/incidents/<int:incident_id>/skip")
def skip_incident(incident_id: int) -> Response:
    user = auth.require_role("admin")
    raw = request.form.get("data", "").strip() or "{}"
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        flash('The output data must be a JSON object of variables, like {"approved": true}.', "error")
        return redirect(url_for("web.incident_page", incident_id=incident_id, data=raw))
    return _act(incident_id, "Skipped: the task is complete with the data you gave, and the case moved on.",
                lambda: incidents.skip(incident_id, user, data))


@web.post("/incidents/<int:incident_id>/cancel")
def cancel_incident(incident_id: int) -> Response:
    user = auth.require_role("admin")
    return _act(incident_id, "The case is cancelled; its open tasks were withdrawn.",
                lambda: incidents.cancel(incident_id, user))
