"""The live diagram of a call activity's process: its own states, read from the projection, by ?process=."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.server.pages_helpers import FIXTURES

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
CLERK = "clerk@test.example"


def _diagram(api: Api, iid: int, process: str | None = None) -> Any:
    query = {"process": process} if process else {}
    response = api.call("GET", f"/api/v1/instances/{iid}/diagram", ADMIN, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _states(body: dict[str, Any]) -> dict[str, str]:
    return {k: v["state"] for k, v in body["elements"].items()}


def _complete_open_task(api: Api, iid: int, element_id: str) -> None:
    [task] = api.tasks(CLERK, instance_id=iid)
    assert task["element_id"] == element_id
    assert api.claim(task["id"], CLERK).status_code == 200
    assert api.complete(task["id"], CLERK, {}).status_code == 200


def test_a_called_process_is_drawn_with_its_own_states_and_marks_its_call_activity(api: Api) -> None:
    api.user(CLERK, groups=("staff",))
    assert api.deploy(ADMIN, "order_with_call.bpmn", "packing.bpmn").status_code == 201
    iid = api.start("order", ADMIN).get_json()["id"]
    _complete_open_task(api, iid, "take")

    caller = _diagram(api, iid)
    assert caller["process_id"] == caller["root_process_id"] == "order" and caller["diagram_id"] is None
    assert _states(caller) == {"StartEvent_1": "completed", "take": "completed", "pack_call": "active"}
    assert caller["flows_taken"] == ["Flow_1", "Flow_2"]

    called = _diagram(api, iid, "packing")
    assert called["xml"] == (FIXTURES / "packing.bpmn").read_text()
    assert (called["process_id"], called["process_name"], called["diagram_id"]) == (
        "packing", "Packing", "Diagram_packing")
    # The caller's task "take" is not the called process's, though both files have StartEvent_1.
    assert _states(called) == {"StartEvent_1": "completed", "weigh": "completed", "pack": "active"}
    assert called["elements"]["weigh"] == {"state": "completed"}  # the engine's steps say it ran
    assert called["flows_taken"] == ["Flow_p1", "Flow_p2"]

    _complete_open_task(api, iid, "pack")
    called = _diagram(api, iid, "packing")
    assert called["status"] == "completed"
    assert _states(called)["pack"] == "completed" and "Flow_p3" in called["flows_taken"]
    caller = _diagram(api, iid)
    assert _states(caller)["pack_call"] == "completed" and "Flow_3" in caller["flows_taken"]


def test_a_process_not_in_the_deployment_is_a_clear_404(api: Api) -> None:
    api.deploy(ADMIN, "order_with_call.bpmn", "packing.bpmn")
    iid = api.start("order", ADMIN).get_json()["id"]
    response = api.call("GET", f"/api/v1/instances/{iid}/diagram", ADMIN, query_string={"process": "nope"})
    assert response.status_code == 404
    assert "Process nope is not in the deployment of this case." in response.get_json()["message"]
