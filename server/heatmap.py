"""The heatmap of a process version: per element, how often instances passed it, how many wait there
now, and how long it took (median and 90th percentile), read from the audit events alone.

- User tasks: from "task_opened" to "task_completed" (same task id); a task opened and neither
  completed nor cancelled, in an instance still running (or in error), is active there.
- Every other element: from the "engine_steps" events (server/steps.py). An element completed in
  the change that reached it took no time; a wait (timer, message, service task, join) runs from the
  change whose "reached" entry names its task id to the one whose "elements" entry does — so a
  timer counts from arming to firing. A reached wait not yet completed nor left is active.
- Sequence flows: how often each was taken, from the [source, target] pairs of engine_steps
  mapped to flow ids through the deployed file (server/model_shape.py, shared with the diagram).

Two streaming queries over the events of the version's most recent instances (at most `limit`):
no workflow is ever loaded, and memory grows with the number of passes, not of events. Durations
are seconds; percentiles interpolate linearly between ranks (as PostgreSQL's percentile_cont).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from server import model_shape
from server.db import db
from server.drafts import version_xml
from server.errors import BadRequest, NotFound
from server.model_shape import Shape, flows_taken
from server.models import Event, Instance, ProcessVersion
from server.steps import KIND as ENGINE_STEPS

DEFAULT_LIMIT = 2_000
"""Instances (the most recent of the version) a heatmap reads unless asked for fewer or more."""
MAX_LIMIT = 20_000
"""The most instances one heatmap reads: beyond, a request would hold a worker for seconds."""
BOTTLENECKS = 5
"""Elements listed as the worst bottlenecks (by 90th percentile duration)."""

_TASK_KINDS = ("task_opened", "task_completed", "task_cancelled")
_ACTIVE_STATUSES = ("running", "error")


@dataclass
class _Tally:
    """What the events say about one element."""

    kind: str = ""
    count: int = 0
    active: int = 0
    cancelled: int = 0
    durations: list[float] = field(default_factory=list)


def percentile(ordered: list[float], q: float) -> float:
    """The q-quantile (0..1) of sorted values, interpolating linearly between neighbouring ranks."""
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


def _instance_ids(version: ProcessVersion, limit: int) -> tuple[list[int], dict[int, bool], int]:
    """The most recent instances of the version (ids, whether each is still active) and the total."""
    # process_id first: the instances index starts with it (none starts with the version).
    where = (Instance.process_id == version.process_id, Instance.process_version_id == version.id)
    rows = db.session.execute(
        select(Instance.id, Instance.status).where(*where).order_by(Instance.id.desc()).limit(limit)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(Instance).where(*where)) or 0
    return [r[0] for r in rows], {r[0]: r[1] in _ACTIVE_STATUSES for r in rows}, total


def _events(ids: list[int], kinds: tuple[str, ...], *columns: Any) -> Any:
    """Stream the events of these instances, in chunks of ids (keeps IN lists short)."""
    for begin in range(0, len(ids), 500):
        chunk = ids[begin:begin + 500]
        query = (
            select(*columns)
            .where(Event.instance_id.in_(chunk), Event.kind.in_(kinds))
            .order_by(Event.instance_id, Event.seq)
            .execution_options(yield_per=1000)
        )
        yield from db.session.execute(query)


def _user_tasks(ids: list[int], live: dict[int, bool], tallies: dict[str, _Tally]) -> None:
    opened: dict[str, tuple[str, datetime, int]] = {}
    columns = (Event.instance_id, Event.at, Event.kind, Event.element_id, Event.task_id)
    for instance_id, at, kind, element_id, task_id in _events(ids, _TASK_KINDS, *columns):
        if not element_id or not task_id:
            continue
        if kind == "task_opened":
            opened[task_id] = (element_id, at, instance_id)
            tallies[element_id].kind = tallies[element_id].kind or "UserTask"
            continue
        began = opened.pop(task_id, None)
        tally = tallies[element_id]
        if kind == "task_completed":
            tally.count += 1
            if began is not None:
                tally.durations.append(_seconds(began[1], at))
        else:
            tally.cancelled += 1
    for element_id, _, instance_id in opened.values():
        if live.get(instance_id):
            tallies[element_id].active += 1


def _engine_steps(ids: list[int], live: dict[int, bool], tallies: dict[str, _Tally],
                  flows: dict[tuple[str, str], int]) -> None:
    waiting: dict[str, tuple[str, datetime, int]] = {}
    columns = (Event.instance_id, Event.at, Event.data)
    for instance_id, at, data in _events(ids, (ENGINE_STEPS,), *columns):
        data = data or {}
        for entry in data.get("reached") or ():
            waiting[entry["task"]] = (entry["id"], at, instance_id)
            tallies[entry["id"]].kind = tallies[entry["id"]].kind or entry.get("type", "")
        for entry in data.get("elements") or ():
            tally = tallies[entry["id"]]
            tally.kind = tally.kind or entry.get("type", "")
            tally.count += 1
            task_id = entry.get("task")
            if task_id is None:
                tally.durations.append(0.0)
            elif (began := waiting.pop(task_id, None)) is not None:
                tally.durations.append(_seconds(began[1], at))
        for task_id in data.get("left") or ():
            if (began := waiting.pop(task_id, None)) is not None:
                tallies[began[0]].cancelled += 1
        for flow in flows_taken(data.get("flows") or ()):
            flows[(flow.source, flow.target)] += 1
    for element_id, _, instance_id in waiting.values():
        if live.get(instance_id):
            tallies[element_id].active += 1


def _figures(element_id: str, tally: _Tally, shape: Shape) -> dict[str, Any]:
    ordered = sorted(tally.durations)
    return {
        "id": element_id,
        "name": shape.names.get(element_id) or element_id,
        "type": shape.kinds.get(element_id) or tally.kind,
        "count": tally.count,
        "active": tally.active,
        "cancelled": tally.cancelled,
        "timed": len(ordered),
        "median_s": percentile(ordered, 0.5) if ordered else None,
        "p90_s": percentile(ordered, 0.9) if ordered else None,
        "max_s": ordered[-1] if ordered else None,
    }


def heatmap(version: ProcessVersion, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """Per-element counts and durations over the version's `limit` most recent instances."""
    ids, live, total = _instance_ids(version, limit)
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    _user_tasks(ids, live, tallies)
    _engine_steps(ids, live, tallies, pairs)
    xml = version_xml(version)
    shape = model_shape.shape(("version", version.id), xml)
    elements = [_figures(element_id, tally, shape) for element_id, tally in sorted(tallies.items())]
    flows = [
        {"id": flow_id, "source": pair[0], "target": pair[1], "count": count}
        for pair, count in sorted(pairs.items()) if (flow_id := shape.flow_id(*pair)) is not None
    ]
    slow = [e for e in elements if e["p90_s"]]
    slow.sort(key=lambda e: (-e["p90_s"], -e["median_s"], e["id"]))
    return {
        "process_id": version.process_id,
        "version": version.version,
        "name": version.display_name,
        "instances": len(ids),
        "instances_total": total,
        "limit": limit,
        "capped": total > len(ids),
        "xml": xml,
        "elements": elements,
        "flows": flows,
        "bottlenecks": slow[:BOTTLENECKS],
    }


def find_version(process_id: str, number: int) -> ProcessVersion:
    """Version `number` of a deployed process, or NotFound saying which versions exist."""
    version = db.session.scalar(select(ProcessVersion).where(
        ProcessVersion.process_id == process_id, ProcessVersion.version == number))
    if version is None:
        numbers = db.session.scalars(
            select(ProcessVersion.version).where(ProcessVersion.process_id == process_id)
            .order_by(ProcessVersion.version)
        ).all()
        known = f"its versions are {', '.join(map(str, numbers))}" if numbers else "it is not deployed"
        raise NotFound(f"Process {process_id!r} has no version {number}: {known}.")
    found: ProcessVersion = version
    return found


def limit_arg(raw: str | None) -> int:
    """The `limit` query argument: how many recent instances to read (1..MAX_LIMIT)."""
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError as exc:
        raise BadRequest(f"limit must be a whole number of instances (1 to {MAX_LIMIT}).",
                         field="limit") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT} instances.", field="limit")
    return limit
