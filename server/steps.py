"""Engine steps in the audit trail: ONE event per change saying what the engine itself did.

User tasks, timers firing and service calls have events of their own; gateways, script tasks and
events the engine passes through leave none. `record_engine_steps` (registered in
runtime.SIDE_TABLES) appends a single "engine_steps" event to each change in which the engine did
something, so heatmaps (server/heatmap.py) can count and time every element from the events alone:

    {"elements": [{"id": "gw", "type": "ExclusiveGateway"}, {"id": "wait", "type": "...", "task": "<id>"}],
     "reached":  [{"id": "wait", "type": "IntermediateCatchEvent", "task": "<id>"}],
     "left":     ["<task id>", ...],
     "flows":    [["gw", "wait"], ...]}

- elements: completed in this change; "task" marks one that began waiting in an earlier change (its
  start is that change's "reached" entry with the same task id);
- reached: waits that began in this change (timers, messages, service tasks, joins, errors);
- left: task ids of waits that began earlier and were abandoned here (cancelled, never completed);
- flows: the sequence flows taken, as [source element, target element] (the engine keeps no flow
  ids; server/model_shape.py maps pairs to flow ids from the deployed file).

An element or flow in a called process or an embedded subprocess also names it: "process" on an
entry, a third item on a flow ([source, target, process]); the instance's own process names none.
The live diagram (server/diagram.py) reads these events as the exact path an instance took.

Empty lists are left out, and a change in which the engine did nothing records no event. One row
per change, not per element: completions per second matter more than a row per gateway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bpmn
from server.audit import PendingEvent

if TYPE_CHECKING:
    from server.runtime import Change

KIND = "engine_steps"


def _step(step: bpmn.Step) -> dict[str, str]:
    entry = {"id": step.element_id, "type": step.kind}
    if step.task_id is not None:
        entry["task"] = step.task_id
    if step.process is not None:
        entry["process"] = step.process
    return entry


def steps_data(steps: bpmn.Steps) -> dict[str, Any]:
    """The event data for what the engine did (only the non-empty parts)."""
    data: dict[str, Any] = {}
    if steps.completed:
        data["elements"] = [_step(s) for s in steps.completed]
    if steps.reached:
        data["reached"] = [_step(s) for s in steps.reached]
    if steps.left:
        data["left"] = list(steps.left)
    if steps.flows:
        data["flows"] = [list(pair) for pair in steps.flows]
    return data


def record_engine_steps(change: Change, wf: bpmn.Instance) -> None:
    """Append the change's engine_steps event (nothing when the engine did nothing)."""
    steps = wf.engine_steps()
    if steps:
        change.events.append(PendingEvent(KIND, actor_label="engine", data=steps_data(steps)))


def register() -> None:
    """Hook the recording into every runtime save (idempotent)."""
    from server import runtime  # here, so pages can import KIND without the runtime's imports

    if record_engine_steps not in runtime.SIDE_TABLES:
        runtime.SIDE_TABLES.append(record_engine_steps)


register()
