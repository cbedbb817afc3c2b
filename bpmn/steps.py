"""Engine steps: what the engine did to an instance during one change, read off the task tree.

Gateways, script tasks and events the engine passes through leave no other trace, so a change
reports them here: the elements it completed, the waits it began (timers, messages, services,
joins), the waits it abandoned, and the sequence flows it took (as source/target element pairs:
the engine's specs keep no flow ids, the deployed XML maps pairs to them).

Called processes and embedded subprocesses run as sub-workflows of the same instance; their steps and
flows name the process they ran in (the sub-workflow's spec), because element ids repeat across the
files of a deployment ("StartEvent_1") and a diagram must not mark another process's elements.

How it is found cheaply: when an instance is loaded (or started), `baseline` notes the ids of the
tasks already completed and of those open (READY, WAITING, STARTED, ERROR). At the end of the
change, `steps_since` walks the tree once more and compares. Both walks touch each task once
(tens of nanoseconds a task, far below the cost of loading or saving the same tree).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_COMPLETED = TaskState.COMPLETED


@dataclass(frozen=True)
class Baseline:
    """The ids of the tasks completed, and of those open, when the change began."""

    done: frozenset[UUID] = frozenset()
    open: frozenset[UUID] = frozenset()


@dataclass(frozen=True)
class Step:
    """One element the engine touched. `task_id` is set only where the step spans changes: a wait
    that began here (reached) or one that began in an earlier change and completed here."""

    element_id: str
    kind: str
    task_id: str | None = None
    process: str | None = None
    """The called process or subprocess the element ran in; None for the instance's own process."""


Flow = tuple[str, str] | tuple[str, str, str]
"""A sequence flow taken: (source, target), plus the process when it ran in a sub-workflow."""


@dataclass
class Steps:
    """What the engine did during one change (human tasks excluded: their own events say it)."""

    completed: list[Step] = field(default_factory=list)
    reached: list[Step] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    """Task ids of waits open when the change began that it cancelled or dropped."""
    flows: list[Flow] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.completed or self.reached or self.left or self.flows)


def _tasks(workflow: Any) -> Iterator[Any]:
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def baseline(workflow: Any) -> Baseline:
    """Note which tasks are completed and which are open now (call right after loading)."""
    done: set[UUID] = set()
    open_: set[UUID] = set()
    for task in _tasks(workflow):
        state = task._state
        if state == _COMPLETED:
            done.add(task.id)
        elif state & _OPEN:
            open_.add(task.id)
    return Baseline(frozenset(done), frozenset(open_))


def _kind(spec: Any) -> str:
    """The BPMN name of a spec's class (Baton's own subclasses report the library class they extend)."""
    for cls in type(spec).__mro__:
        if not cls.__module__.startswith("bpmn."):
            return cls.__name__
    return type(spec).__name__


def _element(task: Any) -> str | None:
    bpmn_id: str | None = getattr(task.task_spec, "bpmn_id", None)
    return bpmn_id


def _process(task: Any, top: Any) -> str | None:
    """The sub-workflow's process (spec name) a task ran in, or None in the top-level workflow."""
    if task.workflow is top:
        return None
    name: str | None = getattr(task.workflow.spec, "name", None)
    return name


def _source(task: Any) -> str | None:
    """The element a task was reached from: its nearest ancestor that is a BPMN element."""
    parent = task.parent
    while parent is not None:
        element = _element(parent)
        if element is not None:
            return element
        parent = parent.parent
    return None


def steps_since(workflow: Any, before: Baseline) -> Steps:
    """The elements completed, waits reached and left, and flows taken since `before` was noted."""
    steps = Steps()
    seen: set[UUID] = set()
    joins_left: dict[str, str] = {}  # join element -> the task that waited there (now cancelled)
    for task in _tasks(workflow):
        seen.add(task.id)
        state = task._state
        was_open = task.id in before.open
        if state == _COMPLETED:
            if task.id in before.done:
                continue
            reached_now = not was_open
        elif state & _OPEN:
            if was_open:
                continue
            reached_now = True
        elif was_open and state == TaskState.CANCELLED:
            if isinstance(task.task_spec, UnstructuredJoin) and task.task_spec.bpmn_id is not None:
                joins_left[task.task_spec.bpmn_id] = str(task.id)
            elif not task.task_spec.manual:
                steps.left.append(str(task.id))
            continue
        else:
            continue
        element = _element(task)
        if element is None:
            continue
        process = _process(task, workflow)
        if reached_now:
            source = _source(task)
            if source is not None:
                steps.flows.append((source, element) if process is None else (source, element, process))
        if state == _COMPLETED:
            _add(steps.completed, task, process, span=was_open)
        else:
            _add(steps.reached, task, process, span=True)
    steps.left.extend(str(task_id) for task_id in before.open - seen)  # dropped with a cancelled branch
    if joins_left:
        _joined(steps, joins_left)
    return steps


def _joined(steps: Steps, waited: dict[str, str]) -> None:
    """A join that fires cancels the task that waited there for the other branches and completes
    a new one: report that as the waiting task completing (the wait ran until the join fired)."""
    for index, step in enumerate(steps.completed):
        task_id = waited.pop(step.element_id, None) if step.task_id is None else None
        if task_id is not None:
            steps.completed[index] = Step(step.element_id, step.kind, task_id, step.process)
    steps.left.extend(waited.values())  # joins whose wait was cancelled without firing


def _add(into: list[Step], task: Any, process: str | None, *, span: bool) -> None:
    spec = task.task_spec
    element = _element(task)
    if element is None or spec.manual:
        return
    into.append(Step(element, _kind(spec), str(task.id) if span else None, process))
