"""Managing people: users with roles and a manager, groups with members and leads, API tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from server.clock import utcnow
from server.db import db, persistent
from server.errors import BadRequest, NotFound
from server.models import ApiToken, Group, Membership, User, UserRole
from server.models.people import ROLES

TOKEN_PREFIX = "bt_"


def normalize_email(email: str) -> str:
    email = (email or "").strip().casefold()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        raise BadRequest(f"{email!r} is not an e-mail address.", field="email")
    return email


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().casefold()))


def get_or_create_group(name: str) -> Group:
    name = name.strip()
    if not name:
        raise BadRequest("A group needs a name.", field="name")
    group = db.session.scalar(select(Group).where(Group.key == Group.key_for(name)))
    if group is None:
        group = Group(name=name, key=Group.key_for(name))
        db.session.add(group)
        db.session.flush()
    return group


def save_user(
    email: str,
    *,
    password: str | None = None,
    name: str | None = None,
    roles: Iterable[str] | None = None,
    groups: Iterable[str] | None = None,
    lead_of: Iterable[str] | None = None,
    manager_email: str | None = None,
    active: bool | None = None,
) -> tuple[User, bool]:
    """Create or update a user; None leaves a field as it is. Returns (user, created)."""
    email = normalize_email(email)
    user = find_user(email)
    created = user is None
    if user is None:
        user = User(email=email, name=name or email.split("@")[0])
        db.session.add(user)
    if name is not None:
        user.name = name.strip()
    if password is not None:
        if len(password) < 8:
            raise BadRequest("A password needs at least 8 characters.", field="password")
        user.password_hash = generate_password_hash(password, method=_hash_method())
    if active is not None:
        user.active = active
    if roles is None and created:
        roles = ["participant"]
    if roles is not None:
        wanted_roles = {r.strip().lower() for r in roles if r.strip()}
        unknown = wanted_roles - set(ROLES)
        if unknown:
            raise BadRequest(
                f"Unknown role(s): {', '.join(sorted(unknown))}; use {', '.join(ROLES)}.", field="role"
            )
        user.role_rows = [UserRole(role=r) for r in sorted(wanted_roles)]
    if groups is not None or lead_of is not None:
        leads = {Group.key_for(g) for g in (lead_of or []) if g.strip()}
        names = [g for g in (groups or []) if g.strip()] + [g for g in (lead_of or []) if g.strip()]
        wanted: dict[str, tuple[Group, bool]] = {}
        for group_name in names:
            group = get_or_create_group(group_name)
            wanted.setdefault(group.key, (group, group.key in leads))
        if groups is None:  # only leads given: keep the other memberships
            for m in user.memberships:
                wanted.setdefault(m.group.key, (m.group, m.is_lead))
        with db.session.no_autoflush:
            current = {m.group.key: m for m in user.memberships}
            for key, membership in current.items():
                if key not in wanted:
                    user.memberships.remove(membership)
            for key, (group, is_lead) in wanted.items():
                if key in current:
                    current[key].is_lead = is_lead
                else:
                    user.memberships.append(Membership(group=group, is_lead=is_lead))
    if manager_email is not None:
        if manager_email == "":
            user.manager_id = None
        else:
            manager = find_user(manager_email)
            if manager is None:
                raise NotFound(f"No user {manager_email!r} to be the manager.", field="manager")
            if manager is user:
                raise BadRequest("A user cannot be their own manager.", field="manager")
            user.manager = manager
    db.session.flush()
    return user, created


def _hash_method() -> str:
    """scrypt by default; tests may choose a cheaper method through BATON_PASSWORD_HASH."""
    try:
        return str(current_app.config.get("BATON_PASSWORD_HASH") or "scrypt")
    except RuntimeError:  # outside an app context
        return "scrypt"


def check_password(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash or not user.active:
        check_password_hash(generate_password_hash("x"), password)  # similar time either way
        return False
    return check_password_hash(user.password_hash, password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token; the plain text is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=token_hash(plain), prefix=plain[:10])
    db.session.add(token)
    db.session.flush()
    return token, plain


def user_for_token(plain: str) -> User | None:
    """The active user a bearer token belongs to, read with their roles and groups (one statement:
    every API request needs all three)."""
    found = db.session.connection().execute(_token_statement(), {"b_hash": token_hash(plain)}).first()
    if found is None or found.revoked_at is not None or not found.active:
        return None
    now = utcnow()
    if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
        # at most once a minute: a write per request would cost throughput
        db.session.execute(update(ApiToken).where(ApiToken.id == found.token_id).values(last_used_at=now))
        db.session.commit()
    user = _user_from_row(found)
    user.remember_access(_split(found.role_text), _split(found.group_text))
    return user


_USER_COLUMNS = tuple(User.__table__.c)


@functools.cache
def _token_statement() -> Select[Any]:
    """Built once (every API request runs it, and building it costs more than running it): the
    token's state, its user's columns, roles and group keys as plain values (no ORM loading)."""
    roles = select(func.aggregate_strings(UserRole.role, "\n")).where(UserRole.user_id == ApiToken.user_id)
    groups = (select(func.aggregate_strings(Group.key, "\n"))
              .join(Membership, Membership.group_id == Group.id)
              .where(Membership.user_id == ApiToken.user_id))
    return (
        select(*_USER_COLUMNS, ApiToken.id.label("token_id"), ApiToken.revoked_at, ApiToken.last_used_at,
               roles.scalar_subquery().label("role_text"), groups.scalar_subquery().label("group_text"))
        .join_from(ApiToken.__table__, User.__table__, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == bindparam("b_hash"))
    )


def _user_from_row(row: Any) -> User:
    """The user as an object of this session, from the columns already read (no second SELECT)."""
    values = row._mapping  # (a Row's attributes cost more to read than its mapping's keys)
    return persistent(User, {column.key: values[column.key] for column in _USER_COLUMNS})


def _split(text: str | None) -> set[str]:
    return set(text.split("\n")) if text else set()


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
