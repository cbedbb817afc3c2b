"""Alembic environment: runs on the connection server.db_setup hands it."""

from __future__ import annotations

from alembic import context

import server.models  # noqa: F401  (registers every table on the metadata)
from server.db import db

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `flask --app wsgi init-db`")

context.configure(connection=connection, target_metadata=db.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
