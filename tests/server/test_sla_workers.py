"""SLA ladders fired by real `flask --app wsgi worker` processes, mail delivered to a real SMTP server
(aiosmtpd): nudges e-mail the candidates, escalation reaches the group's leads, reassignment moves
the task, completion cancels the ladder for good, a failed send is retried, and without SMTP_URL
the worker writes .eml files. Ladders of a few seconds.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from server.redis_conn import free_port
from tests.server.timer_cluster import Cluster, new_app

pytestmark = pytest.mark.timeout(120)


class Inbox:
    """An aiosmtpd handler that keeps every message; `refuse` makes the next sends fail (451)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0
        self.refused = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse:
                self.refuse -= 1
                self.refused += 1
                return "451 Try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, str]]:
    """A real SMTP server on 127.0.0.1 and its SMTP_URL."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, inbox: tuple[Inbox, str]
) -> Iterator[Cluster]:
    """An app on a SQLite file with reviewers, a legal team (with a lead) and two workers sending mail."""
    from server import people
    from server.db import db

    folder = tmp_path_factory.mktemp("sla")
    app, db_url = new_app(folder, redis_url)
    with app.app_context():
        team: list[tuple[str, tuple[str, ...]]] = [
            ("rev1@test.example", ("reviewers",)), ("rev2@test.example", ("reviewers",)),
            ("lawyer@test.example", ("legal",)), ("slow@test.example", ()), ("backup@test.example", ())]
        for email_address, groups in team:
            people.save_user(email_address, password="password-123", groups=groups)
        people.save_user("legal-lead@test.example", password="password-123", groups=("legal",),
                         lead_of=("legal",))
        db.session.commit()
    cluster = Cluster(app, db_url, redis_url, folder)
    cluster.redis.flushdb()
    cluster.deploy("sla_nudge_candidates.bpmn", "sla_escalate_to_leads.bpmn", "sla_reassign_to_user.bpmn",
                   "sla_ladder_cancelled_by_completion.bpmn")
    cluster.start_workers(2, SMTP_URL=inbox[1], BATON_MAIL_RETRY_S="1,1,1")
    try:
        yield cluster
    finally:
        cluster.stop_workers()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        cluster.redis.flushdb()


def _task(cluster: Cluster, instance_id: int) -> Any:
    from server.db import db
    from server.models import Task

    def run() -> Any:
        row = db.session.scalar(select(Task).where(Task.instance_id == instance_id))
        db.session.expunge_all()
        return row

    return cluster.query(run)


def _subjects(messages: list[EmailMessage]) -> list[str]:
    return [str(m["Subject"]) for m in messages]


def test_nudges_before_and_at_due_email_every_candidate(cluster: Cluster, inbox: tuple[Inbox, str]) -> None:
    handler, _ = inbox
    instance_id = cluster.start("sla_nudge_candidates")  # due in 3 s; nudges at 1 s and 3 s
    cluster.wait_for(lambda: len(cluster.events(instance_id, "sla_nudged")) == 2, 10, "two nudges")
    nudges = cluster.events(instance_id, "sla_nudged")
    assert [e.data["count"] for e in nudges] == [1, 2]
    assert sorted(nudges[0].data["to"]) == ["rev1@test.example", "rev2@test.example"]
    for address in ("rev1@test.example", "rev2@test.example"):
        cluster.wait_for(lambda a=address: len(handler.to(a)) == 2, 10, f"two mails to {address}")
        subjects = _subjects(handler.to(address))
        assert subjects == ["[Baton] Reminder: “Review the draft” is due in less than a minute",
                            "[Baton] Reminder: “Review the draft” is due now"]
    task = _task(cluster, instance_id)
    assert task.nudge_count == 2 and task.last_nudged_at is not None
    assert [t.status for t in cluster.timers(task_id=task.id, kind="sla")] == ["fired", "fired"]


def test_escalation_reaches_the_leads_of_the_candidate_group(
    cluster: Cluster, inbox: tuple[Inbox, str]
) -> None:
    handler, _ = inbox
    instance_id = cluster.start("sla_escalate_to_leads")  # due in 1 s; escalate 1 s after
    cluster.wait_for(lambda: cluster.events(instance_id, "sla_escalated"), 10, "the escalation")
    (event,) = cluster.events(instance_id, "sla_escalated")
    assert event.data["escalated_to"] == "legal leads" and event.data["to"] == ["legal-lead@test.example"]
    task = _task(cluster, instance_id)
    assert task.escalated_to == "legal leads" and task.escalated_at >= task.due_at
    cluster.wait_for(lambda: handler.to("legal-lead@test.example"), 10, "the lead's mail")
    (mail,) = handler.to("legal-lead@test.example")
    assert str(mail["Subject"]).startswith("[Baton] Escalated to you: “Check the clause” is overdue")
    assert f"/tasks/{task.id}" in mail.get_content()
    assert not handler.to("lawyer@test.example")  # members are not the leads
    client = cluster.app.test_client()
    cluster.app.config["WTF_CSRF_ENABLED"] = False
    try:
        client.post("/login", data={"email": "legal-lead@test.example", "password": "password-123"})
        page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    finally:
        cluster.app.config["WTF_CSRF_ENABLED"] = True
    assert "escalated to legal leads" in page and "badge--sla-escalated" in page
    api = client.get(f"/api/v1/tasks/{task.id}").get_json()
    assert api["sla_state"] == "escalated" and api["sla"]["escalated_to"] == "legal leads"


def test_reassignment_moves_the_task_and_tells_the_new_owner(
    cluster: Cluster, inbox: tuple[Inbox, str]
) -> None:
    handler, _ = inbox
    instance_id = cluster.start("sla_reassign_to_user")  # slow@ holds it; to backup@ 1 s after due
    assert _task(cluster, instance_id).assignee == "slow@test.example"
    cluster.wait_for(lambda: handler.to("slow@test.example"), 10, "the assignment mail")
    assert _subjects(handler.to("slow@test.example")) == ["[Baton] New task for you: “Sign the order”"]
    cluster.wait_for(lambda: cluster.events(instance_id, "sla_reassigned"), 10, "the reassignment")
    (event,) = cluster.events(instance_id, "sla_reassigned")
    assert (event.data["previous"], event.data["to"]) == ("slow@test.example", "backup@test.example")
    task = _task(cluster, instance_id)
    assert task.assignee == "backup@test.example" and task.state == "open"
    cluster.wait_for(lambda: handler.to("backup@test.example"), 10, "the new owner's mail")
    (subject,) = _subjects(handler.to("backup@test.example"))
    assert subject.startswith("[Baton] Reassigned to you: “Sign the order” is overdue")


def test_completing_the_task_cancels_the_ladder_so_it_never_fires(
    cluster: Cluster, inbox: tuple[Inbox, str]
) -> None:
    from server import runtime
    from server.db import db
    from server.models import User

    handler, _ = inbox
    before = len(handler.messages)
    instance_id = cluster.start("sla_ladder_cancelled_by_completion")  # nudge at 1 s, 2 s; more after
    task = _task(cluster, instance_id)
    with cluster.app.app_context():
        rev1 = db.session.scalar(select(User).where(User.email == "rev1@test.example"))
        runtime.complete_task(task.id, rev1, {})
        db.session.remove()
    time.sleep(5)  # past every step of the ladder
    assert [t.status for t in cluster.timers(task_id=task.id, kind="sla")] == ["cancelled"] * 4
    for kind in ("sla_nudged", "sla_escalated", "sla_reassigned"):
        assert cluster.events(instance_id, kind) == []
    assert len(handler.messages) == before


def test_a_refused_mail_is_retried_until_it_is_accepted(cluster: Cluster, inbox: tuple[Inbox, str]) -> None:
    from server import notifications
    from server.db import db
    from server.models import Notification, User

    handler, _ = inbox
    handler.refuse = 2
    cluster.app.config["BATON_MAIL_RETRY_S"] = "1,1,1"
    with cluster.app.app_context():
        backup = db.session.scalar(select(User).where(User.email == "backup@test.example"))
        (row,) = notifications.notify([backup], kind="info", title="Retry me")
        notification_id = row.id
        db.session.commit()
        from server.runtime import run_after_commit

        run_after_commit()  # what runtime.retrying does after its commit: enqueue the mail job
        db.session.remove()
    cluster.wait_for(lambda: "[Baton] Retry me" in _subjects(handler.to("backup@test.example")), 15,
                     "the retried mail")
    assert handler.refused == 2

    def recorded() -> tuple[str, int]:  # the worker records "sent" just after the server took the mail
        stored = cluster.query(lambda: db.session.get(Notification, notification_id))
        return stored.email_status, stored.email_attempts

    cluster.wait_for(lambda: recorded() == ("sent", 3), 10, "the mail recorded as sent on the third try")


def test_without_smtp_url_the_worker_writes_eml_files(cluster: Cluster) -> None:
    """Last in the module: swaps the workers for one without SMTP_URL."""
    cluster.stop_workers()
    cluster.start_workers(1, SMTP_URL="")
    instance_id = cluster.start("sla_reassign_to_user")
    folder = Path(cluster.folder) / "instance" / "mail"
    cluster.wait_for(lambda: cluster.events(instance_id, "sla_reassigned"), 10, "the reassignment")
    cluster.wait_for(lambda: len(list(folder.glob("*.eml"))) >= 2, 10, ".eml files")
    texts = [p.read_text() for p in folder.glob("*.eml")]
    assert any("To: slow@test.example" in t and "New task for you" in t for t in texts)
    assert any("To: backup@test.example" in t and "Reassigned to you" in t for t in texts)
    assert "SMTP_URL is not set: wrote the mail" in cluster.log_text()
