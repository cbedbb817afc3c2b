"""My work: what waits on me and my groups, the cases I started, wait on others for, and watch."""

from __future__ import annotations

from typing import Any

from flask import render_template
from sqlalchemy import Select, and_, exists, or_, select

from server import access, auth
from server.db import db
from server.models import Instance, Task, User, Watcher
from server.web import web

LIST_LIMIT = 50  # rows per section; the Instances page has the rest


@web.get("/")
def work() -> str:
    user = auth.user()
    mine_query = access.visible_tasks(user, mine=True, urgent_first=True)
    started_query = select(Instance).where(Instance.started_by_id == user.id).order_by(Instance.id.desc())
    others_query = _waiting_on_others(user)
    watched_query = _watched(user)
    return render_template(
        "work.html",
        mine=list(db.session.scalars(mine_query.limit(LIST_LIMIT))),
        mine_total=access.count_upto(mine_query),
        offered=access.offered_page(user, LIST_LIMIT),
        offered_total=access.offered_count(user),
        started=list(db.session.scalars(started_query.limit(LIST_LIMIT)).unique()),
        started_total=access.count_upto(started_query),
        waiting_on_others=_open_steps(list(db.session.scalars(others_query.limit(LIST_LIMIT)).unique())),
        waiting_on_others_total=access.count_upto(others_query),
        watched=list(db.session.scalars(watched_query.limit(LIST_LIMIT)).unique()),
        watched_total=access.count_upto(watched_query),
    )


def _watched(user: User) -> Select[Any]:
    """Cases the user follows, most recently followed first."""
    return (select(Instance).join(Watcher, Watcher.instance_id == Instance.id)
            .where(Watcher.user_id == user.id).order_by(Watcher.created_at.desc(), Instance.id.desc()))


def _waiting_on_others(user: User) -> Select[Any]:
    """Running cases I started or watch whose open steps belong to others (none is assigned to me)."""
    email = user.email.casefold()
    watched = select(Watcher.instance_id).where(Watcher.user_id == user.id)
    someone_else = exists().where(Task.instance_id == Instance.id, Task.state == "open",
                                  or_(Task.assignee.is_(None), Task.assignee != email))
    mine = exists().where(Task.instance_id == Instance.id, Task.state == "open", Task.assignee == email)
    return (select(Instance)
            .where(or_(Instance.started_by_id == user.id, Instance.id.in_(watched)),
                   and_(Instance.status == "running", someone_else, ~mine))
            .order_by(Instance.updated_at.desc(), Instance.id.desc()))


def _open_steps(rows: list[Instance]) -> list[tuple[Instance, list[Task]]]:
    """Each case with its open tasks (one query for the whole list)."""
    ids = [row.id for row in rows]
    tasks: dict[int, list[Task]] = {i: [] for i in ids}
    if ids:
        query = select(Task).where(Task.instance_id.in_(ids), Task.state == "open").order_by(Task.created_at)
        for task in db.session.scalars(query):
            tasks[task.instance_id].append(task)
    return [(row, tasks[row.id]) for row in rows]
