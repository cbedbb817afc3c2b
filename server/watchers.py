"""Watchers: people who follow a case and hear when its steps complete."""

from __future__ import annotations

from sqlalchemy import delete, exists, select

import bpmn
from server import notifications, runtime
from server.clock import utcnow
from server.db import db
from server.models import Instance, User, Watcher
from server.runtime import Change


def is_watching(user: User, instance_id: int) -> bool:
    query = select(exists().where(Watcher.instance_id == instance_id, Watcher.user_id == user.id))
    return bool(db.session.scalar(query))


def watch(user: User, row: Instance) -> None:
    """Follow a case (idempotent); commits."""
    if not is_watching(user, row.id):
        db.session.add(Watcher(instance_id=row.id, user_id=user.id, created_at=utcnow()))
        db.session.commit()


def unwatch(user: User, row: Instance) -> None:
    """Stop following a case; commits."""
    db.session.execute(delete(Watcher).where(Watcher.instance_id == row.id, Watcher.user_id == user.id))
    db.session.commit()


def watchers_of(instance_id: int) -> list[User]:
    query = select(User).join(Watcher, Watcher.user_id == User.id).where(Watcher.instance_id == instance_id)
    return list(db.session.scalars(query.order_by(User.email)))


def watched_instances(user: User) -> list[int]:
    query = select(Watcher.instance_id).where(Watcher.user_id == user.id).order_by(Watcher.created_at.desc())
    return list(db.session.scalars(query))


def tell_watchers(change: Change, wf: bpmn.Instance) -> None:
    """Side table of every save: each completed step (and the end of the case) notifies the watchers."""
    done = [ev for ev in change.events if ev.kind in ("task_completed", "instance_completed")]
    if not done or change.watched is False:  # (the change read that the case has no watchers)
        return
    people = watchers_of(change.row.id)
    if not people:
        return
    link = f"/instances/{change.row.id}"
    for ev in done:
        actor = ev.actor.email if ev.actor else None
        audience = [u for u in people if u.email != actor]
        if ev.kind == "instance_completed":
            title = f"{change.row.title} is completed"
        else:
            by = f" by {ev.actor.display_name}" if ev.actor else ""
            title = f"“{ev.name or ev.element_id}” was completed{by} in {change.row.title}"
        notifications.notify(audience, kind="info", title=title, link=link, instance_id=change.row.id,
                             task_id=ev.task_id, change=change)


def register() -> None:
    """Hook the watchers into every runtime save (idempotent)."""
    if tell_watchers not in runtime.SIDE_TABLES:
        runtime.SIDE_TABLES.append(tell_watchers)


register()
