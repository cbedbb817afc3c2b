"""tasks: the moment a task becomes at risk, so SLA lists are one indexed query

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("at_risk_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_tasks_state_due", ["state", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_state_due")
        batch_op.drop_column("at_risk_at")
