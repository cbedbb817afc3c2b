"""instances.called_versions: the versions of other deployments' processes an instance's call
activities call, bound (the latest) when it starts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("called_versions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("called_versions")
