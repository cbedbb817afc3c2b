"""The Work page's group queue (access.offered_page) reads only what a page needs, and orders exactly
as the full sort it replaces: escalated and overdue first, then at risk or nudged, then the rest,
oldest first in each; claimed tasks and tasks of other groups never appear."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from flask import Flask

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
CLERK, OTHER = "clerk@test.example", "other@test.example"


def _seed(api: Api) -> list[str]:
    """Twelve open 'enter' tasks offered to clerks, then varied SLA states and a claim."""
    api.user(CLERK, groups=("clerks",))
    api.user(OTHER, groups=("clerks",))
    api.user("boss@test.example", groups=("managers",))
    assert api.deploy(ADMIN, "expense.bpmn").status_code == 201
    ids = [api.start("expense_claim", CLERK).get_json()["open_tasks"][0]["id"] for _ in range(12)]
    return ids


def _shape(app: Flask, ids: list[str]) -> None:
    from sqlalchemy import update

    from server.clock import utcnow
    from server.db import db
    from server.models import Task

    now = utcnow()
    changes = {
        ids[1]: {"due_at": now + timedelta(days=3), "at_risk_at": now + timedelta(days=2)},  # on track
        ids[3]: {"due_at": now - timedelta(hours=1), "at_risk_at": now - timedelta(hours=3)},  # overdue
        ids[4]: {"due_at": now + timedelta(days=1), "at_risk_at": now - timedelta(hours=1)},  # at risk
        ids[6]: {"due_at": now + timedelta(days=2), "at_risk_at": now + timedelta(days=1),
                 "nudge_count": 1},  # nudged
        ids[8]: {"due_at": now + timedelta(days=2), "at_risk_at": now + timedelta(days=1),
                 "escalated_at": now, "escalated_to": "leads"},  # escalated
        ids[9]: {"assignee": OTHER},  # claimed: not in the queue
        ids[10]: {"due_at": now - timedelta(days=1), "at_risk_at": now - timedelta(days=2),
                  "assignee": OTHER},  # overdue but claimed
    }
    with app.app_context():
        for task_id, values in changes.items():
            db.session.execute(update(Task).where(Task.id == task_id).values(**values))
        db.session.commit()


@pytest.mark.parametrize("limit,chunk", [(50, None), (4, None), (6, 2), (9, 3)])
def test_the_queue_is_the_full_sort_cut_to_a_page(
    api: Api, app: Flask, limit: int, chunk: int | None
) -> None:
    from sqlalchemy import select

    from server import access
    from server.db import db
    from server.models import User

    ids = _seed(api)
    _shape(app, ids)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == CLERK))
        assert user is not None
        full = [t.id for t in db.session.scalars(
            access.visible_tasks(user, candidate_only=True, urgent_first=True).limit(limit))]
        page = [t.id for t in access.offered_page(user, limit, chunk=chunk)]
    assert page == full
    if limit >= 10:  # every unclaimed task, urgent ones first in the expected order
        assert page[:4] == [ids[3], ids[8], ids[4], ids[6]]
        assert page[4:] == [ids[i] for i in (0, 1, 2, 5, 7, 11)]


def test_someone_in_no_group_sees_an_empty_queue(api: Api, app: Flask) -> None:
    from sqlalchemy import select

    from server import access
    from server.db import db
    from server.models import User

    _seed(api)
    with app.app_context():
        boss = db.session.scalar(select(User).where(User.email == "boss@test.example"))
        assert boss is not None
        assert access.offered_page(boss, 50, chunk=2) == []


def test_the_queue_count_is_the_unclaimed_tasks_up_to_the_cap(api: Api, app: Flask,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import select

    from server import access
    from server.db import db
    from server.models import User

    ids = _seed(api)
    _shape(app, ids)  # two of the twelve are claimed
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == CLERK))
        assert user is not None
        assert access.offered_count(user) == 10
        monkeypatch.setattr(access, "TASK_COUNT_CAP", 4)
        assert access.offered_count(user) == 5  # "more than 4"
