"""Foundation points no flow test pins down on its own: configuration from the environment, SQLite's
mode, password storage, session-authenticated API calls, paging limits, and the full instance and
task shapes with ISO 8601 UTC timestamps."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
CLERK = "clerk@test.example"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_secret_key_is_generated_once_into_the_instance_folder_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server import config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("BATON_BASE_URL", "https://baton.example.com/")
    first = config.from_environment({"INSTANCE_DIR": str(tmp_path)})
    again = config.from_environment({"INSTANCE_DIR": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert first["SECRET_KEY"] == again["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first["SECRET_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # readable by its owner only
    assert first["BATON_BASE_URL"] == "https://baton.example.com"  # one form, whatever was typed
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'baton.sqlite3'}"

    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgres://baton@db.internal/baton")
    chosen = config.from_environment({"INSTANCE_DIR": str(tmp_path)})
    assert chosen["SECRET_KEY"] == "from-the-environment"
    assert chosen["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://baton@db.internal/baton"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str, redis_url: str, tmp_path: Path) -> None:
    from sqlalchemy import text

    from server import create_app, db_setup
    from server.db import SQLITE_BUSY_TIMEOUT_MS, db

    app = create_app({"DATABASE_URL": sqlite_url, "REDIS_URL": redis_url, "SECRET_KEY": "s",
                      "INSTANCE_DIR": str(tmp_path / "instance"), "TESTING": True})
    db_setup.upgrade(app)
    with app.app_context():
        try:
            with db.engine.connect() as conn:  # every connection of the pool is set up so
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
                assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        finally:
            db.session.remove()
            db.engine.dispose()


def test_passwords_are_stored_hashed(api: Api) -> None:
    from server import people
    from server.db import db

    api.user(CLERK, password="correct-horse-1")
    with api.app.app_context():
        user = people.find_user(CLERK)
        assert user is not None and user.password_hash
        assert "correct-horse-1" not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert people.check_password(user, "correct-horse-1")
        assert not people.check_password(user, "correct-horse-2")
        db.session.rollback()


def test_the_api_takes_a_signed_in_browser_session_and_says_when_there_is_none(
    api: Api, browser: Browser
) -> None:
    api.user(CLERK, password="password-123")
    anonymous = browser.client.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert set(anonymous.get_json()) >= {"error", "message"}
    browser.login(CLERK)
    me = browser.client.get("/api/v1/me")
    assert me.status_code == 200 and me.get_json()["email"] == CLERK


def test_lists_take_100_rows_unless_asked_and_never_more_than_1000(api: Api) -> None:
    from server import people
    from server.api.paging import page_args
    from server.db import db

    with api.app.app_context():
        for i in range(104):
            people.save_user(f"person{i:03d}@test.example")
        db.session.commit()
    listed = api.call("GET", "/api/v1/users", ADMIN)
    assert len(listed.get_json()) == 100 and listed.headers["X-Total-Count"] == "105"
    assert "offset=100" in listed.headers["Link"] and "limit=100" in listed.headers["Link"]
    assert len(api.call("GET", "/api/v1/users?limit=2000", ADMIN).get_json()) == 105
    with api.app.test_request_context("/api/v1/users?limit=5000&offset=7"):
        assert page_args() == (1000, 7)
    bad = api.call("GET", "/api/v1/users?limit=many", ADMIN)
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_request"


def test_instance_and_task_carry_every_documented_field_with_iso_utc_timestamps(api: Api) -> None:
    api.user(CLERK, groups=("clerks",))
    assert api.deploy(ADMIN, "expense.bpmn").status_code == 201
    instance = api.start("expense_claim", CLERK, business_key="SHAPE-1").get_json()
    assert set(instance) >= {"id", "process_id", "deployment_id", "version", "business_key", "status",
                             "started_at", "ended_at", "data", "open_tasks", "waiting"}
    assert ISO_UTC.match(instance["started_at"]) and instance["ended_at"] is None
    [task] = instance["open_tasks"]
    assert set(task) >= {"id", "instance_id", "element_id", "name", "lane", "state", "assignee",
                         "candidate_users", "candidate_groups", "due_at", "created_at", "completed_at",
                         "completed_by", "documentation", "form"}
    assert ISO_UTC.match(task["created_at"]) and task["lane"] == "clerks" and task["state"] == "open"
    assert set(task["form"]["fields"][0]) >= {"id", "label", "type", "required"}

    done = api.complete(task["id"], CLERK, {"amount": 5, "purpose": "x"}).get_json()
    [closed] = api.tasks(CLERK, instance_id=instance["id"], state="completed")
    assert ISO_UTC.match(closed["completed_at"]) and closed["completed_by"] == CLERK
    assert done["status"] == "running" and [t["element_id"] for t in done["open_tasks"]] == ["approve"]
