"""The path an instance took through one diagram, read from its "engine_steps" events (server/steps.py).

Each change records the elements the engine completed, the waits it began and left, and the sequence
flows it took: together the exact path, gateways and scripts included, with no guessing. `trail`
keeps the part that belongs to one diagram (the instance's own process, or one process it calls: an
entry names the called process or subprocess it ran in), maps flows to their ids through the deployed
file (server/model_shape.py) and lists each pass for the element history on the instance page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.audit import erased_marker
from server.model_shape import Shape, flows_taken
from server.models import Event
from server.steps import KIND as ENGINE_STEPS

MOST_PASSES = 3
"""Passes of one element listed one by one in its history; earlier ones are summed up in one line
(a loop taken a thousand times must not bury the rest of the history, nor bloat every poll)."""


@dataclass(frozen=True)
class Pass:
    """One thing the engine did at an element, in the change recorded by event `seq`."""

    seq: int
    at: datetime
    element_id: str
    kind: str
    """The engine's name for the element's kind: "ExclusiveGateway", "ScriptTask", "StartEvent", ..."""
    what: str
    """"completed", "reached" (a wait began) or "left" (a wait was abandoned)."""
    waited: bool = False
    """A completion that ended a wait begun in an earlier change (a timer fired, a join fired)."""


@dataclass(frozen=True)
class Earlier:
    """The passes of an element before the last MOST_PASSES, summed up."""

    element_id: str
    count: int
    first: Pass
    last: Pass


@dataclass
class Trail:
    """What the engine did in one diagram over the instance's life."""

    completed: set[str] = field(default_factory=set)
    open: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Waits begun and neither completed nor left: engine task id -> (element id, kind)."""
    flows: set[str] = field(default_factory=set)
    passes: list[Pass] = field(default_factory=list)


def recorded_from_start(events: Sequence[Event]) -> bool:
    """Whether engine_steps tell this instance's whole path: its first change recorded them.

    Every event of a change carries the change's time, so the start's engine_steps event has the time
    of `instance_started`. Instances started before engine_steps existed have none there.
    """
    started = next((ev.at for ev in events if ev.kind == "instance_started"), None)
    first = next((ev.at for ev in events if ev.kind == ENGINE_STEPS), None)
    return started is not None and first == started


def _entries(value: Any) -> list[dict[str, Any]]:
    return [e for e in value or () if isinstance(e, dict) and isinstance(e.get("id"), str)]


def trail(events: Sequence[Event], *, root_process: str, containers: Collection[str],
          kinds: Mapping[str, str], shape: Shape, flow_ids: Collection[str]) -> Trail:
    """The part of the engine's path inside one diagram.

    `containers` are the processes and subprocesses the diagram draws, `kinds` its elements and
    `flow_ids` its sequence flows; `root_process` is the instance's own process (entries that name no
    process ran there); `shape` maps [source, target] pairs to flow ids.
    """
    found = Trail()

    def here(entry: dict[str, Any]) -> bool:
        return (entry.get("process") or root_process) in containers and entry["id"] in kinds

    for ev in events:
        data = ev.data
        if ev.kind != ENGINE_STEPS or not isinstance(data, dict) or erased_marker(data):
            continue
        for entry in _entries(data.get("elements")):
            if not here(entry):
                continue
            task = entry.get("task")
            if task is not None:
                found.open.pop(str(task), None)
            found.completed.add(entry["id"])
            found.passes.append(Pass(ev.seq, ev.at, entry["id"], str(entry.get("type") or ""), "completed",
                                     waited=task is not None))
        for task in data.get("left") or ():
            left = found.open.pop(str(task), None)
            if left is not None:
                found.passes.append(Pass(ev.seq, ev.at, left[0], left[1], "left"))
        for entry in _entries(data.get("reached")):
            if here(entry) and entry.get("task") is not None:
                kind = str(entry.get("type") or "")
                found.open[str(entry["task"])] = (entry["id"], kind)
                found.passes.append(Pass(ev.seq, ev.at, entry["id"], kind, "reached"))
        for flow in flows_taken(data.get("flows") or ()):
            if (flow.process or root_process) not in containers:
                continue
            flow_id = shape.flow_id(flow.source, flow.target)
            if flow_id is not None and flow_id in flow_ids:
                found.flows.add(flow_id)
    return found


def history(passes: Sequence[Pass], most: int = MOST_PASSES) -> list[Pass | Earlier]:
    """Each element's last `most` passes, after one summary of its earlier ones, in event order."""
    by_element: dict[str, list[Pass]] = defaultdict(list)
    for p in passes:
        by_element[p.element_id].append(p)
    shown: list[tuple[int, int, Pass | Earlier]] = []
    for element_id, mine in by_element.items():
        if len(mine) > most:
            earlier = mine[:-most]
            shown.append((earlier[0].seq, 0, Earlier(element_id, len(earlier), earlier[0], earlier[-1])))
            mine = mine[-most:]
        shown.extend((p.seq, 1, p) for p in mine)
    shown.sort(key=lambda item: (item[0], item[1]))
    return [item for _, _, item in shown]
