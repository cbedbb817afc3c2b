"""The task projection every list reads, and its visibility index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.clock import utcnow
from server.db import db
from server.models.instance import Instance

TASK_STATES = ("open", "completed", "cancelled")


class Task(db.Model):  # type: ignore[name-defined,misc]
    """One human task of an instance, as the engine last left it (id = the engine's task id)."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_instance_state", "instance_id", "state"),
        Index("ix_tasks_state_created", "state", "created_at", "id"),
        Index("ix_tasks_assignee_state", "assignee", "state", "created_at"),
        Index("ix_tasks_state_due", "state", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    process_id: Mapped[str] = mapped_column(String(255), nullable=False)
    element_id: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    lane: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    assignee: Mapped[str | None] = mapped_column(String(320))
    candidate_users: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    candidate_groups: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    documentation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The raw form fields as the model wrote them (forms/ builds the FormSpec from these).
    form: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    # The model's camunda:properties for the people and systems working the task (bpmn HumanTask.details:
    # the ones Baton interprets itself, `sla.*` and form files, show in their own places instead).
    properties: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict,
                                                       server_default="{}")
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=50)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by: Mapped[str | None] = mapped_column(String(320))
    submitted: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # SLA: follow-up date, and what the ladder has done so far (shown on the task and in lists).
    follow_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    nudge_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    last_nudged_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_to: Mapped[str | None] = mapped_column(String(330))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When 75% of the time from opening to due has passed (bpmn.sla.AT_RISK_SHARE): "at risk" in SQL.
    at_risk_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Delegation (Camunda semantics): `owner` delegated the task to the assignee; once the delegate
    # resolves it, delegation_state is "resolved" and the task is back with the owner to complete.
    owner: Mapped[str | None] = mapped_column(String(320))
    delegation_state: Mapped[str | None] = mapped_column(String(10))  # pending | resolved
    delegated_at: Mapped[datetime | None] = mapped_column(DateTime)

    instance: Mapped[Instance] = relationship(lazy="joined")


class TaskAccess(db.Model):  # type: ignore[name-defined,misc]
    """Who may see an open or finished task: 'u:<email>' or 'g:<group key>' principals."""

    __tablename__ = "task_access"
    __table_args__ = (Index("ix_task_access_principal", "principal", "state", "created_at", "task_id"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    principal: Mapped[str] = mapped_column(String(330), primary_key=True)
    # Copied from the task so a list is one ordered index range per principal.
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
