"""The `db_url` fixture: an empty, writable database per test, on every database available."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

_left_open: list[sa.Connection] = []


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_gets_an_empty_writable_database(db_url: str, round_: int) -> None:
    engine = sa.create_engine(db_url)
    assert sa.inspect(engine).get_table_names() == [], "a table of an earlier test is still there"
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE leak_check (id INTEGER PRIMARY KEY, note TEXT)"))
        conn.execute(sa.text("INSERT INTO leak_check (id, note) VALUES (1, 'x')"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM leak_check")).scalar_one() == 1
    if round_ == 1:  # an open connection left behind must not block the next test's reset
        _left_open.append(engine.connect())
    else:
        engine.dispose()


def test_postgres_runs_are_marked(request: pytest.FixtureRequest, db_url: str) -> None:
    marked = request.node.get_closest_marker("postgres") is not None
    assert marked == db_url.startswith("postgresql+psycopg://")
