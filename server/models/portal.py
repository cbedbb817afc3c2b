"""The people around a case: comments (with @mentions) and watchers who follow it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import db


class Comment(db.Model):  # type: ignore[name-defined,misc]
    """One message in a case's discussion; `mentions` are the e-mails it notified."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_instance", "instance_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(320), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    mentions: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)


class Watcher(db.Model):  # type: ignore[name-defined,misc]
    """A person following a case: told when its steps complete."""

    __tablename__ = "watchers"
    __table_args__ = (Index("ix_watchers_user", "user_id", "created_at"),)

    instance_id: Mapped[int] = mapped_column(
        ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
