"""The heatmap of a process version: per-element counts and durations over its instances."""

from __future__ import annotations

from flask import Response, jsonify, request

from server import auth, heatmap
from server.api import api

ROLES = ("admin", "analyst", "auditor")
"""Who may see a heatmap: it sums up every instance of the version, not just one's own."""


@api.get("/processes/<process_id>/versions/<int:number>/heatmap")
def version_heatmap(process_id: str, number: int) -> Response:
    auth.require_role(*ROLES)
    limit = heatmap.limit_arg(request.args.get("limit"))
    return jsonify(heatmap.heatmap(heatmap.find_version(process_id, number), limit))
