"""Instance: one running workflow; start, load/dump, advance, human tasks, complete, cancel, status."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any, Literal
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .definition import Definition
from .errors import TaskNotFound, TaskNotReady
from .messages import ThrownMessage, begin_at, begin_with_message, deliver, take_thrown
from .script_engine import BatonScriptEngine, evaluate_expression
from .serialization import dump_workflow, load_workflow
from .services import ServiceTask, parked, parked_task
from .services import complete as complete_service_task
from .services import throw_error as throw_service_task_error
from .stepping import DEFAULT_STEP_BUDGET, DEFAULT_TIME_BUDGET, advance, run_task
from .steps import Baseline, Steps, baseline, steps_since
from .tasks import Failure, HumanTask, Wait, failure_of, human_task, waits_of
from .timer_values import clock

Status = Literal["running", "completed", "error", "cancelled"]

_local = threading.local()


def _script_engine() -> Any:
    """One script engine per thread: cheap to share between instances, never between threads."""
    engine = getattr(_local, "engine", None)
    if engine is None:
        engine = _local.engine = BatonScriptEngine()
    return engine


def plain(value: Any) -> Any:
    """Task data as plain JSON values: dates as ISO strings, Decimal as text, sets as lists."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()
                if not callable(v) and not isinstance(v, ModuleType)}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return str(value)


class Instance:
    """One process instance over a shared Definition. Not thread-safe: one change at a time.

    Script and expression failures never raise out of start/advance/complete: the task goes to
    ERROR, `status` becomes "error" and `failures()` says why. Only StepBudgetExceeded (the model
    loops without waiting) raises; the in-memory state must then be discarded, not saved.
    """

    __slots__ = ("_baseline", "_memo", "_settled", "definition", "workflow")

    def __init__(self, definition: Definition, workflow: BpmnWorkflow) -> None:
        self.definition = definition
        self.workflow = workflow
        self._baseline = Baseline()  # a new workflow: everything it does counts as engine steps
        self._settled = 0
        self._memo: dict[str, Any] = {}

    @contextmanager
    def settled(self) -> Iterator[None]:
        """While the caller only reads the instance (saving it, keeping side tables in step),
        `status` and `waiting()` walk the task tree once, not once per reader. Nothing may change
        the workflow inside (the memo is dropped when the outermost block ends)."""
        self._settled += 1
        try:
            yield
        finally:
            self._settled -= 1
            if not self._settled:
                self._memo.clear()

    @classmethod
    def start(cls, definition: Definition, data: Mapping[str, Any] | None = None, *,
              step_budget: int = DEFAULT_STEP_BUDGET, time_budget: float = DEFAULT_TIME_BUDGET,
              start_event: str | None = None, start_message: str | None = None,
              message_data: Any = None) -> Instance:
        """Create an instance with these variables and run it to its first wait state.

        `start_event` names a timer start event whose timer the server found due, or a signal
        (message) start event whose signal arrived (`message_data`, else `data`, delivered to it):
        the instance starts there (and not at the process's other start events). `start_message` names the
        message of a message start event: the instance starts there, that message (`message_data`,
        else `data`) delivered to it; BpmnError when the process has no such start event.
        """
        workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=_script_engine())
        workflow.task_tree.data.update(copy.deepcopy(dict(data or {})))
        instance = cls(definition, workflow)
        if start_event is not None:
            begin_at(workflow, start_event, data if message_data is None else message_data)
        elif start_message is not None:
            begin_with_message(workflow, start_message, data if message_data is None else message_data)
        instance.advance(step_budget, time_budget)
        return instance

    @classmethod
    def load(cls, definition: Definition, state: dict[str, Any]) -> Instance:
        """Rebuild an instance from `dump()` output; `state` is not modified."""
        instance = cls(definition, load_workflow(state, definition.spec, definition.subprocess_specs,
                                                 _script_engine()))
        instance._baseline = baseline(instance.workflow)
        return instance

    def resume(self) -> None:
        """Ready an instance kept in memory since its last save for the next change, as `load` would
        leave it: this thread's script engine, nothing remembered, engine steps counted from here."""
        self.workflow.script_engine = _script_engine()
        self._memo.clear()
        self._baseline = baseline(self.workflow)

    def dump(self) -> dict[str, Any]:
        """The instance state as a JSON-able dict, without the spec (that lives in the Definition)."""
        return dump_workflow(self.workflow)

    def advance(self, step_budget: int = DEFAULT_STEP_BUDGET,
                time_budget: float = DEFAULT_TIME_BUDGET) -> None:
        """Fire due timers, then run engine steps until the instance waits (bounded by the budgets)."""
        self._memo.clear()  # every change goes through here: nothing remembered survives it
        if not self.workflow.completed:
            advance(self.workflow, step_budget, time_budget)

    def fire_due_timers(self, now: datetime, step_budget: int = DEFAULT_STEP_BUDGET,
                        time_budget: float = DEFAULT_TIME_BUDGET) -> None:
        """Fire every timer due at `now` (naive = UTC) and advance: the server's clock decides.

        Timers see `now` as the current time while the engine runs, so a timer whose due time is
        `now` fires even if this machine's clock is a hair behind, and one due later does not.
        """
        with clock(now):
            self.advance(step_budget, time_budget)

    def _task(self, task_id: str) -> Any:
        try:
            uuid = UUID(str(task_id))
        except ValueError:
            raise TaskNotFound(str(task_id)) from None
        task = self.workflow.get_task_from_id(uuid) if self._has_task(uuid) else None
        if task is None:
            raise TaskNotFound(str(task_id))
        return task

    def _has_task(self, uuid: UUID) -> bool:
        if uuid in self.workflow.tasks:
            return True
        return any(uuid in sp.tasks for sp in self.workflow.subprocesses.values())

    def human_tasks(self) -> list[HumanTask]:
        """READY tasks waiting for a person, with assignment and form metadata evaluated."""
        return [human_task(task, evaluate_expression)
                for task in self.workflow.get_tasks(state=TaskState.READY, manual=True)]

    def complete(self, task_id: str, data: Mapping[str, Any] | None = None, *,
                 step_budget: int = DEFAULT_STEP_BUDGET, time_budget: float = DEFAULT_TIME_BUDGET) -> None:
        """Complete a READY human task with this data and advance to the next wait state."""
        task = self._task(task_id)
        if not task.has_state(TaskState.READY):
            raise TaskNotReady(str(task_id), TaskState.get_name(task.state))
        if not task.task_spec.manual:
            raise TaskNotReady(str(task_id), "not a human task and so")
        task.data.update(copy.deepcopy(dict(data or {})))
        run_task(task)
        self.advance(step_budget, time_budget)

    def service_tasks(self) -> list[ServiceTask]:
        """Service tasks parked in STARTED: connector, evaluated parameters, outputs, retry policy."""
        return parked(self.workflow)

    def service_task(self, task_id: str) -> ServiceTask | None:
        """The parked service task `task_id`, or None when it is not (or no longer) parked."""
        try:
            task = self._task(task_id)
        except TaskNotFound:
            return None
        return parked_task(self.workflow, task)

    def complete_service(self, task_id: str, result: Mapping[str, Any], *, map_outputs: bool = True,
                         step_budget: int = DEFAULT_STEP_BUDGET,
                         time_budget: float = DEFAULT_TIME_BUDGET) -> bool:
        """Complete a parked service task with its connector's result (output mappings applied,
        unless `map_outputs` is False: then the keys become variables as they are) and advance;
        False, changing nothing, when the task is no longer parked (a duplicate)."""
        if not complete_service_task(self._task(task_id), result, map_outputs=map_outputs):
            return False
        self.advance(step_budget, time_budget)
        return True

    def throw_service_error(self, task_id: str, code: str, message: str = "", *,
                            step_budget: int = DEFAULT_STEP_BUDGET,
                            time_budget: float = DEFAULT_TIME_BUDGET) -> bool:
        """Deliver BPMN error `code` from a parked service task to the error boundary event that
        catches it, and advance; False, changing nothing, when no boundary event catches it.
        Raises TaskNotReady when the task is not parked (check `service_task` first)."""
        task = self._task(task_id)
        if parked_task(self.workflow, task) is None:
            raise TaskNotReady(str(task_id), TaskState.get_name(task.state))
        if not throw_service_task_error(task, code, message):
            return False
        self.advance(step_budget, time_budget)
        return True

    def deliver_message(self, name: str, data: Any = None, correlation: Mapping[str, Any] | None = None,
                        *, step_budget: int = DEFAULT_STEP_BUDGET,
                        time_budget: float = DEFAULT_TIME_BUDGET) -> bool:
        """Deliver message `name` to the catch and boundary events waiting for it, and advance.

        `correlation` (SpiffArena correlation keys, `{key: {property: value}}`) keeps the message
        from events whose instance holds other values; an object `data` is merged into the
        variables (and lands in the event's message variable, if it names one). False, changing
        nothing, when no event waits for it.
        """
        if not deliver(self.workflow, "message", name, data, correlation):
            return False
        self.advance(step_budget, time_budget)
        return True

    def deliver_signal(self, name: str, data: Any = None, *, step_budget: int = DEFAULT_STEP_BUDGET,
                       time_budget: float = DEFAULT_TIME_BUDGET) -> bool:
        """Deliver signal `name` to every event waiting for it and advance; False when none waits."""
        if not deliver(self.workflow, "signal", name, data):
            return False
        self.advance(step_budget, time_budget)
        return True

    def engine_steps(self) -> Steps:
        """What the engine did since this instance was loaded or started: the elements it completed,
        the waits it began and abandoned, the flows it took (human tasks left out)."""
        return steps_since(self.workflow, self._baseline)

    def take_thrown(self) -> list[ThrownMessage]:
        """The messages and signals thrown since the last call that nothing in this instance caught.

        Taking them empties the queue (it is part of the dumped state until then): route them.
        """
        return take_thrown(self.workflow, plain)

    def cancel(self) -> None:
        """Cancel every open task; the instance ends as "cancelled"."""
        self._memo.clear()
        self.workflow.cancel()

    @property
    def status(self) -> Status:
        if self._settled:
            found: Status | None = self._memo.get("status")
            if found is None:
                found = self._memo["status"] = self._status()
            return found
        return self._status()

    def _status(self) -> Status:
        workflow = self.workflow
        if workflow.is_completed():
            return "completed" if workflow.success else "cancelled"
        if self.workflow.get_tasks(state=TaskState.ERROR):
            return "error"
        return "running"

    @property
    def data(self) -> dict[str, Any]:
        """The variables as of the latest completed step (the final ones once completed), as plain JSON."""
        workflow = self.workflow
        if workflow.is_completed() and workflow.success:
            source = workflow.data
        elif workflow.last_task is not None:
            source = workflow.last_task.data
        else:
            source = workflow.task_tree.data
        result: dict[str, Any] = plain(source)
        return result

    def waiting(self) -> list[Wait]:
        """Timers (with due time), message and signal catch events, service tasks parked in STARTED."""
        if self._settled:
            if "waiting" not in self._memo:
                self._memo["waiting"] = self._waiting()
            return list(self._memo["waiting"])
        return self._waiting()

    def _waiting(self) -> list[Wait]:
        waits: list[Wait] = []
        for task in list(self.workflow.event_manager.tasks.values()):
            if task.has_state(TaskState.WAITING):
                waits.extend(waits_of(task))
        for task in self.workflow.get_tasks(state=TaskState.STARTED):
            if isinstance(task.task_spec, ServiceTaskMixin):
                spec = task.task_spec
                name = spec.bpmn_name or spec.bpmn_id
                waits.append(Wait("service", spec.bpmn_id, name, None, str(task.id)))
        return waits

    def failures(self) -> list[Failure]:
        """Tasks in ERROR: element, name, message and script line."""
        return [failure_of(task) for task in self.workflow.get_tasks(state=TaskState.ERROR)]

    def __repr__(self) -> str:
        return f"<Instance {self.definition.process_id} {self.status}>"
