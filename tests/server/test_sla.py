"""SLA in the web process: due dates and ladder timers armed when a task opens, cancelled when it
closes; SLA state from the projection; My work overdue first; the SLA page; the bell and the
notifications page and API; mail written as .eml files without SMTP. (Firing by real workers:
test_sla_workers.py.)"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"


def _timers(app: Flask, **where: Any) -> list[Any]:
    from server.db import db
    from server.models import Timer

    with app.app_context():
        query = select(Timer).order_by(Timer.due_at, Timer.id)
        for key, value in where.items():
            query = query.where(getattr(Timer, key) == value)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def _start(api: Api, process_id: str, as_user: str = ADMIN, **data: Any) -> dict[str, Any]:
    response = api.start(process_id, as_user, data)
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


@pytest.fixture
def reviewers(api: Api) -> Api:
    """Admin plus two reviewers (one of them lead) and a legal team with a lead."""
    api.user("rev1@test.example", groups=("reviewers",))
    api.user("rev2@test.example", groups=("reviewers",))
    api.user("lawyer@test.example", groups=("legal",))
    api.user("legal-lead@test.example", groups=("legal",))
    from server import people
    from server.db import db

    with api.app.app_context():
        people.save_user("legal-lead@test.example", lead_of=("legal",))
        db.session.commit()
    for name in ("sla_nudge_candidates.bpmn", "sla_ladder_cancelled_by_completion.bpmn",
                 "sla_states_over_time.bpmn", "sla_reassign_to_user.bpmn", "sla_escalate_to_leads.bpmn"):
        assert api.deploy(ADMIN, name).status_code == 201
    return api


def test_opening_a_task_dates_it_and_arms_its_ladder(reviewers: Api, browser: Browser) -> None:
    instance = _start(reviewers, "sla_nudge_candidates")
    (task,) = instance["open_tasks"]
    assert task["sla_state"] == "on_track"
    assert task["due_at"] is not None and task["sla"]["due_at"] == task["due_at"]
    assert task["sla"]["nudge_count"] == 0 and task["sla"]["summary"] == ""
    steps = _timers(reviewers.app, task_id=task["id"], kind="sla")
    assert [(t.status, t.payload["action"], t.payload["offset"]) for t in steps] == [
        ("pending", "nudge", "-PT2S"), ("pending", "nudge", "PT0S")]
    assert steps[1].due_at - steps[0].due_at == timedelta(seconds=2)
    browser.login("rev1@test.example")
    page = browser.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "Next: nudge PT2S before due" in page and "Next: nudge at due" in page
    assert 'class="badge badge--sla-on_track"' in page


def test_completing_a_task_cancels_the_rest_of_its_ladder(reviewers: Api) -> None:
    instance = _start(reviewers, "sla_ladder_cancelled_by_completion")
    (task,) = instance["open_tasks"]
    assert len(_timers(reviewers.app, task_id=task["id"], status="pending")) == 4
    assert reviewers.complete(task["id"], "rev1@test.example", {}).status_code == 200
    assert {t.status for t in _timers(reviewers.app, task_id=task["id"])} == {"cancelled"}


def test_cancelling_the_instance_cancels_the_ladder(reviewers: Api) -> None:
    instance = _start(reviewers, "sla_ladder_cancelled_by_completion")
    (task,) = instance["open_tasks"]
    response = reviewers.call("POST", f"/api/v1/instances/{instance['id']}/cancel", ADMIN)
    assert response.status_code == 200, response.get_json()
    assert {t.status for t in _timers(reviewers.app, task_id=task["id"])} == {"cancelled"}


def test_sla_state_moves_from_on_track_to_at_risk_to_overdue(reviewers: Api) -> None:
    opened = time.monotonic()
    instance = _start(reviewers, "sla_states_over_time")  # due in 4 s, at risk after 3 s
    task_id = instance["open_tasks"][0]["id"]

    def state() -> str:
        response = reviewers.call("GET", f"/api/v1/tasks/{task_id}", ADMIN)
        return str(response.get_json()["sla_state"])

    assert state() == "on_track"
    time.sleep(max(0.0, 3.2 - (time.monotonic() - opened)))
    assert state() == "at_risk"
    time.sleep(max(0.0, 4.2 - (time.monotonic() - opened)))
    assert state() == "overdue"
    completed = reviewers.complete(task_id, "rev1@test.example", {})
    assert completed.status_code == 200
    done = reviewers.call("GET", f"/api/v1/tasks/{task_id}", ADMIN).get_json()
    assert done["sla_state"] == "missed"


def test_my_work_lists_overdue_tasks_first(reviewers: Api, browser: Browser) -> None:
    relaxed = _start(reviewers, "sla_states_over_time")["open_tasks"][0]
    late = _start(reviewers, "sla_escalate_to_leads")["open_tasks"][0]  # due after 1 s
    for task in (relaxed, late):
        reviewers.call("POST", f"/api/v1/tasks/{task['id']}/claim", ADMIN)
    time.sleep(1.1)
    browser.login(ADMIN)
    html = browser.last_html
    assert html.index("Check the clause") < html.index("Count the stock")
    assert 'class="badge badge--sla-overdue"' in html


def test_the_sla_page_groups_late_work_for_admins_and_auditors(reviewers: Api, browser: Browser) -> None:
    reviewers.user("audrey@test.example", roles=("auditor",))
    _start(reviewers, "sla_escalate_to_leads")
    _start(reviewers, "sla_states_over_time")
    time.sleep(1.1)
    browser.login("rev1@test.example")
    assert browser.get("/sla").status_code == 403
    assert ">SLA<" not in browser.last_html
    browser.post("/logout")
    browser.login("audrey@test.example")
    response = browser.get("/sla")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<a href="/sla" aria-current="page">SLA</a>' in html
    assert "<svg" in html and 'class="sla-bar sla-bar--late"' in html
    assert "Escalate to the leads" in html and "Check the clause" in html
    assert "Count the stock" not in html  # on track: not on this page
    for heading in ("By process", "By lane", "By group", "By owner"):
        assert heading in html
    assert "legal" in html and "(unclaimed)" in html


def test_a_task_opened_for_someone_rings_their_bell(reviewers: Api, browser: Browser) -> None:
    reviewers.user("slow@test.example")
    instance = _start(reviewers, "sla_reassign_to_user")
    browser.login("slow@test.example")
    assert 'class="bell-count" aria-hidden="true">1<' in browser.last_html
    assert "Notifications: 1 unread" in browser.last_html
    page = browser.get("/notifications").get_data(as_text=True)
    assert "New task for you: “Sign the order”" in page
    assert f"In Reassign a late task #{instance['id']}." in page
    listed = reviewers.call("GET", "/api/v1/notifications", "slow@test.example")
    (row,) = listed.get_json()
    assert listed.headers["X-Unread-Count"] == "1"
    assert row["kind"] == "assignment" and row["link"] == f"/tasks/{instance['open_tasks'][0]['id']}"
    opened = browser.get(f"/notifications/{row['id']}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == row["link"]
    assert "bell-count" not in browser.get("/").get_data(as_text=True)
    assert reviewers.call("POST", f"/api/v1/notifications/{row['id']}/read", ADMIN).status_code == 404


def test_marking_notifications_read_one_and_all(reviewers: Api, browser: Browser) -> None:
    from server import notifications
    from server.db import db
    from server.models import User

    with reviewers.app.app_context():
        rev1 = db.session.scalar(select(User).where(User.email == "rev1@test.example"))
        for n in range(3):
            notifications.notify([rev1], kind="info", title=f"Note {n}")
        db.session.commit()
    first = reviewers.call("GET", "/api/v1/notifications?unread=1", "rev1@test.example").get_json()
    assert [n["title"] for n in first] == ["Note 2", "Note 1", "Note 0"]
    marked = reviewers.call("POST", f"/api/v1/notifications/{first[0]['id']}/read", "rev1@test.example")
    assert marked.status_code == 200 and marked.get_json()["read_at"] is not None
    browser.login("rev1@test.example")
    assert "Notifications: 2 unread" in browser.last_html
    browser.get("/notifications")
    browser.post("/notifications/read-all", follow_redirects=True)
    assert "Marked 2 notifications read." in browser.last_html
    assert "Notifications: 0 unread" in browser.last_html


def test_without_smtp_mail_is_written_as_eml_files_and_the_log_says_so(
    reviewers: Api, caplog: pytest.LogCaptureFixture
) -> None:
    from server import mail, notifications
    from server.db import db
    from server.models import Notification, User

    app = reviewers.app
    assert app.config["SMTP_URL"] is None
    with app.app_context():
        rev2 = db.session.scalar(select(User).where(User.email == "rev2@test.example"))
        (row,) = notifications.notify([rev2], kind="nudge", title="Reminder: “Review” is due in 1 h",
                                      body="In Contract #7.", link="/tasks/abc")
        db.session.commit()
        with caplog.at_level("INFO", logger="server.mail"):
            assert mail.send_notification(row.id) == "written"
        assert mail.send_notification(row.id) == "skipped"  # once only
        stored = db.session.get(Notification, row.id, populate_existing=True)
        assert stored is not None and stored.email_status == "sent" and stored.email_attempts == 1
    eml = Path(app.config["INSTANCE_DIR"]) / "mail" / f"notification-{row.id}.eml"
    text = eml.read_text()
    assert "To: rev2@test.example" in text and "Subject: [Baton] Reminder:" in text
    assert "In Baton: /tasks/abc" in text
    assert "SMTP_URL is not set" in caplog.text and str(eml) in caplog.text
