"""The command line contract: init-db (idempotent), create-user, create-token."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select


def test_init_db_is_safe_to_run_again(app: Any) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "Database ready at revision" in second.output
    assert first.output.strip().splitlines()[-1] == second.output.strip().splitlines()[-1]


def test_create_user_then_update_roles_groups_and_manager(app: Any) -> None:
    from server.db import db
    from server.models import User

    runner = app.test_cli_runner()
    boss = runner.invoke(
        args=["create-user", "Boss@Example.com", "--password", "long-enough", "--role", "admin"]
    )
    assert boss.exit_code == 0 and "Created boss@example.com" in boss.output
    result = runner.invoke(
        args=[
            "create-user",
            "ann@example.com",
            "--password",
            "long-enough",
            "--name",
            "Ann",
            "--role",
            "participant",
            "--role",
            "analyst",
            "--group",
            "Clerks",
            "--group",
            "legal",
            "--manager",
            "boss@example.com",
        ]
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["create-user", "ann@example.com", "--role", "auditor"])
    assert again.exit_code == 0 and "Updated ann@example.com" in again.output
    with app.app_context():
        ann = db.session.scalar(select(User).where(User.email == "ann@example.com"))
        assert ann is not None and ann.roles == {"auditor"} and ann.name == "Ann"
        assert {m.group.name for m in ann.memberships} == {"Clerks", "legal"}
        assert ann.manager is not None and ann.manager.email == "boss@example.com"


def test_create_user_refuses_bad_input_without_a_traceback(app: Any) -> None:
    runner = app.test_cli_runner()
    short = runner.invoke(args=["create-user", "x@example.com", "--password", "short"])
    assert (
        short.exit_code != 0 and "at least 8 characters" in short.output and "Traceback" not in short.output
    )
    role = runner.invoke(args=["create-user", "x@example.com", "--role", "wizard"])
    assert role.exit_code != 0 and "wizard" in role.output


def test_create_token_prints_a_working_token_last(app: Any) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["create-user", "t@example.com", "--password", "long-enough"])
    out = runner.invoke(args=["create-token", "t@example.com"])
    assert out.exit_code == 0
    token = out.output.strip().splitlines()[-1]
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["email"] == "t@example.com"
    missing = runner.invoke(args=["create-token", "nobody@example.com"])
    assert missing.exit_code != 0 and "no user" in missing.output
