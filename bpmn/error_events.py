"""Delivering a BPMN error thrown by a parked task to the error boundary event that catches it.

The error is built from the catching event's PARSED definition (SpiffWorkflow matches event
definitions by exact class, and the Spiff and plain parsers use different classes), and handed to
that one boundary event task, not broadcast: another branch waiting on the same error code must not
fire. Boundary events of the task come first, then those of each enclosing subprocess or call
activity, as BPMN propagates errors outwards.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from .event_subprocesses import listeners


def _catches(boundary: Any, code: str) -> bool:
    definition = boundary.task_spec.event_definition
    return (isinstance(definition, ErrorEventDefinition) and boundary.has_state(TaskState.WAITING)
            and definition.code in (None, "", code))


def _boundary_events(task: Any) -> list[Any]:
    """The waiting boundary events attached to `task` (siblings under its BoundaryEventSplit)."""
    parent = task.parent
    if parent is None:
        return []
    return [sibling for sibling in parent.children
            if sibling is not task and isinstance(sibling.task_spec, BoundaryEvent)]


def _enclosing(task: Any) -> Any:
    """The subprocess or call activity task whose workflow `task` runs in, or None at the top."""
    workflow = task.workflow
    if workflow.parent_task_id is None or workflow is workflow.top_workflow:
        return None
    return workflow.top_workflow.get_task_from_id(workflow.parent_task_id)


def catcher(task: Any, code: str) -> Any:
    """The boundary event (or error event subprocess start) task that catches error `code`, or None.

    Scope by scope outwards: the task's own boundary events, then the error event subprocesses of
    the scope the task runs in, then the enclosing activity's boundary events, and so on.
    """
    current = task
    while current is not None:
        for candidates in (_boundary_events(current), listeners(current.workflow)):
            catching = [b for b in candidates if _catches(b, code)]
            if catching:  # one naming the code wins over a catch-all (no errorRef)
                return sorted(catching, key=lambda b: not b.task_spec.event_definition.code)[0]
        current = _enclosing(current)
    return None


def _variables(boundary: Any, code: str, message: str) -> dict[str, Any]:
    meta = (getattr(boundary.task_spec, "extensions", None) or {}).get("baton", {})
    names: dict[str, str] = meta.get("error_variables", {})
    values = {"code": code, "message": message}
    return {name: values[key] for key, name in names.items() if key in values}


def deliver_error(task: Any, code: str, message: str) -> bool:
    """Fire the boundary event that catches `code`; False (nothing changed) when none does.

    The boundary's camunda:errorCodeVariable / errorMessageVariable receive the code and message.
    The caller advances the workflow afterwards (an interrupting boundary cancels the task).
    """
    boundary = catcher(task, code)
    if boundary is None:
        return False
    caught = boundary.task_spec.event_definition
    thrown = type(caught)(caught.name, code=code)
    boundary.task_spec.catch(boundary, BpmnEvent(thrown, payload=None))
    boundary.task_spec._update(boundary)
    boundary.data.update(_variables(boundary, code, message))
    return True
