"""Erased personal data reads as words wherever it shows: "Erased on <date> by <admin> (record #N)" on
the instance timeline, the task page, the audit page and the progress timeline, never the marker's raw
keys; and the engine's steps read as a sentence on the audit page."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import select

from tests.server.pages_helpers import text
from tests.server.test_audit_erasure import ADMIN, CLERK, _claim, _erase, _setup

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

RAW_KEYS = ("_erased", "'fields'", '"fields"', "'record'", '"record"')


def _said(record: int, at: str) -> str:
    """The words for an erasure by the admin, from its marker's time and record."""
    return f"Erased on {datetime.fromisoformat(at):%Y-%m-%d %H:%M} UTC by {ADMIN} (record #{record})"


def _marker(app: Flask, iid: int, kind: str) -> dict[str, Any]:
    from server.db import db
    from server.models import Event

    with app.app_context():
        query = select(Event.data).where(Event.instance_id == iid, Event.kind == kind)
        data = db.session.scalars(query).first()
    assert isinstance(data, dict) and data.get("_erased") is True, data
    return data


def _erased_instance(app: Flask, api: Api) -> tuple[int, str]:
    _setup(api)
    iid = _claim(api, CLERK, purpose="Dinner with Dr. Who")
    [plan] = _erase(app, reason="DPO-7", instance_id=iid)
    marker = _marker(app, iid, "task_completed")
    assert marker["record"] == plan.record_seq
    return iid, _said(plan.record_seq, marker["at"])


def _no_raw_marker(html: str) -> None:
    for key in RAW_KEYS:
        assert key not in html, key


def test_the_instance_timeline_says_who_erased_what_and_when(app: Flask, api: Api, browser: Browser) -> None:
    iid, said = _erased_instance(app, api)
    browser.login(ADMIN)
    page = browser.get(f"/instances/{iid}").get_data(as_text=True)
    history = text(page.split('id="history-h"', 1)[1])
    assert history.count(said) >= 3  # the start, each task's opening and completion lost their data
    assert "Completed “Enter expense”" in history and "Dinner with Dr. Who" not in page
    assert "Data erased" in history and "Reason: DPO-7; from 6 events, 2 task submissions" in history
    _no_raw_marker(page)


def test_an_erased_submission_reads_as_its_erasure_on_the_task_page(
        app: Flask, api: Api, browser: Browser) -> None:
    from server.db import db
    from server.models import Task

    iid, said = _erased_instance(app, api)
    with app.app_context():
        query = select(Task.id).where(Task.instance_id == iid, Task.element_id == "enter")
        task_id = db.session.scalar(query)
    browser.login(ADMIN)
    response = browser.get(f"/tasks/{task_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    completed = text(page.split('id="done-h"', 1)[1].split("</section>", 1)[0])
    assert f"Submitted values {said}" in completed
    assert "No values were submitted" not in completed and "Dinner with Dr. Who" not in page
    _no_raw_marker(page)


def test_the_audit_page_words_erasures_and_the_engines_steps(app: Flask, api: Api, browser: Browser) -> None:
    iid, said = _erased_instance(app, api)
    browser.login(ADMIN)
    page = browser.get(f"/instances/{iid}/audit").get_data(as_text=True)
    table = text(page.split('id="audit-events"', 1)[1])
    assert said in table
    # The start passed the start event; the approval the gateway, the script and the end event.
    assert "Engine passed: Claim started (start), 1 flow" in table
    assert "Engine passed: Approved? (gateway) → Book amount → Booked (end), 3 flows" in table
    assert "Engine moved on to: Approve expense, 1 flow" in table  # from one person's task to the next
    assert "The engine's record" in table  # the raw data stays, folded away


def test_the_progress_timeline_says_who_erased_what(app: Flask, api: Api, browser: Browser) -> None:
    _setup(api)
    iid = _claim(api, CLERK, approve=False)  # still running: the progress view is live
    [plan] = _erase(app, reason="DPO-8", email=CLERK, instance_id=iid)
    said = _said(plan.record_seq, _marker(app, iid, "task_completed")["at"])

    body = api.call("GET", f"/api/v1/instances/{iid}/progress", ADMIN).get_json()
    completed = [t for t in body["timeline"] if t["kind"] == "task_completed"]
    assert completed == [{"at": completed[0]["at"], "kind": "task_completed", "element_id": "enter",
                          "name": "Enter expense", "actor": "name erased", "erased": said}]
    assert all("erased" not in t for t in body["timeline"] if t["kind"] == "task_opened")
    assert CLERK not in str(body["timeline"])

    browser.login(ADMIN)
    page = browser.get(f"/instances/{iid}").get_data(as_text=True)
    timeline = text(page.split('data-part="timeline"', 1)[1].split("</details>", 1)[0])
    assert f"task completed “Enter expense” · name erased · {said}" in timeline
    _no_raw_marker(page)


def test_the_diagram_history_names_no_erased_actor(app: Flask, api: Api) -> None:
    _setup(api)
    iid = _claim(api, CLERK, approve=False)
    _erase(app, reason="DPO-9", email=CLERK, instance_id=iid)
    body = api.call("GET", f"/api/v1/instances/{iid}/diagram", ADMIN).get_json()
    enter = [(e["title"], e["actor"]) for e in body["events"] if e["element_id"] == "enter"]
    assert ("Completed “Enter expense”", "name erased") in enter
    assert CLERK not in str(body["events"])


def test_engine_steps_in_words() -> None:
    from server.web.describe import engine_steps_happening, erased_text

    names = {"check": "Check amount", "gw": "Approve?", "wait": "Cool off"}
    said = engine_steps_happening({"elements": [{"id": "check", "type": "ScriptTask"},
                                                {"id": "gw", "type": "ExclusiveGateway"}],
                                   "flows": [["start", "check"], ["check", "gw"]]}, names)
    assert said.title == "Engine passed: Check amount → Approve? (gateway), 2 flows"
    assert (said.actor, said.note) == ("Baton", None)
    many = engine_steps_happening({"elements": [{"id": f"s{i}", "type": "ScriptTask"} for i in range(9)],
                                   "reached": [{"id": "wait", "type": "IntermediateCatchEvent", "task": "t"}],
                                   "left": ["t0"]}, names)
    assert many.title == "Engine passed: s0 → s1 → s2 → s3 → s4 → s5 and 3 more"
    assert many.note == "Began waiting at: Cool off (event); Cancelled 1 wait"
    assert engine_steps_happening({"left": ["a", "b"]}, {}).title == "Engine cancelled 2 waits"
    assert engine_steps_happening({"reached": [{"id": "wait", "type": "IntermediateCatchEvent"}],
                                   "flows": [["gw", "wait"]]}, names).title == (
        "Engine began waiting at: Cool off (event), 1 flow")
    marker = {"_erased": True, "by": ADMIN, "at": "2026-03-04T05:06:07Z", "record": 12, "fields": ["data"]}
    assert erased_text(marker) == f"Erased on 2026-03-04 05:06 UTC by {ADMIN} (record #12)"
