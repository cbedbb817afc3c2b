"""The live diagram of an instance: deployed XML plus the state of each element (for the viewer)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from server.api import api
from server.api.instances import visible_instance
from server.clock import iso
from server.diagram import live_diagram
from server.engine_trail import Earlier, Pass, history
from server.models import Event
from server.steps import KIND as ENGINE_STEPS
from server.web.describe import happening, pass_title


@api.get("/instances/<int:instance_id>/diagram")
def instance_diagram(instance_id: int) -> Response:
    """?process=<id> draws a process the instance calls (call activities), with its own states.

    "events" is each element's history: the audit events naming it, and the engine's passes (a
    gateway "Passed", a script "Script ran"; an element's earlier passes summed up in one line)."""
    body = live_diagram(visible_instance(instance_id), request.args.get("process") or None)
    said = [(ev.seq, 0, _event_json(ev)) for ev in body["events"] if ev.element_id]
    said += [(item.first.seq if isinstance(item, Earlier) else item.seq, 1, _pass_json(item))
             for item in history(body.pop("passes"))]
    said.sort(key=lambda entry: (entry[0], entry[1]))
    body["events"] = [entry for _, _, entry in said]
    return jsonify(body)


def _event_json(ev: Event) -> dict[str, Any]:
    h = happening(ev)
    return {"seq": ev.seq, "at": iso(ev.at), "kind": ev.kind, "element_id": ev.element_id,
            "title": h.title, "actor": h.actor}


def _pass_json(item: Pass | Earlier) -> dict[str, Any]:
    last = item.last if isinstance(item, Earlier) else item
    first = item.first if isinstance(item, Earlier) else item
    entry = {"seq": first.seq, "at": iso(first.at), "kind": ENGINE_STEPS, "element_id": item.element_id,
             "title": pass_title(item), "actor": "Baton"}
    if isinstance(item, Earlier):  # "3 earlier passes", from the first to the last of them
        entry.update(count=item.count, until=iso(last.at))
    return entry
