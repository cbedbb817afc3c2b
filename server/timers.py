"""Timers: arm, cancel and fire rows of the timers table exactly once, never early; RQ only delivers.

The SQL row is the truth. Arming inserts a pending row in the caller's transaction and, after
commit, schedules an RQ job for due + 1 s (RQ's scheduler stores whole seconds and can run a job
up to ~1 s early). Every worker also runs a poller (server/timer_poller.py) that hands due rows to
RQ within a fraction of a second and re-hands rows whose job was lost (Redis restart, FLUSHALL,
a killed worker), so delivery may be late or repeated but firing happens once:

1. `fire(timer_id)` claims the row: `pending -> firing` by a conditional UPDATE that also checks
   `due_at <= now`, committed before the handler runs. A duplicate, early, late or cancelled
   delivery finds nothing to claim and does nothing; an early one reschedules itself.
2. The handler runs. A handler that changes an instance calls `settle()` inside its own
   transaction: `firing -> fired` for exactly this claim, so the effect and the end of the timer
   commit together (exactly once even if the worker dies at any moment).
3. A handler that does not settle gets its row marked fired once it returns (at least once in a
   crash window of a few milliseconds).
4. A worker killed between 1 and 2 leaves the row `firing`; the poller puts it back to pending once
   its claim is older than the firing lease, and it fires again. A handler that raises puts the
   row back to pending with a back-off: the timer is never lost.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select, update

from server.clock import to_utc_naive, utcnow
from server.db import db
from server.models import Timer

if TYPE_CHECKING:
    from server.runtime import Change

log = logging.getLogger(__name__)

QUEUE = "high"
"""The RQ queue fire jobs go to: timers are the most urgent work."""

FIRE_JOB = "server.jobs.fire_timer"
SCHEDULE_SLACK = timedelta(seconds=1)
"""RQ's scheduler can start a job up to ~1 s before its whole-second due time."""

FAILURE_BACKOFF = timedelta(seconds=30)
"""How long a timer whose handler raised waits before the poller hands it over again."""

Handler = Callable[[int], None]
_handlers: dict[str, Handler] = {}
_claim = threading.local()


class Superseded(Exception):
    """This claim of a timer is no longer the live one: roll the handler's change back."""


def register_handler(kind: str, fn: Handler) -> None:
    """Run `fn(timer_id)` in a worker (app context pushed) when a timer of `kind` fires."""
    _handlers[kind] = fn


def handler_for(kind: str) -> Handler | None:
    """The handler registered for `kind`, if any."""
    return _handlers.get(kind)


# --- arming and cancelling (in the caller's transaction) -----------------------------------------


def arm(
    change: Change | None,
    *,
    kind: str,
    due_at: datetime,
    instance_id: int | None = None,
    task_id: str | None = None,
    element_id: str | None = None,
    name: str | None = None,
    payload: dict[str, Any] | None = None,
    process_version_id: int | None = None,
) -> Timer:
    """Insert a pending timer in the current transaction; after commit RQ gets a job for it.

    `due_at` is naive UTC (an aware datetime is converted). With `change` None nothing is scheduled
    after commit: the poller of every worker finds the row when it is due.
    """
    row = Timer(
        kind=kind,
        status="pending",
        due_at=to_utc_naive(due_at),
        instance_id=instance_id,
        process_version_id=process_version_id,
        task_id=task_id,
        element_id=element_id,
        name=name,
        payload=dict(payload or {}),
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    if change is not None:
        timer_id, due = row.id, row.due_at
        change.after_commit.append(lambda: schedule(timer_id, due))
    return row


def cancel(*, task_id: str, kinds: Iterable[str] | None = None) -> int:
    """Cancel the pending timers of an engine task (of these kinds); returns how many."""
    query = update(Timer).where(Timer.task_id == task_id, Timer.status == "pending")
    if kinds is not None:
        query = query.where(Timer.kind.in_(list(kinds)))
    return _rowcount(db.session.execute(query.values(status="cancelled").execution_options(
        synchronize_session=False)))


def cancel_instance(instance_id: int) -> int:
    """Cancel every pending timer of an instance; returns how many."""
    query = update(Timer).where(Timer.instance_id == instance_id, Timer.status == "pending")
    return _rowcount(db.session.execute(query.values(status="cancelled").execution_options(
        synchronize_session=False)))


def cancel_ids(ids: Iterable[int]) -> int:
    """Cancel these timers if they are still pending; returns how many."""
    wanted = list(ids)
    if not wanted:
        return 0
    query = update(Timer).where(Timer.id.in_(wanted), Timer.status == "pending")
    return _rowcount(db.session.execute(query.values(status="cancelled").execution_options(
        synchronize_session=False)))


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


# --- delivery --------------------------------------------------------------------------------


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def schedule(timer_id: int, due_at: datetime) -> None:
    """Hand a timer to RQ's scheduler for due + 1 s (the job re-checks the due time)."""
    from server.redis_conn import get_queue

    queue = get_queue(current_app, QUEUE)
    queue.enqueue_at(_aware(due_at) + SCHEDULE_SLACK, FIRE_JOB, timer_id, job_timeout=300)


def job_id(timer_id: int) -> str:
    """The RQ job id of the poller's fire job for a timer (scheduled jobs get random ids)."""
    return f"baton-timer-{timer_id}"


def enqueue_now(timer_ids: Iterable[int], *, unless_queued: bool = False) -> int:
    """Hand due timers to RQ for immediate execution (one job each); returns how many were enqueued.

    With `unless_queued`, a timer whose job still waits in a queue (a backlog, not a loss) is left
    alone: re-enqueueing it would only lengthen the backlog.
    """
    from rq.job import Job, JobStatus

    from server.redis_conn import get_queue

    queue = get_queue(current_app, QUEUE)
    count = 0
    for timer_id in timer_ids:
        if unless_queued:
            try:
                status = Job.fetch(job_id(timer_id), connection=queue.connection).get_status()
            except Exception:  # no such job (lost, or its result expired): hand it over again
                status = None
            if status == JobStatus.QUEUED:
                continue
        queue.enqueue(FIRE_JOB, timer_id, job_id=job_id(timer_id), job_timeout=300)
        count += 1
    return count


# --- firing ----------------------------------------------------------------------------------


def fire(timer_id: int) -> str:
    """Fire one timer if it is pending and due; returns what happened (for logs and tests).

    "fired", "early" (rescheduled), "gone" (cancelled, already fired or being fired elsewhere),
    "failed" (the handler raised; the row is pending again with a back-off) or "unhandled".
    """
    now = utcnow()
    row = db.session.execute(
        select(Timer.status, Timer.due_at, Timer.kind).where(Timer.id == timer_id)
    ).first()
    if row is None or row.status != "pending":
        return "gone"
    if row.due_at > now:
        schedule(timer_id, row.due_at)
        return "early"
    claimed = db.session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.status == "pending", Timer.due_at <= now)
        .values(status="firing", fired_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if _rowcount(claimed) != 1:
        return "gone"
    handler = handler_for(row.kind)
    if handler is None:
        log.error("timer %s of kind %r has no handler; marked fired", timer_id, row.kind)
        _finish(timer_id, now)
        return "unhandled"
    _claim.current = (timer_id, now)
    _claim.settled = False
    try:
        handler(timer_id)
    except Superseded:
        db.session.rollback()
        return "gone"
    except Exception:
        db.session.rollback()
        log.exception("timer %s (%s) failed; it fires again in %s", timer_id, row.kind, FAILURE_BACKOFF)
        _release(timer_id, now, utcnow() + FAILURE_BACKOFF)
        return "failed"
    finally:
        _claim.current = None
    if not _claim.settled:  # the handler did not end the timer in its own transaction
        _finish(timer_id, now)
    return "fired"


def settle(timer_id: int) -> None:
    """Mark the timer being fired by this thread as fired, in the CURRENT transaction.

    Call it from a handler's change so the effect and the end of the timer commit together.
    Raises Superseded when this claim is no longer the live one (its lease ran out and another
    worker took the timer): the caller's transaction must then roll back.
    """
    current = getattr(_claim, "current", None)
    if current is None or current[0] != timer_id:
        raise Superseded(f"timer {timer_id} is not being fired by this worker")
    result = db.session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.status == "firing", Timer.fired_at == current[1])
        .values(status="fired")
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        raise Superseded(f"timer {timer_id} was taken over by another worker")
    _claim.settled = True  # (if the caller's transaction rolls back instead, fire() sees the exception)


def _finish(timer_id: int, claimed_at: datetime) -> None:
    db.session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.status == "firing", Timer.fired_at == claimed_at)
        .values(status="fired")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _release(timer_id: int, claimed_at: datetime, retry_at: datetime) -> None:
    """Put a claimed timer back to pending; the poller takes it again after `retry_at`."""
    lease_start = retry_at - lease_seconds()
    db.session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.status == "firing", Timer.fired_at == claimed_at)
        .values(status="pending", fired_at=None, enqueued_at=lease_start)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- leases (used by the poller) ----------------------------------------------------------------

ENQUEUE_LEASE = timedelta(seconds=5)
"""A due timer handed to RQ is handed over again if still pending this long after."""

FIRING_LEASE = timedelta(seconds=60)
"""A timer claimed (firing) this long ago by a worker that never finished goes back to pending."""


def _setting(name: str, default: timedelta) -> timedelta:
    value = current_app.config.get(name) or os.environ.get(name)
    return timedelta(seconds=float(value)) if value else default


def lease_seconds() -> timedelta:
    """The enqueue lease (config or environment BATON_TIMER_LEASE_S overrides it)."""
    return _setting("BATON_TIMER_LEASE_S", ENQUEUE_LEASE)


def firing_lease() -> timedelta:
    """The firing lease (config or environment BATON_TIMER_FIRING_LEASE_S overrides it)."""
    return _setting("BATON_TIMER_FIRING_LEASE_S", FIRING_LEASE)
