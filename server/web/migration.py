"""Moving an instance to another version from its page: the dry-run plan first, then the move (admins)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from server import auth, version_migration
from server.db import db
from server.errors import BatonError, InvalidInput, NotFound
from server.models import Instance, ProcessVersion
from server.web import web


def _instance(instance_id: int) -> Instance:
    row = db.session.get(Instance, instance_id)
    if row is None:
        raise NotFound(f"Instance {instance_id} does not exist.")
    return row


def _to_version(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput({"to_version": "Choose a version number."}) from None


@web.get("/instances/<int:instance_id>/migrate")
def migrate_instance_page(instance_id: int) -> str:
    user = auth.require_role("admin")
    row = _instance(instance_id)
    versions = db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_id == row.process_id,
                                     ProcessVersion.id != row.process_version_id)
        .order_by(ProcessVersion.version.desc())
    ).all()
    result, problem = None, None
    try:
        result = version_migration.plan(instance_id, user, _to_version(request.args.get("to_version")))
    except BatonError as exc:
        fields = getattr(exc, "fields", None) or {}
        problem = fields.get("to_version") or exc.message
    return render_template("migrate.html", instance=row, versions=versions, result=result, problem=problem)


@web.post("/instances/<int:instance_id>/migrate")
def migrate_instance(instance_id: int) -> Response:
    user = auth.require_role("admin")
    _instance(instance_id)
    to_version = _to_version(request.form.get("to_version"))
    try:
        result = version_migration.migrate_instance(instance_id, user, to_version)
    except BatonError as exc:
        flash(exc.message, "error")
        return redirect(url_for("web.migrate_instance_page", instance_id=instance_id, to_version=to_version))
    flash(f"Moved to version {result['to_version']} (from version {result['from_version']}).", "success")
    return redirect(url_for("web.instance", instance_id=instance_id))
