"""Fill the database with open tasks, straight into the tables server/models defines (no API)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select

from perfkit.model import PROCESS_ID

BATCH = 5_000  # rows per executemany


def group_name(i: int) -> str:
    return f"team-{i:03d}"


def seed_open_tasks(database_url: str, tasks: int, groups: int, shared_group: str) -> float:
    """`tasks` running instances with one open task each, offered to one of `groups` groups
    (round robin) AND to `shared_group`, which therefore holds all of them. Returns seconds taken.

    Importing server.models ties the rows to the real tables: a new NOT NULL column fails here.
    """
    from server.models import Instance, ProcessVersion, Task, TaskAccess, User

    began = time.perf_counter()
    engine = create_engine(database_url)
    with engine.begin() as conn:
        version_id, = conn.execute(
            select(ProcessVersion.id).where(ProcessVersion.process_id == PROCESS_ID)
            .order_by(ProcessVersion.version.desc()).limit(1)
        ).one()
        starter_id = conn.scalar(select(func.min(User.id)))
        first_id = int(conn.scalar(select(func.max(Instance.id))) or 0) + 1
    form = [{"id": "value_1", "label": "Value 1", "type": "long", "default": None, "constraints": [],
             "values": [], "properties": {}}]
    base = datetime(2024, 1, 1)
    for start in range(0, tasks, BATCH):
        instances: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        access: list[dict[str, Any]] = []
        for n in range(start, min(tasks, start + BATCH)):
            at = base + timedelta(seconds=n)
            iid = first_id + n
            tid = str(uuid.uuid4())
            group = group_name(n % groups)
            instances.append({
                "id": iid, "process_version_id": version_id, "process_id": PROCESS_ID, "status": "running",
                "version": 2, "state": "{}", "data": {"no": n}, "waiting": [], "event_seq": 0,
                "event_hash": "", "started_by_id": starter_id, "started_at": at, "updated_at": at,
            })
            rows.append({
                "id": tid, "instance_id": iid, "process_id": PROCESS_ID, "element_id": "Task_1",
                "name": "Step 1", "state": "open", "candidate_users": [],
                "candidate_groups": [group, shared_group], "documentation": "", "form": form,
                "priority": 50, "created_at": at,
            })
            access.append({"task_id": tid, "principal": f"g:{group}", "state": "open", "created_at": at})
            access.append({"task_id": tid, "principal": f"g:{shared_group.casefold()}", "state": "open",
                           "created_at": at})
        with engine.begin() as conn:
            conn.execute(insert(Instance), instances)
            conn.execute(insert(Task), rows)
            conn.execute(insert(TaskAccess), access)
    engine.dispose()
    return time.perf_counter() - began


def analyze(database_url: str) -> None:
    """Gather planner statistics (SQLite: ANALYZE), as `PRAGMA optimize` or a DBA would."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
