"""Message and signal subscriptions: which instance waits for which message, indexed for delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import db

# kind: "message" (a message catch / boundary event) or "signal" (a signal catch / boundary event).
SUBSCRIPTION_KINDS = ("message", "signal")


class MessageSubscription(db.Model):  # type: ignore[name-defined,misc]
    """One waiting catch event of a running instance, kept in step with its waits by server/messages.py.

    Deliveries find their instances here by (kind, name) and business key, never by reading workflows.
    """

    __tablename__ = "message_subscriptions"
    __table_args__ = (
        Index("ix_message_subscriptions_name", "kind", "name"),
        Index("ix_message_subscriptions_business_key", "business_key"),
        Index("ix_message_subscriptions_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="message")
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    # The engine's task id of the waiting event.
    task_id: Mapped[str] = mapped_column(String(36), nullable=False)
    element_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    # SpiffArena correlation values the instance holds: {key: {property: value}}.
    correlation: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # Copied from the instance, so a delivery by business key is one indexed lookup.
    business_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
