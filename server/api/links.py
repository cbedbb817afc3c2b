"""External links and documents of a case: list, issue, revoke; list and download documents."""

from __future__ import annotations

from flask import Response, jsonify
from werkzeug.wrappers import Response as FileResponse

from server import access, auth, documents, external
from server.api import api
from server.api.body import json_body
from server.db import db
from server.errors import BadRequest, NotFound
from server.models import Document, ExternalLink, Instance


def _visible(instance_id: int) -> Instance:
    user = auth.user()
    row = db.session.get(Instance, instance_id)
    if row is None or not access.may_see_instance(user, row):
        raise NotFound(f"Instance {instance_id} does not exist or is not visible to you.")
    return row


@api.get("/instances/<int:instance_id>/links")
def list_links(instance_id: int) -> Response:
    row = _visible(instance_id)
    return jsonify([external.to_json(link) for link in external.links_of(row.id)])


@api.post("/instances/<int:instance_id>/links")
def create_link(instance_id: int) -> tuple[Response, int]:
    """Issue (or reissue) a link: {"email", "kind": "participant" | "status"}; e-mailed to them."""
    row = _visible(instance_id)
    body = json_body()
    email, kind = body.get("email"), body.get("kind", "status")
    if not isinstance(email, str) or not isinstance(kind, str):
        raise BadRequest("Send {\"email\": \"...\", \"kind\": \"participant\" | \"status\"}.", field="email")
    link = external.reissue(row, email, kind, auth.user())
    return jsonify({**external.to_json(link), "url": external.url_for_link(link)}), 201


@api.post("/links/<int:link_id>/revoke")
def revoke_link(link_id: int) -> Response:
    link = db.session.get(ExternalLink, link_id)
    if link is None:
        raise NotFound(f"Link {link_id} does not exist.")
    _visible(link.instance_id)
    return jsonify(external.to_json(external.revoke(link_id, auth.user())))


@api.get("/instances/<int:instance_id>/documents")
def list_documents(instance_id: int) -> Response:
    row = _visible(instance_id)
    return jsonify([documents.to_json(d) for d in documents.of_instance(row.id)])


@api.get("/documents/<int:document_id>")
def download_document(document_id: int) -> FileResponse:
    found = db.session.get(Document, document_id)
    if found is None:
        raise NotFound(f"Document {document_id} does not exist or is not visible to you.")
    _visible(found.instance_id)
    return documents.send(found)
