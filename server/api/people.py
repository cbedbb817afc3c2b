"""Users, groups and API tokens (admins manage people; everyone manages their own tokens)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select

from server import auth, people
from server.api import api
from server.api.body import json_body
from server.api.paging import paged
from server.clock import iso
from server.db import db
from server.errors import BadRequest, Forbidden, NotFound
from server.models import ApiToken, Group, User


def user_json(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "roles": sorted(u.roles),
        "groups": sorted(m.group.name for m in u.memberships),
        "lead_of": sorted(m.group.name for m in u.memberships if m.is_lead),
        "manager": u.manager.email if u.manager else None,
        "active": u.active,
        "external": u.is_external,
        "created_at": iso(u.created_at),
    }


def group_json(g: Group) -> dict[str, Any]:
    return {
        "id": g.id,
        "name": g.name,
        "members": sorted(m.user.email for m in g.memberships),
        "leads": sorted(m.user.email for m in g.memberships if m.is_lead),
    }


def token_json(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "user": t.user.email,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": iso(t.created_at),
        "last_used_at": iso(t.last_used_at),
        "revoked_at": iso(t.revoked_at),
    }


def _str_list(payload: dict[str, Any], key: str) -> list[str] | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"'{key}' must be a list of strings.", field=key)
    return value


@api.get("/me")
def me() -> Response:
    return jsonify(user_json(auth.user()))


@api.get("/users")
def list_users() -> Response:
    auth.require_role("admin")
    return paged(select(User).order_by(User.email), user_json)


def _save_user(payload: dict[str, Any], email: str) -> User:
    user, _ = people.save_user(
        email,
        password=payload.get("password"),
        name=payload.get("name"),
        roles=_str_list(payload, "roles"),
        groups=_str_list(payload, "groups"),
        lead_of=_str_list(payload, "lead_of"),
        manager_email=payload.get("manager"),
        active=payload.get("active"),
    )
    db.session.commit()
    return user


@api.post("/users")
def create_user() -> tuple[Response, int]:
    auth.require_role("admin")
    payload = json_body()
    if people.find_user(str(payload.get("email", ""))) is not None:
        raise BadRequest(
            "A user with this e-mail exists; PATCH /api/v1/users/<id> to change it.", field="email"
        )
    return jsonify(user_json(_save_user(payload, str(payload.get("email", ""))))), 201


@api.get("/users/<int:user_id>")
def get_user(user_id: int) -> Response:
    auth.require_role("admin")
    return jsonify(user_json(_user(user_id)))


@api.patch("/users/<int:user_id>")
def update_user(user_id: int) -> Response:
    auth.require_role("admin")
    return jsonify(user_json(_save_user(json_body(), _user(user_id).email)))


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} does not exist.")
    return user


@api.get("/groups")
def list_groups() -> Response:
    auth.user()
    return paged(select(Group).order_by(Group.key), group_json)


@api.post("/groups")
def create_group() -> tuple[Response, int]:
    auth.require_role("admin")
    group = people.get_or_create_group(str(json_body().get("name", "")))
    db.session.commit()
    return jsonify(group_json(group)), 201


@api.get("/tokens")
def list_tokens() -> Response:
    user = auth.user()
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if not user.is_admin:
        query = query.where(ApiToken.user_id == user.id)
    return paged(query, token_json)


@api.post("/tokens")
def new_token() -> tuple[Response, int]:
    user = auth.user()
    token, plain = people.create_token(user, str(json_body().get("name", "")))
    db.session.commit()
    return jsonify({**token_json(token), "token": plain}), 201


@api.delete("/tokens/<int:token_id>")
def revoke(token_id: int) -> Response:
    user = auth.user()
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and not user.is_admin):
        raise NotFound(f"Token {token_id} does not exist.")
    if token.user_id != user.id and not user.is_admin:
        raise Forbidden("Only admins can revoke other people's tokens.")
    people.revoke_token(token)
    db.session.commit()
    return jsonify(token_json(token))
