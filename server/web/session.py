"""Signing in and out; the home page sends signed-in people to My work."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from server import people
from server.web import web


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site; None for anything that could leave it."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@web.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    next_path = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("web.work"))
    if request.method == "GET":
        return render_template("login.html", email="", next=next_path, error=None)
    email = request.form.get("email", "").strip()
    user = people.find_user(email) if email else None
    if not people.check_password(user, request.form.get("password", "")):
        error = "That e-mail and password do not match an active account. Check both and try again."
        return render_template("login.html", email=email, next=next_path, error=error), 401
    assert user is not None
    session.clear()  # a fresh session: nothing from before sign-in carries over
    login_user(user)
    flash(f"Welcome, {user.display_name}.", "success")
    return redirect(next_path or url_for("web.work"))


@web.post("/logout")
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("web.login"))
