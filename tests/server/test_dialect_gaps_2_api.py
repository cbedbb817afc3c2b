"""A Camunda 7 signal start event over the API: POST /api/v1/signals starts an instance of the process
at that event with the signal's data, and an instance that throws the signal (an intermediate signal
throw event, which then goes on) starts one too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server.test_event_depth_api import ADMIN, complete, deploy, instance, open_names, start

if TYPE_CHECKING:
    from tests.server.conftest import Api

FIXTURE = "events_camunda.bpmn"


def _instances_of(api: Api, process_id: str) -> list[int]:
    response = api.call("GET", "/api/v1/instances", ADMIN)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    items = body["items"] if isinstance(body, dict) else body
    return sorted(item["id"] for item in items if item["process_id"] == process_id)


def test_a_posted_signal_starts_the_camunda_process_at_its_signal_start_event(api: Api) -> None:
    deploy(api, FIXTURE)
    signal = {"name": "alarm_camunda", "data": {"level": 3}}
    response = api.call("POST", "/api/v1/signals", ADMIN, json=signal)
    assert response.status_code == 200, response.get_json()
    outcome = response.get_json()
    [started] = outcome["started"]
    assert outcome["delivered"] == []
    assert _instances_of(api, "alarm_start_camunda") == [started]
    assert open_names(api, started) == ["Respond to the alarm"]
    complete(api, started, "Respond to the alarm")
    body = instance(api, started)
    assert body["status"] == "completed" and body["data"]["level"] == 3


def test_a_thrown_signal_starts_the_camunda_process_and_the_thrower_goes_on(api: Api) -> None:
    deploy(api, FIXTURE)
    thrower = start(api, "raise_alarm_camunda")
    assert open_names(api, thrower) == ["Log the alarm"]
    [started] = _instances_of(api, "alarm_start_camunda")
    assert open_names(api, started) == ["Respond to the alarm"]
    complete(api, thrower, "Log the alarm")
    assert instance(api, thrower)["status"] == "completed"


def test_a_signal_nothing_waits_for_is_a_clear_404(api: Api) -> None:
    deploy(api, FIXTURE)
    response = api.call("POST", "/api/v1/signals", ADMIN, json={"name": "nobody_listens"})
    assert response.status_code == 404
    assert "No instance waits for signal 'nobody_listens'" in str(response.get_json())
