"""Event subprocesses, signal start events, signals an instance throws and call activities, over the API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
BPMN_FIXTURES = Path(__file__).parents[1] / "bpmn" / "fixtures"


def deploy(api: Api, *names: str) -> dict[str, Any]:
    response = api.deploy(ADMIN, files={n: (BPMN_FIXTURES / n).read_bytes() for n in names})
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def start(api: Api, process_id: str, data: dict[str, Any] | None = None, **extra: Any) -> int:
    response = api.start(process_id, ADMIN, data, **extra)
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def instance(api: Api, instance_id: int) -> dict[str, Any]:
    response = api.call("GET", f"/api/v1/instances/{instance_id}", ADMIN)
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def open_names(api: Api, instance_id: int) -> list[str]:
    return sorted(t["name"] for t in instance(api, instance_id)["open_tasks"])


def send(api: Api, what: str, body: dict[str, Any]) -> Any:
    return api.call("POST", f"/api/v1/{what}", ADMIN, json=body)


def complete(api: Api, instance_id: int, name: str, data: dict[str, Any] | None = None) -> None:
    task = next(t for t in instance(api, instance_id)["open_tasks"] if t["name"] == name)
    response = api.complete(task["id"], ADMIN, data or {})
    assert response.status_code == 200, response.get_json()


def task_states(api: Api, instance_id: int) -> dict[str, str]:
    from sqlalchemy import select

    from server.db import db
    from server.models import Task

    with api.app.app_context():
        query = select(Task).where(Task.instance_id == instance_id).order_by(Task.created_at)
        rows = db.session.scalars(query)
        return {row.name: row.state for row in rows}


# --- event subprocesses ----------------------------------------------------------------------------


def test_an_interrupting_message_event_subprocess_cancels_the_work(api: Api) -> None:
    deploy(api, "event_subprocesses.bpmn")
    instance_id = start(api, "esp_message", {"order": 1}, business_key="O-1")
    waits = [w["element_id"] for w in instance(api, instance_id)["waiting"]]
    assert waits == ["m_cancel_start", "m_note_start"]
    response = send(api, "messages", {"name": "cancel_order", "business_key": "O-1", "data": {"why": "late"}})
    assert response.get_json() == {"delivered": [instance_id], "started": []}
    assert open_names(api, instance_id) == ["Refund"]
    assert task_states(api, instance_id)["Work"] == "cancelled"
    assert instance(api, instance_id)["waiting"] == []  # the note listener went with the scope
    assert send(api, "messages", {"name": "note_added", "business_key": "O-1"}).status_code == 404
    complete(api, instance_id, "Refund")
    row = instance(api, instance_id)
    assert row["status"] == "completed" and row["data"]["why"] == "late"


def test_a_non_interrupting_message_event_subprocess_keeps_the_work(api: Api) -> None:
    deploy(api, "event_subprocesses.bpmn")
    instance_id = start(api, "esp_message", business_key="O-2")
    for note in ("first", "second"):
        body = {"name": "note_added", "business_key": "O-2", "data": {"note": note}}
        response = send(api, "messages", body)
        assert response.get_json() == {"delivered": [instance_id], "started": []}
    assert open_names(api, instance_id) == ["Read note", "Read note", "Work"]
    complete(api, instance_id, "Work")
    assert instance(api, instance_id)["status"] == "running"  # the notes are still being read
    complete(api, instance_id, "Read note")
    complete(api, instance_id, "Read note")
    row = instance(api, instance_id)
    assert row["status"] == "completed" and row["waiting"] == []


def test_a_signal_an_instance_throws_interrupts_its_own_scope(api: Api) -> None:
    deploy(api, "event_subprocesses.bpmn")
    instance_id = start(api, "esp_signal")
    other = start(api, "esp_signal")
    complete(api, instance_id, "Decide to stop")
    row = instance(api, instance_id)
    assert row["status"] == "completed" and row["data"]["stopped"] is True
    assert task_states(api, instance_id)["Work"] == "cancelled"
    # the signal is a broadcast: the other instance's event subprocess caught it too
    assert instance(api, other)["status"] == "completed"


def test_a_non_interrupting_signal_event_subprocess_runs_beside_the_work(api: Api) -> None:
    deploy(api, "event_subprocesses.bpmn")
    instance_id = start(api, "esp_signal")
    assert send(api, "signals", {"name": "ping"}).get_json() == {"delivered": [instance_id], "started": []}
    assert open_names(api, instance_id) == ["Answer the ping", "Decide to stop", "Work"]
    assert task_states(api, instance_id)["Work"] == "open"


def test_an_error_end_event_starts_the_error_event_subprocess(api: Api) -> None:
    deploy(api, "event_subprocesses.bpmn")
    instance_id = start(api, "esp_error")
    complete(api, instance_id, "Check")
    assert open_names(api, instance_id) == ["Clean up"]
    assert task_states(api, instance_id)["Work"] == "cancelled"


def test_an_event_subprocess_without_a_trigger_is_rejected_with_file_line_and_element(api: Api) -> None:
    response = api.deploy(ADMIN, files={"bad.bpmn": (BPMN_FIXTURES / "event_subprocess_without_trigger.bpmn")
                                        .read_bytes()})
    assert response.status_code == 422
    found = {(p["file"], p["line"], p["element_id"]) for p in response.get_json()["problems"]}
    assert {("bad.bpmn", 12, "plain_start"), ("bad.bpmn", 17, "error_start")} <= found


# --- signals -------------------------------------------------------------------------------------


def test_a_signal_starts_the_processes_that_start_with_it(api: Api) -> None:
    deploy(api, "signal_start.bpmn")
    response = send(api, "signals", {"name": "alarm", "data": {"level": 2}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["delivered"] == [] and len(body["started"]) == 1
    row = instance(api, body["started"][0])
    assert row["process_id"] == "starts_by_signal" and row["data"] == {"level": 2}
    assert open_names(api, row["id"]) == ["Respond to the alarm"]


def test_a_signal_start_event_takes_the_latest_version(api: Api) -> None:
    deploy(api, "signal_start.bpmn")
    newer = (BPMN_FIXTURES / "signal_start.bpmn").read_text().replace("Respond to the alarm", "Respond now")
    assert api.deploy(ADMIN, files={"signal_start.bpmn": newer.encode()}).status_code == 201
    [started] = send(api, "signals", {"name": "alarm"}).get_json()["started"]
    assert open_names(api, started) == ["Respond now"]


def test_a_signal_thrown_by_an_instance_starts_other_processes(api: Api) -> None:
    deploy(api, "signal_start.bpmn")
    raiser = start(api, "raises_alarm")
    complete(api, raiser, "Look around")
    assert instance(api, raiser)["status"] == "completed"
    started = api.call("GET", "/api/v1/instances", ADMIN, query_string={"process_id": "starts_by_signal"})
    assert [row["status"] for row in started.get_json()] == ["running"]


def test_a_signal_reaches_the_instance_that_throws_it_and_the_others(api: Api) -> None:
    deploy(api, "signal_to_itself.bpmn")
    thrower = start(api, "signal_to_itself")
    listener = start(api, "signal_to_itself")
    complete(api, thrower, "Prepare")
    assert open_names(api, thrower) == ["Go on"]  # its own catch and boundary events caught it
    assert task_states(api, thrower)["Review"] == "cancelled"
    assert open_names(api, listener) == ["Go on", "Prepare"]  # broadcast to the other instance too


# --- call activities -----------------------------------------------------------------------------


def test_a_call_activity_calls_a_process_of_another_file_of_the_deployment(api: Api) -> None:
    deploy(api, "caller.bpmn", "callee.bpmn")
    instance_id = start(api, "caller")
    assert open_names(api, instance_id) == ["Inner task"]
    complete(api, instance_id, "Inner task")
    assert instance(api, instance_id)["status"] == "completed"


def test_a_call_activity_binds_the_latest_deployed_version_of_another_process(api: Api) -> None:
    deploy(api, "callee.bpmn")
    callee = (BPMN_FIXTURES / "callee.bpmn").read_text()
    assert api.deploy(ADMIN, files={"callee.bpmn": callee.replace("Inner task", "Inner task v2")
                                    .encode()}).status_code == 201
    body = deploy(api, "caller.bpmn")
    assert any("'callee' run its latest deployed version as of each instance's start (now its version 2)"
               in w["message"] for w in body["warnings"])
    bound = start(api, "caller")
    assert open_names(api, bound) == ["Inner task v2"]
    # a new version of the callee: instances started from now call it, running ones keep theirs
    assert api.deploy(ADMIN, files={"callee.bpmn": callee.replace("Inner task", "Inner task v3")
                                    .encode()}).status_code == 201
    later = start(api, "caller")
    assert open_names(api, later) == ["Inner task v3"]
    complete(api, bound, "Inner task v2")
    assert instance(api, bound)["status"] == "completed"
    complete(api, later, "Inner task v3")
    assert instance(api, later)["status"] == "completed"


def test_a_call_activity_to_a_process_nobody_deployed_is_rejected(api: Api) -> None:
    response = api.deploy(ADMIN, files={"caller.bpmn": (BPMN_FIXTURES / "caller.bpmn").read_bytes()})
    assert response.status_code == 422
    [problem] = response.get_json()["problems"]
    assert (problem["file"], problem["line"], problem["element_id"]) == ("caller.bpmn", 6, "Call")
    assert "neither in this deployment nor deployed before" in problem["message"]
