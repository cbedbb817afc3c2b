"""The case page's outside-access card (issue, reissue, revoke links) and document downloads for staff."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from server import auth, documents, external
from server.db import db
from server.errors import Conflict, InvalidInput, NotFound
from server.models import Document, ExternalLink, Instance
from server.web import web
from server.web.instances import visible_instance


@web.app_template_global("case_links")
def case_links(instance: Instance) -> list[tuple[ExternalLink, str]]:
    """The links of a case with their state (active | expired | revoked), newest first."""
    return [(link, external.state_of(link)) for link in external.links_of(instance.id)]


@web.app_template_global("case_documents")
def case_documents(instance: Instance) -> list[Document]:
    return documents.of_instance(instance.id)


@web.post("/instances/<int:instance_id>/links")
def issue_link(instance_id: int) -> Response:
    user = auth.user()
    row = visible_instance(instance_id, user)
    email = request.form.get("email", "").strip()
    kind = request.form.get("kind", "status")
    try:
        link = external.reissue(row, email, kind, user)
    except (InvalidInput, Conflict) as exc:
        message = "; ".join(exc.fields.values()) if isinstance(exc, InvalidInput) else exc.message
        flash(message, "error")
    else:
        what = "A status link" if link.kind == "status" else "A new link"
        flash(f"{what} was e-mailed to {link.user.email}: {external.url_for_link(link)}", "success")
    return redirect(url_for("web.instance", instance_id=instance_id) + "#links-h")


@web.post("/links/<int:link_id>/revoke")
def revoke_link(link_id: int) -> Response:
    user = auth.user()
    link = db.session.get(ExternalLink, link_id)
    if link is None:
        raise NotFound(f"Link {link_id} does not exist.")
    visible_instance(link.instance_id, user)
    link = external.revoke(link_id, user)
    flash(f"The link of {link.user.email} no longer works.", "success")
    return redirect(url_for("web.instance", instance_id=link.instance_id) + "#links-h")


@web.get("/documents/<int:document_id>")
def document(document_id: int) -> Response:
    user = auth.user()
    found = db.session.get(Document, document_id)
    if found is None:
        raise NotFound("This document does not exist, or it is not one you can see.")
    try:
        visible_instance(found.instance_id, user)
    except NotFound as exc:
        raise NotFound("This document does not exist, or it is not one you can see.") from exc
    return documents.send(found)
