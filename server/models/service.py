"""Service calls (the outbox of work for connectors) and incidents operators resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import db

CALL_STATUSES = ("pending", "running", "succeeded", "failed", "incident", "skipped", "cancelled")
INCIDENT_STATUSES = ("open", "resolved")


class ServiceCall(db.Model):  # type: ignore[name-defined,misc]
    """One call of a service task into another system, run by a worker outside any transaction."""

    __tablename__ = "service_calls"
    __table_args__ = (
        Index("ix_service_calls_instance", "instance_id", "status"),
        Index("ix_service_calls_status", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    task_id: Mapped[str] = mapped_column(String(36), nullable=False)
    element_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    connector: Mapped[str] = mapped_column(String(255), nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    retry_intervals: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)  # seconds
    idempotency_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(255))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)  # of the attempt running now
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class Incident(db.Model):  # type: ignore[name-defined,misc]
    """Something an operator must look at: a service call that kept failing, a script error, ..."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status", "status", "created_at"),
        Index("ix_incidents_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    service_call_id: Mapped[int | None] = mapped_column(ForeignKey("service_calls.id", ondelete="SET NULL"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # service | script | timer | engine
    message: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    resolution: Mapped[str | None] = mapped_column(String(20))  # retried | skipped | cancelled
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
