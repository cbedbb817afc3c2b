"""Errors and escalations thrown by events: caught only in the thrower's scopes, with its variables.

The SpiffArena event definitions Baton parses both dialects with throw an error or escalation
without a target, so SpiffWorkflow hands it to every waiting event that catches its code anywhere in
the instance: an escalation thrown in one subprocess would also fire the boundary events of a
parallel, unrelated one. Baton gives the event the thrower's workflow as its target, and
`event_subprocesses._catchers` walks the scopes outwards from there (the scope's event subprocesses,
then the boundary events of the enclosing activity, and so on); one that nothing catches changes
nothing (Camunda: an uncaught escalation does not fail the instance).

The catching boundary event or event subprocess also continues with the thrower's variables, as
Camunda's do (an embedded subprocess shares its process's variables, so its boundary paths see what
was set inside it); not across a call activity, whose variables stay its own. The SpiffArena payload
(`spiffworkflow:payloadExpression` into `spiffworkflow:variableName`) is set after them.
"""

from __future__ import annotations

import copy
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, EventSubprocess
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition, EscalationEventDefinition

THROWER = "baton_thrower"
"""Attribute of a thrown BpmnEvent (never serialized): the task that threw it."""

THROWER_DATA = "baton_thrower_data"
"""internal_data key on a catching task: the thrower's variables, merged in when it runs."""

_CLASSES = (ErrorEventDefinition, EscalationEventDefinition)
_library: dict[Any, tuple[Any, ...]] = {
    cls: (cls.throw, cls.catch, cls.update_task_data, cls.reset) for cls in _CLASSES}


def _owner(workflow: Any) -> Any:
    """The subprocess or call activity task whose workflow this is, or None at the top."""
    if workflow.parent_task_id is None or workflow is workflow.top_workflow:
        return None
    return workflow.top_workflow.get_task_from_id(workflow.parent_task_id)


def _scope_of(catcher: Any) -> Any:
    """The workflow whose variables a catching task continues with (an event subprocess's scope)."""
    owner = _owner(catcher.workflow)
    if isinstance(catcher.task_spec, StartEvent) and owner is not None \
            and isinstance(owner.task_spec, EventSubprocess):
        return owner.workflow
    return catcher.workflow


def shares_variables(thrower: Any, catcher: Any) -> bool:
    """Is the catcher's scope the thrower's, or around it through embedded subprocesses only?"""
    scope, workflow = _scope_of(catcher), thrower.workflow
    while workflow is not None and workflow is not scope:
        owner = _owner(workflow)
        if owner is None or isinstance(owner.task_spec, CallActivity):
            return False
        workflow = owner.workflow
    return workflow is scope


def _throw(self: Any, my_task: Any) -> None:
    payload = None
    if self.expression is not None:
        payload = my_task.workflow.script_engine.evaluate(my_task, self.expression)
    event = BpmnEvent(self, payload=payload, target=my_task.workflow)
    setattr(event, THROWER, my_task)
    my_task.workflow.top_workflow.catch(event)


def _catch(self: Any, my_task: Any, event: Any = None) -> None:
    thrower = getattr(event, THROWER, None)
    if thrower is not None and shares_variables(thrower, my_task):
        my_task.internal_data[THROWER_DATA] = copy.deepcopy(thrower.data)
    _original(self, 1)(self, my_task, event)


def _update_task_data(self: Any, my_task: Any) -> None:
    variables = my_task.internal_data.pop(THROWER_DATA, None)
    if variables:
        my_task.data.update(variables)
    _original(self, 2)(self, my_task)


def _reset(self: Any, my_task: Any) -> None:
    my_task.internal_data.pop(THROWER_DATA, None)
    _original(self, 3)(self, my_task)


def _original(definition: Any, hook: int) -> Any:
    """SpiffWorkflow's own throw (0), catch (1), update_task_data (2) or reset (3) for this definition."""
    for cls, hooks in _library.items():
        if isinstance(definition, cls):
            return hooks[hook]
    raise TypeError(f"not an error or escalation definition: {definition!r}")


def install() -> None:
    """Scope the errors and escalations SpiffArena's event definitions throw (idempotent)."""
    for cls in _CLASSES:
        cls.throw = _throw
        cls.catch = _catch
        cls.update_task_data = _update_task_data
        cls.reset = _reset
