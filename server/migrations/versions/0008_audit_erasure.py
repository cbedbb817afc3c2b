"""audit events: salted actor and data digests, so personal data can be erased

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("actor_salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("data_salt", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("data_salt")
        batch_op.drop_column("actor_salt")
        batch_op.drop_column("actor_digest")
