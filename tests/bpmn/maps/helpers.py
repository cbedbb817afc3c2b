"""Helpers for the map converter tests: convert fixtures, drive instances, read the diagram back."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

import forms
from bpmn import Bundle, HumanTask, Instance, parse_bundle
from bpmn.maps import Conversion, MapFormat, convert

FIXTURES = Path(__file__).parent / "fixtures"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}


def convert_fixture(name: str, format: MapFormat, process_name: str = "Test process") -> Conversion:
    return convert((FIXTURES / name).read_bytes(), format=format, process_name=process_name)


def deployed(conversion: Conversion) -> Bundle:
    """The conversion parsed as a deployment would parse it; it must have no problems at all."""
    bundle = parse_bundle({f"{conversion.process_id}.bpmn": conversion.bpmn.encode()})
    assert bundle.warnings == []
    assert [p.id for p in bundle.processes] == [conversion.process_id]
    return bundle


def sample_value(field: Mapping[str, Any]) -> Any:
    if field["type"] == "long":
        return 1200
    if field["type"] == "boolean":
        return True
    if field["type"] == "date":
        return "2025-01-31"
    if field["type"] == "enum":
        return field["values"][0]["id"]
    return f"{field['id']} value"


@dataclass
class Run:
    instance: Instance
    visited: list[str]
    tasks: list[HumanTask]


def drive(bundle: Bundle, choices: Mapping[str, list[Any]] | None = None, *, limit: int = 60) -> Run:
    """Complete human tasks one by one until none is left: each decision field takes the next
    value from `choices` (then its first option), every other field a sample value of its type.
    Every form must be one forms/ accepts, and every submission must validate."""
    pending = {key: list(values) for key, values in (choices or {}).items()}
    instance = Instance.start(bundle.definition(bundle.processes[0].id), {})
    run = Run(instance, [], [])
    while tasks := instance.human_tasks():
        assert len(run.visited) < limit, f"still running after {limit} tasks: {run.visited}"
        task = tasks[0]
        spec = forms.form_from_fields(task.form_fields)
        values = {
            f["id"]: pending[f["id"]].pop(0) if pending.get(f["id"]) else sample_value(f)
            for f in task.form_fields
        }
        run.visited.append(task.name)
        run.tasks.append(task)
        instance.complete(task.id, forms.validate(spec, values))
    assert instance.failures() == []
    return run


def ended_at(run: Run) -> str:
    """The id of the end event the instance finished at."""
    from SpiffWorkflow.util.task import TaskState

    ends = [
        t.task_spec.bpmn_id
        for t in run.instance.workflow.get_tasks(state=TaskState.COMPLETED)
        if type(t.task_spec).__name__ == "EndEvent"
    ]
    assert ends, "no end event was reached"
    return str(ends[-1])


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Rect) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )

    def inside(self, other: Rect) -> bool:
        return (
            other.x <= self.x
            and other.y <= self.y
            and self.x + self.w <= other.x + other.w
            and self.y + self.h <= other.y + other.h
        )

    def on_border(self, point: tuple[float, float]) -> bool:
        x, y = point
        within_x, within_y = self.x <= x <= self.x + self.w, self.y <= y <= self.y + self.h
        return (within_y and x in (self.x, self.x + self.w)) or (within_x and y in (self.y, self.y + self.h))

    def crossed_by(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        (x0, x1), (y0, y1) = sorted((a[0], b[0])), sorted((a[1], b[1]))
        return (
            x0 < self.x + self.w and self.x < x1 and y0 < self.y + self.h and self.y < y1
            if x0 != x1
            else self.x < x0 < self.x + self.w and y0 < self.y + self.h and self.y < y1
        )


@dataclass
class Diagram:
    """The model as a modeller sees it: nodes, lanes with their nodes, flows, and the DI."""

    root: etree._Element
    shapes: dict[str, Rect]
    edges: dict[str, list[tuple[float, float]]]
    flows: dict[str, tuple[str, str]]
    nodes: dict[str, str]  # id -> local name (userTask, exclusiveGateway, ...)
    lanes: dict[str, list[str]]  # lane id -> flow node ids
    lane_names: dict[str, str]
    pool: str


def diagram(xml: str) -> Diagram:
    root = etree.fromstring(xml.encode())
    process = root.find("bpmn:process", NS)
    assert process is not None
    nodes = {
        e.get("id"): etree.QName(e).localname
        for e in process
        if etree.QName(e).localname not in ("laneSet", "sequenceFlow", "documentation", "extensionElements")
    }
    flows = {
        f.get("id"): (f.get("sourceRef"), f.get("targetRef"))
        for f in process.iterfind("bpmn:sequenceFlow", NS)
    }
    lanes = {
        lane.get("id"): [ref.text for ref in lane.iterfind("bpmn:flowNodeRef", NS)]
        for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)
    }
    lane_names = {lane.get("id"): lane.get("name") for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)}
    shapes = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        bounds = shape.find("dc:Bounds", NS)
        shapes[shape.get("bpmnElement")] = Rect(
            *(float(bounds.get(k)) for k in ("x", "y", "width", "height"))
        )
    edges = {
        edge.get("bpmnElement"): [
            (float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)
        ]
        for edge in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    participant = root.find("bpmn:collaboration/bpmn:participant", NS)
    assert participant is not None
    return Diagram(root, shapes, edges, flows, nodes, lanes, lane_names, participant.get("id"))  # type: ignore[arg-type]


def layout_faults(xml: str) -> list[str]:
    """Everything wrong with the diagram of a generated model (an empty list when it is clean)."""
    d = diagram(xml)
    faults = []
    node_ids = list(d.nodes)
    for node in node_ids:
        if node not in d.shapes:
            faults.append(f"{node} has no shape")
    for i, a in enumerate(node_ids):
        for b in node_ids[i + 1 :]:
            if d.shapes[a].overlaps(d.shapes[b]):
                faults.append(f"{a} overlaps {b}")
    lane_ids = list(d.lanes)
    pool = d.shapes[d.pool]
    for i, lane in enumerate(lane_ids):
        if not d.shapes[lane].inside(pool):
            faults.append(f"lane {lane} sticks out of the pool")
        for other in lane_ids[i + 1 :]:
            if d.shapes[lane].overlaps(d.shapes[other]):
                faults.append(f"lane {lane} overlaps lane {other}")
        for node in d.lanes[lane]:
            if not d.shapes[node].inside(d.shapes[lane]):
                faults.append(f"{node} is outside its lane {d.lane_names[lane]}")
    in_lanes = [n for refs in d.lanes.values() for n in refs]
    if sorted(in_lanes) != sorted(node_ids):
        faults.append("not every node is in exactly one lane")
    for flow, (source, target) in d.flows.items():
        points = d.edges.get(flow)
        if not points or len(points) < 2:
            faults.append(f"flow {flow} has no edge")
            continue
        if not d.shapes[source].on_border(points[0]) or not d.shapes[target].on_border(points[-1]):
            faults.append(f"edge {flow} does not start at {source} and end at {target}")
        for a, b in itertools.pairwise(points):
            if a[0] != b[0] and a[1] != b[1]:
                faults.append(f"edge {flow} has a diagonal segment {a} -> {b}")
            for node in node_ids:
                if node not in (source, target) and d.shapes[node].crossed_by(a, b):
                    faults.append(f"edge {flow} crosses {node}")
    return faults
