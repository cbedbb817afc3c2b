"""An instance's audit trail: every event in order, with filters, CSV/JSON export, chain verification,
and (admins only) erasing personal data, with a review step before anything is erased."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response as BaseResponse

from server import audit, audit_erasure, auth
from server.clock import iso
from server.db import db
from server.errors import BadRequest, Forbidden
from server.model_shape import version_shape
from server.models import Event, Instance, User
from server.steps import KIND as ENGINE_STEPS
from server.web import web
from server.web.describe import happening
from server.web.instances import visible_instance

CSV_COLUMNS = ("seq", "at", "kind", "actor", "element_id", "name", "task_id", "data", "actor_digest",
               "data_digest", "actor_salt", "data_salt", "prev_hash", "hash")
ERASE_SCOPES = {
    "instance": "All personal data in this instance",
    "person_here": "One person's data in this instance",
    "person": "One person's data in every instance",
}
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
        "actor_digest": ev.actor_digest,
        "data_digest": ev.data_digest,
        "actor_salt": ev.actor_salt,
        "data_salt": ev.data_salt,
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


@dataclass(frozen=True)
class EraseForm:
    """The erasure form as filled in; `errors` maps a field to what to fix."""

    scope: str = "instance"
    email: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def request(self, instance_id: int) -> audit_erasure.Erasure:
        return audit_erasure.Erasure(
            self.reason,
            self.email if self.scope != "instance" else None,
            instance_id if self.scope != "person" else None,
        )


def _erase_form() -> EraseForm:
    form = request.form
    scope = form.get("scope", "instance")
    chosen = EraseForm(scope if scope in ERASE_SCOPES else "instance", form.get("email", "").strip(),
                       form.get("reason", "").strip())
    if chosen.scope != "instance" and not chosen.email:
        missing = {"email": "Give the person's e-mail address."}
        return EraseForm(chosen.scope, chosen.email, chosen.reason, missing)
    return chosen


def _may_erase(user: User) -> User:
    if not user.is_admin:
        raise Forbidden("Only an admin can erase personal data; auditors can read and verify the trail.")
    return user


@web.get("/instances/<int:instance_id>/audit")
def instance_audit(instance_id: int) -> Response | str:
    user = auth.user()
    row = visible_instance(instance_id, user)
    export = request.args.get("format", "")
    if export in ("csv", "json"):
        return _export(row, export)
    erase = EraseForm() if request.args.get("erase") == "1" else None
    if erase is not None:
        _may_erase(user)
    return _page(row, user, erase=erase)


def _export(row: Instance, export: str) -> Response:
    chosen = _filters()
    rows = [event_dict(e) for e in db.session.scalars(_query(row, chosen))]
    name = f"instance-{row.id}-audit.{export}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if export == "csv":
        return Response(_csv(rows), mimetype="text/csv", headers=headers)
    body = {"instance_id": row.id, "process_id": row.process_id, "filters": chosen.as_args(), "events": rows}
    text = json.dumps(body, ensure_ascii=False, indent=2)
    return Response(text, mimetype="application/json", headers=headers)


def _page(
    row: Instance, user: User, *, erase: EraseForm | None = None,
    plans: list[audit_erasure.InstancePlan] | None = None,
) -> str:
    chosen = _filters()
    events = list(db.session.scalars(_query(row, chosen)))
    every = select(Event).where(Event.instance_id == row.id)
    kinds = sorted(set(db.session.scalars(every.with_only_columns(Event.kind).distinct())))
    elements = sorted(
        {e for e in db.session.scalars(every.with_only_columns(Event.element_id).distinct()) if e}
    )
    report = audit.verify(row.id) if request.args.get("verify") == "1" else None
    # Element names for the engine's steps ("Engine passed: Check amount → Approve (gateway)").
    names = version_shape(row.process_version).names if any(e.kind == ENGINE_STEPS for e in events) else {}
    return render_template(
        "audit.html",
        instance=row,
        events=[(e, happening(e, names), audit.erased_marker(e.data)) for e in events],
        filters=chosen,
        kinds=kinds,
        elements=elements,
        report=report,
        total=row.event_seq,
        may_erase=user.is_admin,
        erase=erase,
        scopes=ERASE_SCOPES,
        plans=plans,
        to_erase=[p for p in plans or [] if not p.empty],
    )


@web.post("/instances/<int:instance_id>/audit/erase")
def erase_audit_data(instance_id: int) -> BaseResponse | tuple[str, int] | str:
    """Review (first post) then erase (second post, confirm=yes) personal data from the trail."""
    user = _may_erase(auth.user())
    row = visible_instance(instance_id, user)
    form = _erase_form()
    if form.errors:
        return _page(row, user, erase=form), 422
    wanted = form.request(row.id)
    try:
        if request.form.get("confirm") != "yes":
            return _page(row, user, erase=form, plans=audit_erasure.plan(wanted))
        done = [p for p in audit_erasure.erase(wanted, user) if not p.empty]
    except BadRequest as exc:
        errors = {str(exc.extra.get("field", "reason")): exc.message}
        failed = EraseForm(form.scope, form.email, form.reason, errors)
        return _page(row, user, erase=failed), 422
    if done:
        flash(f"Erased personal data from {len(done)} instance{'' if len(done) == 1 else 's'}: "
              + " ".join(p.describe() for p in done[:5]) + (" …" if len(done) > 5 else ""), "success")
    else:
        flash("There was nothing left to erase.", "info")
    return redirect(url_for("web.instance_audit", instance_id=row.id, verify="1"))
