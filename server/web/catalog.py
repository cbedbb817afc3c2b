"""The process catalog (latest version of each process) and starting an instance with its start form."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

import bpmn
from bpmn.data_refs import DataReference, references
from bpmn.xmlsafe import load_xml
from server import access, auth, deploying, drafts, runtime
from server.db import db
from server.errors import BadRequest, Forbidden, InvalidInput, NotFound, StartedByOtherProcesses
from server.models import ProcessVersion, User
from server.projection import form_json
from server.web import web
from server.web.tasks import next_task

BUSINESS_KEY = "_business_key"  # underscore: cannot collide with a form field's id
MAX_BUSINESS_KEY = 255  # characters (the column's width)


@web.get("/processes")
def processes() -> str:
    user = auth.user()
    versions = deploying.latest_versions()
    return render_template(
        "processes.html",
        entries=[(v, v.startable and access.can_start(user, v)) for v in versions],
        can_deploy=access.can_deploy(user),
    )


def _startable(process_id: str, user: User) -> ProcessVersion:
    version = deploying.latest_version(process_id)
    if version is None:
        raise NotFound(f"No process “{process_id}” is deployed.")
    if not version.startable_in_tasklist:
        raise StartedByOtherProcesses(deploying.not_in_tasklist(version))
    if not access.can_start(user, version):
        raise Forbidden(f"You may not start “{version.display_name}”. Ask an admin if you should.")
    if not version.startable:
        raise BadRequest(f"“{version.display_name}” starts by a message or a timer, not by hand.")
    return version


def _data_references(version: ProcessVersion) -> list[DataReference]:
    """The data stores and data objects drawn in the process: documentation, shown beside the start form."""
    xml = drafts.version_xml(version).encode()
    try:
        root = load_xml(version.file, xml)
    except bpmn.ModelInvalid:  # it parsed at deployment; a file that no longer does shows nothing here
        return []
    return [ref for ref in references(root) if ref.process_id == version.process_id]


def _render(version: ProcessVersion, values: dict[str, str], errors: dict[str, str],
            status: int = 200) -> tuple[str, int]:
    return render_template(
        "start.html",
        version=version,
        data_references=_data_references(version),
        form=form_json(version.start_form or []),
        values=values,
        errors=errors,
        business_key_name=BUSINESS_KEY,
    ), status


@web.get("/processes/<process_id>/start")
def start_form(process_id: str) -> tuple[str, int]:
    return _render(_startable(process_id, auth.user()), {}, {})


@web.post("/processes/<process_id>/start")
def start(process_id: str) -> Response | tuple[str, int]:
    user = auth.user()
    version = _startable(process_id, user)
    submitted = request.form.to_dict()
    submitted.pop("csrf_token", None)
    business_key = submitted.pop(BUSINESS_KEY, "").strip() or None
    try:
        if business_key is not None and len(business_key) > MAX_BUSINESS_KEY:
            raise InvalidInput({BUSINESS_KEY: f"Use at most {MAX_BUSINESS_KEY} characters."})
        variables = runtime.validate_submission(version.start_form or [], submitted, from_html=True)
    except InvalidInput as exc:
        flash("Some fields need attention; see the messages next to them.", "error")
        return _render(version, {**submitted, BUSINESS_KEY: business_key or ""}, exc.fields, 422)
    row = runtime.start_instance(version, user, variables, business_key)
    db.session.refresh(row)
    first = next_task(user, row.id)
    if first is not None:
        flash(f"Started {row.title}. Your first task is ready.", "success")
        return redirect(url_for("web.task", task_id=first.id))
    flash(f"Started {row.title}.", "success")
    return redirect(url_for("web.instance", instance_id=row.id))
