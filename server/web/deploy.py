"""The Deploy page: upload .bpmn/.dmn files; see the deployed processes and warnings, or every problem."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from server import access, auth, deploying
from server.db import db
from server.errors import BadRequest, InvalidModel, NotFound
from server.models import Deployment, User
from server.web import web
from server.web.uploads import read_model_files

RECENT = 20  # deployments listed on the Deploy page


def _may_look(user: User) -> bool:
    return access.can_deploy(user) or user.has_role("auditor")


def _render(user: User, problems: list[dict[str, Any]] | None = None, status: int = 200) -> tuple[str, int]:
    deployments = list(db.session.scalars(select(Deployment).order_by(Deployment.id.desc()).limit(RECENT)))
    authors = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({d.created_by_id for d in deployments if d.created_by_id}))
    )}
    return render_template(
        "deploy.html",
        deployments=deployments,
        authors=authors,
        problems=problems or [],
        can_deploy=access.can_deploy(user),
    ), status


@web.get("/deploy")
def deploy() -> tuple[str, int]:
    user = auth.user()
    if not _may_look(user):
        auth.require_role("admin", "analyst")
    return _render(user)


@web.post("/deploy")
def upload() -> Response | tuple[str, int]:
    user = auth.require_role("admin", "analyst")
    try:
        files = read_model_files(request.files.getlist("files"))
        result = deploying.deploy(files, user)
    except InvalidModel as exc:
        db.session.rollback()
        count = len(exc.problems)
        plural = "s" if count != 1 else ""
        flash(f"Nothing was deployed: the files have {count} problem{plural} to fix.", "error")
        return _render(user, exc.problems, 422)
    except BadRequest as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render(user, [{"file": "", "line": None, "element_id": None, "message": exc.message}], 400)
    names = ", ".join(f"{p.display_name} (version {p.version})" for p in result.processes)
    if result.unchanged:
        flash(f"These files are already deployed: {names}. Nothing changed.", "info")
    else:
        flash(f"Deployed {names}.", "success")
    return redirect(url_for("web.deployment", deployment_id=result.deployment.id))


@web.get("/deployments/<int:deployment_id>")
def deployment(deployment_id: int) -> str:
    user = auth.user()
    if not _may_look(user):
        auth.require_role("admin", "analyst")
    row = db.session.get(Deployment, deployment_id)
    if row is None:
        raise NotFound(f"Deployment {deployment_id} does not exist.")
    author = db.session.get(User, row.created_by_id) if row.created_by_id else None
    return render_template(
        "deployment.html",
        deployment=row,
        author=author,
        startable={p.id: p.startable and access.can_start(user, p) for p in row.processes},
        can_model=user.has_role("admin", "analyst"),
    )
