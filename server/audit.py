"""Audit events: appended in the same transaction as the change they record, hash-chained per instance.

The chain covers salted digests of each event's actor and data, not the values themselves, so
personal data can later be erased from an event (server/audit_erasure.py) without breaking
verification. The salts are dropped with the values: what stays cannot be guessed back by hashing
likely e-mail addresses. An erased value is accepted only where its marker points to a later
`data_erased` event of the same chain that verifies, lists that value, and matches the marker's
"by" and "at"; a value blanked any other way breaks the chain.

Events written before salted digests existed (no `actor_digest`) hash the actor itself: their data
can be erased, their actor cannot.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from server.clock import iso
from server.db import db
from server.models import Event, User

GENESIS = "0" * 64
ERASED_KIND = "data_erased"
ERASED_ACTOR = "(erased)"
"""What an erased event shows as its actor."""


def canonical(value: Any) -> str:
    """A stable JSON text of a value (sorted keys, no spaces) for hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def digest(value: Any, salt: str | None = None) -> str:
    return hashlib.sha256(((salt or "") + canonical(value)).encode()).hexdigest()


def new_salts(count: int) -> list[str]:
    """`count` random salts (hex of SALT_BYTES bytes each), from one read of the random source."""
    raw = secrets.token_bytes(SALT_BYTES * count)
    return [raw[i:i + SALT_BYTES].hex() for i in range(0, len(raw), SALT_BYTES)]


SALT_BYTES = 16


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


def _hash(*parts: Any) -> str:
    return hashlib.sha256(canonical(list(parts)).encode()).hexdigest()


def event_hash(
    prev_hash: str, instance_id: int, seq: int, at: datetime, kind: str, actor_digest: str,
    element_id: str | None, name: str | None, task_id: str | None, data_digest: str,
) -> str:
    """The hash of an event: its fields, the digests of its actor and data, and the hash before it."""
    return _hash("v2", prev_hash, instance_id, seq, iso(at), kind, actor_digest, element_id, name, task_id,
                 data_digest)


def legacy_event_hash(ev: Event, data_digest: str) -> str:
    """The hash of an event written before actor digests (it covers the actor itself)."""
    return _hash(ev.prev_hash, ev.instance_id, ev.seq, iso(ev.at), ev.kind, ev.actor, ev.element_id, ev.name,
                 ev.task_id, data_digest)


def append(
    instance_id: int, head_seq: int, head_hash: str, events: list[PendingEvent], at: datetime
) -> tuple[int, str]:
    """Insert the events after the chain head; returns the new head (seq, hash)."""
    rows = []
    seq, prev = head_seq, head_hash or GENESIS
    salts = new_salts(2 * len(events))  # one read of the random source per change
    for i, ev in enumerate(events):
        seq += 1
        actor = ev.actor.email if ev.actor else ev.actor_label
        actor_salt, data_salt = salts[2 * i], salts[2 * i + 1]
        actor_digest, data_digest = digest(actor, actor_salt), digest(ev.data, data_salt)
        h = event_hash(prev, instance_id, seq, at, ev.kind, actor_digest, ev.element_id, ev.name, ev.task_id,
                       data_digest)
        rows.append(
            {
                "instance_id": instance_id,
                "seq": seq,
                "at": at,
                "kind": ev.kind,
                "actor_id": ev.actor.id if ev.actor else None,
                "actor": actor,
                "element_id": ev.element_id,
                "name": ev.name,
                "task_id": ev.task_id,
                "data": ev.data,
                "actor_digest": actor_digest,
                "actor_salt": actor_salt,
                "data_digest": data_digest,
                "data_salt": data_salt,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
    if rows:
        db.session.connection().execute(_INSERT, rows)
    return seq, prev


_INSERT = Event.__table__.insert()  # built once (Core, on the session's connection: every change runs it)


def erased_marker(data: Any) -> dict[str, Any] | None:
    """The erasure marker an event's data was replaced with, or None if it was not erased."""
    if isinstance(data, dict) and data.get("_erased") is True:
        return data
    return None


def erased_fields(ev: Event) -> set[str]:
    """Which of the event's values ("data", "actor") were erased."""
    marker = erased_marker(ev.data)
    if marker is None:
        return set()
    fields = marker.get("fields") or ["data"]
    if not isinstance(fields, list):
        return {"(unreadable)"}  # never listed by a record, so verification reports it
    return {f if isinstance(f, str) else "(unreadable)" for f in fields}


@dataclass(frozen=True)
class ChainReport:
    """Whether an instance's audit chain is intact, and where it first breaks if not."""

    intact: bool
    events: int
    broken_at_seq: int | None = None
    reason: str | None = None
    erased: int = 0
    """How many events had personal data erased (by recorded erasures)."""


def _data_verifies(ev: Event) -> bool:
    return digest(ev.data, ev.data_salt) == ev.data_digest


def _erasure_records(rows: list[Event]) -> dict[int, tuple[Event, dict[int, set[str]]]]:
    """The `data_erased` events whose own data verifies: seq -> (event, {erased seq: fields})."""
    records: dict[int, tuple[Event, dict[int, set[str]]]] = {}
    for ev in rows:
        if ev.kind != ERASED_KIND or erased_marker(ev.data) or not _data_verifies(ev):
            continue
        if ev.actor_digest is not None and digest(ev.actor, ev.actor_salt) != ev.actor_digest:
            continue
        listed: dict[int, set[str]] = {}
        erased = (ev.data or {}).get("erased")
        for name in ("data", "actor"):
            for seq in (erased.get(name) or []) if isinstance(erased, dict) else []:
                if isinstance(seq, int) and seq < ev.seq:
                    listed.setdefault(seq, set()).add(name)
        records[ev.seq] = (ev, listed)
    return records


def _erasure_problem(ev: Event, records: dict[int, tuple[Event, dict[int, set[str]]]]) -> str | None:
    """Why an erased event's marker is not one a recorded erasure wrote, or None if it is."""
    marker = erased_marker(ev.data) or {}
    pointer = marker.get("record")
    record = records.get(pointer) if isinstance(pointer, int) else None
    if record is None:
        if isinstance(pointer, int) and pointer > ev.seq:
            return f"its erasure record (event {pointer}) was changed or is missing"
        return "its data was removed without a recorded erasure"
    rec, listed = record
    if not erased_fields(ev) <= listed.get(ev.seq, set()):
        return "its data was removed without a recorded erasure"
    if marker.get("by") != rec.actor or marker.get("at") != iso(rec.at):
        return "its erasure marker was changed"
    if "actor" in erased_fields(ev) and ev.actor != ERASED_ACTOR:
        return "its actor was changed"
    return None


def verify(instance_id: int) -> ChainReport:
    """Recompute the chain from the first event; an edited, removed or reordered row breaks it, and so
    does a value blanked without a recorded erasure."""
    prev = GENESIS
    rows = list(db.session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)))
    records = _erasure_records(rows)
    erased_count = 0
    for count, ev in enumerate(rows, start=1):
        if ev.seq != count:
            return ChainReport(False, count, ev.seq, f"event {count} is missing")
        if ev.prev_hash != prev:
            return ChainReport(False, count, ev.seq, "it does not follow the event before it")
        gone = erased_fields(ev)
        if gone:
            problem = _erasure_problem(ev, records)
            if problem:
                return ChainReport(False, count, ev.seq, problem)
            erased_count += 1
        if "data" not in gone and not _data_verifies(ev):
            return ChainReport(False, count, ev.seq, "its data was changed")
        if ev.actor_digest is None:  # written before actor digests: the hash covers the actor itself
            if "actor" in gone:
                return ChainReport(False, count, ev.seq, "its actor was removed")
            expected = legacy_event_hash(ev, ev.data_digest)
        else:
            if "actor" not in gone and digest(ev.actor, ev.actor_salt) != ev.actor_digest:
                return ChainReport(False, count, ev.seq, "its actor was changed")
            expected = event_hash(prev, instance_id, ev.seq, ev.at, ev.kind, ev.actor_digest, ev.element_id,
                                  ev.name, ev.task_id, ev.data_digest)
        if expected != ev.hash:
            return ChainReport(False, count, ev.seq, "its fields were changed")
        prev = ev.hash
    return ChainReport(True, len(rows), erased=erased_count)
