"""BPMN timers the Baton way: UTC dates, cron cycles, a clock the server sets, and timer start events.

SpiffWorkflow's timer event definitions compare against `datetime.now()` and read naive dates as
server-local time. Baton swaps them, right after parsing, for subclasses that
- evaluate the expression with the instance's script engine (`"PT5M"` — bare values are quoted by
  fixups — `${var}`, or any Python expression giving a string, datetime, date or timedelta),
- read dates without an offset as UTC, accept cron in timeCycle, and
- take "now" from `timer_values.now()`, which `fire_due_timers(at)` sets to the moment the server
  judged the timer due: a timer fires exactly when the server says and never before its due time.
The state they keep on the waiting task (`internal_data['event_value']`) has SpiffWorkflow's shape
(an ISO string, or `{'cycles', 'next', 'duration'}` plus `cron` for cron cycles), so waits and
`waiting_events()` read it as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.specs.control import StartEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from .errors import BpmnError
from .script_engine import evaluate_expression
from .serialization import REGISTRY
from .stepping import record_failure
from .timer_values import (
    Cycle,
    TimerValueError,
    add_duration,
    as_utc,
    now,
    parse_cycle,
    parse_date,
    text_of,
)

TimerKind = Literal["date", "duration", "cycle"]


def _evaluate(my_task: Any, expression: str) -> str:
    return text_of(my_task.workflow.script_engine.evaluate(my_task, expression))


def _first_value(my_task: Any, compute: Callable[[], Any]) -> Any:
    """Work out a timer's due value when it starts waiting; a failure puts THIS task in ERROR.

    (Raised on, it would be recorded on the task that led here, which has already completed.)
    """
    try:
        return compute()
    except Exception as exc:
        record_failure(my_task, exc)
        raise


def _fired(my_task: Any) -> bool:
    return bool(my_task._get_internal_data("event_fired", False))


class BatonTimeDate(TimeDateEventDefinition):  # type: ignore[misc]
    """timeDate: fires at a date (no offset = UTC)."""

    def has_fired(self, my_task: Any) -> bool:
        value = my_task._get_internal_data("event_value")
        if _fired(my_task):
            return True
        if value is None:
            value = _first_value(my_task, lambda: parse_date(_evaluate(my_task, self.expression)).isoformat())
            my_task._set_internal_data(event_value=value)
        if parse_date(value) <= now():
            my_task._set_internal_data(event_fired=True)
        return _fired(my_task)


class BatonDuration(DurationTimerEventDefinition):  # type: ignore[misc]
    """timeDuration: fires a duration after the event starts waiting."""

    def has_fired(self, my_task: Any) -> bool:
        value = my_task._get_internal_data("event_value")
        if _fired(my_task):
            return True
        if value is None:
            value = _first_value(
                my_task, lambda: add_duration(now(), _evaluate(my_task, self.expression)).isoformat())
            my_task._set_internal_data(event_value=value)
        if parse_date(value) <= now():
            my_task._set_internal_data(event_fired=True)
        return _fired(my_task)


def _cycle_value(cycle: Cycle) -> dict[str, Any]:
    value: dict[str, Any] = {
        "cycles": cycle.cycles, "next": cycle.first.isoformat(), "duration": cycle.seconds,
    }
    if cycle.cron is not None:
        value["cron"] = cycle.cron
    return value


def following(value: dict[str, Any], due: datetime, current: datetime) -> datetime:
    """The occurrence after `due` that is later than `current` (missed occurrences are skipped)."""
    cycle = Cycle(int(value["cycles"]), due, float(value["duration"]), value.get("cron"))
    if cycle.cron is None and cycle.seconds <= 0:
        return current
    step = cycle.after(due)
    if step <= current and cycle.cron is None:
        missed = int((current - step).total_seconds() // cycle.seconds) + 1
        step += timedelta(seconds=cycle.seconds * missed)
    elif step <= current:
        step = cycle.after(current)
    return step


def _repeats(my_task: Any) -> bool:
    """Does a cycle repeat here? On boundary events and (event subprocess) start events only."""
    return isinstance(my_task.task_spec, BoundaryEvent | StartEvent)


class BatonCycle(CycleTimerEventDefinition):  # type: ignore[misc]
    """timeCycle: fires every interval (or on a cron schedule), n times or forever.

    A cycle that fell behind (no worker ran for a while) fires once and then resumes its schedule,
    rather than firing every missed occurrence in a burst. On an intermediate catch event (or after
    an event-based gateway) a path passes the event once: the cycle fires once, at its first
    occurrence, as in Camunda (SpiffWorkflow would run the rest of the path once per occurrence).
    """

    def has_fired(self, my_task: Any) -> bool:
        if _repeats(my_task) or _fired(my_task):
            return bool(super().has_fired(my_task))
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = _first_value(my_task, lambda: _cycle_value(self._cycle(my_task)))
            my_task._set_internal_data(event_value=value)
        if parse_date(value["next"]) <= now():
            my_task._set_internal_data(event_fired=True)
            if not my_task.children:  # SpiffWorkflow does not predict the path after a cycle
                for output in my_task.task_spec.outputs:
                    child = my_task._add_child(output, TaskState.FUTURE)
                    child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        return _fired(my_task)

    def update_task(self, my_task: Any) -> None:
        if _repeats(my_task):
            super().update_task(my_task)

    def _cycle(self, my_task: Any) -> Cycle:
        cycle = parse_cycle(_evaluate(my_task, self.expression), now())
        if cycle.cron is None and cycle.seconds <= 0:
            raise TimerValueError(f"the time cycle {self.expression!r} repeats every 0 seconds")
        return cycle

    def cycle_complete(self, my_task: Any) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = _first_value(my_task, lambda: _cycle_value(self._cycle(my_task)))
        if value["cycles"] == 0:
            my_task.internal_data.pop("event_value", None)
            my_task._set_internal_data(event_fired=True)
            return False
        due = parse_date(value["next"])
        current = now()
        if due > current:
            my_task._set_internal_data(event_value=value)
            return False
        value["cycles"] -= 1
        if value["cycles"] == 0:  # the last occurrence: the event is done once its branch is out
            my_task.internal_data.pop("event_value", None)
            my_task._set_internal_data(event_fired=True)
        else:
            value["next"] = following(value, due, current).isoformat()
            my_task._set_internal_data(event_value=value)
        return True


_SWAPS: dict[type, type] = {
    TimeDateEventDefinition: BatonTimeDate,
    DurationTimerEventDefinition: BatonDuration,
    CycleTimerEventDefinition: BatonCycle,
}

for _cls in (BatonTimeDate, BatonDuration, BatonCycle):
    TimerConditionalEventDefinitionConverter(_cls, REGISTRY, typename=_cls.__name__)


def _swapped(definition: Any) -> Any:
    if isinstance(definition, MultipleEventDefinition):
        definition.event_definitions = [_swapped(item) for item in definition.event_definitions]
        return definition
    target = _SWAPS.get(type(definition))
    if target is None:
        return definition
    return target(definition.name, definition.expression, description=definition.description)


def use_baton_timers(spec: Any) -> None:
    """Replace SpiffWorkflow's timer event definitions in a parsed process spec with Baton's."""
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if definition is not None:
            task_spec.event_definition = _swapped(definition)


# -- timer start events -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimerStart:
    """A timer start event of a process: the server creates instances on its schedule."""

    element_id: str
    name: str
    kind: TimerKind
    expression: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-able form."""
        return {"element_id": self.element_id, "name": self.name, "kind": self.kind,
                "expression": self.expression}


def _kind(definition: TimerEventDefinition) -> TimerKind:
    if isinstance(definition, CycleTimerEventDefinition):
        return "cycle"
    if isinstance(definition, DurationTimerEventDefinition):
        return "duration"
    return "date"


def timer_starts(spec: Any) -> list[TimerStart]:
    """The timer start events of a top-level process spec, in element id order."""
    found = []
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(task_spec, StartEvent) and isinstance(definition, TimerEventDefinition):
            found.append(TimerStart(task_spec.bpmn_id, task_spec.bpmn_name or task_spec.bpmn_id,
                                    _kind(definition), definition.expression))
    return sorted(found, key=lambda start: start.element_id)


def _start_text(start: TimerStart) -> str:
    return text_of(evaluate_expression(start.expression, {}))


def first_start(start: TimerStart, at: datetime) -> datetime:
    """When a timer start event deployed at `at` first creates an instance (aware UTC).

    A date in the past means at once; a duration counts from `at`; a cycle's first occurrence
    that is not in the past.
    """
    at = as_utc(at)
    text = _start_text(start)
    if start.kind == "date":
        return max(parse_date(text), at)
    if start.kind == "duration":
        return add_duration(at, text)
    cycle = parse_cycle(text, at)
    if cycle.first >= at:
        return cycle.first
    return following(_cycle_value(cycle), cycle.first, at)


def next_start(start: TimerStart, previous: datetime, fired: int, at: datetime) -> datetime | None:
    """The next occurrence after `previous` once `fired` instances were created; None when done."""
    if start.kind != "cycle":
        return None
    cycle = parse_cycle(_start_text(start), as_utc(previous))
    if cycle.cycles >= 0 and fired >= cycle.cycles:
        return None
    return following(_cycle_value(cycle), as_utc(previous), as_utc(at))


def begin_at_start_event(workflow: Any, element_id: str) -> None:
    """Set a new workflow going from the timer start event `element_id`, as if its timer had fired.

    The other start events of the process (a none start event, other timers) are left waiting and
    cancelled by SpiffWorkflow's start-event join once this one has run.
    """
    for task in workflow.get_tasks(state=TaskState.READY):
        if task.task_spec.name == "Start":
            task.run()
    for split in workflow.get_tasks(spec_class=StartEventSplit, state=TaskState.READY):
        split.run()
    chosen = None
    for task in workflow.get_tasks(spec_class=StartEvent):
        if task.task_spec.bpmn_id == element_id and task.workflow is workflow:
            chosen = task
        elif task.has_state(TaskState.READY):
            task._set_state(TaskState.WAITING)
    definition = getattr(chosen.task_spec, "event_definition", None) if chosen is not None else None
    if chosen is None or not isinstance(definition, TimerEventDefinition):
        raise BpmnError(f"{element_id!r} is not a timer start event of this process")
    at = now().isoformat()
    if isinstance(definition, CycleTimerEventDefinition):
        chosen._set_internal_data(event_value={"cycles": 1, "next": at, "duration": 60.0})
    else:
        chosen._set_internal_data(event_value=at)
    chosen.task_spec._update(chosen)
