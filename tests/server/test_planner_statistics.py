"""The database's planner statistics: SQLite has none until ANALYZE runs, so `init-db` and the
worker's poller (soon after start, then hourly) gather them; PostgreSQL keeps its own."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text


def _stat_tables(app: Any) -> set[str]:
    from server.db import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return set()
        known = db.session.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).all()
        if not known:
            return set()
        return {row[0] for row in db.session.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1"))}


def test_refresh_gathers_sqlite_statistics_and_leaves_postgresql_alone(app: Any, api: Any) -> None:
    from server.db import db, refresh_planner_statistics

    api.user("clerk@test.example", groups=("clerks",))
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        assert refresh_planner_statistics() is sqlite
    if sqlite:
        assert {"users", "api_tokens", "user_roles"} <= _stat_tables(app)  # the tables with rows


def test_the_poller_refreshes_the_statistics_soon_after_start(app: Any, api: Any, monkeypatch: Any) -> None:
    from server import timer_poller

    api.user("clerk@test.example", groups=("clerks",))
    calls: list[float] = []
    real = timer_poller.refresh_planner_statistics
    monkeypatch.setattr(timer_poller, "refresh_planner_statistics", lambda: calls.append(1.0) or real())
    monkeypatch.setattr(timer_poller, "PLANNER_STATS_FIRST_S", 0.0)
    monkeypatch.setattr(timer_poller, "PLANNER_STATS_S", 3600.0)
    poller = timer_poller.TimerPoller(app, interval=0.05)
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not calls:
            time.sleep(0.05)
        time.sleep(0.3)  # several more looks: the next refresh is an hour away
    finally:
        poller.stop()
        poller.join(5)
    assert calls == [1.0]


def test_init_db_gathers_statistics(app: Any) -> None:
    from server import cli
    from server.db import db

    runner = app.test_cli_runner()
    result = runner.invoke(cli.init_db)
    assert result.exit_code == 0, result.output
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert _stat_tables(app)  # (every table empty or not: the migrations' version table has a row)
