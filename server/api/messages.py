"""Messages and signals from other systems: POST /messages and POST /signals.

Any signed-in user with the participant role or above (analyst, admin) may send them; the call
answers once every receiving instance has advanced and committed, with the ids of the instances it
reached (`delivered`) and of those it started at a message or signal start event (`started`).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from server import auth, messages
from server.access import WORKER_ROLES
from server.api import api
from server.api.body import json_body, object_field
from server.errors import BadRequest, NoMatch


def _name(payload: dict[str, Any]) -> str:
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("'name' must name the message (a non-empty string).", field="name")
    return name.strip()


@api.post("/messages")
def send_message() -> Response:
    """Deliver a message by business key or correlation; message start events create instances."""
    user = auth.require_role(*WORKER_ROLES)
    payload = json_body()
    name = _name(payload)
    data = object_field(payload, "data")
    business_key = payload.get("business_key")
    if business_key is not None and not isinstance(business_key, str | int):
        raise BadRequest("business_key must be a string.", field="business_key")
    correlation = object_field(payload, "correlation")
    outcome = messages.deliver_message(
        name, data, user, business_key=None if business_key is None else str(business_key),
        correlation=correlation or None,
    )
    if not outcome.delivered and not outcome.started:
        raise NoMatch(f"No instance waits for message {name!r} with these values, "
                      "and no process starts with it.")
    return jsonify(outcome.to_dict())


@api.post("/signals")
def send_signal() -> Response:
    """Broadcast a signal to every instance waiting for it; signal start events create instances."""
    user = auth.require_role(*WORKER_ROLES)
    payload = json_body()
    name = _name(payload)
    outcome = messages.deliver_signal(name, object_field(payload, "data"), user)
    if not outcome.delivered and not outcome.started:
        raise NoMatch(f"No instance waits for signal {name!r}, and no process starts with it.")
    return jsonify(outcome.to_dict())
