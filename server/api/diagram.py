"""The live diagram of an instance: deployed XML plus the state of each element (for the viewer)."""

from __future__ import annotations

from flask import Response, jsonify, request

from server.api import api
from server.api.instances import visible_instance
from server.clock import iso
from server.diagram import live_diagram
from server.web.describe import happening


@api.get("/instances/<int:instance_id>/diagram")
def instance_diagram(instance_id: int) -> Response:
    """?process=<id> draws a process the instance calls (call activities), with its own states."""
    body = live_diagram(visible_instance(instance_id), request.args.get("process") or None)
    body["events"] = [
        {
            "seq": ev.seq,
            "at": iso(ev.at),
            "kind": ev.kind,
            "element_id": ev.element_id,
            "title": (h := happening(ev)).title,
            "actor": h.actor,
        }
        for ev in body["events"]
        if ev.element_id
    ]
    return jsonify(body)
