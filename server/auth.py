"""Authentication: sessions for pages (flask-login), bearer tokens for the API, CSRF on forms."""

from __future__ import annotations

from flask import Flask, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from server import people
from server.db import db
from server.errors import Forbidden, Unauthorized
from server.models import User

login_manager = LoginManager()
login_manager.login_view = "web.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
csrf = CSRFProtect()


@login_manager.user_loader  # type: ignore[untyped-decorator]
def _load_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active and not user.is_external else None


@login_manager.request_loader  # type: ignore[untyped-decorator]
def _load_from_bearer(req: object) -> User | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return people.user_for_token(header[7:].strip())
    return None


def bearer_used() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def user() -> User:
    """The signed-in user, or Unauthorized."""
    if not current_user.is_authenticated:
        raise Unauthorized("Sign in, or send 'Authorization: Bearer <token>'.")
    return current_user._get_current_object()  # type: ignore[no-any-return]


def require_role(*roles: str) -> User:
    u = user()
    if not u.has_role(*roles):
        raise Forbidden(f"This needs the {' or '.join(roles)} role.")
    return u


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    csrf.init_app(app)
