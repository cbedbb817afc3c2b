"""An instance's audit trail: every event in order, with filters, CSV/JSON export and chain verification."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Response, render_template, request
from sqlalchemy import Select, func, select

from server import audit, auth
from server.clock import iso
from server.db import db
from server.errors import BadRequest
from server.models import Event, Instance
from server.web import web
from server.web.describe import happening
from server.web.instances import visible_instance

CSV_COLUMNS = ("seq", "at", "kind", "actor", "element_id", "name", "task_id", "data", "data_digest",
               "prev_hash", "hash")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Filters:
    """The audit page's filters, as given in the query string."""

    kind: str = ""
    actor: str = ""
    element: str = ""
    since: str = ""
    until: str = ""

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def _date(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError as exc:
        raise BadRequest(f"{field} must be a date like 2026-01-31.", field=field) from exc


def _filters() -> Filters:
    args = request.args
    return Filters(*(args.get(k, "").strip() for k in ("kind", "actor", "element", "since", "until")))


def _query(row: Instance, chosen: Filters) -> Select[Any]:
    query = select(Event).where(Event.instance_id == row.id)
    if chosen.kind:
        query = query.where(Event.kind == chosen.kind)
    if chosen.actor:
        query = query.where(func.lower(Event.actor).contains(chosen.actor.casefold()))
    if chosen.element:
        query = query.where(Event.element_id == chosen.element)
    since, until = _date(chosen.since, "since"), _date(chosen.until, "until")
    if since:
        query = query.where(Event.at >= since)
    if until:
        query = query.where(Event.at < until + timedelta(days=1))
    return query.order_by(Event.seq)


def event_dict(ev: Event) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "at": iso(ev.at),
        "kind": ev.kind,
        "actor": ev.actor,
        "element_id": ev.element_id,
        "name": ev.name,
        "task_id": ev.task_id,
        "data": ev.data,
        "data_digest": ev.data_digest,
        "prev_hash": ev.prev_hash,
        "hash": ev.hash,
    }


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return out.getvalue()


@web.get("/instances/<int:instance_id>/audit")
def instance_audit(instance_id: int) -> Response | str:
    user = auth.user()
    row = visible_instance(instance_id, user)
    chosen = _filters()
    events = list(db.session.scalars(_query(row, chosen)))
    export = request.args.get("format", "")
    if export in ("csv", "json"):
        rows = [event_dict(e) for e in events]
        name = f"instance-{row.id}-audit.{export}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if export == "csv":
            return Response(_csv(rows), mimetype="text/csv", headers=headers)
        body = {
            "instance_id": row.id, "process_id": row.process_id, "filters": chosen.as_args(), "events": rows
        }
        return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers=headers)
    every = select(Event).where(Event.instance_id == row.id)
    kinds = sorted(set(db.session.scalars(every.with_only_columns(Event.kind).distinct())))
    elements = sorted(
        {e for e in db.session.scalars(every.with_only_columns(Event.element_id).distinct()) if e}
    )
    report = audit.verify(row.id) if request.args.get("verify") == "1" else None
    return render_template(
        "audit.html",
        instance=row,
        events=[(e, happening(e)) for e in events],
        filters=chosen,
        kinds=kinds,
        elements=elements,
        report=report,
        total=row.event_seq,
    )
