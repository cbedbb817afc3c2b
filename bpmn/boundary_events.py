"""Non-interrupting boundary events keep listening for as long as their activity runs.

SpiffWorkflow arms one boundary event task per activity: a non-interrupting message, signal or
escalation boundary event fires once, and a second message for a task that is still open finds
nothing waiting. In BPMN (and Camunda) the event fires every time it occurs while the activity
runs. So when such an event fires and its activity is still open, a new listener is armed beside
it, under the same boundary event split: the activity finishing cancels it with the others.
Timers are left alone: a duration or date fires once, and a cycle re-arms itself.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

_library_run_hook = BoundaryEvent._run_hook


def _activity_runs(boundary: Any) -> bool:
    """Is the activity the boundary event is attached to (its non-boundary sibling) still open?"""
    split = boundary.parent
    if split is None:
        return False
    return any(not isinstance(child.task_spec, BoundaryEvent) and not child.has_state(TaskState.FINISHED_MASK)
               for child in split.children)


def _rearms(spec: Any) -> bool:
    return not spec.cancel_activity and not isinstance(spec.event_definition, TimerEventDefinition)


def _run_hook(self: Any, my_task: Any) -> Any:
    result = _library_run_hook(self, my_task)
    if _rearms(self) and _activity_runs(my_task):
        listener = my_task.parent._add_child(self, TaskState.FUTURE)
        self._predict(listener, mask=TaskState.NOT_FINISHED_MASK)  # its path, as the first one had
        self._update(listener)  # waits, registered with the event manager like the first one
    return result


def install() -> None:
    """Hook the re-arming into SpiffWorkflow's boundary events (idempotent)."""
    BoundaryEvent._run_hook = _run_hook
