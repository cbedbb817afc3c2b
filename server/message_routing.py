"""Routing what instances throw: a durable outbox row per thrown message or signal, retried until it lands.

A change that throws (a message end event, a signal throw event, ...) writes one `timers` row of
kind "route" per thrown message IN ITS OWN TRANSACTION (registered in runtime.SIDE_TABLES), so a
committed throw is never lost. Right after commit the same request or job routes it at once
(`timers.fire`: the row is claimed exactly once); if that process dies first, every worker's poller
finds the due row once its lease has run out and fires it.

Routing (`server.messages.route`) delivers to each receiver in its own runtime change. A receiver
whose delivery fails (the instance stayed busy past every lock retry, the database hiccupped) and a
start that fails are put in a NEW route row naming exactly them, due after a back-off, so those that
did receive it are not given it twice. A thrown message that no instance waits for yet (the
receiver has not reached its catch event: a lost race) is tried again the same way; after the last
back-off it is logged as undeliverable. A signal nobody waits for is simply over. A signal never
goes back to the instance that threw it: the engine already handed it to that instance's own catch
events. A chain of instances messaging each other stops after MAX_HOPS hops.

Delivery is at least once only in one window: a worker killed after delivering but before marking
the row fired routes it again once the firing lease runs out (receivers that no longer wait are
skipped; a message start event would start a second instance).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from sqlalchemy import select

import bpmn
from server import messages, runtime, timers
from server.clock import utcnow
from server.db import db
from server.models import Timer, User, UserRole

log = logging.getLogger(__name__)

KIND = "route"
"""The timers.kind of a route row."""

MAX_HOPS = 8
"""How many times a message may be passed on (instance throws, another catches and throws, ...)."""

BACKOFF = (timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=5), timedelta(seconds=15),
           timedelta(seconds=30), timedelta(seconds=60))
"""Waits before each retry of a route that failed or (for a message) found no receiver yet."""

_hops: ContextVar[int] = ContextVar("baton_message_hops", default=0)


def record_thrown(change: runtime.Change, wf: bpmn.Instance) -> None:
    """Write a route row for every message and signal this change threw; route them after commit."""
    if not change.thrown:
        return
    thrown = list(change.thrown)
    change.thrown.clear()
    row = change.row
    ids = [_arm(change.now, {
        "kind": message.kind, "name": message.name, "payload": messages._json(message.payload),
        "correlation": messages._json(message.correlation), "source": row.id,
        "starter_id": row.started_by_id, "hop": _hops.get() + 1, "attempt": 0,
    }, lease=True) for message in thrown]
    change.after_commit.append(lambda: _route_now(ids))


def _arm(due: Any, payload: dict[str, Any], *, lease: bool = False) -> int:
    timer = timers.arm(None, kind=KIND, due_at=due, name=str(payload["name"])[:300], payload=payload)
    if lease:  # this process routes it right after commit; the poller takes over only if that never happens
        timer.enqueued_at = utcnow()
    return int(timer.id)


def _route_now(ids: list[int]) -> None:
    for timer_id in ids:
        timers.fire(timer_id)


def fire_route(timer_id: int) -> None:
    """Timer handler: route one thrown message or signal; arm a retry for what did not land."""
    timer = db.session.get(Timer, timer_id)
    if timer is None:
        return
    route = dict(timer.payload)
    kind, name, hop = route["kind"], route["name"], int(route.get("hop", 1))
    if hop > MAX_HOPS:
        log.warning("instance %s: %s %r not passed on (more than %d hops in a row)",
                    route.get("source"), kind, name, MAX_HOPS)
        return
    token = _hops.set(hop)
    try:
        outcome = messages.route(
            kind, name, route.get("payload"), None, keys=route.get("correlation") or None,
            start_as=_starter(route.get("starter_id")),
            exclude=route.get("source") if kind == "signal" else None,
            targets=route.get("targets"), starts=route.get("starts"))
    finally:
        _hops.reset(token)
    log.info("instance %s threw %s %r: delivered to %s, started %s", route.get("source"), kind, name,
             outcome.delivered, outcome.started)
    if outcome.failed or outcome.failed_starts:
        _retry({**route, "targets": outcome.failed, "starts": outcome.failed_starts})
    elif kind == "message" and "targets" not in route and not (outcome.delivered or outcome.started):
        _retry(route)  # nobody waits for it yet: the receiver may be about to


def _retry(route: dict[str, Any]) -> None:
    attempt = int(route.get("attempt", 0))
    if attempt >= len(BACKOFF):
        log.error("instance %s: %s %r undeliverable after %d attempts (route %s)", route.get("source"),
                  route["kind"], route["name"], attempt + 1, route)
        return
    due = utcnow() + BACKOFF[attempt]
    timer_id = _arm(due, {**route, "attempt": attempt + 1})
    db.session.commit()
    try:
        timers.schedule(timer_id, due)
    except Exception:  # Redis down: the poller fires the row when it is due
        log.warning("route %s: not scheduled in RQ; the poller will fire it", timer_id, exc_info=True)


def _starter(starter_id: int | None) -> User | None:
    """Who instances started by another instance's message are started by: its starter, else an admin."""
    starter = db.session.get(User, starter_id) if starter_id else None
    if starter is not None:
        return starter
    return db.session.scalar(select(User).join(UserRole).where(UserRole.role == "admin").limit(1))


def pending(source: int | None = None) -> list[Timer]:
    """Route rows still to be fired (for tests and operators), oldest first."""
    query = select(Timer).where(Timer.kind == KIND, Timer.status == "pending").order_by(Timer.id)
    rows = list(db.session.scalars(query))
    return [r for r in rows if source is None or r.payload.get("source") == source]


runtime.SIDE_TABLES.append(record_thrown)
timers.register_handler(KIND, fire_route)
