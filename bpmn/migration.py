"""Move a running instance onto another Definition of the same process (a newer or older version).

The move keeps every task the instance is in, with its id, data and internal data (so a timer keeps
its due time, and the ids that task links, assignments and timer rows use stay valid), and relinks
it to the target's spec of the same name — the saved state names specs by name, and the spec lives
in the Definition. Before that, the state is made to fit the target: the predicted tasks ahead of
each active task are dropped (they follow the old flows), finished steps whose element the target
does not have are taken out of the tree (their children move up to their parent), and finished
subprocesses the target cannot hold are dropped. After loading on the target, the path ahead of each
active task is predicted again along the target's flows, so new steps after a waiting task are
taken. `migration_plan.plan` decides first whether the move is safe; an unsafe move is refused.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState

from .definition import Definition
from .errors import BpmnError
from .instance import Instance
from .migration_plan import ACTIVE, FORESEEN, MigrationPlan, plan, target_spec, workflows
from .serialization import dump_workflow, load_workflow

__all__ = ["MigrationPlan", "MigrationRefused", "migrate", "plan_migration"]


class MigrationRefused(BpmnError):
    """The instance cannot move to the target: `plan.reasons()` says which elements stand in the way."""

    def __init__(self, plan: MigrationPlan) -> None:
        self.plan = plan
        super().__init__("; ".join(plan.reasons()) or "the instance cannot move to that version")


def plan_migration(instance: Instance, target: Definition, target_label: str = "the target version"
                   ) -> MigrationPlan:
    """What moving `instance` onto `target` would do; changes nothing (the dry run)."""
    if target.process_id != instance.definition.process_id:
        raise BpmnError(f"cannot move an instance of {instance.definition.process_id!r} "
                        f"to process {target.process_id!r}")
    return plan(instance.workflow, target, target_label)


def migrate(instance: Instance, target: Definition, target_label: str = "the target version"
            ) -> tuple[Instance, MigrationPlan]:
    """The instance moved onto `target`, and the plan it followed; `instance` itself is not changed.

    Raises MigrationRefused (carrying the plan) when an element the instance is in has no safe
    counterpart in the target.
    """
    found = plan_migration(instance, target, target_label)
    if not found.possible:
        raise MigrationRefused(found)
    # Work on a copy: a failure half-way must leave the caller's instance as it was.
    workflow = Instance.load(instance.definition, instance.dump()).workflow
    _fit(workflow, target)
    moved = load_workflow(dump_workflow(workflow), target.spec, target.subprocess_specs,
                          workflow.script_engine)
    for wf, _ in workflows(moved):
        for task in list(wf.tasks.values()):
            if task.has_state(ACTIVE) and not task.has_state(TaskState.ERROR):
                _predict_ahead(task)
    # Loaded once more from its own dump: the result is known to load, and counts as unchanged
    # since loading (the move itself runs no element).
    return Instance.load(target, dump_workflow(moved)), found


def _fit(top: Any, target: Definition) -> None:
    """Make the old state loadable on the target (see the module docstring)."""
    for wf, is_top in list(workflows(top)):
        spec = target_spec(wf, is_top, target)
        if not is_top and not _subprocess_fits(top, wf, spec, target):
            top.subprocesses.pop(wf.parent_task_id, None)
            continue
        names = spec.task_specs if spec is not None else {}
        for task in [t for t in wf.tasks.values() if t.has_state(ACTIVE)]:
            for child in [c for c in task.children if c.has_state(FORESEEN)]:
                wf._remove_task(child.id)
        for task in list(wf.tasks.values()):
            if task.id in wf.tasks and task.has_state(FORESEEN) \
                    and task.task_spec.name not in names:
                wf._remove_task(task.id)
        moved_up: dict[UUID, UUID] = {}
        for task in list(wf.tasks.values()):
            if task.task_spec.name not in names and task.parent is not None:
                moved_up[task.id] = task.parent.id
                _splice(wf, task)
        if wf.last_task is not None and wf.last_task.id not in wf.tasks:
            last = wf.last_task.id
            while last in moved_up:
                last = moved_up[last]
            wf.last_task = wf.tasks.get(last)


def _subprocess_fits(top: Any, sub: Any, spec: Any, target: Definition) -> bool:
    """A subprocess can be kept when the target calls the same process from a task of that name."""
    owner = _task_anywhere(top, sub.parent_task_id)
    if spec is None or owner is None:
        return False
    owner_spec = target_spec(owner.workflow, owner.workflow is top, target)
    new_owner = owner_spec.task_specs.get(owner.task_spec.name) if owner_spec is not None else None
    return isinstance(new_owner, SubWorkflowTask) and new_owner.spec == sub.spec.name


def _task_anywhere(top: Any, task_id: UUID) -> Any:
    for wf, _ in workflows(top):
        if task_id in wf.tasks:
            return wf.tasks[task_id]
    return None


def _splice(wf: Any, task: Any) -> None:
    """Take a finished task out of the tree; its children become its parent's, in its place."""
    parent = task.parent
    children = task.children
    index = parent._children.index(task.id)
    parent._children[index:index + 1] = [child.id for child in children]
    for child in children:
        child._parent = parent.id
    del wf.tasks[task.id]


def _predict_ahead(task: Any) -> None:
    """Predict the path after an active task along the target's flows (as the engine would have)."""
    spec = task.task_spec
    if isinstance(spec, BoundaryEvent):  # an armed boundary event's branch only MAYBE happens
        task._sync_children(spec.outputs, TaskState.MAYBE)
        for child in task.children:
            child.task_spec._predict(child, mask=FORESEEN)
        return
    spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)
