"""The live diagram of an instance: each element's state and the flows taken, read from the projection.

Nothing here loads a workflow: the task rows, the instance's `waiting` list, open incidents and the
audit events (those with an element id) say where a case has been. Elements the engine passes
without a trace (gateways, script tasks) are inferred when exactly one path of such elements joins
two elements known to have been reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree
from sqlalchemy import select

from server.clock import iso, utcnow
from server.db import db
from server.drafts import version_xml
from server.models import Event, Incident, Instance, ProcessVersion, Task

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Elements that always leave a row or an event when reached: never inferred as passed silently.
_RECORDED = {"userTask", "manualTask"}
_NOT_FLOW_NODES = {"sequenceFlow", "laneSet", "lane", "documentation", "extensionElements", "ioSpecification",
                   "dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation", "association",
                   "property", "incoming", "outgoing"}
MAX_SILENT_PATH = 12  # elements an inferred path may cross


@dataclass(frozen=True)
class Graph:
    """The flow nodes and sequence flows of a deployed file."""

    kinds: dict[str, str]  # element id -> local tag name
    flows: dict[str, tuple[str, str]]  # flow id -> (source, target)
    outgoing: dict[str, list[str]] = field(default_factory=dict)  # node id -> flow ids

    @property
    def start_events(self) -> list[str]:
        return [i for i, kind in self.kinds.items() if kind == "startEvent"]


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


@lru_cache(maxsize=64)
def _graph(version_id: int, xml: str) -> Graph:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(xml.encode(), parser)
    kinds: dict[str, str] = {}
    flows: dict[str, tuple[str, str]] = {}
    for container in root.iter(*(f"{{{BPMN_NS}}}{n}" for n in ("process", "subProcess", "transaction"))):
        for child in container:
            name, element_id = _local(child.tag), child.get("id")
            if not element_id:
                continue
            if name == "sequenceFlow":
                flows[element_id] = (child.get("sourceRef") or "", child.get("targetRef") or "")
            elif name not in _NOT_FLOW_NODES:
                kinds[element_id] = name
    outgoing: dict[str, list[str]] = {}
    for flow_id, (source, _) in flows.items():
        outgoing.setdefault(source, []).append(flow_id)
    return Graph(kinds, flows, outgoing)


def _owner(task: Task) -> str:
    if task.assignee:
        return task.assignee
    offered = [*(f"{g} (group)" for g in task.candidate_groups or []), *(task.candidate_users or [])]
    return "offered to " + ", ".join(offered) if offered else "nobody yet"


def element_states(row: Instance, graph: Graph, events: list[Event]) -> dict[str, dict[str, Any]]:
    """{element id: {"state", ...}} from tasks, waits, incidents and events (latest wins per source)."""
    now = utcnow()
    states: dict[str, dict[str, Any]] = {}
    for ev in events:
        if ev.element_id:
            states[ev.element_id] = {"state": "completed"}
    if any(ev.kind == "instance_started" for ev in events):
        starts = graph.start_events
        none_starts = [s for s in starts if s in states or len(starts) == 1]
        for start in none_starts or starts[:1]:
            states.setdefault(start, {"state": "completed"})
    tasks = db.session.scalars(
        select(Task).where(Task.instance_id == row.id).order_by(Task.created_at, Task.id)
    )
    for task in tasks:
        if task.state == "open":
            states[task.element_id] = {
                "state": "active",
                "owner": _owner(task),
                "due_at": iso(task.due_at),
                "overdue": bool(task.due_at and task.due_at < now),
            }
        elif states.get(task.element_id, {}).get("state") != "active":
            states[task.element_id] = {"state": "completed" if task.state == "completed" else "cancelled"}
    if row.status == "running":
        for wait in row.waiting or []:
            element_id = wait.get("element_id")
            if element_id:
                states[element_id] = {
                    "state": "waiting",
                    "wait": f"{wait.get('kind')}: {wait.get('name') or element_id}",
                    "due_at": wait.get("due_at"),
                }
    incidents = db.session.scalars(
        select(Incident).where(Incident.instance_id == row.id, Incident.status == "open")
    )
    for incident in incidents:
        if incident.element_id:
            states[incident.element_id] = {"state": "failed", "message": incident.message}
    if row.status == "error":
        for ev in events:
            if ev.element_id and ev.kind in ("step_budget_exceeded", "instance_failed"):
                states[ev.element_id] = {"state": "failed", "message": row.error or ""}
    return states


def flows_taken(graph: Graph, states: dict[str, dict[str, Any]], status: str) -> tuple[list[str], set[str]]:
    """Flows between reached elements, and the silent elements on the only path joining two of them."""
    reached = {i for i in states if i in graph.kinds}
    taken: set[str] = set()
    passed: set[str] = set()
    ends = {i for i, kind in graph.kinds.items() if kind == "endEvent"} if status == "completed" else set()
    for origin in reached:
        paths: dict[str, list[list[str]]] = {}
        stack: list[tuple[str, list[str]]] = [(origin, [])]
        while stack:
            node, path = stack.pop()
            for flow_id in graph.outgoing.get(node, []):
                target = graph.flows[flow_id][1]
                route = [*path, flow_id]
                if target in reached:
                    paths.setdefault(target, []).append(route)
                elif target in ends:
                    paths.setdefault("<end>", []).append(route)
                elif (graph.kinds.get(target) not in _RECORDED and target in graph.kinds
                      and len(route) < MAX_SILENT_PATH and target not in _nodes(graph, route[:-1])):
                    stack.append((target, route))
        for routes in paths.values():
            if len(routes) == 1:
                taken.update(routes[0])
                passed.update(graph.flows[f][1] for f in routes[0])
    passed -= reached
    return sorted(taken), passed


def _nodes(graph: Graph, route: list[str]) -> set[str]:
    return {graph.flows[f][1] for f in route}


def live_diagram(row: Instance) -> dict[str, Any]:
    """The JSON the instance page's viewer polls."""
    pv: ProcessVersion = row.process_version
    xml = version_xml(pv)
    graph = _graph(pv.id, xml)
    events = list(db.session.scalars(select(Event).where(Event.instance_id == row.id).order_by(Event.seq)))
    states = element_states(row, graph, events)
    taken, passed = flows_taken(graph, states, row.status)
    for element_id in passed:
        states.setdefault(element_id, {"state": "completed", "inferred": True})
    return {
        "instance_id": row.id,
        "status": row.status,
        "revision": row.event_seq,
        "process_id": row.process_id,
        "xml": xml,
        "elements": states,
        "flows_taken": taken,
        "events": events,
    }
