"""Process instances: status, variables snapshot, and the serialized workflow under a version lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.db import db
from server.models.deployment import ProcessVersion
from server.models.people import User

STATUSES = ("running", "completed", "cancelled", "error")


class Instance(db.Model):  # type: ignore[name-defined,misc]
    """One running (or finished) case of a deployed process."""

    __tablename__ = "instances"
    __table_args__ = (
        Index("ix_instances_process_status", "process_id", "status"),
        Index("ix_instances_business_key", "business_key"),
        Index("ix_instances_started_by", "started_by_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), nullable=False)
    # {process id: process_versions.id} of the processes of OTHER deployments its call activities
    # call, bound when it started (the latest then); None: as bound when its own version was deployed.
    called_versions: Mapped[dict[str, int] | None] = mapped_column(JSON)
    process_id: Mapped[str] = mapped_column(String(255), nullable=False)
    business_key: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="running")
    # Optimistic lock: every write is UPDATE ... WHERE id = ? AND version = ?
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    state: Mapped[str] = mapped_column(Text, nullable=False, deferred=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    waiting: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    # Head of this instance's audit hash chain, moved under the same version lock.
    event_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    event_hash: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")
    started_by: Mapped[User | None] = relationship(lazy="select")

    @property
    def title(self) -> str:
        name = self.process_version.display_name if self.process_version else self.process_id
        return f"{name} #{self.id}" + (f" ({self.business_key})" if self.business_key else "")
