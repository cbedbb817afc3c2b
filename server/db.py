"""The SQL database: one SQLAlchemy handle, SQLite tuned for several writing processes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, class_mapper, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

SQLITE_BUSY_TIMEOUT_MS = 10_000
T = TypeVar("T")


class Base(DeclarativeBase):
    """Declarative base of every table."""


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL lets readers and one writer work side by side; the busy timeout queues writers."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def engine_options(url: str) -> dict[str, Any]:
    """Engine options per backend."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


class Record:
    """A row's columns as plain attributes."""

    def __init__(self, values: Iterable[tuple[str, Any]]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # only for names it lacks (declared for type checkers)
        raise AttributeError(name)


def records(result: Iterable[Any]) -> list[Record]:
    """The rows of a result as plain objects with the same attributes: reading an attribute of
    SQLAlchemy's Row costs ~0.8 us (its fallback lookup), of these ~0.1 us, and a task list's rows
    are read ~30 times each."""
    rows = iter(result)
    keys = list(result.keys())  # type: ignore[attr-defined]
    return [Record(zip(keys, row, strict=True)) for row in rows]


def persistent(cls: type[T], values: dict[str, Any]) -> T:
    """An object of this session built from column values already read, with no SELECT: the one in
    the identity map refreshed with them (as `populate_existing` would), else a new one made
    persistent the documented way (`make_transient_to_detached`, then `add`). `values` holds the
    mapped columns by attribute name, including the primary key `id`."""
    existing = db.session.identity_map.get(identity_key(cls, values["id"]))
    if existing is not None:
        for key, value in values.items():
            set_committed_value(existing, key, value)
        return existing
    obj: T = class_mapper(cls).class_manager.new_instance()  # as the ORM's loader does: no __init__,
    obj.__dict__.update(values)  # the values go straight into the instance state, no change events
    make_transient_to_detached(obj)  # every value present counts as loaded; the rest load when read
    db.session.add(obj)
    return obj


SQLITE_ANALYSIS_LIMIT = 400
"""Rows SQLite's ANALYZE samples per index: bounded work however large the tables grow."""


def refresh_planner_statistics() -> bool:
    """Gather the statistics the query planner chooses indexes by; True when it did.

    SQLite has none until ANALYZE runs, and then picks plans for the task lists from guesses (the
    foundation benchmark's task list: p50 ~13 ms without statistics, ~11 ms with them, and without
    the slow outliers). Sampled (`analysis_limit`), so it takes milliseconds on large tables. The
    worker's poller runs it soon after start and every hour. PostgreSQL's autovacuum keeps its own
    statistics: nothing to do there.
    """
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return False
    with engine.begin() as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")
    return True
