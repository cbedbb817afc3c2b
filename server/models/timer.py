"""Timers: the source of truth for everything time-based. RQ only executes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import db

# kind: "bpmn" (a timer event an instance waits on), "start" (a timer start event of a process
# version: creates instances), "sla" (one step of a user task's SLA ladder), "retry" (the next
# attempt of a service call), "route" (a message or signal an instance threw, to pass on: an outbox
# row, server/message_routing.py).
TIMER_KINDS = ("bpmn", "start", "sla", "retry", "route")
# "firing": claimed by a worker whose handler has not finished yet (see server/timers.py).
TIMER_STATUSES = ("pending", "firing", "fired", "cancelled")


class Timer(db.Model):  # type: ignore[name-defined,misc]
    """Something due at a moment: armed in the transaction that creates it, fired exactly once."""

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_due", "status", "due_at"),
        Index("ix_timers_instance", "instance_id", "status"),
        Index("ix_timers_task", "task_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    due_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    process_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_versions.id", ondelete="CASCADE")
    )
    # The engine's task id: the waiting timer event, or the user task an SLA step belongs to.
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # A lease: when a poller last handed this timer to RQ. A lost job is handed over again once
    # the lease is older than the reconcile interval.
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime)
    fired_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
