"""The due-timer poller inside every worker: hands due timers to RQ at once, and repairs lost ones.

RQ's scheduler polls once a second with whole-second due times, so a timer scheduled through it
alone fires up to ~2 s late. This thread looks every POLL_S for pending timers that are due and
not handed over recently (their lease, `enqueued_at`, is empty or older than the enqueue lease),
takes the lease with a conditional UPDATE (two pollers never both take it) and enqueues a fire
job right away. The same query is the reconciler: a job lost to a Redis restart or FLUSHALL has a
stale lease and is handed over again. It also returns to pending the timers whose firing worker
died (claimed longer ago than the firing lease). Poller jobs have the id `baton-timer-<id>`: a
renewed lease enqueues again only when that job no longer waits in a queue, so a backlog is not
made longer by duplicates.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime

from flask import Flask
from sqlalchemy import or_, select, update

from server import notifications, timers
from server.clock import utcnow
from server.db import db, refresh_planner_statistics
from server.models import Timer

log = logging.getLogger(__name__)

POLL_S = 0.25
"""Seconds between two looks at the timers table (env BATON_TIMER_POLL_S)."""

BATCH = 500
"""Timers handed over per look at most."""
MAIL_RECONCILE_S = 30.0  # seconds between looks for e-mails whose job was lost
PLANNER_STATS_FIRST_S = 60.0  # seconds after start before the first refresh of planner statistics
PLANNER_STATS_S = 3600.0  # seconds between two refreshes (server.db.refresh_planner_statistics)


def poll_seconds() -> float:
    """The poll interval, from the environment when set."""
    return float(os.environ.get("BATON_TIMER_POLL_S") or POLL_S)


def reap_abandoned(now: datetime) -> int:
    """Put timers whose firing worker vanished back to pending; returns how many."""
    result = db.session.execute(
        update(Timer)
        .where(Timer.status == "firing", Timer.fired_at < now - timers.firing_lease())
        .values(status="pending", fired_at=None, enqueued_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def take_due(now: datetime, limit: int = BATCH) -> list[int]:
    """Take the lease of due pending timers nobody handed over recently; returns their ids."""
    return [timer_id for timer_id, _ in take_due_leases(now, limit)]


def take_due_leases(now: datetime, limit: int = BATCH) -> list[tuple[int, bool]]:
    """Like `take_due`, with whether each lease was a renewal (handed over before, still pending)."""
    stale = now - timers.lease_seconds()
    fresh = or_(Timer.enqueued_at.is_(None), Timer.enqueued_at < stale)
    candidates = db.session.execute(
        select(Timer.id, Timer.enqueued_at).where(Timer.status == "pending", Timer.due_at <= now, fresh)
        .order_by(Timer.due_at).limit(limit)
    ).all()
    taken = []
    for timer_id, leased_before in candidates:
        result = db.session.execute(
            update(Timer).where(Timer.id == timer_id, Timer.status == "pending", fresh)
            .values(enqueued_at=now).execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            taken.append((timer_id, leased_before is not None))
    return taken


def poll_once() -> int:
    """One look (inside an app context): reap, take due timers, commit, enqueue; returns how many."""
    now = utcnow()
    try:
        reaped = reap_abandoned(now)
        taken = take_due_leases(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if reaped:
        log.warning("%d timer(s) whose worker died while firing them will fire again", reaped)
    first = [timer_id for timer_id, renewed in taken if not renewed]
    again = [timer_id for timer_id, renewed in taken if renewed]
    count = timers.enqueue_now(first) if first else 0
    if again:  # a lost job (Redis restarted, flushed) or just a backlog: only the first needs a new job
        count += timers.enqueue_now(again, unless_queued=True)
    return count


class TimerPoller(threading.Thread):
    """A daemon thread running `poll_once` every poll interval until stopped."""

    def __init__(self, app: Flask, interval: float | None = None) -> None:
        """Poll for `app` (its database and Redis) every `interval` seconds."""
        super().__init__(name="baton-timer-poller", daemon=True)
        self.app = app
        self.interval = interval if interval is not None else poll_seconds()
        self.stopping = threading.Event()

    def run(self) -> None:
        """Poll until `stop()`; errors are logged and the next look tries again.

        Every MAIL_RECONCILE_S it also hands e-mails whose job was lost (Redis restarted or
        flushed) to the queue again: the notifications table, like the timers table, is the truth.
        PLANNER_STATS_FIRST_S after start, then every PLANNER_STATS_S, it refreshes the database's
        planner statistics (SQLite only; server.db.refresh_planner_statistics).
        """
        next_mail_look = time.monotonic() + MAIL_RECONCILE_S
        next_stats = time.monotonic() + PLANNER_STATS_FIRST_S
        while not self.stopping.is_set():
            with self.app.app_context():
                try:
                    poll_once()
                    if time.monotonic() >= next_mail_look:
                        next_mail_look = time.monotonic() + MAIL_RECONCILE_S
                        resent = notifications.resend_pending()
                        if resent:
                            log.warning("%d e-mail(s) whose job was lost are queued again", resent)
                    if time.monotonic() >= next_stats:
                        next_stats = time.monotonic() + PLANNER_STATS_S
                        refresh_planner_statistics()
                except Exception:  # database or Redis away for a moment: try again next time
                    log.warning("timer poll failed; retrying", exc_info=True)
                finally:
                    db.session.remove()
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        """Ask the thread to finish after its current look."""
        self.stopping.set()


def start_poller(app: Flask) -> TimerPoller | None:
    """Start a poller for `app` when it has a database (a bare app has no timers to poll)."""
    if "sqlalchemy" not in app.extensions:
        return None
    poller = TimerPoller(app)
    poller.start()
    return poller
