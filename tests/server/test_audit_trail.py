"""The audit trail: the verify-audit command, the instance audit page with filters, exports and verify."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import update

from tests.server.pages_helpers import make_user, text

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
CLERK = "clerk@test.example"
AUDITOR = "audrey@test.example"


def _run_expense(api: Api, purpose: str = "tea") -> int:
    if CLERK not in api.tokens:
        api.user(CLERK, groups=("clerks",))
        api.deploy(ADMIN, "expense.bpmn")
    iid: int = api.start("expense_claim", CLERK).get_json()["id"]
    [task] = api.tasks(CLERK, instance_id=iid)
    api.complete(task["id"], CLERK, {"amount": 2, "purpose": purpose})
    return iid


def _tamper(app: Flask, iid: int, seq: int, **values: Any) -> None:
    from server.db import db
    from server.models import Event

    with app.app_context():
        db.session.execute(update(Event).where(Event.instance_id == iid, Event.seq == seq).values(**values))
        db.session.commit()


def test_verify_audit_command_says_intact_or_where_it_breaks(app: Flask, api: Api) -> None:
    first, second = _run_expense(api), _run_expense(api)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output
    assert f"Instance {first}: intact (7 events)." in result.output
    assert "2 of 2 chains intact." in result.output

    _tamper(app, second, 5, data={"amount": 2000, "purpose": "tea"})
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1
    assert f"Instance {second}: BROKEN at event 5: its data was changed." in result.output
    assert "1 of 2 chains intact." in result.output
    one = runner.invoke(args=["verify-audit", str(first)])
    assert one.exit_code == 0 and one.output.strip() == f"Instance {first}: intact (7 events)."
    missing = runner.invoke(args=["verify-audit", "999"])
    assert missing.exit_code == 2 and "instance 999 does not exist" in missing.output


def test_audit_page_lists_events_with_filters(app: Flask, api: Api, browser: Browser) -> None:
    iid = _run_expense(api)
    browser.login(ADMIN)
    page = text(browser.get(f"/instances/{iid}/audit").get_data(as_text=True))
    assert "7 events" in page and "Started the instance" in page and "Completed “Enter expense”" in page
    filtered = browser.get(f"/instances/{iid}/audit", query_string={"kind": "task_completed"})
    rows = filtered.get_data(as_text=True).split('<tbody>', 1)[1].count("<tr>")
    assert rows == 1
    by_actor = browser.get(f"/instances/{iid}/audit", query_string={"actor": "CLERK@", "element": "enter"})
    assert by_actor.get_data(as_text=True).split('<tbody>', 1)[1].count("<tr>") == 2  # claimed + completed
    none = browser.get(f"/instances/{iid}/audit", query_string={"until": "2000-01-01"})
    assert "No events match these filters." in none.get_data(as_text=True)
    bad = browser.get(f"/instances/{iid}/audit", query_string={"since": "yesterday"})
    assert bad.status_code == 400


def test_exports_as_csv_and_json_follow_the_filters(app: Flask, api: Api, browser: Browser) -> None:
    iid = _run_expense(api, purpose="=HYPERLINK(\"http://evil\")")
    browser.login(ADMIN)
    response = browser.get(f"/instances/{iid}/audit", query_string={"format": "csv"})
    assert response.mimetype == "text/csv"
    assert f'filename="instance-{iid}-audit.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["seq"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    completed = next(r for r in rows if r["kind"] == "task_completed")
    assert json.loads(completed["data"])["purpose"].startswith("=HYPERLINK")
    assert all(not cell.startswith("=") for r in rows for cell in r.values())

    response = browser.get(f"/instances/{iid}/audit", query_string={"format": "json", "element": "enter"})
    body = json.loads(response.get_data(as_text=True))
    assert body["filters"] == {"element": "enter"}
    assert [e["kind"] for e in body["events"]] == ["task_opened", "task_claimed", "task_completed"]
    assert all(len(e["hash"]) == 64 for e in body["events"])


def test_verify_chain_on_the_page(app: Flask, api: Api, browser: Browser) -> None:
    iid = _run_expense(api)
    make_user(app, AUDITOR, roles=("auditor",))
    browser.login(AUDITOR)
    page = browser.get(f"/instances/{iid}/audit", query_string={"verify": "1"}).get_data(as_text=True)
    assert "The chain is intact." in page and "All 7 events verify" in page
    _tamper(app, iid, 3, actor="mallory@test.example")
    page = browser.get(f"/instances/{iid}/audit", query_string={"verify": "1"}).get_data(as_text=True)
    assert "The chain is broken at event 3:" in text(page)


def test_auditors_read_everything_and_change_nothing(app: Flask, api: Api, browser: Browser) -> None:
    iid = _run_expense(api)
    make_user(app, AUDITOR, roles=("auditor",))
    make_user(app, "nosy@test.example")
    browser.login("nosy@test.example")
    assert browser.get(f"/instances/{iid}/audit").status_code == 404
    browser.post("/logout")
    browser.login(AUDITOR)
    assert browser.get(f"/instances/{iid}/audit").status_code == 200
    assert browser.get(f"/instances/{iid}").status_code == 200
    assert browser.get("/models").status_code == 403
    browser.get(f"/instances/{iid}")
    assert browser.post(f"/instances/{iid}/cancel").status_code == 403
    assert browser.post("/models", {"name": "x"}).status_code == 403
