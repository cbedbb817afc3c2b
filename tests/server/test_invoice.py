"""Camunda's invoice example (invoice.v2 + reviewInvoice + its DMN, unchanged) end to end through the API.

Deployed as Camunda ships it: the data store is documentation, the embedded forms become generated
ones, the task listeners are reported as not run, and the Java class of "Archive Invoice" is bound
by configuration to the http connector with parameters, so a real worker POSTs the invoice to a real
local HTTP server. Each branch: approved at once (the DMN picks accounting and sales), rejected and
not clarified, rejected then clarified and approved (the DMN picks management).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from flask import Flask

from tests.bpmn.helpers import corpus_files
from tests.idempotent_http import IdempotentServer
from tests.server.timer_cluster import ADMIN, Cluster

pytestmark = pytest.mark.timeout(120)

INVOICE = "camunda-invoice/examples/invoice/src/main/resources/invoice.v2.bpmn"
ARCHIVE = "org.camunda.bpm.example.invoice.service.ArchiveInvoiceService"
ACCOUNTANT = "acct@test.example"
MANAGER = "mgr@test.example"
SALES = "sales@test.example"
REVIEWER = "rev@test.example"


class Invoices(Cluster):
    """The cluster, the archive's HTTP server, and API calls as any of the test's users."""

    def __init__(self, app: Flask, db_url: str, redis_url: str, folder: Any) -> None:
        super().__init__(app, db_url, redis_url, folder)
        self.http = IdempotentServer().start()
        self.tokens: dict[str, str] = {}

    def bindings(self) -> dict[str, Any]:
        return {ARCHIVE: {"connector": "http", "params": {
            "method": "POST", "url": f"{self.http.url}/archive/${{invoiceNumber}}",
            "json": {"invoiceNumber": "${invoiceNumber}", "amount": "${amount}", "creditor": "${creditor}"}}}}

    def api(self, method: str, path: str, user: str, **kwargs: Any) -> Any:
        from server import people
        from server.db import db

        if user not in self.tokens:
            with self.app.app_context():
                found = people.find_user(user)
                assert found is not None
                _, self.tokens[user] = people.create_token(found)
                db.session.commit()
        return self.app.test_client().open(path, method=method,
                                           headers={"Authorization": f"Bearer {self.tokens[user]}"}, **kwargs)

    def open_task(self, instance_id: int, user: str) -> dict[str, Any]:
        response = self.api("GET", "/api/v1/tasks", user, query_string={"instance_id": instance_id})
        assert response.status_code == 200, response.get_json()
        [task] = [t for t in response.get_json() if t["state"] == "open"]
        return dict(task)

    def complete(self, instance_id: int, user: str, element_id: str, data: dict[str, Any]) -> dict[str, Any]:
        task = self.open_task(instance_id, user)
        assert task["element_id"] == element_id, task
        response = self.api("POST", f"/api/v1/tasks/{task['id']}/complete", user, json={"data": data})
        assert response.status_code == 200, response.get_json()
        return dict(response.get_json())


def _events(db: Any, event: Any, instance_id: int) -> list[str]:
    from sqlalchemy import select

    rows = db.session.scalars(select(event).where(event.instance_id == instance_id).order_by(event.seq)).all()
    return [f"{row.kind}:{row.element_id or ''}" for row in rows
            if row.kind in ("task_completed", "service_call_succeeded", "instance_completed")]


@pytest.fixture(scope="module")
def invoices(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Invoices]:
    from server import create_app, db_setup, people
    from server.db import db

    folder = tmp_path_factory.mktemp("invoice")
    db_url = f"sqlite:///{folder / 'baton.sqlite3'}"
    cluster = Invoices(Flask("placeholder"), db_url, redis_url, folder)
    app: Flask = create_app({
        "DATABASE_URL": db_url, "REDIS_URL": redis_url, "INSTANCE_DIR": str(folder / "instance"),
        "SECRET_KEY": "test-secret", "TESTING": True, "BATON_PASSWORD_HASH": "pbkdf2:sha256:1000",
        "BATON_CONNECTOR_BINDINGS": cluster.bindings(),
    })
    cluster.app = app
    db_setup.upgrade(app)
    with app.app_context():
        people.save_user(ADMIN, password="password-123", roles=("admin",))
        for email, group in ((ACCOUNTANT, "accounting"), (MANAGER, "management"), (SALES, "sales"),
                             (REVIEWER, "reviewers")):
            people.save_user(email, password="password-123", roles=("participant",), groups=(group,))
        db.session.commit()
    cluster.redis.flushdb()
    cluster.start_workers(1, BATON_CONNECTOR_BINDINGS=json.dumps(cluster.bindings()))
    try:
        yield cluster
    finally:
        cluster.stop_workers()
        cluster.http.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        cluster.redis.flushdb()


@pytest.fixture(scope="module")
def deployed(invoices: Invoices) -> dict[str, Any]:
    files = corpus_files(INVOICE)
    data = {"files": [(BytesIO(content), name) for name, content in files.items()]}
    response = invoices.api("POST", "/api/v1/deployments", ADMIN, data=data,
                            content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def start(invoices: Invoices, amount: str, category: str, number: str) -> dict[str, Any]:
    # amount is a text field (Camunda forms have no decimal type); the DMN reads it as a double
    data = {"creditor": "Great Pizza for Everyone Inc.", "amount": amount, "invoiceCategory": category,
            "invoiceNumber": number}
    response = invoices.api("POST", "/api/v1/processes/invoice/instances", ADMIN, json={"data": data})
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def test_the_deployment_says_what_baton_does_instead(deployed: dict[str, Any]) -> None:
    warnings = {(w["element_id"], w["message"].split(" ")[0]) for w in deployed["warnings"]}
    assert ("DataStoreReference_1", "data") in warnings
    assert ("StartEvent_1", "camunda:formKey") in warnings
    assert ("reviewInvoice", "camunda:formKey") in warnings
    assert ("approveInvoice", "camunda:taskListener") in warnings
    # the Java class is bound on this server: no warning about it
    assert not [w for w in deployed["warnings"] if ARCHIVE in w["message"]]
    assert sorted(p["id"] for p in deployed["processes"]) == ["ReviewInvoice", "invoice"]


def test_approved_at_once_the_archive_is_called_through_the_worker(invoices: Invoices, deployed: Any) -> None:
    instance = start(invoices, "30.00", "Misc", "GPFE-1")
    [approve] = instance["open_tasks"]
    assert approve["element_id"] == "approveInvoice"
    assert sorted(approve["candidate_groups"]) == ["accounting", "sales"]
    assert [f["id"] for f in approve["form"]["fields"]] == ["approved"]
    due_in = _days_until(approve["due_at"], instance["started_at"])
    assert 6.9 < due_in < 7.1  # ${dateTime().plusWeeks(1).toDate()}
    invoices.complete(instance["id"], SALES, "approveInvoice", {"approved": True})
    after = invoices.complete(instance["id"], ACCOUNTANT, "prepareBankTransfer", {})
    assert [w["element_id"] for w in after["waiting"]] == ["ServiceTask_1"]
    invoices.wait_for(lambda: invoices.instance(instance["id"]).status == "completed", 30, "the archive call")
    [call] = invoices.http.seen("/archive/GPFE-1")
    assert call.method == "POST"
    assert call.body == {"invoiceNumber": "GPFE-1", "amount": "30.00",
                         "creditor": "Great Pizza for Everyone Inc."}
    assert invoices.query(lambda: _events_of(instance["id"])) == [
        "task_completed:approveInvoice", "task_completed:prepareBankTransfer",
        "service_call_succeeded:ServiceTask_1", "instance_completed:"]


def test_rejected_and_not_clarified_ends_unprocessed(invoices: Invoices, deployed: Any) -> None:
    instance = start(invoices, "900", "Misc", "GPFE-2")
    [approve] = instance["open_tasks"]
    assert approve["candidate_groups"] == ["management"]
    after = invoices.complete(instance["id"], MANAGER, "approveInvoice", {"approved": False})
    [assign] = after["open_tasks"]
    assert (assign["element_id"], assign["assignee"]) == ("assignReviewer", "demo")
    invoices.complete(instance["id"], ADMIN, "assignReviewer", {"reviewer": REVIEWER})
    done = invoices.complete(instance["id"], REVIEWER, "reviewInvoice", {"clarified": False})
    assert done["status"] == "completed"
    assert invoices.http.seen("/archive/GPFE-2") == []
    assert "reviewer" not in done["data"]  # camunda:out hands back only `clarified`
    assert invoices.query(lambda: _events_of(instance["id"])) == [
        "task_completed:approveInvoice", "task_completed:assignReviewer", "task_completed:reviewInvoice",
        "instance_completed:"]


def test_rejected_clarified_then_approved_is_archived(invoices: Invoices, deployed: Any) -> None:
    instance = start(invoices, "5000", "Software License Costs", "GPFE-3")
    invoices.complete(instance["id"], MANAGER, "approveInvoice", {"approved": False})
    invoices.complete(instance["id"], ADMIN, "assignReviewer", {"reviewer": REVIEWER})
    again = invoices.complete(instance["id"], REVIEWER, "reviewInvoice", {"clarified": True})
    [approve] = again["open_tasks"]
    assert (approve["element_id"], approve["candidate_groups"]) == ("approveInvoice", ["management"])
    invoices.complete(instance["id"], MANAGER, "approveInvoice", {"approved": True})
    invoices.complete(instance["id"], ACCOUNTANT, "prepareBankTransfer", {})
    invoices.wait_for(lambda: invoices.instance(instance["id"]).status == "completed", 30, "the archive call")
    assert len(invoices.http.seen("/archive/GPFE-3")) == 1
    assert invoices.query(lambda: _events_of(instance["id"])) == [
        "task_completed:approveInvoice", "task_completed:assignReviewer", "task_completed:reviewInvoice",
        "task_completed:approveInvoice", "task_completed:prepareBankTransfer",
        "service_call_succeeded:ServiceTask_1", "instance_completed:"]


def _events_of(instance_id: int) -> list[str]:
    from server.db import db
    from server.models import Event

    return _events(db, Event, instance_id)


def _days_until(due_at: str, started_at: str) -> float:
    from datetime import datetime

    delta: timedelta = datetime.fromisoformat(due_at) - datetime.fromisoformat(started_at)
    return delta.total_seconds() / 86400


def test_the_start_page_shows_the_data_store_as_documentation(invoices: Invoices, deployed: Any) -> None:
    from server import people
    from server.db import db

    client = invoices.app.test_client()
    with invoices.app.app_context():
        user = people.find_user(ADMIN)
        assert user is not None
        user_id = user.id
        db.session.remove()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    page = client.get("/processes/invoice/start")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Data it works with" in text
    assert "<strong>Financial Accounting System</strong> (data store): read by Prepare Bank Transfer" in text
    assert 'name="amount"' in text and 'name="invoiceCategory"' in text
