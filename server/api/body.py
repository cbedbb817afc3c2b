"""Reading JSON request bodies with clear errors."""

from __future__ import annotations

from typing import Any

from flask import request

from server.errors import BadRequest


def json_body() -> dict[str, Any]:
    """The request's JSON object ({} when there is no body)."""
    if not request.data:
        return {}
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest("The body must be a JSON object (Content-Type: application/json).")
    return payload


def object_field(payload: dict[str, Any], name: str) -> dict[str, Any]:
    value = payload.get(name) or {}
    if not isinstance(value, dict):
        raise BadRequest(f"'{name}' must be a JSON object.", field=name)
    return value
