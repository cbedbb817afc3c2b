"""Call activities that call a process deployed before: bound when the calling deployment is parsed."""

from __future__ import annotations

import pytest

from bpmn import Definition, Instance, ModelInvalid, parse_bundle
from tests.bpmn.helpers import bundle_of, fixture_files

CALLEE = bundle_of("callee.bpmn").definition("callee")


def _resolve(process_id: str) -> Definition | None:
    return CALLEE if process_id == "callee" else None


def test_a_call_activity_runs_the_deployed_process_it_names() -> None:
    definition = parse_bundle(fixture_files("caller.bpmn"), resolve=_resolve).definition("caller")
    assert "callee" in definition.subprocess_specs
    restored = Definition.from_dict(definition.to_dict())  # stored with the caller: bound for good
    inst = Instance.start(restored, {})
    [inner] = inst.human_tasks()
    assert inner.name == "Inner task"  # the called process's user task
    inst.complete(inner.id, {})
    assert inst.status == "completed"


def test_a_process_of_the_same_deployment_wins_over_a_deployed_one() -> None:
    seen: list[str] = []

    def resolve(process_id: str) -> Definition | None:
        seen.append(process_id)
        return CALLEE

    parse_bundle(fixture_files("caller.bpmn", "callee.bpmn"), resolve=resolve)
    assert seen == []


def test_a_call_activity_naming_nothing_deployed_is_a_problem_with_file_line_and_element() -> None:
    with pytest.raises(ModelInvalid) as caught:
        parse_bundle(fixture_files("caller.bpmn"), resolve=lambda process_id: None)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("caller.bpmn", 6, "Call")
    assert "neither in this deployment nor deployed before" in problem.message
