"""Messages and signals: deliver them to waiting events, start at a message start event, collect throws.

SpiffWorkflow correlates messages only inside one workflow; routing a message to the right instance
among many is the server's job. So delivery here trusts its caller: a message goes to every event
of this instance that waits for its name, unless a `correlation` (SpiffArena correlation keys,
`{key: {property: value}}`, as thrown messages carry them) disagrees with the correlation values
the instance already holds. The delivered data lands where the model says (SpiffArena's
`messageVariable`) AND, when it is an object, its keys are merged into the variables.
Messages the instance throws that nothing inside it catches, and every signal it throws (a signal
is a broadcast: caught inside, it still goes out), queue in the workflow; `take_thrown` empties that
queue for the server to route. Signal start events start instances like message start events do.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from SpiffWorkflow.bpmn.specs.control import StartEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .errors import BpmnError
from .timers import begin_at_start_event

EventKind = Literal["message", "signal"]
_CLASSES: dict[str, type] = {"message": MessageEventDefinition, "signal": SignalEventDefinition}


@dataclass(frozen=True)
class ThrownMessage:
    """A message or signal an instance threw that nothing inside it caught: the server routes it."""

    name: str
    payload: Any
    correlation: dict[str, Any] = field(default_factory=dict, compare=False)
    """SpiffArena correlation keys of a message: `{key: {property: value}}` ({} for signals)."""
    kind: EventKind = "message"


def definitions_of(event_definition: Any) -> list[Any]:
    """The event definitions behind one (a multiple event has several)."""
    if isinstance(event_definition, MultipleEventDefinition):
        return list(event_definition.event_definitions)
    return [event_definition]


def _named(event_definition: Any, kind: EventKind, name: str) -> Any:
    wanted = _CLASSES[kind]
    return next((item for item in definitions_of(event_definition)
                 if isinstance(item, wanted) and getattr(item, "name", None) == name), None)


def message_starts(spec: Any) -> list[str]:
    """The message names of a top-level process spec's message start events, sorted."""
    names = set()
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent):
            for item in definitions_of(getattr(task_spec, "event_definition", None)):
                if isinstance(item, MessageEventDefinition) and item.name:
                    names.add(str(item.name))
    return sorted(names)


def signal_starts(spec: Any) -> dict[str, str]:
    """The signal start events of a top-level process spec: signal name -> element id (first wins)."""
    found: dict[str, str] = {}
    for task_spec in sorted(spec.task_specs.values(), key=lambda ts: str(ts.bpmn_id)):
        if isinstance(task_spec, StartEvent):
            for item in definitions_of(getattr(task_spec, "event_definition", None)):
                if isinstance(item, SignalEventDefinition) and item.name:
                    found.setdefault(str(item.name), str(task_spec.bpmn_id))
    return found


def _agrees(held: Mapping[str, Any], wanted: Mapping[str, Any] | None) -> bool:
    """A correlation matches unless a key both sides know has different values."""
    if not wanted or not held:
        return True
    return all(held[key] == value for key, value in wanted.items() if key in held)


def _correlations_of(task: Any, definition: Any, payload: Any) -> dict[str, Any]:
    """The correlation values a message carries, by the catching definition's retrieval expressions."""
    properties = getattr(definition, "correlation_properties", None)
    if not properties or not isinstance(payload, Mapping):
        return {}
    try:
        found: dict[str, Any] = definition.get_correlations(task, dict(payload))
    except Exception:  # the payload lacks a property: the server already chose this instance
        return {}
    return found


def _catch(task: Any, definition: Any, payload: Any, correlation: Mapping[str, Any] | None) -> None:
    correlations = dict(correlation) if correlation else _correlations_of(task, definition, payload)
    event = BpmnEvent(definition, payload=copy.deepcopy(payload), correlations=correlations)
    task.workflow.correlations.update(correlations)
    if isinstance(definition, MessageEventDefinition):
        task.internal_data[definition.name] = event.payload  # what SpiffWorkflow's catch records
    spec_definition = task.task_spec.event_definition
    if isinstance(spec_definition, MultipleEventDefinition):
        seen = [*task.internal_data.get("seen_events", []), event]
        task._set_internal_data(seen_events=seen)
    else:
        task._set_internal_data(event_fired=True)
        if not isinstance(definition, MessageEventDefinition):
            definition.catch(task, event)
    task._set_state(TaskState.WAITING)
    task.task_spec._update(task)  # READY now; it inherits its parent's data on the way
    if isinstance(payload, Mapping) and task.has_state(TaskState.READY):
        task.data.update(copy.deepcopy(dict(payload)))


def deliver(workflow: BpmnWorkflow, kind: EventKind, name: str, data: Any,
            correlation: Mapping[str, Any] | None = None) -> int:
    """Hand a message or signal to every event of this workflow waiting for it; how many caught it."""
    caught = 0
    for task in list(workflow.event_manager.tasks.values()):
        if not task.has_state(TaskState.WAITING) or task.workflow.top_workflow is not workflow:
            continue
        definition = _named(task.task_spec.event_definition, kind, name)
        if definition is None:
            continue
        if kind == "message" and not _agrees(task.workflow.correlations, correlation):
            continue
        _catch(task, definition, data, correlation)
        caught += 1
    return caught


def begin_with_message(workflow: BpmnWorkflow, name: str, data: Any,
                       correlation: Mapping[str, Any] | None = None) -> None:
    """Set a new workflow going from its message start event for `name`, the message delivered.

    The other start events are left waiting; SpiffWorkflow's start-event join cancels them.
    """
    _begin(workflow, "message", name, data, correlation)


def begin_at(workflow: BpmnWorkflow, element_id: str, data: Any) -> None:
    """Set a new workflow going from start event `element_id`: a message or signal start event with
    `data` delivered to it, a timer start event as if its timer had fired."""
    for task_spec in workflow.spec.task_specs.values():
        if isinstance(task_spec, StartEvent) and task_spec.bpmn_id == element_id:
            for item in definitions_of(getattr(task_spec, "event_definition", None)):
                kind: EventKind | None = ("message" if isinstance(item, MessageEventDefinition) else
                                          "signal" if isinstance(item, SignalEventDefinition) else None)
                if kind is not None and item.name:
                    _begin(workflow, kind, str(item.name), data, None, element_id)
                    return
    begin_at_start_event(workflow, element_id)


def _begin(workflow: BpmnWorkflow, kind: EventKind, name: str, data: Any,
           correlation: Mapping[str, Any] | None, element_id: str | None = None) -> None:
    for task in workflow.get_tasks(state=TaskState.READY):
        if task.task_spec.name == "Start":
            task.run()
    for split in workflow.get_tasks(spec_class=StartEventSplit, state=TaskState.READY):
        split.run()
    chosen: Any = None
    definition: Any = None
    for task in workflow.get_tasks(spec_class=StartEvent):
        found = _named(getattr(task.task_spec, "event_definition", None), kind, name)
        if (chosen is None and found is not None and task.workflow is workflow
                and element_id in (None, task.task_spec.bpmn_id)):
            chosen, definition = task, found
        elif task.has_state(TaskState.READY):
            task._set_state(TaskState.WAITING)
    if chosen is None:
        raise BpmnError(f"process {workflow.spec.name!r} has no {kind} start event for {name!r}")
    _catch(chosen, definition, data, correlation)


def take_thrown(workflow: BpmnWorkflow, plain: Any) -> list[ThrownMessage]:
    """Empty the queue of messages and signals thrown out of the workflow (other events are dropped)."""
    thrown = []
    for event in workflow.get_events():
        definition = event.event_definition
        kind: EventKind | None = None
        if isinstance(definition, MessageEventDefinition):
            kind = "message"
        elif isinstance(definition, SignalEventDefinition):
            kind = "signal"
        if kind is None or not definition.name:
            continue
        correlation = plain(event.correlations) if kind == "message" else {}
        thrown.append(ThrownMessage(str(definition.name), plain(event.payload), correlation, kind))
    return thrown
