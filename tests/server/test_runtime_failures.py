"""Models that loop or whose scripts fail never hang a request: the instance shows the error."""

from __future__ import annotations

from typing import Any

ADMIN = "admin@test.example"


def test_a_looping_model_is_stopped_by_the_step_budget(api: Any, app: Any) -> None:
    app.config["BATON_STEP_BUDGET"] = 500
    assert api.deploy(ADMIN, "endless_loop.bpmn").status_code == 201
    started = api.start("endless_loop", ADMIN)
    assert started.status_code == 201
    body = started.get_json()
    assert body["status"] == "error"
    assert "500 steps" in body["error"]


def test_a_failing_script_puts_the_instance_in_error_with_the_line(api: Any) -> None:
    api.user("clerk@test.example", groups=("clerks",))
    api.deploy(ADMIN, "script_error.bpmn")
    iid = api.start("script_error", "clerk@test.example").get_json()["id"]
    [task] = api.tasks("clerk@test.example", instance_id=iid)
    response = api.complete(task["id"], "clerk@test.example", {"divisor": 0})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "error"
    assert "Divide" in body["error"] and "division by zero" in body["error"] and "line 2" in body["error"]
    assert body["open_tasks"] == []
