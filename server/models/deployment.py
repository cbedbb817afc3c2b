"""Deployments (immutable sets of model files) and the process versions they define."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy import true as sql_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.db import db


class Deployment(db.Model):  # type: ignore[name-defined,misc]
    """One upload of .bpmn/.dmn files; never changed afterwards."""

    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)

    files: Mapped[list[DeploymentFile]] = relationship(
        cascade="all, delete-orphan", back_populates="deployment"
    )
    processes: Mapped[list[ProcessVersion]] = relationship(back_populates="deployment")


class DeploymentFile(db.Model):  # type: ignore[name-defined,misc]
    """One file of a deployment, byte for byte as uploaded."""

    __tablename__ = "deployment_files"
    __table_args__ = (UniqueConstraint("deployment_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)

    deployment: Mapped[Deployment] = relationship(back_populates="files")


class ProcessVersion(db.Model):  # type: ignore[name-defined,misc]
    """A deployed process: its id in the model, its version, and its parsed spec stored once."""

    __tablename__ = "process_versions"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        Index("ix_process_versions_latest", "process_id", "version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), nullable=False)
    process_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    file: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)
    documentation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    start_form: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    starter_groups: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    starter_users: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # Whether a person may start it (a none start event, and not camunda:isStartableInTasklist="false").
    startable: Mapped[bool] = mapped_column(nullable=False, default=True)
    # False when the model keeps it out of the task list: it is started by other processes (call activities).
    startable_in_tasklist: Mapped[bool] = mapped_column(nullable=False, default=True,
                                                        server_default=sql_true())
    # The parsed spec, serialized once; deferred so lists never load it (the server caches it parsed).
    definition: Mapped[str] = mapped_column(Text, nullable=False, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    deployment: Mapped[Deployment] = relationship(back_populates="processes")

    @property
    def display_name(self) -> str:
        return self.name or self.process_id
