"""The migrations build exactly the schema the models describe, on every database."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext


def test_migrations_match_the_models(app: Any) -> None:
    from server.db import db

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_upgrade_is_linear_and_at_head(app: Any) -> None:
    from alembic.script import ScriptDirectory

    from server import db_setup

    script = ScriptDirectory.from_config(db_setup.alembic_config())
    assert len(script.get_heads()) == 1
    assert db_setup.current_revision(app) == script.get_current_head()
