"""Multi-instance completion conditions: Camunda's loop counters in scope, and failures that show.

Camunda models stop a multi-instance activity early with conditions such as
`${nrOfCompletedInstances >= 2}` (a quorum) or `${!approved}` (the first rejection). SpiffWorkflow
3.2 evaluates the completion condition over the data of the instance that just completed only:
Camunda's counters (`nrOfInstances`, `nrOfCompletedInstances`, `nrOfActiveInstances`,
`loopCounter`) do not exist there, and neither does the collected output (`loopDataOutputRef`),
which lives on the activity. Worse, a condition that fails is recorded on that instance, which has
already completed: the activity never finishes and the instance shows no error, silently stuck.

Here the condition sees the activity's variables, then the completed instance's, then the
counters (as in Camunda, where they are local to the activity); a condition that cannot be
evaluated puts the multi-instance activity itself in ERROR, naming the condition. Installed once,
at import of `bpmn`.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    MultiInstanceTask,
    SequentialMultiInstanceTask,
)
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

_library_merge = MultiInstanceTask.merge_child


def counters(spec: Any, my_task: Any, last: Any) -> dict[str, int]:
    """Camunda's multi-instance variables as they stand when instance `last` has just completed."""
    instances = list(spec._instances(my_task))
    completed = len(my_task.internal_data.get("merged", []))
    if isinstance(spec, SequentialMultiInstanceTask):
        remaining = my_task.internal_data.get("remaining")
        if remaining is not None:
            total = completed + len(remaining)
        else:
            total = int(my_task.internal_data.get("cardinality") or 0)
        active = 1  # Camunda: always 1 for a sequential multi-instance activity
    else:
        total = len(instances)
        active = sum(1 for task in instances if not task.has_state(TaskState.FINISHED_MASK))
    index = last.internal_data.get("key_or_index")
    if not isinstance(index, int):
        index = instances.index(last) if last in instances else completed - 1
    return {"nrOfInstances": total, "nrOfCompletedInstances": completed,
            "nrOfActiveInstances": active, "loopCounter": index}


def _check_completion_condition(self: Any, my_task: Any) -> Any:
    merged = my_task.internal_data.get("merged", [])
    if not merged or self.condition is None:
        return None
    last = next(child for child in my_task.children if str(child.id) == merged[-1])
    # Evaluated on the activity (still open: a failure puts IT in ERROR); its variables hold what the
    # instances merged or collected so far, the completed instance adds its own (its element variable).
    scope = {**last.data, **counters(self, my_task, last)}
    return my_task.workflow.script_engine.evaluate(my_task, self.condition, external_context=scope)


def _merge_child(self: Any, workflow: Any, child: Any) -> None:
    """The library's merge, except that the element variable stays local to its instance.

    Without an output item SpiffWorkflow merges the whole instance's data into the activity's,
    element variable included: the process then holds the last item (Camunda keeps it local), and a
    SEQUENTIAL activity fails at its second instance ("input item ... already exists").
    """
    if self.input_item is None or (self.data_output is not None and self.output_item is not None):
        _library_merge(self, workflow, child)
        return
    my_task = child.parent
    local = self.input_item.bpmn_id
    DeepMerge.merge(my_task.data, {key: value for key, value in child.data.items() if key != local})
    my_task.internal_data["merged"].append(str(child.id))


def install() -> None:
    """Replace the library's completion check and merge (idempotent)."""
    MultiInstanceTask.check_completion_condition = _check_completion_condition
    MultiInstanceTask.merge_child = _merge_child
