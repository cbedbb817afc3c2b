"""Who may start, see and act: the role and ownership rules, as queries over the projection."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    case,
    exists,
    func,
    null,
    or_,
    select,
    union_all,
)

from server import owners, sla_state
from server.clock import utcnow
from server.config import TASK_COUNT_CAP
from server.db import db, records
from server.models import Instance, ProcessVersion, Task, TaskAccess, User
from server.projection import TASK_COLUMNS

WORKER_ROLES = ("admin", "analyst", "participant")


def can_deploy(user: User) -> bool:
    return user.has_role("admin", "analyst")


def can_start(user: User, version: ProcessVersion) -> bool:
    """Participants and above, unless the process names its starters (admins always may)."""
    if user.is_admin:
        return True
    if version.starter_groups or version.starter_users:
        email = user.email.casefold()
        if any(u.strip().casefold() == email for u in version.starter_users):
            return True
        keys = user.group_keys
        return any(g.strip().casefold() in keys for g in version.starter_groups)
    return user.has_role(*WORKER_ROLES)


def _principals(user: User) -> list[str]:
    return owners.user_principals(user)


def may_see_instance(user: User, row: Instance) -> bool:
    """Admins and auditors see all; others what they started and the cases around their tasks."""
    if user.sees_everything or row.started_by_id == user.id:
        return True
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    TaskAccess.task_id == Task.id,
                    Task.instance_id == row.id,
                    TaskAccess.principal.in_(_principals(user)),
                )
            )
        )
    )


def may_see_task(user: User, task: Task) -> bool:
    if user.sees_everything:
        return True
    return bool(
        db.session.scalar(
            select(exists().where(TaskAccess.task_id == task.id, TaskAccess.principal.in_(_principals(user))))
        )
    )


def visible_tasks(
    user: User,
    *,
    state: str = "open",
    instance_id: int | None = None,
    mine: bool = False,
    candidate_only: bool = False,
    urgent_first: bool = False,
) -> Select[tuple[Task]]:
    """Tasks the user may see, oldest first; `mine` = assigned to them, `candidate_only` = group queue.

    `urgent_first`: escalated and overdue tasks first, then those at risk (see server.sla_state).
    """
    query = select(Task)
    if state != "all":
        query = query.where(Task.state == state)
    if instance_id is not None:
        query = query.where(Task.instance_id == instance_id)
    if mine:
        query = query.where(Task.assignee == user.email.casefold())
    elif candidate_only:
        group_keys = [p for p in _principals(user) if p.startswith("g:")]
        email = f"u:{user.email.casefold()}"
        sub = select(TaskAccess.task_id).where(TaskAccess.principal.in_([*group_keys, email]))
        if state != "all":
            sub = sub.where(TaskAccess.state == state)
        query = query.where(Task.id.in_(sub), Task.assignee.is_(None))
    elif not user.sees_everything:
        sub = select(TaskAccess.task_id).where(TaskAccess.principal.in_(_principals(user)))
        if state != "all":
            sub = sub.where(TaskAccess.state == state)
        query = query.where(Task.id.in_(sub))
    if urgent_first:
        query = query.order_by(sla_state.urgency(utcnow()))
    return query.order_by(Task.created_at, Task.id)


def task_page(
    user: User, *, state: str, limit: int, offset: int, exact: bool = False
) -> tuple[list[Any], int | None]:
    """One page of the tasks a non-admin may see, and their total, straight from the visibility index.

    Each of the user's principals is one ordered range of `ix_task_access_principal`, read only as
    far as the page needs (offset + limit rows); the ranges are merged and de-duplicated (a task can
    be offered to me and to my group). The total counts the same index, never the task rows, and
    only up to TASK_COUNT_CAP entries unless `exact`: None means "more than that".
    """
    principals = _principals(user)
    page_ids = _visible_ids(principals, state, limit, offset)
    # Plain rows, not ORM objects: the list only reads their columns (as Task attributes do), and
    # building 50 tracked objects costs more than the query.
    rows = records(db.session.connection().execute(_TASKS_BY_ID, {"b_ids": page_ids}))
    tasks = {t.id: t for t in rows}
    if len(page_ids) < limit and (page_ids or not offset):
        total: int | None = offset + len(page_ids)  # the last page: its ids are distinct, so it tells
    else:
        total = _count_visible(principals, state, exact)
    return [tasks[i] for i in page_ids if i in tasks], total


TASKS = Task.__table__
TASK_ACCESS = TaskAccess.__table__
_TASKS_BY_ID = select(*TASK_COLUMNS).where(TASKS.c.id.in_(bindparam("b_ids", expanding=True)))


def _visible_ids(principals: list[str], state: str, limit: int, offset: int) -> list[str]:
    """Ids of the tasks behind these principals, oldest first: each principal is one ordered range of
    `ix_task_access_principal`, read only as far as the page needs; merged and de-duplicated."""
    params: dict[str, Any] = {f"b_p{i}": principal for i, principal in enumerate(principals)}
    params.update(b_state=state, b_upto=offset + limit, b_limit=limit, b_offset=offset)
    return [task_id for task_id, _ in db.session.connection().execute(_visible_ids_statement(len(principals)),
                                                                       params)]


@functools.lru_cache(maxsize=64)
def _visible_ids_statement(principals: int) -> Select[Any]:
    """Built once per number of principals (building it costs more than running it)."""
    ranges = [
        select(TASK_ACCESS.c.task_id, TASK_ACCESS.c.created_at)
        .where(TASK_ACCESS.c.principal == bindparam(f"b_p{i}"), TASK_ACCESS.c.state == bindparam("b_state"))
        .order_by(TASK_ACCESS.c.created_at, TASK_ACCESS.c.task_id)
        .limit(bindparam("b_upto", type_=Integer))
        .subquery()
        for i in range(principals)
    ]
    merged = union_all(*(select(r.c.task_id, r.c.created_at) for r in ranges)).subquery()
    return (
        select(merged.c.task_id, func.min(merged.c.created_at).label("created"))
        .group_by(merged.c.task_id)
        .order_by("created", merged.c.task_id)
        .limit(bindparam("b_limit", type_=Integer))
        .offset(bindparam("b_offset", type_=Integer))
    )


def offered_page(user: User, limit: int, chunk: int | None = None) -> list[Task]:
    """The Work page's group queue: unclaimed open tasks offered to the user or their groups, escalated
    and overdue first, then at risk, then the rest, oldest first in each (as `visible_tasks(...,
    candidate_only=True, urgent_first=True)` orders them) — without sorting the whole queue.

    Only tasks with a due date can be urgent (SLA ladders, which nudge and escalate, run only for
    those), so the urgent ones come from the due-date index; the rest from the visibility index in
    creation order, a chunk at a time, until the page is full.
    """
    now = utcnow()
    principals = _principals(user)
    offered = exists().where(TaskAccess.task_id == Task.id, TaskAccess.principal.in_(principals),
                             TaskAccess.state == "open")
    found = list(db.session.scalars(
        select(Task)
        .where(Task.state == "open", Task.assignee.is_(None), Task.due_at.is_not(None),
               sla_state.needs_attention(now), offered)
        .order_by(sla_state.urgency(now), Task.created_at, Task.id)
        .limit(limit)
    ))
    chunk, offset = chunk or max(4 * limit, 200), 0
    while len(found) < limit:
        ids = _visible_ids(principals, "open", chunk, offset)
        if ids:
            rows = db.session.scalars(select(Task).where(
                Task.id.in_(ids), Task.state == "open", Task.assignee.is_(None),
                sla_state.urgency(now) == 2))
            by_id = {t.id: t for t in rows}
            found.extend(by_id[i] for i in ids if i in by_id)
        if len(ids) < chunk:
            break
        offset += chunk
    return found[:limit]


def offered_count(user: User) -> int:
    """How many tasks `offered_page` draws from, counted no further than TASK_COUNT_CAP + 1 (see
    `count_upto`): from the visibility index joined to the task rows, stopping at the cap."""
    entries = (
        select(TaskAccess.task_id)
        .join(Task, Task.id == TaskAccess.task_id)
        .where(TaskAccess.principal.in_(_principals(user)), TaskAccess.state == "open",
               Task.state == "open", Task.assignee.is_(None))
    )
    # Entries first (stops at the cap); only a queue under the cap is de-duplicated (a task offered
    # to me and to my group is one task).
    capped = entries.limit(TASK_COUNT_CAP + 1).subquery()
    if (db.session.scalar(select(func.count()).select_from(capped)) or 0) > TASK_COUNT_CAP:
        return TASK_COUNT_CAP + 1
    return int(db.session.scalar(select(func.count()).select_from(entries.distinct().subquery())) or 0)


def _count_visible(principals: list[str], state: str, exact: bool) -> int | None:
    """Distinct tasks behind these principals; None when there are more index entries than the cap."""
    conn = db.session.connection()
    params: dict[str, Any] = {"b_principals": principals, "b_state": state, "b_cap": TASK_COUNT_CAP + 1}
    if exact:
        return int(conn.execute(_COUNT_DISTINCT, params).scalar() or 0)
    if conn.dialect.name != "sqlite":  # (PostgreSQL de-duplicates a thousand entries cheaply: one pass)
        entries, tasks = conn.execute(_COUNT_UPTO, params).one()
        return None if entries > TASK_COUNT_CAP else int(tasks)
    params.update({f"b_p{i}": principal for i, principal in enumerate(principals)}, b_over=TASK_COUNT_CAP)
    found = conn.execute(_count_upto_statement(len(principals)), params).scalar()
    return None if found is None else int(found)


_ENTRIES = select(TASK_ACCESS.c.task_id).where(
    TASK_ACCESS.c.principal.in_(bindparam("b_principals", expanding=True)),
    TASK_ACCESS.c.state == bindparam("b_state"),
)
_COUNT_DISTINCT = select(func.count()).select_from(_ENTRIES.distinct().subquery())
_CAPPED = _ENTRIES.limit(bindparam("b_cap", type_=Integer)).subquery()
_COUNT_UPTO = select(func.count(), func.count(_CAPPED.c.task_id.distinct()))
"""Entries up to the cap, and the distinct tasks among them (all of them when under the cap)."""


@functools.lru_cache(maxsize=64)
def _count_upto_statement(principals: int) -> Select[Any]:
    """`_COUNT_UPTO` for SQLite, built once per number of principals: the distinct tasks behind them,
    or NULL when their index entries exceed the cap. The entries are counted no further than the
    cap; SQLite de-duplicates with a temporary B-tree (~0.5 us an entry, five times the count), so
    that runs only when it can matter — two or more of the principals have entries — and the count
    is within the cap: SQLite evaluates a CASE branch's subquery only when it is taken. (On
    PostgreSQL this statement was slower than `_COUNT_UPTO` for a queue under the cap.)"""
    entries = select(func.count()).select_from(_CAPPED).scalar_subquery()
    distinct = select(func.count(_CAPPED.c.task_id.distinct())).scalar_subquery()
    has_entries: list[ColumnElement[Any]] = [
        case((exists().where(TASK_ACCESS.c.principal == bindparam(f"b_p{i}"),
                             TASK_ACCESS.c.state == bindparam("b_state")), 1), else_=0)
        for i in range(principals)
    ]
    counted = select(entries.label("entries"),
                     functools.reduce(lambda a, b: a + b, has_entries).label("owners")).subquery()
    return select(case(
        (counted.c.entries > bindparam("b_over", type_=Integer), null()),
        (counted.c.owners <= 1, counted.c.entries),
        else_=distinct,
    )).select_from(counted)


def visible_instances(user: User) -> Select[tuple[Instance]]:
    query = select(Instance)
    if not user.sees_everything:
        around_tasks = (
            select(Task.instance_id)
            .join(TaskAccess, TaskAccess.task_id == Task.id)
            .where(TaskAccess.principal.in_(_principals(user)))
        )
        query = query.where(or_(Instance.started_by_id == user.id, Instance.id.in_(around_tasks)))
    return query.order_by(Instance.id.desc())


def count_upto(query: Select[Any], cap: int | None = None) -> int:
    """How many rows `query` has, counting no further than cap + 1 (TASK_COUNT_CAP by default):
    a result above the cap means "more than cap" (shown as "1,000+" by the `total` filter)."""
    limit = (TASK_COUNT_CAP if cap is None else cap) + 1
    capped = query.order_by(None).limit(limit).subquery()
    return int(db.session.scalar(select(func.count()).select_from(capped)) or 0)


def count(query: Select[tuple[object]]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
