"""The live diagram of an instance: each element's state and the flows taken, read from the projection.

Nothing here loads a workflow: the task rows, the instance's `waiting` list, open incidents and the
audit events say where a case has been. The "engine_steps" event of each change (server/steps.py,
read by server/engine_trail.py) names the elements the engine completed and the sequence flows it
took, gateways and script tasks included: for an instance that has them from its start, the flows
taken and the elements passed are exactly those, and each pass shows in the element's history.

Instances started before engine_steps existed fall back to inference (`flows_taken`): elements the
engine passes without another trace are inferred when exactly one path of such elements joins two
elements known to have been reached (marked "inferred").

Call activities: SpiffWorkflow runs a called process inside the same workflow, so its tasks, waits
and events belong to this instance too. `live_diagram(row, process_id=...)` draws a called process
(from whichever file of the deployment defines it) with the states of its own elements; on the
caller's diagram a call activity is active, failed or completed as the process it calls is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree
from sqlalchemy import select

from server import model_shape
from server.clock import iso, utcnow
from server.db import db
from server.drafts import version_xml
from server.engine_trail import Trail, recorded_from_start, trail
from server.errors import NotFound
from server.models import DeploymentFile, Event, Incident, Instance, ProcessVersion, Task

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
    containers: frozenset[str] = frozenset()  # ids of the processes and subprocesses drawn
    calls: dict[str, str] = field(default_factory=dict)  # call activity id -> called process id
    shape: model_shape.Shape | None = None  # the whole file's: maps flows taken to their ids

    @property
    def start_events(self) -> list[str]:
        return [i for i, kind in self.kinds.items() if kind == "startEvent"]


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _parse(xml: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(xml.encode(), parser)


@lru_cache(maxsize=64)
def _graph(key: str, xml: str, process_id: str = "") -> Graph:
    """The graph of a whole file (a caller's diagram), or of one process in it (a called one)."""
    root = _parse(xml)
    scope = next((p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id") == process_id), root)
    kinds: dict[str, str] = {}
    flows: dict[str, tuple[str, str]] = {}
    calls: dict[str, str] = {}
    containers: set[str] = set()
    for container in scope.iter(*(f"{{{BPMN_NS}}}{n}" for n in ("process", "subProcess", "transaction"))):
        containers.add(container.get("id") or "")
        for child in container:
            name, element_id = _local(child.tag), child.get("id")
            if not element_id:
                continue
            if name == "sequenceFlow":
                flows[element_id] = (child.get("sourceRef") or "", child.get("targetRef") or "")
            elif name not in _NOT_FLOW_NODES:
                kinds[element_id] = name
                if name == "callActivity" and child.get("calledElement"):
                    calls[element_id] = str(child.get("calledElement")).strip()
    outgoing: dict[str, list[str]] = {}
    for flow_id, (source, _) in flows.items():
        outgoing.setdefault(source, []).append(flow_id)
    return Graph(kinds, flows, outgoing, frozenset(containers - {""}), calls, model_shape.shape(key, xml))


@lru_cache(maxsize=16)
def _process_files(deployment_id: int, checksum: str) -> dict[str, tuple[str, str]]:
    """{process id: (file name, xml)} over the .bpmn files of a deployment (deployments never change;
    the checksum of its files keeps the cache honest across databases)."""
    found: dict[str, tuple[str, str]] = {}
    rows = db.session.execute(
        select(DeploymentFile.name, DeploymentFile.content)
        .where(DeploymentFile.deployment_id == deployment_id)
    )
    for name, content in rows:
        if name.lower().endswith(".dmn"):
            continue
        xml = bytes(content).decode("utf-8", errors="replace")
        for process in _parse(xml).iter(f"{{{BPMN_NS}}}process"):
            found.setdefault(process.get("id") or "", (name, xml))
    return found


def _diagram_of(xml: str, process_id: str) -> str | None:
    """The id of the BPMNDiagram that draws a process (its plane, or its pool's collaboration)."""
    root = _parse(xml)
    pools = {parent.get("id") for p in root.iter(f"{{{BPMN_NS}}}participant")
             if p.get("processRef") == process_id and (parent := p.getparent()) is not None}
    for diagram in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram"):
        for plane in diagram:
            if plane.get("bpmnElement") == process_id or plane.get("bpmnElement") in pools:
                return diagram.get("id")
    return None


def _owner(task: Task) -> str:
    if task.assignee:
        return task.assignee
    offered = [*(f"{g} (group)" for g in task.candidate_groups or []), *(task.candidate_users or [])]
    return "offered to " + ", ".join(offered) if offered else "nobody yet"


@dataclass
class Facts:
    """What the projection says about one instance, read once per poll and shared by every graph."""

    events: list[Event]
    tasks: list[Task]
    incidents: list[Incident]
    root_process: str = ""
    exact: bool = False
    """The engine_steps events tell the whole path (recorded since the instance started)."""

    @classmethod
    def of(cls, row: Instance) -> Facts:
        events = list(db.session.scalars(
            select(Event).where(Event.instance_id == row.id).order_by(Event.seq)))
        return cls(
            events,
            list(db.session.scalars(
                select(Task).where(Task.instance_id == row.id).order_by(Task.created_at, Task.id))),
            list(db.session.scalars(
                select(Incident).where(Incident.instance_id == row.id, Incident.status == "open"))),
            row.process_id,
            recorded_from_start(events),
        )

    def trail(self, graph: Graph) -> Trail | None:
        """What the engine_steps say about this graph, or None for an instance older than them."""
        if not self.exact or graph.shape is None:
            return None
        return trail(self.events, root_process=self.root_process, containers=graph.containers,
                     kinds=graph.kinds, shape=graph.shape, flow_ids=graph.flows.keys())


_GATEWAY_WAITS = {"EventBasedGateway": "event gateway: waiting for the first of its events"}
_JOIN_WAIT = "join: waiting for the other branches"


def _trail_states(row: Instance, found: Trail) -> dict[str, dict[str, Any]]:
    """Completed elements, and waits the engine began that no other source describes (joins, subprocesses)."""
    states: dict[str, dict[str, Any]] = {element_id: {"state": "completed"} for element_id in found.completed}
    if row.status in ("running", "error"):
        for element_id, kind in found.open.values():
            if kind.endswith("Gateway"):
                states[element_id] = {"state": "waiting", "wait": _GATEWAY_WAITS.get(kind, _JOIN_WAIT)}
            else:
                states[element_id] = {"state": "active"}
    return states


def element_states(row: Instance, graph: Graph, facts: Facts, foreign: frozenset[str] = frozenset(),
                   *, caller: bool = True, found: Trail | None = None) -> dict[str, dict[str, Any]]:
    """{element id: {"state", ...}} from the engine's trail, tasks, waits, incidents and events (latest
    wins per source).

    `foreign` names the other processes of the deployment: their tasks (and those tasks' events) are
    not this graph's even where element ids repeat across files. `caller` is False for a called process.
    `found` is the graph's engine trail (None for an instance older than engine_steps).
    """
    now = utcnow()
    states: dict[str, dict[str, Any]] = _trail_states(row, found) if found is not None else {}
    tasks = [t for t in facts.tasks if t.process_id not in foreign]
    elsewhere = {t.id for t in facts.tasks if t.process_id in foreign}
    events = [ev for ev in facts.events if ev.task_id not in elsewhere]
    for ev in events:
        if ev.element_id:
            states[ev.element_id] = {"state": "completed"}
    started = any(ev.kind == "instance_started" for ev in events) if caller else (
        any(i in graph.kinds for i in states) or any(t.element_id in graph.kinds for t in tasks))
    if started and found is None:  # (the trail names the start event that was taken)
        starts = graph.start_events
        none_starts = [s for s in starts if s in states or len(starts) == 1]
        for start in none_starts or starts[:1]:
            states.setdefault(start, {"state": "completed"})
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
    for incident in facts.incidents:
        if incident.element_id:
            states[incident.element_id] = {"state": "failed", "message": incident.message}
    if row.status == "error":
        for ev in events:
            if ev.element_id and ev.kind in ("step_budget_exceeded", "instance_failed"):
                states[ev.element_id] = {"state": "failed", "message": row.error or ""}
    return states


def flows_taken(graph: Graph, states: dict[str, dict[str, Any]], status: str) -> tuple[list[str], set[str]]:
    """Flows between reached elements, and the silent elements on the only path joining two of them.

    Only for instances older than engine_steps (see the module docstring): a guess that never crosses
    a fork with two possible ways, so it leaves gaps rather than drawing a path not taken."""
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


_OPEN = ("active", "waiting", "failed")


def _called_status(row: Instance, states: dict[str, dict[str, Any]], graph: Graph) -> str:
    """A called process is completed once it was reached and nothing in it is open any more."""
    mine = [info["state"] for element_id, info in states.items() if element_id in graph.kinds]
    if row.status == "completed" or (mine and not any(state in _OPEN for state in mine)):
        return "completed"
    return row.status


def _call_states(row: Instance, graph: Graph, facts: Facts, states: dict[str, dict[str, Any]],
                 files: dict[str, tuple[str, str]]) -> None:
    """Mark each call activity as the process it calls stands (failed, active, or done)."""
    for call_id, called in graph.calls.items():
        if called not in files or states.get(call_id, {}).get("state") in _OPEN:
            continue
        file, xml = files[called]
        inner = _graph(file, xml, called)
        inner_states = element_states(row, inner, facts, frozenset(files) - inner.containers, caller=False,
                                      found=facts.trail(inner))
        seen = [inner_states[i]["state"] for i in inner_states if i in inner.kinds]
        if "failed" in seen:
            states[call_id] = {"state": "failed", "message": f"in the called process {called}"}
        elif "active" in seen or "waiting" in seen:
            states[call_id] = {"state": "active", "called": called}
        elif seen:
            states[call_id] = {"state": "completed"}


def live_diagram(row: Instance, process_id: str | None = None) -> dict[str, Any]:
    """The JSON the instance page's viewer polls: the instance's process, or a process it calls."""
    pv: ProcessVersion = row.process_version
    files = _process_files(pv.deployment_id, pv.checksum)
    if process_id and process_id != row.process_id:
        if process_id not in files:
            raise NotFound(f"Process {process_id} is not in the deployment of this case.")
        file, xml = files[process_id]
        graph = _graph(f"{pv.deployment_id}/{file}", xml, process_id)
        caller = False
    else:
        process_id, file, xml = row.process_id, pv.file, version_xml(pv)
        graph = _graph(f"{pv.deployment_id}/{file}", xml)
        caller = True
    facts = Facts.of(row)
    found = facts.trail(graph)
    foreign = frozenset(files) - graph.containers
    states = element_states(row, graph, facts, foreign, caller=caller, found=found)
    _call_states(row, graph, facts, states, files)
    if found is not None:
        taken, passes = sorted(found.flows), found.passes
    else:  # an instance older than engine_steps: infer the silent elements and the flows between
        status = row.status if caller else _called_status(row, states, graph)
        taken, passed = flows_taken(graph, states, status)
        for element_id in passed:
            states.setdefault(element_id, {"state": "completed", "inferred": True})
        passes = []
    return {
        "instance_id": row.id,
        "status": row.status,
        "revision": row.event_seq,
        "process_id": process_id,
        "root_process_id": row.process_id,
        "process_name": _name_of(xml, process_id),
        "diagram_id": None if caller else _diagram_of(xml, process_id),
        "xml": xml,
        "elements": states,
        "flows_taken": taken,
        "events": facts.events,
        "passes": passes,
    }


def _name_of(xml: str, process_id: str) -> str:
    for process in _parse(xml).iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == process_id:
            return str(process.get("name") or process_id)
    return process_id
