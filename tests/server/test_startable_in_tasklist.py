"""`camunda:isStartableInTasklist="false"` (Camunda's reviewInvoice.bpmn, unchanged): the process is not
offered to people (catalog page, API list, start page and start call refuse it, saying it is started by
other processes), while the call activity of invoice.v2 still starts it; versions deployed before the
flag was read get it from their deployed file when the database is upgraded."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.bpmn.helpers import corpus_files
from tests.server.pages_helpers import make_user, text

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

INVOICE = "camunda-invoice/examples/invoice/src/main/resources/invoice.v2.bpmn"
ADMIN = "admin@test.example"
MANAGER = "mgr@test.example"
INVOICE_DATA = {"creditor": "Great Pizza for Everyone Inc.", "amount": "900", "invoiceCategory": "Misc",
                "invoiceNumber": "GPFE-9"}


def _deploy(api: Api) -> None:
    response = api.deploy(ADMIN, files=corpus_files(INVOICE))
    assert response.status_code == 201, response.get_json()


def test_the_api_lists_it_as_not_startable_and_refuses_a_start_by_a_person(api: Api) -> None:
    _deploy(api)
    listed = api.call("GET", "/api/v1/processes", ADMIN).get_json()
    flags = {p["id"]: (p["startable"], p["startable_in_tasklist"]) for p in listed}
    assert flags == {"invoice": (True, True), "ReviewInvoice": (False, False)}
    response = api.start("ReviewInvoice", ADMIN, {"reviewer": ADMIN})
    assert response.status_code == 403
    assert response.get_json()["error"] == "started_by_other_processes"
    message = response.get_json()["message"]
    assert "started by other processes" in message and 'camunda:isStartableInTasklist="false"' in message
    assert api.call("GET", "/api/v1/instances", ADMIN).get_json() == []


def test_the_call_activity_still_starts_it(api: Api) -> None:
    _deploy(api)
    api.user(MANAGER, groups=("management",))
    started = api.start("invoice", ADMIN, INVOICE_DATA)
    assert started.status_code == 201, started.get_json()
    [approve] = started.get_json()["open_tasks"]
    after = api.complete(approve["id"], MANAGER, {"approved": False})
    assert after.status_code == 200, after.get_json()
    [assign] = after.get_json()["open_tasks"]
    assert (assign["process_id"], assign["element_id"]) == ("ReviewInvoice", "assignReviewer")


def test_the_catalog_page_does_not_offer_it_and_its_start_page_says_why(api: Api, browser: Browser) -> None:
    _deploy(api)
    make_user(api.app, "analyst@test.example", roles=("analyst",))
    browser.login("analyst@test.example")
    page = text(browser.get("/processes").get_data(as_text=True))
    assert "Review Invoice v1 ReviewInvoice No description in the model. Started by other processes" in page
    html = browser.last_html
    assert "/processes/ReviewInvoice/start" not in html and "/processes/invoice/start" in html
    refused = browser.get("/processes/ReviewInvoice/start")
    assert refused.status_code == 403
    assert "is started by other processes (a call activity), not by a person" in text(browser.last_html)
    browser.get("/processes/invoice/start")  # a page with a CSRF token, then post as a browser would
    posted = browser.post("/processes/ReviewInvoice/start", {"reviewer": ADMIN})
    assert posted.status_code == 403


def test_upgrading_marks_versions_deployed_before(db_url: str, redis_url: str, tmp_path: Path) -> None:
    from sqlalchemy import text as sql

    from server import create_app, db_setup
    from server.db import db

    app: Flask = create_app({"DATABASE_URL": db_url, "REDIS_URL": redis_url, "SECRET_KEY": "test-secret",
                             "INSTANCE_DIR": str(tmp_path / "instance"), "TESTING": True})
    try:
        db_setup.upgrade(app, "0008")
        files = corpus_files(INVOICE)
        with app.app_context(), db.engine.begin() as conn:
            _insert_deployment(conn, files, {"invoice": "invoice.v2.bpmn",
                                             "ReviewInvoice": "reviewInvoice.bpmn"})
        db_setup.upgrade(app)
        with app.app_context(), db.engine.connect() as conn:
            rows = conn.execute(sql("SELECT process_id, startable, startable_in_tasklist "
                                    "FROM process_versions"))
            flags = {pid: (bool(startable), bool(in_tasklist)) for pid, startable, in_tasklist in rows}
        assert flags == {"invoice": (True, True), "ReviewInvoice": (False, False)}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _insert_deployment(conn: Any, files: dict[str, bytes], processes: dict[str, str]) -> None:
    """A deployment as revision 0008 stored it (the spec text is not read by the upgrade)."""
    from sqlalchemy import text as sql

    now = datetime(2026, 11, 30, 12, 0)
    conn.execute(sql("INSERT INTO deployments (id, checksum, created_at, warnings) "
                     "VALUES (1, 'c', :now, '[]')"), {"now": now})
    for name, content in files.items():
        conn.execute(sql("INSERT INTO deployment_files (deployment_id, name, content, sha256) "
                         "VALUES (1, :name, :content, :sha)"),
                     {"name": name, "content": content, "sha": hashlib.sha256(content).hexdigest()})
    for process_id, file in processes.items():
        conn.execute(sql(
            "INSERT INTO process_versions (deployment_id, process_id, name, version, file, checksum, "
            "documentation, start_form, starter_groups, starter_users, startable, definition, created_at) "
            "VALUES (1, :pid, :pid, 1, :file, 'c', '', '[]', '[]', '[]', :yes, :definition, :now)"),
            {"pid": process_id, "file": file, "yes": True, "definition": json.dumps({}), "now": now})
