"""The progress view of a case (API and page) in every state: waiting on a person, a timer, a message,
an incident, and completed; the next action worded for the viewer; the road ahead through a gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.server.pages_helpers import make_user

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
BOSS = "boss@test.example"
LEGAL = "lena@test.example"
BYSTANDER = "bob@test.example"


def progress(api: Api, instance_id: int, as_user: str = ADMIN) -> dict[str, Any]:
    response = api.call("GET", f"/api/v1/instances/{instance_id}/progress", as_user)
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def purchase(api: Api) -> int:
    """A purchase waiting on BOSS to approve it (a required field, a due date and a boundary timer)."""
    api.user(BOSS)
    api.user(LEGAL, groups=("legal",))
    api.user(BYSTANDER, groups=("legal",))
    assert api.deploy(ADMIN, "progress_purchase.bpmn").status_code == 201
    started = api.start("progress_purchase", ADMIN, {"approver": BOSS})
    assert started.status_code == 201, started.get_json()
    return int(started.get_json()["id"])


def test_waiting_on_a_person_shows_the_step_owner_deadlines_and_missing_inputs(api: Api) -> None:
    instance_id = purchase(api)
    view = progress(api, instance_id)
    assert view["instance_id"] == instance_id and view["status"] == "running"
    [step] = view["current"]
    assert step["name"] == "Approve purchase" and step["element_id"] == "approve"
    assert step["owner"]["kind"] == "user" and step["owner"]["members"][0]["email"] == BOSS
    assert step["since"] and step["due_at"] and step["sla_state"] == "on_track"
    assert step["required_inputs"] == [{"id": "reason", "label": "Reason", "kind": "field"}]
    [deadline] = step["deadlines"]
    assert deadline["element_id"] == "late" and deadline["interrupting"] is False and deadline["at"]
    assert [b["kind"] for b in view["blockers"]] == ["person"]
    assert view["blockers"][0]["until"] == step["due_at"]
    assert [t["kind"] for t in view["timeline"]] == ["instance_started", "task_opened"]
    assert view["timeline"][0]["actor"] == ADMIN


def test_next_action_is_worded_for_the_assignee_and_for_a_bystander(api: Api) -> None:
    instance_id = purchase(api)
    mine = progress(api, instance_id, BOSS)["next_action"]
    assert mine["actor"] == "you"
    assert mine["text"].startswith("You: complete “Approve purchase” (still needed: Reason), due in 2 h")
    other = progress(api, instance_id, ADMIN)["next_action"]
    assert other["text"].startswith("Waiting on boss to complete “Approve purchase”, due in")
    # BYSTANDER sees no task of this case yet, so not the case either.
    assert api.call("GET", f"/api/v1/instances/{instance_id}/progress", BYSTANDER).status_code == 404


def test_the_road_ahead_marks_the_likely_path_and_the_alternatives(api: Api) -> None:
    instance_id = purchase(api)
    ahead = {s["element_id"]: s for s in progress(api, instance_id)["ahead"]}
    assert ahead["order"]["likely"] is True and ahead["order"]["lane"] == "Legal"  # the default flow
    assert ahead["ordered"]["likely"] is True
    assert ahead["tell"]["likely"] is False and ahead["refused"]["likely"] is False
    assert ahead["chase"]["likely"] is False  # behind the boundary timer
    assert "approve" not in ahead and "gw" not in ahead


def test_after_a_step_the_group_owns_the_next_one_and_the_timeline_grows(api: Api) -> None:
    instance_id = purchase(api)
    [step] = progress(api, instance_id)["current"]
    done = api.complete(step["task_id"], BOSS, {"reason": "needed", "approved": True})
    assert done.status_code == 200, done.get_json()
    view = progress(api, instance_id, LEGAL)
    [order] = view["current"]
    assert order["name"] == "Order goods" and order["owner"]["kind"] == "group"
    assert order["owner"]["name"] == "legal"
    assert {m["email"] for m in order["owner"]["members"]} == {LEGAL, BYSTANDER}
    assert order["deadlines"] == [] and order["required_inputs"] == []
    assert view["next_action"]["text"] == "You: claim or complete “Order goods”"
    completed = [t for t in view["timeline"] if t["kind"] == "task_completed"]
    assert completed == [{"at": completed[0]["at"], "kind": "task_completed", "element_id": "approve",
                          "name": "Approve purchase", "actor": BOSS}]
    assert [s["element_id"] for s in view["ahead"]] == ["ordered"]


def test_waiting_on_a_timer(api: Api) -> None:
    assert api.deploy(ADMIN, "waits_for_a_timer.bpmn").status_code == 201
    instance_id = api.start("waits_for_a_timer", ADMIN).get_json()["id"]
    view = progress(api, instance_id)
    assert view["current"] == []
    [blocker] = view["blockers"]
    assert blocker["kind"] == "timer" and "One day" in blocker["description"]
    assert blocker["since"] and blocker["until"]
    assert view["next_action"]["text"].startswith("Waiting for the timer “One day”, due in 23 h")
    assert view["ahead"] == [{"element_id": "done", "name": "done", "lane": None, "likely": True}]


def test_waiting_on_a_message(api: Api) -> None:
    assert api.deploy(ADMIN, "waits_for_a_message.bpmn").status_code == 201
    instance_id = api.start("waits_for_a_message", ADMIN).get_json()["id"]
    view = progress(api, instance_id)
    [blocker] = view["blockers"]
    assert blocker == {"kind": "message", "description": "Message “Payment received” from another system",
                       "since": blocker["since"], "until": None}
    assert view["next_action"]["text"] == "Waiting for message “Payment received” from another system"


def test_waiting_on_an_incident(api: Api) -> None:
    api.user(BYSTANDER)
    assert api.deploy(ADMIN, "camunda_class_service.bpmn").status_code == 201
    started = api.start("camunda_class_service", BYSTANDER, {"bound": False, "url": "http://x"})
    instance_id = started.get_json()["id"]
    view = progress(api, instance_id)
    kinds = [b["kind"] for b in view["blockers"]]
    assert "incident" in kinds
    incident = next(b for b in view["blockers"] if b["kind"] == "incident")
    assert "org.example.UnboundDelegate" in incident["description"] and incident["since"]
    assert view["next_action"]["text"].startswith("You: retry, skip or cancel")
    starter_view = progress(api, instance_id, BYSTANDER)
    assert starter_view["next_action"]["text"].startswith("Waiting on an operator: Incident #")


def test_completed(api: Api) -> None:
    instance_id = purchase(api)
    task_id = progress(api, instance_id)["current"][0]["task_id"]
    assert api.complete(task_id, BOSS, {"reason": "r", "approved": True}).status_code == 200
    order_id = progress(api, instance_id)["current"][0]["task_id"]
    assert api.complete(order_id, LEGAL, {}).status_code == 200
    view = progress(api, instance_id)
    assert view["status"] == "completed"
    assert view["current"] == [] and view["blockers"] == [] and view["ahead"] == []
    assert view["next_action"] == {"actor": None, "text": "Nothing: this case is completed."}
    assert view["timeline"][-1]["kind"] == "instance_completed"


def test_the_page_shows_the_progress_without_javascript(app: Flask, api: Api, browser: Browser) -> None:
    instance_id = purchase(api)
    make_user(app, "pat@test.example")  # not needed for the page: BOSS signs in
    browser.login(BOSS)
    html = browser.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert 'id="progress"' in html and f"/api/v1/instances/{instance_id}/progress" in html
    assert "You: complete “Approve purchase”" in html
    assert "Still needed: Reason" in html
    assert "Deadline: Two days late" in html
    assert "ahead-step--likely" in html and "ahead-step--alternative" in html
    assert "Order goods" in html and "static/js/progress.js" in html
