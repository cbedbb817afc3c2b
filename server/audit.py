"""Audit events: appended in the same transaction as the change they record, hash-chained per instance.

The chain covers a digest of each event's data, not the data itself, so personal data can later be
erased from an event without breaking verification.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from server.clock import iso
from server.db import db
from server.models import Event, User

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    """A stable JSON text of a value (sorted keys, no spaces) for hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()


@dataclass
class PendingEvent:
    """An event recorded during a change, written when the change commits."""

    kind: str
    actor: User | None = None
    actor_label: str | None = None
    element_id: str | None = None
    name: str | None = None
    task_id: str | None = None
    data: dict[str, Any] | None = field(default=None)
    meta: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What the change knows about the event that later steps of the same change may use to skip
    work (side tables); never stored, never hashed."""


def event_hash(
    prev_hash: str, instance_id: int, seq: int, at: datetime, ev: PendingEvent, data_digest: str
) -> str:
    actor = ev.actor.email if ev.actor else ev.actor_label
    body = canonical(
        [
            prev_hash,
            instance_id,
            seq,
            iso(at),
            ev.kind,
            actor,
            ev.element_id,
            ev.name,
            ev.task_id,
            data_digest,
        ]
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append(
    instance_id: int, head_seq: int, head_hash: str, events: list[PendingEvent], at: datetime
) -> tuple[int, str]:
    """Insert the events after the chain head; returns the new head (seq, hash)."""
    rows = []
    seq, prev = head_seq, head_hash or GENESIS
    for ev in events:
        seq += 1
        data_digest = digest(ev.data)
        h = event_hash(prev, instance_id, seq, at, ev, data_digest)
        rows.append(
            {
                "instance_id": instance_id,
                "seq": seq,
                "at": at,
                "kind": ev.kind,
                "actor_id": ev.actor.id if ev.actor else None,
                "actor": ev.actor.email if ev.actor else ev.actor_label,
                "element_id": ev.element_id,
                "name": ev.name,
                "task_id": ev.task_id,
                "data": ev.data,
                "data_digest": data_digest,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
    if rows:
        db.session.execute(Event.__table__.insert(), rows)
    return seq, prev


@dataclass(frozen=True)
class ChainReport:
    """Whether an instance's audit chain is intact, and where it first breaks if not."""

    intact: bool
    events: int
    broken_at_seq: int | None = None
    reason: str | None = None


def verify(instance_id: int) -> ChainReport:
    """Recompute the chain from the first event; an edited, removed or reordered row breaks it."""
    prev = GENESIS
    count = 0
    rows = db.session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq))
    for count, ev in enumerate(rows, start=1):
        expected_seq = count
        if ev.seq != expected_seq:
            return ChainReport(False, count, ev.seq, f"event {expected_seq} is missing")
        if ev.prev_hash != prev:
            return ChainReport(False, count, ev.seq, "it does not follow the event before it")
        if digest(ev.data) != ev.data_digest and not (ev.data or {}).get("_erased"):
            return ChainReport(False, count, ev.seq, "its data was changed")
        pending = PendingEvent(
            kind=ev.kind, actor_label=ev.actor, element_id=ev.element_id, name=ev.name, task_id=ev.task_id
        )
        if event_hash(prev, instance_id, ev.seq, ev.at, pending, ev.data_digest) != ev.hash:
            return ChainReport(False, count, ev.seq, "its fields were changed")
        prev = ev.hash
    return ChainReport(True, count)
