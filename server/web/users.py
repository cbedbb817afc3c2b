"""Admin pages for users: the list, and one form to create or edit roles, groups, manager and active."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from server import auth, people
from server.db import db
from server.errors import BatonError, NotFound
from server.models import Group, User
from server.models.people import ROLES
from server.web import web
from server.web.layout import paginate

ROLE_HELP = {
    "admin": "everything, including people and cancelling instances",
    "analyst": "deploys models; works tasks",
    "participant": "starts processes and works tasks",
    "auditor": "sees every instance and task; changes nothing",
}


@dataclass
class UserForm:
    """What the user form holds, as typed (so a rejected form comes back as it was sent)."""

    email: str = ""
    name: str = ""
    roles: list[str] = field(default_factory=lambda: ["participant"])
    groups: str = ""
    lead_of: str = ""
    manager: str = ""
    active: bool = True

    @classmethod
    def of(cls, user: User) -> UserForm:
        return cls(
            email=user.email,
            name=user.name,
            roles=sorted(user.roles),
            groups=", ".join(sorted(m.group.name for m in user.memberships if not m.is_lead)),
            lead_of=", ".join(sorted(m.group.name for m in user.memberships if m.is_lead)),
            manager=user.manager.email if user.manager else "",
            active=user.active,
        )

    @classmethod
    def posted(cls) -> UserForm:
        form = request.form
        return cls(
            email=form.get("email", "").strip(),
            name=form.get("name", "").strip(),
            roles=form.getlist("roles"),
            groups=form.get("groups", ""),
            lead_of=form.get("lead_of", ""),
            manager=form.get("manager", "").strip(),
            active=form.get("active") == "on",
        )


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _render(form: UserForm, user: User | None, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    groups = list(db.session.scalars(select(Group).order_by(Group.key)))
    return render_template(
        "user_form.html", form=form, user=user, errors=errors, roles=ROLES, role_help=ROLE_HELP, groups=groups
    ), status


def _save(form: UserForm, user: User | None, me: User) -> User | dict[str, str]:
    """The saved user, or {field: message} when something is wrong (nothing is saved then)."""
    password = request.form.get("password", "")
    if user is None and people.find_user(form.email) is not None:
        return {"email": "Someone already has this e-mail address; find them in the list to edit them."}
    if user is not None and user.id == me.id:
        if "admin" not in form.roles:
            return {"roles": "You cannot take away your own admin role; ask another admin."}
        if not form.active:
            return {"active": "You cannot deactivate yourself."}
    try:
        saved, _ = people.save_user(
            form.email if user is None else user.email,
            password=password or None,
            name=form.name,
            roles=form.roles,
            groups=_names(form.groups),
            lead_of=_names(form.lead_of),
            manager_email=form.manager,
            active=form.active,
        )
    except BatonError as exc:
        db.session.rollback()
        where = str(exc.extra.get("field") or "form")
        return {"roles" if where == "role" else where: exc.message}
    db.session.commit()
    return saved


@web.get("/admin/users")
def users() -> str:
    auth.require_role("admin")
    return render_template("users.html", page=paginate(select(User).order_by(User.email)))


@web.route("/admin/users/new", methods=["GET", "POST"])
def new_user() -> Response | tuple[str, int]:
    me = auth.require_role("admin")
    if request.method == "GET":
        return _render(UserForm(), None, {})
    form = UserForm.posted()
    errors: dict[str, str] = {}
    if not request.form.get("password"):
        errors["password"] = "Give the new user a password of at least 8 characters."
    result = errors or _save(form, None, me)
    if isinstance(result, dict):
        flash("The user was not created; see the messages next to the fields.", "error")
        return _render(form, None, result, 422)
    flash(f"Created {result.email}. They can sign in now.", "success")
    return redirect(url_for("web.users"))


@web.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> Response | tuple[str, int]:
    me = auth.require_role("admin")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} does not exist.")
    if request.method == "GET":
        return _render(UserForm.of(user), user, {})
    form = UserForm.posted()
    form.email = user.email
    result = _save(form, user, me)
    if isinstance(result, dict):
        flash("Nothing was changed; see the messages next to the fields.", "error")
        return _render(form, db.session.get(User, user_id), result, 422)
    flash(f"Saved {result.email}.", "success")
    return redirect(url_for("web.users"))
