"""What moving a running instance onto another Definition would do, element by element.

SpiffWorkflow has no migration API. An instance's saved state names each task's spec by name (the
spec itself lives in the Definition), so an instance can be moved by keeping every task and linking
it to the spec of the same name in the target. That is safe only when each element the instance is
in (a person's task, a timer, a message wait, a parked service call, a running subprocess, a join
holding a branch, a boundary event) exists in the target as the same kind of element, with the same
boundary events attached, and when no parallel join downstream would wait for a branch the instance
has already passed. The plan says which elements map, which block the move and why, and what else
changes (steps of the history that the target no longer has, names, forms, timer expressions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit, _EndJoin
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, SubWorkflowTask
from SpiffWorkflow.util.task import TaskState

from .definition import Definition
from .tasks import due_at

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
"""Task states that hold the instance somewhere: these must exist in the target."""
FORESEEN = TaskState.MAYBE | TaskState.LIKELY | TaskState.FUTURE
"""Task states of the path ahead, predicted from the flows of the version they were predicted on."""

Outcome = Literal["maps", "missing", "changed", "blocked"]

_EVENT_WORDS: tuple[tuple[type, str], ...] = (
    (DurationTimerEventDefinition, "timer"),
    (TimeDateEventDefinition, "timer (date)"),
    (CycleTimerEventDefinition, "timer (cycle)"),
    (MessageEventDefinition, "message"),
    (SignalEventDefinition, "signal"),
    (ErrorEventDefinition, "error"),
    (EscalationEventDefinition, "escalation"),
    (ConditionalEventDefinition, "conditional"),
)


@dataclass(frozen=True)
class ElementMove:
    """One element the instance is in, and what becomes of it in the target."""

    element_id: str
    name: str
    kind: str
    state: str
    task_id: str
    process_id: str
    outcome: Outcome
    reason: str = ""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"element_id": self.element_id, "name": self.name, "kind": self.kind, "state": self.state,
                "task_id": self.task_id, "process_id": self.process_id, "outcome": self.outcome,
                "reason": self.reason, "notes": list(self.notes)}


@dataclass(frozen=True)
class MigrationPlan:
    """Everything a move would do; `possible` is False when any element or join blocks it."""

    process_id: str
    elements: tuple[ElementMove, ...]
    blocked: tuple[str, ...] = ()
    """Parallel joins that would wait forever, one sentence each."""
    history_dropped: tuple[str, ...] = ()
    """Finished elements the target does not have: their steps leave the engine's history (the audit
    trail keeps them)."""
    variables: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def possible(self) -> bool:
        return not self.blocked and all(e.outcome == "maps" for e in self.elements)

    def reasons(self) -> list[str]:
        """Why the move is refused, one sentence per element or join (empty when possible)."""
        return [e.reason for e in self.elements if e.outcome != "maps"] + list(self.blocked)

    def to_dict(self) -> dict[str, Any]:
        return {
            "process_id": self.process_id,
            "possible": self.possible,
            "reasons": self.reasons(),
            "elements": [e.to_dict() for e in self.elements],
            "blocked": list(self.blocked),
            "history_dropped": list(self.history_dropped),
            "variables": {"kept": list(self.variables),
                          "note": "Every variable is kept as it is; the new version's scripts, "
                                  "conditions and forms read the same values."},
            "notes": list(self.notes),
        }


# --- walking the instance ------------------------------------------------------------------------


def workflows(top: Any) -> Iterator[tuple[Any, bool]]:
    """The top workflow, then each subprocess workflow (parents before children), with `is_top`."""
    yield top, True
    for sub in top.subprocesses.values():
        yield sub, False


def target_spec(workflow: Any, is_top: bool, target: Definition) -> Any:
    """The target's spec for this (sub)workflow, or None when the target has none of that name."""
    if is_top:
        return target.spec if target.spec.name == workflow.spec.name else None
    return target.subprocess_specs.get(workflow.spec.name)


def _label(spec: Any) -> str:
    return str(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name)


def _events(spec: Any) -> tuple[str, ...]:
    return tuple(sorted(type(item).__name__ for item in _event_items(spec)))


def signature(spec: Any) -> tuple[Any, ...]:
    """What must stay the same for a task to move: its class, event kinds and called process."""
    called = spec.spec if isinstance(spec, SubWorkflowTask) else None
    return type(spec).__name__, _events(spec), called


def _event_items(spec: Any) -> list[Any]:
    definition = getattr(spec, "event_definition", None)
    if definition is None:
        return []
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition]


def _has_event(spec: Any, cls: type) -> bool:
    return any(isinstance(item, cls) for item in _event_items(spec))


def _event_words(spec: Any) -> str:
    words = []
    for item in _event_items(spec):
        for cls, word in _EVENT_WORDS:
            if isinstance(item, cls):
                words.append(word)
                break
    return ", ".join(dict.fromkeys(words))


def kind(spec: Any, task: Any | None = None) -> str:
    """The element's kind in words a person reads."""
    events = _event_words(spec)
    if isinstance(spec, LoopTask):
        return "multi-instance or loop"
    if isinstance(spec, CallActivity):
        return f"call activity ({spec.spec})"
    if isinstance(spec, SubWorkflowTask):
        return "subprocess"
    if isinstance(spec, ServiceTask):
        return "service task"
    if isinstance(spec, BoundaryEvent):
        return f"boundary event ({events})"
    if isinstance(spec, EventBasedGateway):
        return "event-based gateway"
    if isinstance(spec, CatchingEvent):
        after_gateway = task is not None and task.parent is not None and isinstance(
            task.parent.task_spec, EventBasedGateway)
        return f"{events or 'event'} wait" + (" (after an event-based gateway)" if after_gateway else "")
    if isinstance(spec, ParallelGateway):
        return "parallel join"
    if isinstance(spec, InclusiveGateway):
        return "inclusive join"
    if isinstance(spec, _EndJoin):
        return "end of a branch"
    return _words(type(spec).__name__)


def _words(class_name: str) -> str:
    """A class name in words: UserTask -> user task."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", class_name.lstrip("_")).lower()


def attached(spec: Any) -> tuple[str, ...]:
    """The boundary events attached to a task spec (by element id)."""
    for parent in spec.inputs:
        if isinstance(parent, BoundaryEventSplit):
            return tuple(sorted(o.name for o in parent.outputs if o is not spec))
    return ()


# --- the plan --------------------------------------------------------------------------------------


def plan(workflow: Any, target: Definition, target_version: str = "the target version") -> MigrationPlan:
    """The plan for moving `workflow` (a loaded BpmnWorkflow) onto `target`; nothing is changed."""
    elements: list[ElementMove] = []
    blocked: list[str] = []
    dropped: list[str] = []
    for wf, is_top in workflows(workflow):
        spec = target_spec(wf, is_top, target)
        finished = bool(wf.completed)
        for task in wf.tasks.values():
            old = task.task_spec
            new = spec.task_specs.get(old.name) if spec is not None else None
            if task.has_state(TaskState.FINISHED_MASK) and new is None and getattr(old, "bpmn_id", None):
                dropped.append(old.bpmn_id)
            if finished or not task.has_state(ACTIVE):
                continue
            elements.append(_move(task, old, new, wf.spec.name, target_version))
        if spec is not None and not finished:
            blocked.extend(_blocked_joins(wf, spec))
    if any(e.outcome != "maps" for e in elements):
        blocked = []  # a join's branch starting at a missing element is that element's problem
    shown = [e for e in elements if e.element_id or e.outcome != "maps"]
    data = workflow.last_task.data if workflow.last_task is not None else workflow.task_tree.data
    return MigrationPlan(
        process_id=workflow.spec.name,
        elements=tuple(shown),
        blocked=tuple(blocked),
        history_dropped=tuple(dict.fromkeys(dropped)),
        variables=tuple(sorted(str(k) for k in data)),
    )


def _move(task: Any, old: Any, new: Any, process_id: str, target_version: str) -> ElementMove:
    base = {
        "element_id": getattr(old, "bpmn_id", None) or "",
        "name": _label(old),
        "kind": kind(old, task),
        "state": TaskState.get_name(task.state).lower(),
        "task_id": str(task.id),
        "process_id": process_id,
    }
    what = f"{base['kind']} {base['name']!r}" + (f" ({base['element_id']})" if base["element_id"] else "")
    if new is None:
        reason = f"The instance is at {what}, which {target_version} does not have."
        return ElementMove(**base, outcome="missing", reason=reason)
    if signature(old) != signature(new):
        reason = f"The instance is at {what}, which is a {kind(new)} in {target_version}."
        return ElementMove(**base, outcome="changed", reason=reason)
    if attached(old) != attached(new):
        before, after = ", ".join(attached(old)) or "none", ", ".join(attached(new)) or "none"
        reason = (f"The boundary events on {what} are {after} in {target_version}, but {before} now: "
                  "move the instance once it has left that element.")
        return ElementMove(**base, outcome="changed", reason=reason)
    return ElementMove(**base, outcome="maps", notes=tuple(_notes(task, old, new, target_version)))


def _notes(task: Any, old: Any, new: Any, target_version: str) -> list[str]:
    """What changes for an element that moves: its name, form, lane, timer or message."""
    notes = []
    if _label(old) != _label(new):
        notes.append(f"It is called {_label(new)!r} in {target_version}.")
    if getattr(old, "manual", False):
        before, after = _meta(old), _meta(new)
        old_fields = [f.get("id") for f in before.get("form_fields", [])]
        new_fields = [f.get("id") for f in after.get("form_fields", [])]
        added = [f for f in new_fields if f not in old_fields]
        removed = [f for f in old_fields if f not in new_fields]
        if added or removed:
            parts = [f"new fields {', '.join(map(str, added))}" if added else "",
                     f"fields gone {', '.join(map(str, removed))}" if removed else ""]
            notes.append(f"Its form changes: {'; '.join(p for p in parts if p)}.")
        if getattr(old, "lane", None) != getattr(new, "lane", None):
            notes.append(f"It is in lane {new.lane!r} in {target_version}.")
        keys = ("assignee", "candidate_users", "candidate_groups")
        if any(before.get(k) != after.get(k) for k in keys):
            notes.append(f"{target_version} offers it to other people; whoever holds it now keeps it.")
    if _has_event(old, TimerEventDefinition):
        when = due_at(task.internal_data.get("event_value"))
        armed = f"keeps its due time ({when:%Y-%m-%d %H:%M:%S} UTC)" if when else "keeps its due time"
        note = f"The timer {armed}"
        expressions = [getattr(s.event_definition, "expression", None) for s in (old, new)]
        if expressions[0] != expressions[1]:
            note += f"; {target_version}'s timer expression applies to timers armed from now on"
        notes.append(note + ".")
    for label, cls in (("message", MessageEventDefinition), ("signal", SignalEventDefinition)):
        if _has_event(old, cls):
            before_name = getattr(old.event_definition, "name", None)
            after_name = getattr(new.event_definition, "name", None)
            if before_name != after_name:
                notes.append(f"It waits for {label} {after_name!r} from now on (was {before_name!r}).")
    if isinstance(old, ServiceTask):
        notes.append("A call already requested goes on; its result completes the task on the new version.")
    return notes


def _meta(spec: Any) -> dict[str, Any]:
    extensions = getattr(spec, "extensions", None) or {}
    meta: dict[str, Any] = extensions.get("baton", {})
    return meta


def _reachable(spec: Any, starts: list[Any], stop: Any) -> set[str]:
    """Names of the target specs reachable from `starts` along the flows, not passing through `stop`."""
    seen: set[str] = set()
    todo = [s for s in starts if s is not None]
    while todo:
        current = todo.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        if current is not stop:
            todo.extend(current.outputs)
    return seen


def _blocked_joins(wf: Any, spec: Any) -> list[str]:
    """Parallel joins of the target that this instance would reach but never pass."""
    active = [t for t in wf.tasks.values() if t.has_state(ACTIVE)]
    starts = [spec.task_specs.get(t.task_spec.name) for t in active]
    found = []
    for join in spec.task_specs.values():
        if not isinstance(join, ParallelGateway) or len(join.inputs) < 2:
            continue
        reached = _reachable(spec, starts, join)
        if join.name not in reached:
            continue
        arrived = {t.parent.task_spec.name for t in wf.tasks.values()
                   if t.task_spec.name == join.name and t.parent is not None
                   and t.parent.has_state(TaskState.COMPLETED)}
        ahead = set().union(*(_reachable(spec, [s], join) - {join.name} for s in starts if s is not join))
        for branch in join.inputs:
            if branch.name not in arrived and branch.name not in ahead:
                found.append(f"The parallel join {_label(join)!r} would wait forever for the branch from "
                             f"{_label(branch)!r}, which this instance has passed or will not take.")
    return found
