"""Engine steps: what the engine did in one change (elements completed, waits reached and left,
flows taken), read off the task tree after a load or a start and across serialization."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import bpmn
from tests.bpmn.helpers import bundle_of

FIXTURE = "engine_steps_routes.bpmn"


def start(route: str) -> bpmn.Instance:
    bundle = bundle_of(FIXTURE)
    return bpmn.Instance.start(bundle.definition("engine_steps_routes"), {"route": route})


def reload(instance: bpmn.Instance) -> bpmn.Instance:
    return bpmn.Instance.load(instance.definition, instance.dump())


def ids(steps: list[bpmn.Step]) -> list[str]:
    return [s.element_id for s in steps]


def complete(instance: bpmn.Instance, element_id: str, data: dict[str, Any] | None = None) -> None:
    [task] = [t for t in instance.human_tasks() if t.element_id == element_id]
    instance.complete(task.id, data or {})


def test_a_start_reports_what_the_engine_passed_and_the_flows_it_took() -> None:
    steps = start("A").engine_steps()
    assert ids(steps.completed) == ["start", "prep", "gw"]
    assert [s.kind for s in steps.completed] == ["StartEvent", "ScriptTask", "ExclusiveGateway"]
    assert all(s.task_id is None for s in steps.completed)  # reached and completed in this change
    assert steps.reached == [] and steps.left == []  # the user task is a person's, not the engine's
    assert steps.flows == [("start", "prep"), ("prep", "gw"), ("gw", "a")]


def test_a_loaded_instance_reports_only_what_this_change_did() -> None:
    instance = reload(start("A"))
    assert not instance.engine_steps()
    complete(instance, "a")
    steps = instance.engine_steps()
    assert ids(steps.completed) == ["merge", "end"]
    assert steps.flows == [("a", "merge"), ("merge", "end")]


def test_a_timer_is_reached_in_one_change_and_completed_in_another_with_the_same_task() -> None:
    instance = start("B")
    first = instance.engine_steps()
    [reached] = first.reached
    assert (reached.element_id, reached.kind) == ("wait", "IntermediateCatchEvent") and reached.task_id
    assert first.flows[-1] == ("gw", "wait")

    instance = reload(instance)
    instance.fire_due_timers(datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=2))
    steps = instance.engine_steps()
    assert steps.completed[0] == bpmn.Step("wait", "IntermediateCatchEvent", reached.task_id)
    assert ids(steps.completed) == ["wait", "merge", "end"] and steps.completed[1].task_id is None
    assert steps.reached == [] and steps.flows == [("wait", "merge"), ("merge", "end")]


def test_a_cancelled_wait_is_reported_as_left() -> None:
    instance = start("B")
    [reached] = instance.engine_steps().reached
    instance = reload(instance)
    instance.cancel()
    steps = instance.engine_steps()
    assert steps.left == [reached.task_id] and steps.completed == []


def test_a_join_waits_from_the_first_branch_until_it_fires() -> None:
    instance = reload(start("both"))
    complete(instance, "r1")
    first = instance.engine_steps()
    [waiting] = first.reached
    assert waiting.element_id == "join" and first.flows == [("r1", "join")]
    instance = reload(instance)
    complete(instance, "r2")
    steps = instance.engine_steps()
    assert steps.completed[0] == bpmn.Step("join", "ParallelGateway", waiting.task_id)
    assert ids(steps.completed) == ["join", "merge", "end"] and steps.left == []
    assert instance.status == "completed"


def test_steps_in_a_called_process_name_it() -> None:
    bundle = bundle_of("caller.bpmn", "callee.bpmn")
    steps = bpmn.Instance.start(bundle.definition("caller"), {}).engine_steps()
    assert steps.completed == [bpmn.Step("StartEvent_1", "StartEvent"),
                               bpmn.Step("StartEvent_c", "StartEvent", None, "callee")]
    [call] = steps.reached
    assert (call.element_id, call.process) == ("Call", None)  # the call activity is the caller's
    assert steps.flows == [("StartEvent_1", "Call"), ("StartEvent_c", "Inner", "callee")]
