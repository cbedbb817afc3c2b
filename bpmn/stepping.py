"""Running engine steps under a step budget, recording (not raising) what fails in a task."""

from __future__ import annotations

import time
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskIterator, TaskState

from . import event_subprocesses
from .errors import NestingTooDeep, StepBudgetExceeded, TimeBudgetExceeded

DEFAULT_STEP_BUDGET = 1_000
"""Engine steps (tasks run) allowed in one change to an instance before it counts as looping.

Not 10,000: each step costs SpiffWorkflow a walk over the whole task tree, which a loop grows
by a level per round, so a looping model takes ~1 s to use 1,000 steps and ~25 s for 10,000.
"""

DEFAULT_TIME_BUDGET = 5.0
"""Seconds one change to an instance may run engine steps: a backstop for expensive steps."""

MAX_NESTING = 50
"""Deepest subprocess / call activity nesting allowed (SpiffWorkflow's cost grows with its cube)."""

TREE_DEPTH = 1_000_000
"""How deep SpiffWorkflow's task iterators may look (its default, 1000, is too shallow; see below)."""


def _lift_iteration_depth() -> None:
    """Raise the default max_depth of SpiffWorkflow's task iterators.

    Every pass round a loop of sequence flows adds a level to the task tree, and the iterators
    stop looking at depth 1000: past that, `is_completed()` finds no open task and the instance
    silently counts as completed (a loop of three tasks "ends" after about 333 rounds).
    """
    for cls in (TaskIterator, BpmnTaskIterator):
        defaults = cls.__init__.__defaults__
        if defaults is not None:
            cls.__init__.__defaults__ = tuple(TREE_DEPTH if d == 1000 else d for d in defaults)


_lift_iteration_depth()

FAILURE_KEY = "baton_failure"
"""Key in a task's internal_data (serialized with the instance) describing why it is in ERROR."""


def _line(exc: BaseException) -> int | None:
    for attribute in ("line_number", "line", "lineno"):
        value = getattr(exc, attribute, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _message(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.removesuffix(".").strip()


def record_failure(task: Any, exc: BaseException) -> None:
    """Put the task in ERROR (if it is not finished) and remember why, with the script line."""
    task.internal_data[FAILURE_KEY] = {
        "message": _message(exc),
        "line": _line(exc),
        "type": getattr(exc, "error_type", None) or exc.__class__.__name__,
    }
    if not task.has_state(TaskState.FINISHED_MASK):
        task._set_state(TaskState.ERROR)


def run_task(task: Any) -> None:
    """Run one task; a failure is recorded on the task instead of propagating."""
    try:
        task.run()
    except StepBudgetExceeded:
        raise
    except Exception as exc:  # scripts and expressions may raise anything; the task records it
        record_failure(_failed_task(task, exc), exc)


def _failed_task(task: Any, exc: BaseException) -> Any:
    """The task the error is about: running one task readies the next, whose pre-script may fail."""
    failed = getattr(exc, "task", None)
    if failed is not None and failed is not task and getattr(failed, "workflow", None) is not None:
        return failed
    return task


class _Budget:
    __slots__ = ("deadline", "limit", "seconds", "used")

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.used = 0
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def spend(self, task: Any) -> None:
        element_id = getattr(task.task_spec, "bpmn_id", None)
        if self.used >= self.limit:
            raise StepBudgetExceeded(self.limit, element_id)
        if time.monotonic() > self.deadline:
            raise TimeBudgetExceeded(self.seconds, self.used, element_id)
        self.used += 1


def _run_ready(workflow: Any, budget: _Budget) -> int:
    """Run the READY engine tasks of one scan, then whatever each run made READY among its children.

    The follow-up on children spares a full tree scan per step (the tree grows with every round of
    a loop); the caller still ends only after a full scan finds nothing to run.
    """
    count = 0
    queue = list(workflow.get_tasks(state=TaskState.READY))
    while queue:
        task = queue.pop(0)
        if task.task_spec.manual or not task.has_state(TaskState.READY):
            continue
        if task.workflow.depth > MAX_NESTING:
            caller = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)
            raise NestingTooDeep(task.workflow.depth, caller.task_spec.bpmn_id)
        budget.spend(task)
        run_task(task)
        count += 1
        if event_subprocesses.needs_sweep(task.workflow.top_workflow):
            event_subprocesses.sweep(task.workflow.top_workflow)  # interrupt before anything else runs
        queue.extend(child for child in task.children if child.has_state(TaskState.READY))
    return count


def _engine_pass(workflow: BpmnWorkflow, budget: _Budget) -> bool:
    """One pass like BpmnWorkflow._do_engine_steps, with the budget and failure recording."""
    active = workflow.get_active_subprocesses()
    for subprocess in sorted(active, key=lambda sp: sp.depth, reverse=True):
        while _run_ready(subprocess, budget) > 0:
            pass
        if subprocess.parent_task_id is not None:
            parent = workflow.get_task_from_id(subprocess.parent_task_id)
            try:
                parent.task_spec._update(parent)
            except Exception as exc:  # an output mapping or the like failed on the way out
                record_failure(parent, exc)
    count = _run_ready(workflow, budget)
    return count > 0 or len(workflow.get_active_subprocesses()) > len(active)


def refresh_timers(workflow: BpmnWorkflow) -> None:
    """BpmnWorkflow.refresh_timers, except that a timer whose expression fails records the failure."""
    for task in list(workflow.event_manager.tasks.values()):
        definition = task.task_spec.event_definition
        if not isinstance(definition, TimerEventDefinition | MultipleEventDefinition):
            continue
        if not task.has_state(TaskState.WAITING):
            continue
        try:
            task.task_spec._update(task)
            if task.has_state(TaskState.WAITING) and task._get_internal_data("event_fired"):
                # A cycle's last occurrence marks the event done only after its check: without a
                # second look it would wait, due never, until another step happened to pass by.
                task.task_spec._update(task)
        except Exception as exc:  # e.g. a timer expression that does not evaluate
            record_failure(task, exc)


def advance(workflow: BpmnWorkflow, step_budget: int = DEFAULT_STEP_BUDGET,
            time_budget: float = DEFAULT_TIME_BUDGET) -> int:
    """Fire due timers and run engine steps until only people, timers, messages or services remain.

    Raises StepBudgetExceeded after `step_budget` steps or `time_budget` seconds (a subclass for
    each cause): the model loops without waiting, and the caller must discard this in-memory state.
    Returns the number of steps run.
    """
    budget = _Budget(step_budget, time_budget)
    while True:
        # Timers first: an elapsed timer becomes READY here and runs in the same call.
        refresh_timers(workflow)
        event_subprocesses.sweep(workflow)  # a timer or a delivered event started an event subprocess
        if not _engine_pass(workflow, budget):
            break
    return budget.used
