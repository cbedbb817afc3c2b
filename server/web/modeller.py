"""The modeller: the list of process models, and the browser editor that saves drafts and deploys them."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from server import auth, deploying, drafts
from server.clock import iso
from server.db import db
from server.errorpages import wants_json
from server.errors import BadRequest, InvalidModel
from server.models import ProcessModel, ProcessVersion, User
from server.web import web
from server.web.uploads import read_model_files

MODELLER_ROLES = ("admin", "analyst")


def _analyst() -> User:
    return auth.require_role(*MODELLER_ROLES)


@web.get("/models")
def models() -> str:
    _analyst()
    rows = list(db.session.scalars(select(ProcessModel).order_by(ProcessModel.updated_at.desc())))
    editors = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({r.updated_by_id for r in rows if r.updated_by_id}))
    )}
    deployed = {pv.id: pv for pv in db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.id.in_({r.deployed_version_id for r in rows}))
    )}
    drafted = {r.process_id for r in rows}
    return render_template(
        "models.html",
        models=rows,
        editors=editors,
        deployed=deployed,
        undrafted=[pv for pv in deploying.latest_versions() if pv.process_id not in drafted],
    )


@web.post("/models")
def new_model() -> Response:
    user = _analyst()
    row = drafts.create(user, name=request.form.get("name", ""), dmn=request.form.get("kind") == "dmn")
    db.session.commit()
    return redirect(url_for("web.modeller", model_id=row.id))


@web.post("/models/import")
def import_model() -> Response:
    user = _analyst()
    files = read_model_files(request.files.getlist("file"))
    if not files:
        flash("Choose a .bpmn or .dmn file to import.", "error")
        return redirect(url_for("web.models"))
    name, content = next(iter(files.items()))
    if not name.lower().endswith((".bpmn", ".dmn", ".xml")):
        flash(f"{name} is not a .bpmn or .dmn file.", "error")
        return redirect(url_for("web.models"))
    row = drafts.create(user, xml=content.decode("utf-8", errors="replace"), file_name=name)
    db.session.commit()
    flash(f"Imported {name} as a new draft.", "success")
    return redirect(url_for("web.modeller", model_id=row.id))


@web.post("/models/from-version/<int:version_id>")
def model_from_version(version_id: int) -> Response:
    """Edit a deployed process: its draft if there is one (nothing is overwritten), else a new draft."""
    user = _analyst()
    pv = drafts.version(version_id)
    existing = drafts.for_process(pv.process_id)
    if existing is not None:
        return redirect(url_for("web.modeller", model_id=existing.id, version=pv.id))
    row = drafts.create(user, xml=drafts.version_xml(pv), name=pv.display_name)
    row.deployed_version_id = pv.id
    db.session.commit()
    return redirect(url_for("web.modeller", model_id=row.id))


@web.post("/models/from-file/<int:file_id>")
def model_from_file(file_id: int) -> Response:
    """Edit a deployed .dmn: its draft if there is one (nothing is overwritten), else a new draft."""
    user = _analyst()
    deployed = drafts.deployed_file(file_id)
    if not deployed.name.lower().endswith(".dmn"):
        raise BadRequest(f"{deployed.name} is not a .dmn file; open its process from the Models page.")
    existing = drafts.for_process(deployed.name)
    if existing is not None:
        return redirect(url_for("web.modeller", model_id=existing.id, file=deployed.id))
    row = drafts.create(user, xml=bytes(deployed.content).decode("utf-8", errors="replace"),
                        file_name=deployed.name)
    db.session.commit()
    return redirect(url_for("web.modeller", model_id=row.id))


@web.get("/models/<int:model_id>")
def modeller(model_id: int) -> str:
    _analyst()
    row = drafts.get(model_id)
    shown = request.args.get("version", type=int)
    shown_file = request.args.get("file", type=int) if row.is_decision else None
    note = None
    if shown_file:
        deployed = drafts.deployed_file(shown_file)
        xml = bytes(deployed.content).decode("utf-8", errors="replace")
        note = (f"Showing {deployed.name} of deployment #{deployed.deployment_id}; "
                "save the draft to continue from it, or reload the page to go back to the draft.")
        verdict = drafts.Verdict()
    elif shown and not row.is_decision:
        pv = drafts.version(shown)
        xml = drafts.version_xml(pv)
        note = (f"Showing deployed version {pv.version} of {pv.display_name}; "
                "save the draft to continue from it, or reload the page to go back to the draft.")
        verdict = drafts.Verdict()
    else:
        xml = row.xml
        verdict = drafts.check(xml, row.file_name, row.process_id)
    data: dict[str, Any] = {
        "kind": "dmn" if row.is_decision else "bpmn",
        "deploysWith": verdict.deploys_with,
        "xml": xml,
        "saveUrl": url_for("web.save_model", model_id=row.id),
        "deployUrl": url_for("web.deploy_model", model_id=row.id),
        "fileStem": row.file_name.rsplit(".", 1)[0],
        "fileName": row.file_name,
        "problems": verdict.problems,
        "unsaved": bool(shown or shown_file),
        "note": note,
    }
    return render_template(
        "modeller.html",
        model=row,
        data=data,
        verdict=verdict,
        versions=[] if row.is_decision else drafts.versions_of(row.process_id),
        deployed_files=drafts.deployed_files_named(row.file_name) if row.is_decision else [],
        shown_version=shown,
        shown_file=shown_file,
        editor=db.session.get(User, row.updated_by_id) if row.updated_by_id else None,
    )


@web.post("/models/<int:model_id>/draft")
def save_model(model_id: int) -> Response:
    """Save the canvas (JSON {"xml"}); answers the parser's problems and warnings."""
    user = _analyst()
    row = drafts.get(model_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
        raise BadRequest('Send JSON {"xml": "<bpmn:definitions ...>"}.', field="xml")
    verdict = drafts.save(row, body["xml"], user)
    db.session.commit()
    return jsonify(
        {
            "id": row.id,
            "name": row.display_name,
            "process_id": row.process_id,
            "file_name": row.file_name,
            "updated_at": iso(row.updated_at),
            "problems": verdict.problems,
            "warnings": verdict.warnings,
            "deploys_with": verdict.deploys_with,
        }
    )


@web.post("/models/<int:model_id>/deploy")
def deploy_model(model_id: int) -> Response | tuple[Response, int]:
    """Deploy the saved draft: JSON for the modeller, a redirect with a message for a plain form."""
    user = _analyst()
    row = drafts.get(model_id)
    try:
        result = drafts.deploy(row, user)
    except InvalidModel as exc:
        db.session.rollback()
        if wants_json():
            raise
        count = len(exc.problems)
        flash(f"Nothing was deployed: the draft has {count} problem(s); open it to see them.", "error")
        return redirect(url_for("web.modeller", model_id=model_id))
    url = url_for("web.deployment", deployment_id=result.deployment.id)
    if wants_json():
        return jsonify({**result.to_dict(), "url": url}), 201
    flash("Deployed " + ", ".join(f"{p.display_name} (version {p.version})" for p in result.processes) + ".",
          "success")
    return redirect(url)


@web.get("/models/<int:model_id>/xml")
def model_xml(model_id: int) -> Response:
    """The saved draft as a .bpmn or .dmn download (works without JavaScript)."""
    _analyst()
    row = drafts.get(model_id)
    return Response(
        row.xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{row.file_name}"'},
    )
