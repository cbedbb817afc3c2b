"""tasks.properties (camunda:properties for the task's people and systems); process versions kept out
of the task list (camunda:isStartableInTasklist="false")

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from lxml import etree

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}process"
_FLAG = "{http://camunda.org/schema/1.0/bpmn}isStartableInTasklist"


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("properties", sa.JSON(), server_default="{}", nullable=False))
    with op.batch_alter_table("process_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("startable_in_tasklist", sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
    _mark_versions_kept_out_of_the_tasklist()


def _mark_versions_kept_out_of_the_tasklist() -> None:
    """Versions deployed before this revision: read the flag from their deployed file (checked at deploy)."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT pv.id, pv.process_id, f.content FROM process_versions pv JOIN deployment_files f "
        "ON f.deployment_id = pv.deployment_id AND f.name = pv.file")).all()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    kept_out = []
    for version_id, process_id, content in rows:
        if b"isStartableInTasklist" not in bytes(content):
            continue
        try:
            root = etree.fromstring(bytes(content), parser=parser)
        except etree.XMLSyntaxError:
            continue
        for process in root.iter(_BPMN):
            if process.get("id") == process_id and (process.get(_FLAG) or "").strip().lower() == "false":
                kept_out.append(version_id)
    for version_id in kept_out:
        conn.execute(sa.text("UPDATE process_versions SET startable_in_tasklist = :no, startable = :no "
                             "WHERE id = :id"), {"no": False, "id": version_id})


def downgrade() -> None:
    with op.batch_alter_table("process_versions", schema=None) as batch_op:
        batch_op.drop_column("startable_in_tasklist")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("properties")
