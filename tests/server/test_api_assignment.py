"""Assignment rules: model attributes win, else the lane, else the starter; who may start."""

from __future__ import annotations

from typing import Any

ADMIN = "admin@test.example"


def test_owners_come_from_attributes_expressions_lanes_and_the_starter(api: Any) -> None:
    api.user("starter@test.example")
    api.user("rev@test.example")
    api.user("ops@test.example", groups=("operations",))
    api.user("sales@test.example", groups=("Sales",))
    assert api.deploy(ADMIN, "assignment.bpmn").status_code == 201
    started = api.start(
        "assignment", "starter@test.example", {"reviewer": "Rev@Test.Example", "team": "sales"}
    )
    assert started.status_code == 201, started.get_json()
    tasks = {t["element_id"]: t for t in started.get_json()["open_tasks"]}
    assert tasks["expr_task"]["assignee"] == "rev@test.example"
    assert tasks["literal_task"]["candidate_users"] == ["ann@test.example", "bob@test.example"]
    assert tasks["literal_task"]["candidate_groups"] == ["sales"]
    assert (
        tasks["lane_task"]["candidate_groups"] == ["Operations"]
        and tasks["lane_task"]["lane"] == "Operations"
    )
    assert tasks["starter_task"]["assignee"] == "starter@test.example"

    mine = {t["element_id"] for t in api.tasks("rev@test.example", mine=1)}
    assert mine == {"expr_task"}
    assert {t["element_id"] for t in api.tasks("ops@test.example")} == {"lane_task"}
    assert {t["element_id"] for t in api.tasks("sales@test.example")} == {"literal_task"}
    # A candidate completes an unclaimed task directly: it is claimed for them in the same step.
    lane_task = tasks["lane_task"]
    assert api.complete(lane_task["id"], "ops@test.example", {}).status_code == 200
    [done] = [t for t in api.tasks(ADMIN, state="completed")]
    assert done["assignee"] == "ops@test.example" and done["completed_by"] == "ops@test.example"


def test_candidate_starters_restrict_who_may_start(api: Any) -> None:
    api.user("hr@test.example", groups=("hr",))
    api.user("boss@test.example")
    api.user("someone@test.example")
    api.deploy(ADMIN, "starters.bpmn")
    assert api.start("hr_only", "someone@test.example").status_code == 403
    assert api.start("hr_only", "hr@test.example").status_code == 201
    assert api.start("hr_only", "boss@test.example").status_code == 201
    assert api.start("hr_only", ADMIN).status_code == 201


def test_unclaim_gives_the_task_back_to_its_group(api: Any) -> None:
    api.user("c1@test.example", groups=("clerks",))
    api.user("c2@test.example", groups=("clerks",))
    api.deploy(ADMIN, "expense.bpmn")
    iid = api.start("expense_claim", "c1@test.example").get_json()["id"]
    [task] = api.tasks("c1@test.example", instance_id=iid)
    api.claim(task["id"], "c1@test.example")
    assert api.call("POST", f"/api/v1/tasks/{task['id']}/unclaim", "c2@test.example").status_code == 403
    back = api.call("POST", f"/api/v1/tasks/{task['id']}/unclaim", "c1@test.example")
    assert back.status_code == 200 and back.get_json()["assignee"] is None
    assert api.claim(task["id"], "c2@test.example").status_code == 200


def test_camunda_initiator_holds_the_starter_and_can_assign_the_first_task(api: Any) -> None:
    """camunda:initiator="requester": the variable holds the starter's e-mail (whatever the start data
    said), so ${requester} assigns the task back to them."""
    api.user("req@test.example")
    assert api.deploy(ADMIN, "initiator.bpmn").status_code == 201
    started = api.start("initiator_request", "req@test.example", {"requester": "someone@else.example"})
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["data"]["requester"] == "req@test.example"
    [task] = body["open_tasks"]
    assert task["assignee"] == "req@test.example"
