"""API tokens: everyone lists, creates (shown once) and revokes their own; admins see everyone's."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from server import auth, people
from server.db import db
from server.errors import NotFound
from server.models import ApiToken, User
from server.web import web
from server.web.layout import paginate

MAX_NAME = 200  # characters (the column's width)


def _render(user: User, created: str | None = None, status: int = 200) -> tuple[str, int]:
    query = select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
    if not user.is_admin:
        query = query.where(ApiToken.user_id == user.id)
    page = paginate(query)
    return render_template("tokens.html", page=page, created=created, everyone=user.is_admin), status


@web.get("/tokens")
def tokens() -> tuple[str, int]:
    return _render(auth.user())


@web.post("/tokens")
def create_token() -> tuple[str, int]:
    """The new token is in this answer only: it is never stored, flashed or shown again."""
    user = auth.user()
    name = request.form.get("name", "").strip()[:MAX_NAME]
    _, plain = people.create_token(user, name)
    db.session.commit()
    return _render(user, created=plain, status=201)


@web.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> Response:
    user = auth.user()
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and not user.is_admin):
        raise NotFound(f"Token {token_id} does not exist.")
    people.revoke_token(token)
    db.session.commit()
    flash(f"Token {token.prefix}… is revoked; programs using it can no longer sign in.", "success")
    return redirect(url_for("web.tokens"))
