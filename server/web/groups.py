"""Admin pages for groups: the list, creating one, and its members and leads."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from server import auth, people
from server.db import db
from server.errors import BatonError, NotFound
from server.models import Group, Membership, User
from server.web import web


def _group(group_id: int) -> Group:
    group = db.session.get(Group, group_id)
    if group is None:
        raise NotFound(f"Group {group_id} does not exist.")
    return group


@web.get("/admin/groups")
def groups() -> str:
    auth.require_role("admin")
    rows = db.session.execute(
        select(Group, func.count(Membership.user_id))
        .outerjoin(Membership, Membership.group_id == Group.id)
        .group_by(Group.id)
        .order_by(Group.key)
    ).all()
    return render_template("groups.html", rows=[(g, n) for g, n in rows], error=None, name="")


@web.post("/admin/groups")
def create_group() -> Response | tuple[str, int]:
    auth.require_role("admin")
    name = request.form.get("name", "").strip()
    try:
        group = people.get_or_create_group(name)
    except BatonError as exc:
        db.session.rollback()
        flash("The group was not created.", "error")
        return render_template("groups.html", rows=[], error=exc.message, name=name), 422
    db.session.commit()
    flash(f"Group “{group.name}” is ready; add its members below.", "success")
    return redirect(url_for("web.group", group_id=group.id))


@web.get("/admin/groups/<int:group_id>")
def group(group_id: int) -> str:
    auth.require_role("admin")
    row = _group(group_id)
    members = sorted(row.memberships, key=lambda m: (not m.is_lead, m.user.email))
    return render_template("group.html", group=row, members=members)


@web.post("/admin/groups/<int:group_id>/members")
def add_member(group_id: int) -> Response:
    auth.require_role("admin")
    row = _group(group_id)
    email = request.form.get("email", "").strip()
    user = people.find_user(email) if email else None
    if user is None:
        flash(f"There is no user “{email}”; create them under Users first.", "error")
        return redirect(url_for("web.group", group_id=group_id))
    lead = request.form.get("lead") == "on"
    membership = db.session.get(Membership, (user.id, row.id))
    if membership is None:
        db.session.add(Membership(user=user, group=row, is_lead=lead))
    else:
        membership.is_lead = lead
    db.session.commit()
    flash(f"{user.email} is {'a lead' if lead else 'a member'} of {row.name}.", "success")
    return redirect(url_for("web.group", group_id=group_id))


@web.post("/admin/groups/<int:group_id>/members/<int:user_id>")
def change_member(group_id: int, user_id: int) -> Response:
    """action=lead|member|remove for one member."""
    auth.require_role("admin")
    row = _group(group_id)
    membership = db.session.get(Membership, (user_id, row.id))
    user = db.session.get(User, user_id)
    if membership is None or user is None:
        raise NotFound("That person is not a member of this group.")
    action = request.form.get("action", "")
    if action == "remove":
        db.session.delete(membership)
        message = f"{user.email} is no longer in {row.name}."
    elif action in ("lead", "member"):
        membership.is_lead = action == "lead"
        message = f"{user.email} is now {'a lead' if action == 'lead' else 'a member'} of {row.name}."
    else:
        flash("Choose what to do with this member.", "error")
        return redirect(url_for("web.group", group_id=group_id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("web.group", group_id=group_id))
