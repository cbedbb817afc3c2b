"""Messages and signals between instances: a subscription index, delivery, message starts, routing.

- `sync_subscriptions` (registered in runtime.SIDE_TABLES) runs inside every save: each message or
  signal catch event the instance waits on (intermediate, boundary, after an event-based gateway)
  has one `message_subscriptions` row with the message name, the instance's business key and its
  SpiffArena correlation values; rows of waits that are gone are deleted.
- `deliver_message` / `deliver_signal`: find the receiving instances through that index (SQL by
  kind and name, and business key; the correlation values of the candidate rows compared here),
  deliver to each in its own runtime change (lock, load, deliver, save — committed before the call
  returns) and create instances of the latest deployed versions whose message (signal) start event
  takes it.
- What instances throw is routed by server/message_routing.py through `route`, durably and with
  retries; a chain of instances messaging each other stops after MAX_HOPS hops.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update

import bpmn
from server import deploying, projection, runtime
from server.audit import PendingEvent
from server.db import db
from server.definitions import definition_for
from server.models import Instance, MessageSubscription, ProcessVersion, User

log = logging.getLogger(__name__)

KINDS = ("message", "signal")


@dataclass
class Outcome:
    """What a delivery did: the instances that received it and those it started."""

    delivered: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    """Receivers whose delivery raised (busy, database trouble): routing tries them again."""
    failed_starts: list[int] = field(default_factory=list)
    """Process versions whose instance could not be started: routing tries them again."""

    def to_dict(self) -> dict[str, list[int]]:
        return {"delivered": self.delivered, "started": self.started}


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# --- keeping the index in step with the instance's waits -----------------------------------------


def sync_subscriptions(change: runtime.Change, wf: bpmn.Instance) -> None:
    """Insert rows for new message/signal waits, delete those gone, route thrown messages after commit."""
    row = change.row
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


def _start_at(kind: str, name: str, version: ProcessVersion) -> dict[str, str] | None:
    """How to start `version` with this message or signal (runtime.start_instance keywords), or None."""
    spec = definition_for(version).spec
    if kind == "message":
        return {"start_message": name} if name in bpmn.message_starts(spec) else None
    element_id = bpmn.signal_starts(spec).get(name)
    return {"start_event": element_id} if element_id else None


def _starters(kind: str, name: str) -> list[ProcessVersion]:
    """The latest deployed versions whose message (signal) start event takes `name`."""
    return [version for version in deploying.latest_versions() if _start_at(kind, name, version)]


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
    return route(kind, name, data, actor, business_key=business_key, correlation=correlation, keys=keys,
                 start_as=start_as, collect_failures=False)


def route(kind: str, name: str, data: Any, actor: User | None, *, business_key: str | None = None,
          correlation: Mapping[str, Any] | None = None, keys: Mapping[str, Any] | None = None,
          start_as: User | None = None, exclude: int | None = None, targets: list[int] | None = None,
          starts: list[int] | None = None, collect_failures: bool = True) -> Outcome:
    """Deliver to the receivers (or exactly `targets`) and start the starters (or exactly the process
    versions `starts`); `exclude` is never delivered to. With `collect_failures`, a receiver or start
    that raises is noted in the outcome instead of stopping the others (the router retries them)."""
    outcome = Outcome()
    found = targets if targets is not None else receivers(
        kind, name, business_key=business_key, correlation=correlation, keys=keys)
    for instance_id in found:
        if instance_id == exclude:
            continue
        try:
            if _deliver_to(instance_id, kind, name, data, keys, actor):
                outcome.delivered.append(instance_id)
        except Exception:
            if not collect_failures:
                raise
            log.warning("%s %r: delivery to instance %s failed", kind, name, instance_id, exc_info=True)
            outcome.failed.append(instance_id)
    variables = dict(data) if isinstance(data, Mapping) else {}
    versions = ([v for v in (db.session.get(ProcessVersion, i) for i in starts) if v is not None]
                if starts is not None else _starters(kind, name))
    for version in versions:
        starter = start_as or actor
        how = _start_at(kind, name, version)
        if starter is None or how is None:
            log.error("%s %r: cannot start %s (no start event or nobody to start it as)", kind, name,
                      version.process_id)
            continue
        try:
            row = runtime.start_instance(version, starter, variables, business_key,
                                         start_event=how.get("start_event"),
                                         start_message=how.get("start_message"))
        except Exception:
            if not collect_failures:
                raise
            log.warning("%s %r: starting %s failed", kind, name, version.process_id, exc_info=True)
            db.session.rollback()
            outcome.failed_starts.append(version.id)
            continue
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
    """Broadcast signal `name` to every instance waiting for it, and start an instance of the latest
    version of every process with a signal start event for it."""
    return _deliver("signal", name, data, actor)


runtime.SIDE_TABLES.append(sync_subscriptions)
