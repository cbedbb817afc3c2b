"""A parallel join keeps what each branch changed in this pass, also when a loop runs it again."""

from __future__ import annotations

from typing import Any

from bpmn import Instance
from tests.bpmn.helpers import bundle_of


def _complete(instance: Instance, name: str, data: dict[str, Any]) -> None:
    [task] = [t for t in instance.human_tasks() if t.name == name]
    instance.complete(task.id, data)


def _start() -> Instance:
    bundle = bundle_of("parallel_section_in_a_loop.bpmn")
    return Instance.start(bundle.definition("parallel_in_loop"), {})


def test_a_value_changed_on_the_second_pass_survives_a_branch_that_finishes_later() -> None:
    instance = _start()
    _complete(instance, "Rate", {"rating": "high"})
    _complete(instance, "Check", {"checked": 1})
    _complete(instance, "Decide", {"again": True})
    _complete(instance, "Rate", {"rating": "medium"})  # this pass's rating...
    _complete(instance, "Check", {"checked": 2})  # ...and the branch finishing last still holds "high"
    assert instance.data["rating"] == "medium" and instance.data["checked"] == 2
    _complete(instance, "Decide", {"again": False})
    assert instance.status == "completed" and instance.data["rating"] == "medium"


def test_both_branches_changing_one_variable_keep_the_later_value() -> None:
    instance = _start()
    _complete(instance, "Check", {"note": "from check"})
    _complete(instance, "Rate", {"note": "from rate"})
    assert instance.data["note"] == "from rate"


def test_a_join_survives_dump_and_load_between_the_branches() -> None:
    instance = _start()
    _complete(instance, "Rate", {"rating": "high"})
    _complete(instance, "Check", {})
    _complete(instance, "Decide", {"again": True})
    _complete(instance, "Rate", {"rating": "low"})
    reloaded = Instance.load(instance.definition, instance.dump())
    _complete(reloaded, "Check", {})
    assert reloaded.data["rating"] == "low"
