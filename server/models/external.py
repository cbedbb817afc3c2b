"""External participants' links and uploaded documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.db import db
from server.models.people import User

LINK_KINDS = ("participant", "status")


class ExternalLink(db.Model):  # type: ignore[name-defined,misc]
    """A signed link that opens one case for one outside person; the token signs this row's id + nonce.

    `participant` links let the person complete their own tasks there; `status` links only show the
    case. A link stops working when it expires or is revoked (the row is kept for the audit trail).
    """

    __tablename__ = "external_links"
    __table_args__ = (Index("ix_external_links_instance", "instance_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="participant")
    nonce: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class Document(db.Model):  # type: ignore[name-defined,misc]
    """An uploaded file of a case (stored once per content under <instance dir>/documents/<sha256>)."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_instance", "instance_id", "uploaded_at"),
        Index("ix_documents_task_field", "task_id", "field_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    task_id: Mapped[str | None] = mapped_column(String(36))
    field_id: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(320), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
