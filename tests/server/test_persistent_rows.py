"""Objects built from columns already read (server.db.persistent): the bearer-token read and the
task-to-complete read turn one plain row into the session's objects without a second SELECT, and
those objects behave as loaded ones (relationships load when read, changes are written, a later
read refreshes the object the session already holds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import event, select

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
CLERK = "clerk@test.example"


class _Statements:
    def __init__(self, engine: Any) -> None:
        self.seen: list[str] = []
        self.engine = engine

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(" ".join(statement.split()))


def test_the_token_read_gives_a_session_user_with_roles_and_groups_in_one_statement(
    api: Api, app: Flask
) -> None:
    from server import people
    from server.db import db
    from server.models import User

    token = api.user(CLERK, groups=("Clerks",))
    with app.test_request_context():
        with _Statements(db.engine) as seen:
            user = people.user_for_token(token)
            assert user is not None
            assert (user.email, user.roles, user.group_keys) == (CLERK, {"participant"}, {"clerks"})
        assert len([s for s in seen if s.startswith("SELECT")]) == 1
        assert user in db.session and db.session.get(User, user.id) is user
        user.name = "Clerk Kent"  # a change to the built object is written like any other
        db.session.commit()
        assert db.session.scalar(select(User.name).where(User.email == CLERK)) == "Clerk Kent"
        assert people.user_for_token(token) is user  # read again: the session's object, refreshed


def test_the_task_to_complete_is_read_in_one_statement_with_its_instance_version_and_starter(
    api: Api, app: Flask
) -> None:
    from server import runtime
    from server.db import db

    api.user(CLERK, groups=("clerks",))
    assert api.deploy(ADMIN, "expense.bpmn").status_code == 201
    started = api.start("expense_claim", CLERK).get_json()
    task_id = started["open_tasks"][0]["id"]
    with app.test_request_context():
        with _Statements(db.engine) as seen:
            task, state, watched, troubled = runtime._task_to_complete(task_id)
            row = task.instance
            assert (task.id, task.state, row.id, row.status, row.version) == (task_id, "open", started["id"],
                                                                              "running", 1)
            assert row.started_by is not None and row.started_by.email == CLERK
            assert row.process_version.process_id == "expense_claim"
            assert task.form and isinstance(task.candidate_groups, list)
        assert len(seen) == 1 and state.startswith("{") and (watched, troubled) == (False, False)
        assert row.process_version.deployment.id == started["deployment_id"]  # not read yet: loads now
        db.session.rollback()  # (as a lost race does) the objects expire; the next read refreshes them
        task_again, *_ = runtime._task_to_complete(task_id)
        assert task_again is task and task.instance is row and row.version == 1
