"""My work: tasks waiting on me, tasks offered to my groups, and the cases I started."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from server import access, auth
from server.db import db
from server.models import Instance
from server.web import web

LIST_LIMIT = 50  # rows per section; the Instances page has the rest


@web.get("/")
def work() -> str:
    user = auth.user()
    mine_query = access.visible_tasks(user, mine=True, urgent_first=True)
    group_query = access.visible_tasks(user, candidate_only=True, urgent_first=True)
    started_query = select(Instance).where(Instance.started_by_id == user.id).order_by(Instance.id.desc())
    return render_template(
        "work.html",
        mine=list(db.session.scalars(mine_query.limit(LIST_LIMIT))),
        mine_total=access.count(mine_query),
        offered=list(db.session.scalars(group_query.limit(LIST_LIMIT))),
        offered_total=access.count(group_query),
        started=list(db.session.scalars(started_query.limit(LIST_LIMIT)).unique()),
        started_total=access.count(started_query),
    )
