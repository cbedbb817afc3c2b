"""Event subprocesses the BPMN way: interrupting or not, started by message, timer, signal, error, escalation.

SpiffWorkflow 3.2 ignores `isInterrupting`, parses no error or escalation start event (such an event
subprocess starts at once, with the process), starts message and signal event subprocesses only in
the top-level process and only for events thrown inside the instance, and never lets a process end
while a timer event subprocess still waits. Baton instead:

- keeps every event subprocess *listening* from the moment its scope (the process, or the embedded
  subprocess that contains it) starts: its start event waits like any catch event, so messages and
  signals delivered from outside, timers and thrown events all reach it, and the server's
  subscription index and timer rows see it;
- when the start event fires, an *interrupting* event subprocess cancels every other open task of
  its scope (user tasks, timers, other listeners, nested subprocesses) and runs; the scope ends when
  it ends. A *non-interrupting* one (`isInterrupting="false"`) runs alongside, and a new listener is
  armed for the next message, signal or escalation (a timer cycle repeats by itself);
- a scope whose other work is done ends, cancelling the listeners that never fired;
- errors and escalations look for an event subprocess of the scope they are thrown in before the
  boundary events of the enclosing activity, scope by scope outwards.

A fired event subprocess starts from the scope's latest variables (the last task completed in it),
not from those the scope had when it started. Installed once, at import of `bpmn`.
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    CodeEventDefinition,
    ErrorEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess
from SpiffWorkflow.bpmn.util.event import EventManager
from SpiffWorkflow.spiff.parser.event_parsers import SpiffStartEventParser
from SpiffWorkflow.spiff.parser.task_spec import SubWorkflowParser
from SpiffWorkflow.spiff.specs.defaults import EventSubprocess as SpiffEventSubprocess
from SpiffWorkflow.util.task import TaskIterator, TaskState

from . import boundary_events, code_events
from .errors import Problem
from .metadata import BPMN_NS
from .xmlsafe import line

FIRED = "baton_event_subprocess_fired"
"""internal_data key on an event subprocess task whose start event has fired (handled once)."""

NON_INTERRUPTING = "Non-Interrupting "
"""Prefix of a start event spec's description for `isInterrupting="false"` (SpiffWorkflow marks
boundary events the same way; start event specs have no other serialized place for it)."""

_ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


# --- parsing ---------------------------------------------------------------------------------


def _in_event_subprocess(node: etree._Element) -> bool:
    parent = node.getparent()
    return parent is not None and parent.get("triggeredByEvent") == "true"


class BatonStartEventParser(SpiffStartEventParser):  # type: ignore[misc]
    """Start events, with error and escalation start events of event subprocesses and `isInterrupting`."""

    def create_task(self) -> Any:
        paths = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH]
        if _in_event_subprocess(self.node):
            paths += [ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH]
        task = self._create_task(self.get_event_definition(paths))
        self.spec.start.connect(task)
        if _in_event_subprocess(self.node) and self.node.get("isInterrupting") == "false":
            task.description = NON_INTERRUPTING + (task.description or "Start Event")
        return task


class BatonSubWorkflowParser(SubWorkflowParser):  # type: ignore[misc]
    """Embedded subprocesses; `triggeredByEvent="true"` ones become event subprocesses.

    (SpiffWorkflow looks for a namespaced `bpmn:triggeredByEvent` attribute, which models never
    have, so it parses every event subprocess as a plain embedded subprocess.)
    """

    def create_task(self) -> Any:
        task = super().create_task()
        if self.node.get("triggeredByEvent") == "true" and not isinstance(task, EventSubprocess):
            del self.spec.task_specs[task.name]
            task = SpiffEventSubprocess(self.spec, self.bpmn_id, subworkflow_spec=task.spec,
                                        prescript=task.prescript, postscript=task.postscript,
                                        **self.bpmn_attributes)
        return task


def _q(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


_TRIGGERS = ("messageEventDefinition", "signalEventDefinition", "timerEventDefinition",
             "errorEventDefinition", "escalationEventDefinition", "conditionalEventDefinition")


def check_event_subprocesses(file: str, root: etree._Element) -> list[Problem]:
    """An event subprocess needs one start event with a trigger; an error one always interrupts."""
    problems = []
    for sub in root.iter(_q("subProcess")):
        if sub.get("triggeredByEvent") != "true":
            continue
        starts = list(sub.iterchildren(_q("startEvent")))
        if len(starts) != 1:
            name = sub.get("name") or sub.get("id")
            problems.append(Problem(file, line(sub), sub.get("id"), f"event subprocess '{name}' needs "
                                    f"exactly one start event (it has {len(starts)})"))
            continue
        start = starts[0]
        triggers = [child for name in _TRIGGERS for child in start.iterchildren(_q(name))]
        if not triggers:
            problems.append(Problem(file, line(start), start.get("id"),
                                    "the start event of an event subprocess needs a trigger (message, timer, "
                                    "signal, error, escalation or condition): a plain one never fires"))
        elif (start.get("isInterrupting") == "false"
              and any(t.tag == _q("errorEventDefinition") for t in triggers)):
            problems.append(Problem(file, line(start), start.get("id"),
                                    'an error start event always interrupts: remove isInterrupting="false"'))
    return problems


def listen_from_the_start(spec: Any) -> None:
    """Connect every event subprocess of a (sub)process spec to its start, to listen while it runs.

    SpiffWorkflow keeps message and signal event subprocesses aside as "triggers" of the top-level
    process only; here they listen like timer ones do. Idempotent.
    """
    start = spec.start
    for name in list(getattr(start, "trigger_specs", [])):
        task_spec = spec.task_specs.get(name)
        if not isinstance(task_spec, EventSubprocess):
            continue  # deployed before Baton knew event subprocesses: left as it was
        if task_spec not in start.outputs:
            start.connect(task_spec)
            task_spec.connect(spec.end)
    if hasattr(start, "trigger_specs"):
        start.trigger_specs = [name for name in start.trigger_specs
                               if not isinstance(spec.task_specs.get(name), EventSubprocess)]


# --- the running side ------------------------------------------------------------------------


def _parent_task(workflow: Any) -> Any:
    if workflow.parent_task_id is None or workflow is workflow.top_workflow:
        return None
    return workflow.top_workflow.get_task_from_id(workflow.parent_task_id)


def _event_subprocess_of(task: Any) -> Any:
    """The event subprocess task whose subworkflow `task` runs in (directly), or None."""
    parent = _parent_task(task.workflow)
    return parent if parent is not None and isinstance(parent.task_spec, EventSubprocess) else None


def _start_events(sub: Any) -> list[Any]:
    return [t for t in sub.tasks.values() if isinstance(t.task_spec, StartEvent)]


def _idle(sub: Any) -> bool:
    """Nothing runs in an event subprocess's workflow: its start event still (or again) waits."""
    for task in sub.get_tasks(state=_ACTIVE):
        if task.workflow is not sub:
            return False
        if task.has_state(TaskState.WAITING) and isinstance(task.task_spec, StartEvent | _EndJoin):
            continue
        return False
    return True


def _listening(task: Any) -> bool:
    """An event subprocess task that waits for its trigger and has nothing running."""
    if not isinstance(task.task_spec, EventSubprocess) or not task.has_state(TaskState.STARTED):
        return False
    sub = task.workflow.top_workflow.subprocesses.get(task.id)
    return sub is not None and not sub.completed and _idle(sub)


def listeners(scope: Any) -> list[Any]:
    """The waiting start events of the event subprocesses listening in workflow `scope`."""
    found = []
    for task in scope.top_workflow.event_manager.tasks.values():
        if isinstance(task.task_spec, StartEvent) and task.has_state(TaskState.WAITING):
            owner = _event_subprocess_of(task)
            if owner is not None and owner.workflow is scope:
                found.append(task)
    return found


def _scope_data(scope: Any) -> dict[str, Any]:
    source = scope.last_task if scope.last_task is not None else scope.task_tree
    return copy.deepcopy(dict(source.data))


def _esp_names(workflow: Any) -> frozenset[str]:
    """The spec names of the event subprocesses a workflow can run (cached on the workflow)."""
    cached: frozenset[str] | None = workflow.__dict__.get("_baton_esp_names")
    if cached is None:
        cached = frozenset(
            task_spec.spec
            for spec in (workflow.spec, *workflow.subprocess_specs.values())
            for task_spec in spec.task_specs.values() if isinstance(task_spec, EventSubprocess))
        workflow.__dict__["_baton_esp_names"] = cached
    return cached


def _interrupt(esp_task: Any) -> None:
    """Cancel every open task of the event subprocess's scope but the event subprocess itself."""
    scope = esp_task.workflow
    victims = [t for t in scope.get_tasks(state=TaskState.NOT_FINISHED_MASK)
               if t.workflow is scope and t is not esp_task and not t.is_descendant_of(esp_task)
               and not esp_task.is_descendant_of(t)]
    for task in sorted(victims, key=lambda t: t.depth, reverse=True):
        if task.id in scope.tasks and task.has_state(TaskState.NOT_FINISHED_MASK):
            task.cancel()


def _rearms(start: Any) -> bool:
    """Does a fired non-interrupting start event need a new listener for the next occurrence?"""
    definition = start.task_spec.event_definition
    return not isinstance(definition, TimerEventDefinition | NoneEventDefinition)


def _rearm(esp_task: Any) -> None:
    child = esp_task.parent._add_child(esp_task.task_spec, TaskState.FUTURE)
    child.triggered = True
    child.task_spec._update(child)


def interrupting(start_spec: Any) -> bool:
    """Whether an event subprocess start event interrupts its scope (the BPMN default)."""
    if isinstance(start_spec.event_definition, ErrorEventDefinition):
        return True
    return not (start_spec.description or "").startswith(NON_INTERRUPTING)


def sweep(workflow: Any) -> None:
    """Act on event subprocesses whose start event fired since the last sweep: interrupt or re-arm."""
    workflow.__dict__["_baton_esp_dirty"] = False
    names = _esp_names(workflow)
    if not names:
        return
    for task_id, sub in list(workflow.subprocesses.items()):
        if sub.completed or sub.spec.name not in names:
            continue
        esp_task = workflow.get_task_from_id(task_id)
        if (esp_task is None or not isinstance(esp_task.task_spec, EventSubprocess)
                or esp_task.internal_data.get(FIRED) or not esp_task.has_state(TaskState.STARTED)
                or _idle(sub)):
            continue
        esp_task.internal_data[FIRED] = True
        starts = _start_events(sub)
        if not starts:
            continue
        if interrupting(starts[0].task_spec):
            _interrupt(esp_task)
        elif _rearms(starts[0]):
            _rearm(esp_task)


def needs_sweep(workflow: Any) -> bool:
    """Did a start event of an event subprocess fire since the last sweep?"""
    return bool(workflow.__dict__.get("_baton_esp_dirty"))


# --- hooks into SpiffWorkflow ------------------------------------------------------------------

_library_on_ready = StartEvent._on_ready_hook
_library_catch = EventManager.catch
_library_end_run = _EndJoin._run_hook


def _on_ready_hook(self: Any, my_task: Any) -> None:
    _library_on_ready(self, my_task)
    esp_task = _event_subprocess_of(my_task)
    if esp_task is not None:
        if not isinstance(self.event_definition, CycleTimerEventDefinition):
            my_task.data = _scope_data(esp_task.workflow)
        my_task.workflow.top_workflow.__dict__["_baton_esp_dirty"] = True


def _catchers(manager: EventManager, event: Any) -> list[Any]:
    """Where an error or escalation thrown in `event.target` is caught: scope by scope outwards.

    In the scope it is thrown in, its event subprocesses; further out, the boundary events of the
    enclosing activity (the subprocess or call activity it was thrown in) come before that scope's
    event subprocesses. Never the boundary events of another activity (bpmn/code_events.py).
    """
    level, came_from = event.target, None
    while level is not None:
        if came_from is not None and came_from.parent is not None:
            boundaries = [t for t in came_from.parent.children
                          if isinstance(t.task_spec, BoundaryEvent) and t.id in manager.tasks
                          and t.task_spec.catches(t, event)]
            if boundaries:
                return _naming_the_code(boundaries)
        esps = [t for t in listeners(level) if t.task_spec.event_definition.catches(t, event)]
        if esps:
            return _naming_the_code(esps)
        came_from, level = _parent_task(level), level.parent_workflow
    return []


def _naming_the_code(catchers: list[Any]) -> list[Any]:
    """Those naming the thrown code win over catch-alls (no errorRef/escalationRef) of the same scope."""
    named = [t for t in catchers if t.task_spec.event_definition.code]
    return named or catchers


def _catch(self: EventManager, event: Any, internal: bool = True) -> int:
    if event.target is not None and isinstance(event.event_definition, CodeEventDefinition):
        tasks = _catchers(self, event)  # none: nothing changes (Camunda: an uncaught escalation is ignored)
        for task in tasks:
            task.task_spec.catch(task, event)
            task.task_spec._update(task)
        return len(tasks)
    count: int = _library_catch(self, event, internal)
    signal = isinstance(event.event_definition, SignalEventDefinition)
    if count and internal and event.target is None and signal:
        # A signal is a broadcast: caught inside this instance, it still goes to the others.
        self.workflow.bpmn_events.append(event)
    return count


def _end_check(self: Any, my_task: Any) -> bool:
    """The scope's end waits for every open task except event subprocesses that only listen."""
    for task in TaskIterator(my_task.workflow.task_tree, state=TaskState.NOT_FINISHED_MASK,
                             end_at_spec=self.name):
        if task == my_task or _listening(task) or (task.parent is not None and _listening(task.parent)):
            continue
        return False
    return True


def _end_run(self: Any, my_task: Any) -> Any:
    for task in list(my_task.workflow.tasks.values()):
        if task.has_state(TaskState.STARTED) and _listening(task):
            task.cancel()
    return _library_end_run(self, my_task)


def install() -> None:
    """Hook Baton's event subprocess behaviour into SpiffWorkflow (idempotent), with the scoping of
    thrown errors and escalations and the re-arming of non-interrupting boundary events."""
    code_events.install()
    boundary_events.install()
    StartEvent._on_ready_hook = _on_ready_hook
    EventManager.catch = _catch
    _EndJoin._check_threshold_unstructured = _end_check
    _EndJoin._run_hook = _end_run

