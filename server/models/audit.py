"""The append-only audit log, hash-chained per instance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import db


class Event(db.Model):  # type: ignore[name-defined,misc]
    """Something that happened to an instance: who, what, when, which element, what data."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("instance_id", "seq"),
        Index("ix_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(320))
    element_id: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(300))
    task_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    data_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    # Salted digests (server/audit.py): the chain covers these; the salts go when a value is erased.
    # Events from before migration 0008 have no actor digest and hash the actor itself.
    actor_digest: Mapped[str | None] = mapped_column(String(64))
    actor_salt: Mapped[str | None] = mapped_column(String(32))
    data_salt: Mapped[str | None] = mapped_column(String(32))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
