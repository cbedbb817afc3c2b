"""The JSON API under /api/v1: the same operations as the pages, for other systems."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from server.auth import bearer_used, csrf

api = Blueprint("api", __name__, url_prefix="/api/v1")


@api.before_request
def _protect_session_writes() -> None:
    """Bearer-token calls need no CSRF token; calls riding on a browser session do."""
    if (
        request.method not in ("GET", "HEAD", "OPTIONS")
        and not bearer_used()
        and current_user.is_authenticated
    ):
        csrf.protect()


from server.api import (  # noqa: E402,F401
    comments,
    deployments,
    diagram,
    heatmap,
    incidents,
    instances,
    links,
    maps,
    messages,
    notifications,
    ownership,
    people,
    processes,
    progress,
    tasks,
)
