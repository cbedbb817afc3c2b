"""message and signal subscriptions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("element_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("correlation", sa.JSON(), nullable=False),
        sa.Column("business_key", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_message_subscriptions_name", "message_subscriptions", ["kind", "name"])
    op.create_index("ix_message_subscriptions_business_key", "message_subscriptions", ["business_key"])
    op.create_index("ix_message_subscriptions_instance", "message_subscriptions", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_message_subscriptions_instance", table_name="message_subscriptions")
    op.drop_index("ix_message_subscriptions_business_key", table_name="message_subscriptions")
    op.drop_index("ix_message_subscriptions_name", table_name="message_subscriptions")
    op.drop_table("message_subscriptions")
