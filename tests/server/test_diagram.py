"""The live diagram endpoint: element states and flows taken, read from the projection; the page's card."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.server.pages_helpers import FIXTURES

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
CLERK = "clerk@test.example"


def _diagram(api: Api, iid: int, as_user: str = ADMIN) -> Any:
    response = api.call("GET", f"/api/v1/instances/{iid}/diagram", as_user)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _states(body: dict[str, Any]) -> dict[str, str]:
    return {k: v["state"] for k, v in body["elements"].items()}


def test_diagram_follows_an_instance_from_task_to_task(api: Api) -> None:
    api.user(CLERK, groups=("clerks",))
    api.deploy(ADMIN, "expense.bpmn")
    iid = api.start("expense_claim", CLERK).get_json()["id"]

    body = _diagram(api, iid)
    assert body["xml"] == (FIXTURES / "expense.bpmn").read_text()
    assert body["status"] == "running"
    assert _states(body) == {"start": "completed", "enter": "active"}
    assert body["elements"]["enter"]["owner"] == "offered to clerks (group)"
    assert body["elements"]["enter"]["overdue"] is False
    assert body["flows_taken"] == ["s1"]
    assert [e["kind"] for e in body["events"]] == ["task_opened"]

    [task] = api.tasks(CLERK, instance_id=iid)
    api.complete(task["id"], CLERK, {"amount": 3, "purpose": "pens"})
    body = _diagram(api, iid)
    assert _states(body) == {"start": "completed", "enter": "completed", "approve": "active"}
    assert body["flows_taken"] == ["s1", "s2"]
    enter_events = [e["title"] for e in body["events"] if e["element_id"] == "enter"]
    assert enter_events == [
        "Task “Enter expense” opened", "Claimed “Enter expense”", "Completed “Enter expense”"
    ]
    assert {e["actor"] for e in body["events"] if e["kind"] == "task_completed"} == {CLERK}


def test_silent_elements_on_the_only_path_are_inferred(api: Api) -> None:
    api.user(CLERK, groups=("clerks",))
    api.deploy(ADMIN, "expense.bpmn")
    iid = api.start("expense_claim", CLERK).get_json()["id"]
    for who, data in ((CLERK, {"amount": 3, "purpose": "pens"}), (ADMIN, {"approved": False})):
        [task] = api.tasks(who, instance_id=iid)
        assert api.complete(task["id"], who, data).status_code == 200
    body = _diagram(api, iid)
    assert body["status"] == "completed"
    # After the gateway two end events could have been reached: nothing is guessed past it.
    assert _states(body) == {"start": "completed", "enter": "completed", "approve": "completed"}
    assert body["flows_taken"] == ["s1", "s2"]


def test_a_waiting_timer_is_marked_with_its_due_time(api: Api) -> None:
    api.deploy(ADMIN, files={"wait.bpmn": (FIXTURES / "waits_for_a_timer.bpmn").read_bytes()})
    iid = api.start("waits_for_a_timer", ADMIN).get_json()["id"]
    body = _diagram(api, iid)
    assert body["elements"]["pause"]["state"] == "waiting"
    assert body["elements"]["pause"]["due_at"]
    assert "timer" in body["elements"]["pause"]["wait"]
    assert body["flows_taken"] == ["f1"]


def test_overdue_and_failed_elements(app: Flask, api: Api) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from server.clock import utcnow
    from server.db import db
    from server.models import Incident, Task

    api.user(CLERK, groups=("clerks",))
    api.deploy(ADMIN, "expense.bpmn")
    iid = api.start("expense_claim", CLERK).get_json()["id"]
    with app.app_context():
        overdue = utcnow() - timedelta(hours=2)
        db.session.execute(update(Task).where(Task.instance_id == iid).values(due_at=overdue))
        db.session.add(Incident(instance_id=iid, element_id="total", kind="script", message="boom"))
        db.session.commit()
    body = _diagram(api, iid)
    assert body["elements"]["enter"]["overdue"] is True and body["elements"]["enter"]["due_at"]
    assert body["elements"]["total"] == {"state": "failed", "message": "boom"}


def test_only_people_who_may_see_the_instance_get_its_diagram(api: Api) -> None:
    api.user(CLERK, groups=("clerks",))
    api.user("nosy@test.example")
    api.user("audrey@test.example", roles=("auditor",))
    api.deploy(ADMIN, "expense.bpmn")
    iid = api.start("expense_claim", CLERK).get_json()["id"]
    assert api.call("GET", f"/api/v1/instances/{iid}/diagram", "nosy@test.example").status_code == 404
    assert _diagram(api, iid, "audrey@test.example")["status"] == "running"


def test_instance_page_has_the_diagram_card_with_a_legend(app: Flask, api: Api, browser: Browser) -> None:
    api.user(CLERK, groups=("clerks",))
    api.deploy(ADMIN, "expense.bpmn")
    iid = api.start("expense_claim", CLERK).get_json()["id"]
    browser.login(ADMIN)
    page = browser.get(f"/instances/{iid}").get_data(as_text=True)
    assert 'aria-labelledby="diagram-h"' in page and 'class="legend"' in page
    legend = ("completed", "active (owner and due time shown)", "overdue", "waiting for a timer or message",
              "failed (incident)", "sequence flow taken")
    for words in legend:
        assert words in page
    assert f'href="/instances/{iid}/audit"' in page
    assert "Open tasks" in page and "History" in page  # the page still says everything without JavaScript
    if app.static_folder and Path(app.static_folder, "dist", "viewer.js").exists():
        assert f'data-url="/api/v1/instances/{iid}/diagram"' in page and "dist/viewer.js" in page
    else:
        assert "The diagram viewer is not built on this server" in page
