"""Definition and instance state serialization: the spec once per deployment, instances without it."""

from __future__ import annotations

import copy
import json
import statistics
import time

import pytest

from bpmn import BpmnError, Bundle, Definition, Instance
from tests.bpmn.helpers import bundle_of


def test_definition_round_trips_through_json_without_touching_its_input(ten_user_tasks: Bundle) -> None:
    stored = json.loads(json.dumps(ten_user_tasks.definition("ten_user_tasks").to_dict()))
    pristine = copy.deepcopy(stored)
    restored = Definition.from_dict(stored)
    assert stored == pristine
    assert restored.process_id == "ten_user_tasks"
    assert Definition.from_dict(stored).to_dict() == pristine


def test_an_instance_saved_with_one_definition_loads_with_its_restored_copy(ten_user_tasks: Bundle) -> None:
    original = ten_user_tasks.definition("ten_user_tasks")
    state = Instance.start(original, {"a": 1}).dump()
    restored = Definition.from_dict(original.to_dict())
    instance = Instance.load(restored, state)
    [task] = instance.human_tasks()
    instance.complete(task.id, {"b": 2})
    assert [t.name for t in instance.human_tasks()] == ["Step 2"]


def test_definition_keeps_called_processes_and_metadata() -> None:
    definition = bundle_of("caller.bpmn", "callee.bpmn").definition("caller")
    restored = Definition.from_dict(json.loads(json.dumps(definition.to_dict())))
    assert sorted(restored.subprocess_specs) == ["callee"]
    assignment = Definition.from_dict(bundle_of("camunda_assignment.bpmn").definition("expense").to_dict())
    [task] = Instance.start(assignment, {"owner": "eve", "extraGroup": "x", "amount": 1}).human_tasks()
    assert (task.assignee, task.lane, task.form_fields[0]["id"]) == ("eve", "Finance", "decision")


def test_instance_state_does_not_carry_the_spec(ten_user_tasks: Bundle) -> None:
    definition = ten_user_tasks.definition("ten_user_tasks")
    state = Instance.start(definition).dump()
    assert "spec" not in state and "subprocess_specs" not in state
    assert len(json.dumps(state)) < len(json.dumps(definition.to_dict()))


def test_state_of_another_process_is_refused(ten_user_tasks: Bundle) -> None:
    state = Instance.start(ten_user_tasks.definition("ten_user_tasks")).dump()
    with pytest.raises(BpmnError, match="belongs to process 'ten_user_tasks'"):
        Instance.load(bundle_of("juel_gateway.bpmn").definition("juel_gateway"), state)


def test_one_completion_with_load_and_dump_is_fast(ten_user_tasks: Bundle) -> None:
    """The server loads and dumps around every completion; a regression here costs every request."""
    definition = ten_user_tasks.definition("ten_user_tasks")
    timings = []
    for _ in range(20):
        state = Instance.start(definition, {"amount": 5}).dump()
        while True:
            began = time.perf_counter()
            instance = Instance.load(definition, state)
            tasks = instance.human_tasks()
            if not tasks:
                break
            instance.complete(tasks[0].id, {"x": 1})
            state = instance.dump()
            timings.append(time.perf_counter() - began)
    # ~0.5 ms on a 2-core CI machine; the bound only catches gross regressions (spec re-serialized...).
    assert statistics.median(timings) < 0.005
