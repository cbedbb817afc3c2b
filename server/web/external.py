"""The external portal under /x: one case, opened by a signed link, for someone with no Baton account.

`/x/<token>` checks the link and keeps only its id in the session (key `baton_external_link`, never
flask-login's user), then shows `/x/case`. Every request re-checks the link (expiry, revocation), and
everything is scoped to the link's case: its steps, the visitor's own open tasks (participant
links only) and the case's documents. Internal pages and the API stay closed: flask-login never
loads an external user. The endpoints are rate-limited per client address.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from server import documents, external, owners, runtime
from server.clock import utcnow
from server.db import db
from server.errors import BatonError, Forbidden, InvalidInput, NotFound, TaskNotOpen
from server.models import Document, ExternalLink, Instance, Task
from server.projection import form_json

portal = Blueprint("external", __name__, url_prefix="/x")
# Counts live in this process unless RATELIMIT_STORAGE_URI (e.g. the Redis URL) says where to share
# them between web processes; see init_app.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
DEFAULT_RATE = "120 per minute"
DEFAULT_OPEN_RATE = "30 per minute"


def _rate() -> str:
    return str(current_app.config.get("BATON_EXTERNAL_RATE_LIMIT") or DEFAULT_RATE)


def _open_rate() -> str:
    return str(current_app.config.get("BATON_EXTERNAL_OPEN_RATE_LIMIT") or DEFAULT_OPEN_RATE)


def current_link() -> ExternalLink:
    """The link this visitor opened, still valid; else LinkRefused / LinkGone."""
    link_id = session.get(external.SESSION_KEY)
    if not isinstance(link_id, int):
        raise external.LinkRefused("Open the link from your e-mail to see your case.")
    link = external.check(db.session.get(ExternalLink, link_id))
    link.last_used_at = utcnow()
    return link


def _case(link: ExternalLink) -> Instance:
    row = db.session.get(Instance, link.instance_id)
    if row is None:
        raise external.LinkGone("This case no longer exists.")
    return row


def _my_task(link: ExternalLink, task_id: str) -> Task:
    """An open task of the link's case that the visitor may complete (404 for anything else)."""
    task = db.session.get(Task, task_id)
    if task is None or task.instance_id != link.instance_id:
        raise NotFound("There is no such task in this case.")
    if link.kind != "participant" or not owners.may_complete(link.user, task):
        raise Forbidden("This task is not yours to do.")
    return task


def _who(task: Task, link: ExternalLink) -> str:
    """A step's owner as an outsider sees it: themselves, or the team (no internal names)."""
    if owners.is_assignee(link.user, task) or (not task.assignee and owners.is_candidate(link.user, task)):
        return "You"
    return "Our team"


def _values(task: Task, row: Instance) -> dict[str, Any]:
    """Prefill a form from the case data, limited to the form's own fields."""
    ids = {str(f.get("id")) for f in task.form or []}
    return {k: v for k, v in (row.data or {}).items() if k in ids}


def _page(link: ExternalLink, *, errors: dict[str, dict[str, str]] | None = None,
          values: dict[str, dict[str, Any]] | None = None, status: int = 200) -> tuple[str, int]:
    row = _case(link)
    steps = list(db.session.scalars(select(Task).where(Task.instance_id == row.id)
                                    .order_by(Task.created_at, Task.id)))
    mine = [t for t in steps if t.state == "open" and link.kind == "participant"
            and owners.may_complete(link.user, t)]
    forms = [(t, form_json(t.form or []), (values or {}).get(t.id) or _values(t, row),
              (errors or {}).get(t.id) or {}, documents.missing_documents(t)) for t in mine]
    db.session.commit()  # last_used_at
    return render_template(
        "external_case.html", link=link, instance=row, person=link.user,
        steps=[(t, _who(t, link)) for t in steps], my_tasks=forms,
        documents=documents.of_instance(row.id), may_act=link.kind == "participant",
    ), status


@portal.get("/<token>")
@limiter.limit(_open_rate)
def open_link(token: str) -> Response:
    session.pop(external.SESSION_KEY, None)
    link = external.resolve(token)
    link.last_used_at = utcnow()
    db.session.commit()
    session[external.SESSION_KEY] = link.id
    return redirect(url_for("external.case"))


@portal.get("/case")
def case() -> tuple[str, int]:
    return _page(current_link())


@portal.post("/case/tasks/<task_id>")
def complete(task_id: str) -> Response | tuple[str, int]:
    link = current_link()
    task = _my_task(link, task_id)
    name = task.name
    values = request.form.to_dict()
    values.pop("csrf_token", None)
    try:
        documents.take_uploads(task, link.user, request.files, values)
        runtime.complete_task(task.id, link.user, values, from_html=True)
    except InvalidInput as exc:
        db.session.rollback()
        flash("Some fields need attention; see the messages next to them.", "error")
        return _page(current_link(), errors={task_id: exc.fields}, values={task_id: values}, status=422)
    except TaskNotOpen as exc:
        flash(exc.message, "error")
        return redirect(url_for("external.case"))
    flash(f"Thank you: “{name}” is done.", "success")
    return redirect(url_for("external.case"))


@portal.post("/case/documents")
def upload() -> Response:
    link = current_link()
    if link.kind != "participant":
        raise Forbidden("This link shows the case; it cannot add documents.")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a file to upload.", "error")
        return redirect(url_for("external.case"))
    try:
        document = documents.store(upload, instance=_case(link), actor=link.user)
    except ValueError as exc:
        flash(str(exc), "error")
    else:
        flash(f"“{document.file_name}” was added to the case.", "success")
    return redirect(url_for("external.case"))


@portal.get("/case/documents/<int:document_id>")
def download(document_id: int) -> Response:
    link = current_link()
    document = db.session.get(Document, document_id)
    if document is None or document.instance_id != link.instance_id:
        raise NotFound("There is no such document in this case.")
    db.session.commit()
    return documents.send(document)


@portal.post("/case/leave")
def leave() -> tuple[str, int]:
    session.pop(external.SESSION_KEY, None)
    return render_template("external_error.html", status=200, title="You left the case",
                           message="Open the link from your e-mail again to come back."), 200


_TITLES = {403: "This link does not open anything", 404: "Not found", 410: "This link no longer works",
           429: "Too many requests", 422: "Something needs fixing"}


limiter.limit(_rate)(portal)


@portal.errorhandler(BatonError)
def _refused(exc: BatonError) -> tuple[str, int]:
    if isinstance(exc, external.LinkRefused):
        session.pop(external.SESSION_KEY, None)
    return render_template("external_error.html", status=exc.status, title=_TITLES.get(exc.status, "Sorry"),
                           message=exc.message), exc.status


@portal.errorhandler(TooManyRequests)
def _too_many(exc: TooManyRequests) -> tuple[str, int]:
    return render_template("external_error.html", status=429, title=_TITLES[429],
                           message="Too many requests from your address; wait a minute and try again."), 429


def init_app(app: Flask) -> None:
    """Register the portal and its rate limits."""
    app.register_blueprint(portal)
    app.jinja_env.globals["document_of"] = documents.get
    documents.register()
    app.config.setdefault("RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI") or "memory://")
    limiter.init_app(app)
    _limit_only_the_portal(app)


def _limit_only_the_portal(app: Flask) -> None:
    """Run the limiter's request hooks for the portal's requests only: it limits nothing else, and
    its per-request bookkeeping cost every API call ~2% of its time."""
    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        everywhere: list[Any] = hooks.get(None, [])
        mine = [f for f in everywhere if getattr(f, "__self__", None) is limiter
                or getattr(getattr(f, "func", None), "__qualname__", "").startswith("Limiter.")]
        for f in mine:
            everywhere.remove(f)
            hooks.setdefault(portal.name, []).append(f)
