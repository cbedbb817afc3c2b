"""tasks: the moment a task becomes at risk, so SLA lists are one indexed query

Revision ID: 0003
Revises: 0006
Create Date: 2026-11-25 18:10:00.000000

Chained on 0006 (the newest revision when this was written), not 0002: one line of history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0006"
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
