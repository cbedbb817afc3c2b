"""Messages and signals between instances: a subscription index, delivery, message starts, routing.

- `sync_subscriptions` (registered in runtime.SIDE_TABLES) runs inside every save: each message or
  signal catch event the instance waits on (intermediate, boundary, after an event-based gateway)
  has one `message_subscriptions` row with the message name, the instance's business key and its
  SpiffArena correlation values; rows of waits that are gone are deleted. It also schedules the
  routing of the messages and signals the change threw, to run after commit.
- `deliver_message` / `deliver_signal`: find the receiving instances through that index (SQL by
  kind and name, and business key; the correlation values of the candidate rows compared here),
  deliver to each in its own runtime change (lock, load, deliver, save — committed before the call
  returns) and create instances of the latest deployed versions whose message start event takes it.
- Thrown messages are routed the same way once the throwing change has committed, in the same
  request or job; a chain of instances messaging each other stops after MAX_HOPS hops.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update

import bpmn
from server import deploying, projection, runtime
from server.audit import PendingEvent
from server.db import db
from server.definitions import definition_for
from server.models import Instance, MessageSubscription, ProcessVersion, User, UserRole

log = logging.getLogger(__name__)

KINDS = ("message", "signal")
MAX_HOPS = 8
"""How many times a message may be passed on (instance throws, another catches and throws, ...)."""

_hops: ContextVar[int] = ContextVar("baton_message_hops", default=0)


@dataclass
class Outcome:
    """What a delivery did: the instances that received it and those it started."""

    delivered: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[int]]:
        return {"delivered": self.delivered, "started": self.started}


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# --- keeping the index in step with the instance's waits -----------------------------------------


def sync_subscriptions(change: runtime.Change, wf: bpmn.Instance) -> None:
    """Insert rows for new message/signal waits, delete those gone, route thrown messages after commit."""
    row = change.row
    if change.thrown:
        _route_after_commit(change, row)
    ended = wf.status in ("completed", "cancelled")
    waits = {} if ended else {
        (w.kind, w.task_id, w.message): w for w in wf.waiting() if w.kind in KINDS and w.message and w.task_id
    }
    had = any(w.get("kind") in KINDS for w in (row.waiting or []))
    if not waits and not had:
        return  # no message before or after this change: nothing to keep in step (the common case)
    existing = db.session.execute(
        select(MessageSubscription.id, MessageSubscription.kind, MessageSubscription.task_id,
               MessageSubscription.name, MessageSubscription.correlation)
        .where(MessageSubscription.instance_id == row.id)
    ).all()
    gone: list[int] = []
    kept: set[tuple[str, str, str | None]] = set()
    for sub_id, kind, task_id, name, correlation in existing:
        wait = waits.get((kind, task_id, name))
        if wait is None or (kind, task_id, name) in kept:
            gone.append(sub_id)
            continue
        kept.add((kind, task_id, name))
        fresh = _json(wait.correlation)
        if fresh != correlation:
            db.session.execute(update(MessageSubscription).where(MessageSubscription.id == sub_id)
                               .values(correlation=fresh).execution_options(synchronize_session=False))
    if gone:
        db.session.execute(delete(MessageSubscription).where(MessageSubscription.id.in_(gone))
                           .execution_options(synchronize_session=False))
    for key, wait in waits.items():
        if key in kept:
            continue
        db.session.add(MessageSubscription(
            kind=wait.kind, instance_id=row.id, task_id=wait.task_id, element_id=wait.element_id,
            name=wait.message, correlation=_json(wait.correlation), business_key=row.business_key,
            created_at=change.now))


# --- finding the receivers -----------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    return bool(a == b or (a is not None and b is not None and str(a) == str(b)))


def _matches(variables: Mapping[str, Any], held: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Every wanted variable equals the instance's variable or a correlation property of that name."""
    properties: dict[str, Any] = {}
    for values in held.values():
        if isinstance(values, Mapping):
            properties.update(values)
    return all(
        (name in variables and _same(variables[name], value))
        or (name in properties and _same(properties[name], value))
        for name, value in wanted.items()
    )


def _agrees(held: Mapping[str, Any], keys: Mapping[str, Any]) -> bool:
    """SpiffArena correlation keys: a key both sides know must carry the same values."""
    return all(held[key] == value for key, value in keys.items() if key in held)


def receivers(kind: str, name: str, *, business_key: str | None = None,
              correlation: Mapping[str, Any] | None = None,
              keys: Mapping[str, Any] | None = None) -> list[int]:
    """Ids of the running instances waiting for this message (signal), oldest first."""
    query = (
        select(MessageSubscription.instance_id, MessageSubscription.correlation, Instance.data)
        .join(Instance, Instance.id == MessageSubscription.instance_id)
        .where(MessageSubscription.kind == kind, MessageSubscription.name == name,
               Instance.status == "running")
    )
    if business_key is not None:
        query = query.where(MessageSubscription.business_key == business_key)
    found: set[int] = set()
    for instance_id, held, variables in db.session.execute(query):
        if correlation and not _matches(variables or {}, held or {}, correlation):
            continue
        if keys and not _agrees(held or {}, keys):
            continue
        found.add(instance_id)
    return sorted(found)


def _starters(name: str) -> list[ProcessVersion]:
    """The latest deployed versions whose message start event takes message `name`."""
    return [version for version in deploying.latest_versions()
            if name in bpmn.message_starts(definition_for(version).spec)]


# --- delivering ----------------------------------------------------------------------------------


def _deliver_to(instance_id: int, kind: str, name: str, data: Any, keys: Mapping[str, Any] | None,
                actor: User | None) -> bool:
    """One runtime change: lock, load, deliver, advance, save. False when the instance no longer waits."""

    def attempt() -> bool:
        row = db.session.get(Instance, instance_id, populate_existing=True)
        if row is None or row.status != "running":
            return False
        change = runtime.Change(row=row)
        runtime.lock(row)
        wf = runtime.load_workflow(row)
        caught: list[bool] = []

        def act() -> None:
            if kind == "signal":
                caught.append(wf.deliver_signal(name, data, step_budget=runtime._budget()))
            else:
                caught.append(wf.deliver_message(name, data, keys, step_budget=runtime._budget()))

        extra = runtime.advance_safely(change, act)
        if not extra and not caught[0]:
            return False
        change.events.insert(0, PendingEvent(
            f"{kind}_received", actor=actor, actor_label=None if actor else "engine", name=name,
            data={"data": _json(data)}))
        change.events.extend(projection.sync(row, wf, change.now))
        runtime.save(change, wf, **extra)
        return True

    return runtime.retrying(attempt)


def _deliver(kind: str, name: str, data: Any, actor: User | None, *, business_key: str | None = None,
             correlation: Mapping[str, Any] | None = None, keys: Mapping[str, Any] | None = None,
             start_as: User | None = None) -> Outcome:
    outcome = Outcome()
    for instance_id in receivers(kind, name, business_key=business_key, correlation=correlation, keys=keys):
        if _deliver_to(instance_id, kind, name, data, keys, actor):
            outcome.delivered.append(instance_id)
    if kind == "message":
        variables = dict(data) if isinstance(data, Mapping) else {}
        for version in _starters(name):
            starter = start_as or actor
            if starter is None:
                log.error("message %r: nobody to start %s as", name, version.process_id)
                continue
            row = runtime.start_instance(version, starter, variables, business_key, start_message=name)
            outcome.started.append(row.id)
    return outcome


def deliver_message(name: str, data: Any, actor: User, *, business_key: str | None = None,
                    correlation: Mapping[str, Any] | None = None) -> Outcome:
    """Deliver message `name` to the waiting instances that match, start those it starts.

    `business_key` selects by the instances' business key; `correlation` ({variable: value}) by
    their variables or SpiffArena correlation properties. Every receiver has advanced and committed
    when this returns (and so have the instances their thrown messages reached, hop by hop).
    """
    return _deliver("message", name, data, actor, business_key=business_key, correlation=correlation)


def deliver_signal(name: str, data: Any, actor: User) -> Outcome:
    """Broadcast signal `name` to every instance waiting for it."""
    return _deliver("signal", name, data, actor)


# --- routing what instances throw ----------------------------------------------------------------


def _route_after_commit(change: runtime.Change, row: Instance) -> None:
    thrown = list(change.thrown)
    change.thrown.clear()
    hop = _hops.get() + 1
    source, starter_id = row.id, row.started_by_id

    def route() -> None:
        if hop > MAX_HOPS:
            log.warning("instance %s: %d messages not passed on (more than %d hops in a row)",
                        source, len(thrown), MAX_HOPS)
            return
        token = _hops.set(hop)
        try:
            starter = db.session.get(User, starter_id) if starter_id else None
            for message in thrown:
                outcome = _deliver(message.kind, message.name, message.payload, None,
                                   keys=message.correlation or None, start_as=starter or _fallback_actor())
                log.info("instance %s threw %s %r: delivered to %s, started %s", source, message.kind,
                         message.name, outcome.delivered, outcome.started)
        finally:
            _hops.reset(token)

    change.after_commit.append(route)


def _fallback_actor() -> User | None:
    """Who instances started by another instance's message are started by, when it has no starter."""
    return db.session.scalar(select(User).join(UserRole).where(UserRole.role == "admin").limit(1))


runtime.SIDE_TABLES.append(sync_subscriptions)
