"""Process models: the draft XML an analyst edits in the modeller, before and between deployments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.clock import utcnow
from server.db import db


class ProcessModel(db.Model):  # type: ignore[name-defined,misc]
    """One diagram being drawn: its latest saved XML, and the version it was last deployed as."""

    __tablename__ = "process_models"
    __table_args__ = (Index("ix_process_models_process", "process_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The id of the (first) executable process in the XML, as of the last save. A DMN draft has no
    # process: there it holds the .dmn file name it deploys as (see `is_decision`).
    process_id: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    name: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    xml: Mapped[str] = mapped_column(Text, nullable=False, deferred=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deployed_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_versions.id", ondelete="SET NULL")
    )

    @property
    def display_name(self) -> str:
        return self.name or self.process_id or f"Model {self.id}"

    @property
    def is_decision(self) -> bool:
        """A DMN draft (decisions, edited with dmn-js) rather than a BPMN one; told without loading XML."""
        return self.process_id.lower().endswith(".dmn")

    @property
    def file_name(self) -> str:
        """The file name this draft deploys as."""
        if self.is_decision:
            return self.process_id
        return f"{self.process_id or f'model_{self.id}'}.bpmn"
