"""Notifications: rows written in the caller's transaction (the bell), e-mailed by a worker after commit.

`notify` never sends anything itself: it inserts one row per person and, once the transaction
commits, enqueues one mail job per row (server.mail.send_notification). A rolled-back change
notifies nobody; a lost enqueue leaves the row `pending`, and `resend_pending` hands it over again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Select, func, select, update

from server.clock import utcnow
from server.db import db
from server.models import Group, Membership, Notification, Task, User
from server.models.notification import NOTIFICATION_KINDS

if TYPE_CHECKING:
    from server.runtime import Change

log = logging.getLogger(__name__)

MAIL_JOB = "server.mail.send_notification"
MAIL_QUEUE = "default"
DEFAULT_RETRY_S = "10,60,300"
"""Seconds between the attempts of a failed send (BATON_MAIL_RETRY_S, config or environment)."""
STALE_AFTER = timedelta(minutes=2)
"""A pending e-mail older than this whose job was lost is handed to RQ again by `resend_pending`."""


def _after_commit(change: Change | None) -> list[Callable[[], None]]:
    """Where work to run after commit goes: the change's list, else the session's (see runtime)."""
    if change is not None:
        return change.after_commit
    queue: list[Callable[[], None]] = db.session.info.setdefault("baton_after_commit", [])
    return queue


def notify(
    users: Iterable[User],
    *,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
    instance_id: int | None = None,
    task_id: str | None = None,
    change: Change | None = None,
) -> list[Notification]:
    """Tell each (active) person once: an in-app row now, an e-mail from a worker after commit.

    Call it before `runtime.save(change, ...)` (save hands `change.after_commit` to the session);
    without a change the mail jobs ride on the session's after-commit queue, which
    `runtime.retrying` runs.
    """
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}; use one of {', '.join(NOTIFICATION_KINDS)}")
    now = utcnow()
    rows: list[Notification] = []
    seen: set[int] = set()
    for user in users:
        if user.id in seen or not user.active:
            continue
        seen.add(user.id)
        rows.append(Notification(
            user_id=user.id, kind=kind, title=title[:300], body=body, link=link, instance_id=instance_id,
            task_id=task_id, created_at=now, email_status="pending", email_attempts=0,
        ))
    if not rows:
        return rows
    db.session.add_all(rows)
    db.session.flush()
    ids = [row.id for row in rows]
    _after_commit(change).append(lambda: enqueue_mail(ids))
    return rows


def enqueue_mail(ids: Iterable[int]) -> None:
    """Hand one mail job per notification to RQ (a failed send retries on its own)."""
    from rq import Retry

    from server.redis_conn import get_queue

    setting = current_app.config.get("BATON_MAIL_RETRY_S") or os.environ.get("BATON_MAIL_RETRY_S")
    intervals = [int(s) for s in str(setting or DEFAULT_RETRY_S).split(",")]
    queue = get_queue(current_app, MAIL_QUEUE)
    for notification_id in ids:
        queue.enqueue(MAIL_JOB, notification_id, retry=Retry(max=len(intervals), interval=intervals),
                      job_timeout=60)


def resend_pending(now: datetime | None = None) -> int:
    """Re-enqueue e-mails still pending after STALE_AFTER (their job was lost); returns how many."""
    cutoff = (now or utcnow()) - STALE_AFTER
    ids = list(db.session.scalars(
        select(Notification.id)
        .where(Notification.email_status == "pending", Notification.created_at < cutoff)
        .limit(500)
    ))
    if ids:
        enqueue_mail(ids)
    return len(ids)


# --- who to tell -------------------------------------------------------------------------------


def find_user(email: str | None) -> User | None:
    if not email:
        return None
    found: User | None = db.session.scalar(select(User).where(User.email == email.strip().casefold()))
    return found


def group_members(name: str) -> list[User]:
    """Active members of the group called `name` (case-insensitive)."""
    query = (select(User).join(Membership, Membership.user_id == User.id).join(Group)
             .where(Group.key == Group.key_for(name), User.active.is_(True)).order_by(User.email))
    return list(db.session.scalars(query).unique())


def group_leads(name: str) -> list[User]:
    """Active leads of the group called `name`."""
    query = (select(User).join(Membership, Membership.user_id == User.id).join(Group)
             .where(Group.key == Group.key_for(name), Membership.is_lead.is_(True), User.active.is_(True))
             .order_by(User.email))
    return list(db.session.scalars(query).unique())


def manager_of(user: User | None) -> User | None:
    """The person's manager, if one is set and active."""
    if user is None or user.manager is None or not user.manager.active:
        return None
    return user.manager


def recipients_for_task(task: Task) -> list[User]:
    """Who a task waits on: its assignee, else its candidate users and the members of its groups."""
    if task.assignee:
        assignee = find_user(task.assignee)
        return [assignee] if assignee is not None and assignee.active else []
    people: dict[int, User] = {}
    for email in task.candidate_users or []:
        user = find_user(email)
        if user is not None and user.active:
            people[user.id] = user
    for group in task.candidate_groups or []:
        for user in group_members(group):
            people[user.id] = user
    return list(people.values())


# --- the bell ----------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """Unread notifications of a person (one indexed count)."""
    query = select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    return int(db.session.scalar(query) or 0)


def for_user(user: User, *, unread_only: bool = False) -> Select[tuple[Notification]]:
    """A person's notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def mark_read(user: User, notification_id: int) -> Notification | None:
    """Mark one of the person's notifications read (None: not theirs or not there). Caller commits."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        return None
    if row.read_at is None:
        row.read_at = utcnow()
    return row


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the person read; returns how many. Caller commits."""
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
