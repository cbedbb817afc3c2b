"""Parallel and inclusive joins merge what each branch changed since the split, not whole copies.

SpiffWorkflow 3.2 merges every branch's entire data at a join and lets the branch that arrived
last win on every key. When a flow loops back through a parallel section, each branch carries a
copy of every variable from the pass before, so the last branch to finish overwrites a value that
another branch changed in this pass with its stale copy (seen with generated maps: a risk rating
set to "medium" on the second pass came back as the first pass's "high").

Here each branch contributes only the variables it changed relative to the data at the point
where the branches diverged (their nearest common ancestor), applied in the order the branches
finished; a variable changed by two branches takes the later value, as before. The process end
join (`_EndJoin`) keeps the library's behaviour. Installed once, at import of `bpmn`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

_MISSING = object()
_library_run_hook = UnstructuredJoin._run_hook


def _lineage(task: Any) -> Iterator[Any]:
    while task is not None:
        yield task
        task = task.parent


def _nearest_common(a: Any, b: Any) -> tuple[Any | None, int]:
    """The nearest task both descend from, and how many steps above `a` it is."""
    ids = {id(t) for t in _lineage(b)}
    for depth, task in enumerate(_lineage(a)):
        if id(task) in ids:
            return task, depth
    return None, -1


def _changes(baseline: dict[str, Any], branch: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in branch.items() if baseline.get(key, _MISSING) != value}


def _apply(merged: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = DeepMerge.merge(copy.deepcopy(merged[key]), copy.deepcopy(value))
        else:
            merged[key] = copy.deepcopy(value)


def _run_hook(self: Any, my_task: Any) -> Any:
    if isinstance(self, _EndJoin):
        return _library_run_hook(self, my_task)
    candidates = [
        t
        for t in my_task.workflow.tasks.values()
        if t.task_spec == self and t.has_state(TaskState.FINISHED_MASK) and not my_task.is_descendant_of(t)
    ]
    # Branches of THIS pass meet my branch at the nearest split; arrivals left over from an earlier
    # pass through a loop meet it further up, and carry that pass's data: they are not merged again.
    meeting = [(t, *_nearest_common(my_task.parent, t.parent)) for t in candidates]
    meeting = [(t, split, depth) for t, split, depth in meeting if split is not None]
    if not meeting:
        return _library_run_hook(self, my_task)
    nearest = min(depth for _, _, depth in meeting)
    split: Any = next(split for _, split, depth in meeting if depth == nearest)
    others = sorted((t for t, _, depth in meeting if depth == nearest), key=lambda t: t.last_state_change)
    baseline = split.data
    merged = copy.deepcopy(baseline)
    for task in others:
        _apply(merged, _changes(baseline, task.parent.data))
        if task.has_state(TaskState.COMPLETED):  # as the library does: a reset inside a branch
            task._drop_children(force=True)
    _apply(merged, _changes(baseline, my_task.parent.data))
    my_task.data = merged
    return True


def install() -> None:
    """Replace the library's join merge (idempotent)."""
    UnstructuredJoin._run_hook = _run_hook
