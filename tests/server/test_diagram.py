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
    assert [(e["kind"], e["element_id"], e["title"]) for e in body["events"]] == [
        ("task_opened", "enter", "Task “Enter expense” opened"), ("engine_steps", "start", "Started here")]

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


def _expense(api: Api, approved: bool) -> int:
    api.user(CLERK, groups=("clerks",))
    api.deploy(ADMIN, "expense.bpmn")
    iid: int = api.start("expense_claim", CLERK).get_json()["id"]
    for who, data in ((CLERK, {"amount": 3, "purpose": "pens"}), (ADMIN, {"approved": approved})):
        [task] = api.tasks(who, instance_id=iid)
        assert api.complete(task["id"], who, data).status_code == 200
    return iid


def test_an_exclusive_gateway_marks_only_the_branch_taken(api: Api) -> None:
    body = _diagram(api, _expense(api, approved=False))
    assert body["status"] == "completed"
    # The engine_steps say which way the gateway went: the script and end event of the other way
    # ("total", "done") are not marked, nor are their flows.
    assert _states(body) == {"start": "completed", "enter": "completed", "approve": "completed",
                             "gw": "completed", "refused": "completed"}
    assert body["flows_taken"] == ["s1", "s2", "s3", "s_no"]
    assert not any(info.get("inferred") for info in body["elements"].values())
    gateway = [(e["kind"], e["title"], e["actor"]) for e in body["events"] if e["element_id"] == "gw"]
    assert gateway == [("engine_steps", "Passed", "Baton")]


def test_the_approved_branch_runs_the_script_and_leaves_the_refusal_unmarked(api: Api) -> None:
    body = _diagram(api, _expense(api, approved=True))
    assert _states(body) == {"start": "completed", "enter": "completed", "approve": "completed",
                             "gw": "completed", "total": "completed", "done": "completed"}
    assert body["flows_taken"] == ["s1", "s2", "s3", "s4", "s_yes"]
    assert [e["title"] for e in body["events"] if e["element_id"] == "total"] == ["Script ran"]
    assert [e["title"] for e in body["events"] if e["element_id"] == "done"] == ["Ended here"]


def test_an_instance_older_than_engine_steps_falls_back_to_inference(app: Flask, api: Api) -> None:
    from sqlalchemy import delete

    from server.db import db
    from server.models import Event

    iid = _expense(api, approved=False)
    with app.app_context():  # as if it had run before engine_steps were recorded
        db.session.execute(delete(Event).where(Event.instance_id == iid, Event.kind == "engine_steps"))
        db.session.commit()
    body = _diagram(api, iid)
    # After the gateway two end events could have been reached: nothing is guessed past it.
    assert _states(body) == {"start": "completed", "enter": "completed", "approve": "completed"}
    assert body["flows_taken"] == ["s1", "s2"]
    assert [e["kind"] for e in body["events"] if e["kind"] == "engine_steps"] == []


def _loop(api: Api, rounds: int) -> int:
    api.user(CLERK, groups=("clerks",))
    api.deploy(ADMIN, files={"loop.bpmn": (FIXTURES / "diagram_loop.bpmn").read_bytes()})
    response = api.start("diagram_loop", ADMIN, {"rounds": rounds})
    assert response.status_code == 201, response.get_json()
    iid: int = response.get_json()["id"]
    return iid


def test_a_loop_taken_twice_marks_the_way_back_and_lists_each_pass(api: Api) -> None:
    iid = _loop(api, rounds=3)
    body = _diagram(api, iid)
    assert _states(body) == {"start": "completed", "init": "completed", "work": "completed",
                             "more": "completed", "review": "active"}
    assert body["flows_taken"] == ["again", "enough", "f1", "f2", "f3"]
    passes = [(e["title"], e["seq"]) for e in body["events"] if e["element_id"] == "more"]
    assert [title for title, _ in passes] == ["Passed", "Passed", "Passed"]
    assert len({seq for _, seq in passes}) == 1  # all in the change that started the instance

    [task] = api.tasks(CLERK, instance_id=iid)
    assert api.complete(task["id"], CLERK, {}).status_code == 200
    body = _diagram(api, iid)
    assert body["status"] == "completed" and _states(body)["end"] == "completed"
    assert body["flows_taken"] == ["again", "enough", "f1", "f2", "f3", "f4"]


def test_a_long_loop_sums_up_the_earlier_passes_instead_of_flooding_the_history(api: Api) -> None:
    iid = _loop(api, rounds=40)
    body = _diagram(api, iid)
    gateway = [e for e in body["events"] if e["element_id"] == "more"]
    assert [e["title"] for e in gateway] == ["37 earlier passes", "Passed", "Passed", "Passed"]
    assert gateway[0]["count"] == 37 and gateway[0]["at"] and gateway[0]["until"]
    assert len(body["events"]) <= 4 * len(body["elements"]) + 1  # bounded per element, not per pass


def test_a_parallel_split_marks_both_branches_and_the_join_waits_for_the_second(api: Api) -> None:
    reviewer = "rita@test.example"
    api.user(reviewer, groups=("reviewers",))
    api.deploy(ADMIN, "parallel_review.bpmn")
    iid = api.start("parallel_review", ADMIN).get_json()["id"]
    body = _diagram(api, iid)
    assert _states(body) == {"start": "completed", "split": "completed", "legal": "active",
                             "finance": "active"}
    assert body["flows_taken"] == ["f1", "f2", "f3"]

    tasks = {t["element_id"]: t for t in api.tasks(reviewer, instance_id=iid)}
    assert api.complete(tasks["legal"]["id"], reviewer, {"legal_ok": True}).status_code == 200
    body = _diagram(api, iid)
    assert body["elements"]["join"] == {"state": "waiting", "wait": "join: waiting for the other branches"}
    assert body["flows_taken"] == ["f1", "f2", "f3", "f4"]  # not f5: finance is still open
    assert [e["title"] for e in body["events"] if e["element_id"] == "join"] == [
        "Waiting for the other branches"]

    assert api.complete(tasks["finance"]["id"], reviewer, {"finance_ok": True}).status_code == 200
    body = _diagram(api, iid)
    assert body["status"] == "completed"
    assert {k: v for k, v in _states(body).items() if k in ("join", "verdict", "end")} == {
        "join": "completed", "verdict": "completed", "end": "completed"}
    assert body["flows_taken"] == ["f1", "f2", "f3", "f4", "f5", "f6", "f7"]
    assert [e["title"] for e in body["events"] if e["element_id"] == "join"] == [
        "Waiting for the other branches", "Branches joined"]


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


def test_a_called_process_keeps_its_own_passes_where_element_ids_repeat(app: Flask, api: Api) -> None:
    from sqlalchemy import select

    from server.db import db
    from server.models import Event

    api.user(CLERK, groups=("staff",))
    assert api.deploy(ADMIN, "order_with_call.bpmn", "packing.bpmn").status_code == 201
    iid = api.start("order", ADMIN).get_json()["id"]
    [task] = api.tasks(CLERK, instance_id=iid)
    assert api.complete(task["id"], CLERK, {}).status_code == 200
    with app.app_context():
        steps = db.session.scalars(select(Event.data).where(
            Event.instance_id == iid, Event.kind == "engine_steps").order_by(Event.seq)).all()
    # Both files start at "StartEvent_1": the called process's entries name it.
    assert {"id": "StartEvent_1", "type": "StartEvent", "process": "packing"} in steps[1]["elements"]
    assert ["StartEvent_1", "weigh", "packing"] in steps[1]["flows"]

    caller = _diagram(api, iid)
    called = api.call("GET", f"/api/v1/instances/{iid}/diagram", ADMIN,
                      query_string={"process": "packing"}).get_json()
    for body in (caller, called):
        starts = [e for e in body["events"] if e["element_id"] == "StartEvent_1"]
        assert [e["title"] for e in starts] == ["Started here"]
    assert [e["seq"] for e in caller["events"] if e["element_id"] == "StartEvent_1"] != [
        e["seq"] for e in called["events"] if e["element_id"] == "StartEvent_1"]
    assert "EndEvent_1" not in caller["elements"] and "EndEvent_1" not in called["elements"]
