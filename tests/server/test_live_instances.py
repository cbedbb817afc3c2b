"""Workflows kept in memory between an instance's changes (server/live.py): used only when they are
exactly what the database holds, and the outcome is the same as loading."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from flask import Flask

from tests.server.conftest import Api

# start -> first (user) -> script -> second (user) -> third (user) -> end.
MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_live" targetNamespace="http://baton.test/live">
  <bpmn:process id="live_steps" name="Live steps" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="first" name="First" camunda:candidateGroups="crew">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="amount" label="Amount" type="long" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="shape" name="Shape" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>pair = (amount, amount * 2)
doubled = amount * 2</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="second" name="Second" camunda:candidateGroups="crew">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="note" label="Note" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="third" name="Third" camunda:candidateGroups="crew">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="first"/>
    <bpmn:sequenceFlow id="f1" sourceRef="first" targetRef="shape"/>
    <bpmn:sequenceFlow id="f2" sourceRef="shape" targetRef="second"/>
    <bpmn:sequenceFlow id="f3" sourceRef="second" targetRef="third"/>
    <bpmn:sequenceFlow id="f4" sourceRef="third" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

WORKER = "crew@test.example"


@pytest.fixture
def crew(api: Api) -> Api:
    api.user(WORKER, groups=("crew",))
    data = {"files": [(BytesIO(MODEL), "live.bpmn")]}
    deployed = api.call("POST", "/api/v1/deployments", "admin@test.example", data=data,
                        content_type="multipart/form-data")
    assert deployed.status_code == 201, deployed.get_json()
    return api


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    from server import live

    live.forget()
    live.stats.update(hits=0, misses=0)
    yield
    live.forget()


def run_case(api: Api) -> list[dict[str, Any]]:
    """Start a case and work it to the end; every answer along the way."""
    answers = [api.start("live_steps", WORKER).get_json()]
    for data in ({"amount": 21}, {"note": "ok"}, {}):
        task = answers[-1]["open_tasks"][0]
        response = api.complete(task["id"], WORKER, data)
        assert response.status_code == 200, response.get_json()
        answers.append(response.get_json())
    return answers


def comparable(answers: list[dict[str, Any]]) -> list[Any]:
    return [(a["status"], a["data"], [(t["element_id"], t["state"]) for t in a["open_tasks"]], a["waiting"])
            for a in answers]


def event_kinds(app: Flask, instance_id: int) -> list[tuple[str, str | None]]:
    from sqlalchemy import select

    from server.db import db
    from server.models import Event

    with app.app_context():
        rows = db.session.execute(select(Event.kind, Event.element_id).where(Event.instance_id == instance_id)
                                  .order_by(Event.seq)).all()
        return [(kind, element) for kind, element in rows]


def test_a_case_worked_with_kept_workflows_ends_as_one_worked_by_loading(app: Flask, crew: Api) -> None:
    from server import live

    app.config["BATON_LIVE_INSTANCES"] = 0
    loaded = run_case(crew)
    assert live.stats["hits"] == 0 and not live._kept

    app.config["BATON_LIVE_INSTANCES"] = 64
    live.stats.update(hits=0, misses=0)
    kept = run_case(crew)
    assert live.stats == {"hits": 3, "misses": 0}  # every completion found the workflow its start kept
    assert not live._kept  # a completed instance is not kept

    assert comparable(kept) == comparable(loaded)
    assert kept[-1]["status"] == "completed"
    assert kept[-1]["data"]["pair"] == [21, 42]  # the script's tuple, as a load gives it back
    assert event_kinds(app, kept[0]["id"]) == event_kinds(app, loaded[0]["id"])


def test_a_kept_workflow_the_database_has_moved_past_is_not_used(app: Flask, crew: Api) -> None:
    """Another process changed the instance since: its state differs from the kept one."""
    from server import live

    started = crew.start("live_steps", WORKER).get_json()
    first = started["open_tasks"][0]
    stale = dict(live._kept)  # what this process kept after the start
    assert list(stale) == [started["id"]]

    live.forget()  # as if the next change ran in another process
    after_first = crew.complete(first["id"], WORKER, {"amount": 5}).get_json()
    live._kept.update(stale)  # this process still holds the workflow as of the start

    second = after_first["open_tasks"][0]
    assert second["element_id"] == "second"
    done = crew.complete(second["id"], WORKER, {"note": "fine"})
    assert done.status_code == 200, done.get_json()
    assert live.stats["misses"] >= 1 and live.stats["hits"] == 0
    answer = done.get_json()
    assert [t["element_id"] for t in answer["open_tasks"]] == ["third"]
    assert answer["data"]["doubled"] == 10 and answer["data"]["note"] == "fine"


def test_a_workflow_is_lent_to_one_change_at_a_time_and_only_as_saved(app: Flask, crew: Api) -> None:
    import json

    from server import definitions, live
    from server.db import db
    from server.models import Instance

    started = crew.start("live_steps", WORKER).get_json()
    with app.app_context():
        row = db.session.get(Instance, started["id"])
        assert row is not None
        definition = definitions.definition_for(row.process_version, row.called_versions)
        saved = json.loads(row.state)
        kept = live._kept[row.id]
        assert live.take(row.id, definition, saved) is kept[1]
        assert live.take(row.id, definition, saved) is None  # taken: a second change loads its own

        # What the JSON round trip would change (a tuple for a list) is not what the database gives
        # back: not used.
        live._kept[row.id] = kept
        changed = json.loads(row.state)
        changed["tasks"] = {key: {**task, "children": tuple(task["children"])}
                            for key, task in changed["tasks"].items()}
        assert live.take(row.id, definition, changed) is None
        live._kept[row.id] = kept
        assert live.take(row.id, object(), saved) is None  # another definition (a migrated instance)


def test_the_cache_is_bounded_and_can_be_turned_off(app: Flask, crew: Api) -> None:
    from server import live

    app.config["BATON_LIVE_INSTANCES"] = 2
    ids = [crew.start("live_steps", WORKER).get_json()["id"] for _ in range(3)]
    assert list(live._kept) == ids[1:]  # the least recently kept went first

    live.forget()
    app.config["BATON_LIVE_INSTANCES"] = 0
    crew.start("live_steps", WORKER)
    assert not live._kept


def test_a_change_that_fails_keeps_nothing(app: Flask, crew: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A completion that fails after taking the kept workflow rolls back and keeps nothing; the next
    change loads the instance as saved, and lands."""
    from server import live, projection

    started = crew.start("live_steps", WORKER).get_json()
    first = started["open_tasks"][0]
    real_sync = projection.sync

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(projection, "sync", broken)
    failed = crew.complete(first["id"], WORKER, {"amount": 1})
    assert failed.status_code == 500
    assert started["id"] not in live._kept

    monkeypatch.setattr(projection, "sync", real_sync)
    live.stats.update(hits=0, misses=0)
    done = crew.complete(first["id"], WORKER, {"amount": 1})
    assert done.status_code == 200, done.get_json()
    assert live.stats == {"hits": 0, "misses": 1}
    assert [t["element_id"] for t in done.get_json()["open_tasks"]] == ["second"]
