"""The road ahead: the steps still to come from where a case stands, predicted from the diagram.

A pure walk over the parsed spec's sequence flows, forward from the elements a case is at now. At an
exclusive, inclusive or event-based gateway the default flow (else the first) is the likely one and
the others are alternatives; everything behind a boundary event of a current element is an
alternative too. The walk stops at end events and implicit ends (those of an embedded or called
process go on after the activity that runs it), and visits each element once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .definition import Definition

MAX_STEPS = 200
"""Elements a prediction lists at most (a huge diagram gives a long, not an endless, road)."""

_CHOICE_GATEWAYS = ("ExclusiveGateway", "InclusiveGateway", "EventBasedGateway")
_SILENT = ("Gateway", "BoundaryEventSplit", "BoundaryEventJoin", "_EndJoin", "_BoundaryEventParent")


@dataclass(frozen=True)
class Step:
    """One element still to come: `likely` on the predicted path, else on an alternative."""

    element_id: str
    name: str
    lane: str | None
    likely: bool

    def to_dict(self) -> dict[str, Any]:
        return {"element_id": self.element_id, "name": self.name, "lane": self.lane, "likely": self.likely}


@dataclass(frozen=True)
class Attachment:
    """A boundary event and the activity it is attached to."""

    element_id: str
    name: str
    attached_to: str
    interrupting: bool


def _kind(spec: Any) -> str:
    return type(spec).__name__


def _specs(definition: Definition) -> Iterator[Any]:
    yield definition.spec
    yield from definition.subprocess_specs.values()


def _index(definition: Definition) -> dict[str, Any]:
    """Every task spec with a BPMN id, by that id (the top-level process wins a clash)."""
    found: dict[str, Any] = {}
    for process in _specs(definition):
        for spec in process.task_specs.values():
            if spec.bpmn_id and spec.bpmn_id not in found:
                found[spec.bpmn_id] = spec
    return found


def _callers(definition: Definition) -> dict[str, list[Any]]:
    """Process spec name -> the activities (subprocess, call activity) that run it."""
    callers: dict[str, list[Any]] = {}
    for process in _specs(definition):
        for spec in process.task_specs.values():
            called = getattr(spec, "spec", None)
            if isinstance(called, str):
                callers.setdefault(called, []).append(spec)
    return callers


def _default_output(spec: Any) -> str | None:
    default = getattr(spec, "default_task_spec", None)
    if isinstance(default, str):
        return default
    for condition, name in getattr(spec, "cond_task_specs", []) or []:
        if condition is None:
            return str(name)
    return None


def _next(spec: Any, callers: dict[str, list[Any]]) -> list[tuple[Any, bool]]:
    """The specs after `spec`, each with whether taking it is the likely choice."""
    if _kind(spec) in ("EndEvent", "_EndJoin"):  # the join: after an implicit end (bpmn/implicit_end.py)
        process_name = getattr(getattr(spec, "_wf_spec", None), "name", None)
        after = [o for caller in callers.get(str(process_name), []) for o in caller.outputs]
        return [(o, True) for o in after]
    outputs = list(spec.outputs)
    if _kind(spec) in _CHOICE_GATEWAYS and len(outputs) > 1:
        likely = _default_output(spec) or outputs[0].name
        return [(o, o.name == likely) for o in outputs]
    return [(o, True) for o in outputs]


def _shown(spec: Any) -> bool:
    """Does a person care about this element (tasks and events), or does the walk pass it silently?"""
    return bool(spec.bpmn_id) and not any(part in _kind(spec) for part in _SILENT)


def attachments(definition: Definition) -> dict[str, Attachment]:
    """Boundary event id -> what it is attached to and whether it interrupts that activity."""
    found: dict[str, Attachment] = {}
    for process in _specs(definition):
        for spec in process.task_specs.values():
            if _kind(spec) != "BoundaryEventSplit":
                continue
            outputs = list(spec.outputs)
            host = next((o for o in outputs if _kind(o) != "BoundaryEvent"), None)
            for event in outputs:
                if _kind(event) == "BoundaryEvent" and host is not None and event.bpmn_id:
                    found[event.bpmn_id] = Attachment(
                        element_id=event.bpmn_id,
                        name=event.bpmn_name or event.bpmn_id,
                        attached_to=host.bpmn_id or host.name,
                        interrupting=bool(getattr(event, "cancel_activity", True)),
                    )
    return found


def ahead(definition: Definition, current: Iterable[str]) -> list[Step]:
    """The elements still to come after `current`, nearest first, each marked likely or not."""
    index = _index(definition)
    callers = _callers(definition)
    here = {element_id for element_id in current if element_id in index}
    boundary = {a.element_id for a in attachments(definition).values() if a.attached_to in here}
    # (spec, reached only through alternatives so far?) — likely paths are walked first.
    queue: deque[tuple[Any, bool]] = deque()
    for element_id in sorted(here):
        queue.extend(_next(index[element_id], callers))
    queue.extend((index[b], False) for b in sorted(boundary))
    likely_seen: set[str] = set()
    any_seen: set[str] = set()
    order: list[str] = []
    specs: dict[str, Any] = {}
    while queue and len(order) < MAX_STEPS:
        spec, likely = queue.popleft()
        key = spec.bpmn_id or f"#{spec.name}"
        if key in likely_seen or (not likely and key in any_seen):
            continue
        any_seen.add(key)
        if likely:
            likely_seen.add(key)
        if _shown(spec) and spec.bpmn_id not in here:
            if key not in specs:
                order.append(key)
            specs[key] = spec
        if _kind(spec) == "EndEvent" and not _callers_of(spec, callers):
            continue
        queue.extend((nxt, likely and choice) for nxt, choice in _next(spec, callers))
    return [
        Step(
            element_id=key,
            name=specs[key].bpmn_name or key,
            lane=getattr(specs[key], "lane", None),
            likely=key in likely_seen,
        )
        for key in order
    ]


def _callers_of(spec: Any, callers: dict[str, list[Any]]) -> bool:
    return bool(callers.get(str(getattr(getattr(spec, "_wf_spec", None), "name", None))))
