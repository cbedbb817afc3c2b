"""Write the graph and its layout as BPMN 2.0 XML in the Camunda 7 dialect, diagram included."""

from __future__ import annotations

from lxml import etree

from ..metadata import BPMN_NS, CAMUNDA_NS
from .builder import UNASSIGNED
from .durations import sla_ladder
from .graph import Graph, Node
from .layout import Box, Layout
from .model import Input, slug

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
NSMAP = {
    "bpmn": BPMN_NS,
    "bpmndi": BPMNDI_NS,
    "dc": DC_NS,
    "di": DI_NS,
    "camunda": CAMUNDA_NS,
    "xsi": XSI_NS,
    "modeler": MODELER_NS,
}
EXPORTER = "Baton map converter"


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _bpmn(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, _q(BPMN_NS, tag), {k: v for k, v in attributes.items() if v})


def _camunda(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, _q(CAMUNDA_NS, tag), attributes)


def _field(
    form: etree._Element,
    field_id: str,
    label: str,
    type_: str,
    *,
    required: bool,
    options: list[tuple[str, str]] | None = None,
    properties: dict[str, str] | None = None,
) -> None:
    element = _camunda(form, "formField", id=field_id, label=label, type=type_)
    if properties:
        holder = _camunda(element, "properties")
        for key, value in properties.items():
            _camunda(holder, "property", id=key, value=value)
    if required:
        _camunda(_camunda(element, "validation"), "constraint", name="required")
    for option_id, name in options or []:
        _camunda(element, "value", id=option_id, name=name)


def _input_field(form: etree._Element, item: Input, field_id: str) -> None:
    label = item.name[:1].upper() + item.name[1:]
    if item.type == "document":
        # forms/ has no file field yet: a document is a text field (a link or reference) marked as one.
        _field(form, field_id, label, "string", required=item.required, properties={"document": "true"})
    elif item.type == "enum" and item.options:
        _field(
            form,
            field_id,
            label,
            "enum",
            required=item.required,
            options=[(slug(o, fallback="option"), o) for o in item.options],
        )
    else:
        _field(form, field_id, label, "string" if item.type == "enum" else item.type, required=item.required)


def _task(process: etree._Element, node: Node) -> etree._Element:
    step = node.step
    assert step is not None
    element = _bpmn(process, "userTask", id=node.id, name=node.name)
    if node.lane != UNASSIGNED or step.owner:
        element.set(_q(CAMUNDA_NS, "candidateGroups"), node.lane)
    if step.sla:
        element.set(_q(CAMUNDA_NS, "dueDate"), step.sla)
    notes = "\n".join(step.notes)
    if notes:
        _bpmn(element, "documentation").text = notes
    extensions = _bpmn(element, "extensionElements")
    if step.sla:
        holder = _camunda(extensions, "properties")
        for key, value in sla_ladder(step.sla, step.sla_working).items():
            _camunda(holder, "property", name=key, value=value)
    form = _camunda(extensions, "formData")
    seen: set[str] = set()
    for item in step.inputs:
        field_id = slug(item.name, fallback="field")
        if field_id in seen or (node.decision and field_id == node.decision.field_id):
            continue
        seen.add(field_id)
        _input_field(form, item, field_id)
    decision = node.decision
    if decision is not None:
        if decision.type == "boolean":
            _field(form, decision.field_id, decision.label, "boolean", required=False)
        else:
            _field(
                form,
                decision.field_id,
                decision.label,
                "enum",
                required=True,
                options=[(o.id, o.name) for o in decision.options],
            )
    if not len(form):
        extensions.remove(form)
    if not len(extensions):
        element.remove(extensions)
    return element


def _shape(
    plane: etree._Element, element_id: str, box: Box, label: Box | None = None, **attributes: str
) -> None:
    shape = etree.SubElement(
        plane, _q(BPMNDI_NS, "BPMNShape"), {"id": f"{element_id}_di", "bpmnElement": element_id, **attributes}
    )
    _bounds(shape, box)
    if label is not None:
        _bounds(etree.SubElement(shape, _q(BPMNDI_NS, "BPMNLabel")), label)


def _bounds(parent: etree._Element, box: Box) -> None:
    etree.SubElement(
        parent, _q(DC_NS, "Bounds"), x=str(box.x), y=str(box.y), width=str(box.w), height=str(box.h)
    )


def write(graph: Graph, diagram: Layout, process_id: str, process_name: str, documentation: str) -> str:
    """The BPMN document: a collaboration with one pool, its process with lanes, and the diagram."""
    root = etree.Element(_q(BPMN_NS, "definitions"), nsmap=NSMAP)
    root.set("id", f"Definitions_{process_id}")
    root.set("targetNamespace", "http://bpmn.io/schema/bpmn")
    root.set("exporter", EXPORTER)
    root.set("exporterVersion", "1.0")
    root.set(_q(MODELER_NS, "executionPlatform"), "Camunda Platform")
    root.set(_q(MODELER_NS, "executionPlatformVersion"), "7.21.0")
    collaboration = _bpmn(root, "collaboration", id=f"Collaboration_{process_id}")
    _bpmn(
        collaboration, "participant", id=f"Participant_{process_id}", name=process_name, processRef=process_id
    )
    process = _bpmn(root, "process", id=process_id, name=process_name, isExecutable="true")
    if documentation.strip():
        _bpmn(process, "documentation").text = documentation.strip()
    lane_set = _bpmn(process, "laneSet", id=f"LaneSet_{process_id}")
    lane_ids = {lane: f"Lane_{slug(lane, fallback='lane')}" for lane in graph.lanes}
    for lane in graph.lanes:
        element = _bpmn(lane_set, "lane", id=lane_ids[lane], name=lane)
        for node in graph.nodes.values():
            if node.lane == lane:
                _bpmn(element, "flowNodeRef").text = node.id
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for flow in graph.flows:
        outgoing.setdefault(flow.source, []).append(flow.id)
        incoming.setdefault(flow.target, []).append(flow.id)
    for node in sorted(graph.nodes.values(), key=lambda n: n.order):
        if node.kind == "userTask":
            element = _task(process, node)
        else:
            element = _bpmn(process, node.kind, id=node.id, name=node.name)
        for flow_id in incoming.get(node.id, []):
            _bpmn(element, "incoming").text = flow_id
        for flow_id in outgoing.get(node.id, []):
            _bpmn(element, "outgoing").text = flow_id
    for flow in graph.flows:
        element = _bpmn(
            process, "sequenceFlow", id=flow.id, name=flow.name, sourceRef=flow.source, targetRef=flow.target
        )
        if flow.condition:
            condition = _bpmn(element, "conditionExpression")
            condition.set(_q(XSI_NS, "type"), "bpmn:tFormalExpression")
            condition.text = flow.condition
    _diagram(root, graph, diagram, process_id, lane_ids)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode()


def _diagram(
    root: etree._Element, graph: Graph, diagram: Layout, process_id: str, lane_ids: dict[str, str]
) -> None:
    element = etree.SubElement(root, _q(BPMNDI_NS, "BPMNDiagram"), id=f"BPMNDiagram_{process_id}")
    plane = etree.SubElement(
        element,
        _q(BPMNDI_NS, "BPMNPlane"),
        id=f"BPMNPlane_{process_id}",
        bpmnElement=f"Collaboration_{process_id}",
    )
    _shape(plane, f"Participant_{process_id}", diagram.pool, isHorizontal="true")
    for lane, box in diagram.lanes.items():
        _shape(plane, lane_ids[lane], box, isHorizontal="true")
    for node in graph.nodes.values():
        extra = {"isMarkerVisible": "true"} if node.kind == "exclusiveGateway" else {}
        _shape(plane, node.id, diagram.shapes[node.id], diagram.labels.get(node.id), **extra)
    for flow in graph.flows:
        edge = etree.SubElement(plane, _q(BPMNDI_NS, "BPMNEdge"), id=f"{flow.id}_di", bpmnElement=flow.id)
        for x, y in diagram.edges[flow.id]:
            etree.SubElement(edge, _q(DI_NS, "waypoint"), x=str(x), y=str(y))
        if flow.id in diagram.labels:
            _bounds(etree.SubElement(edge, _q(BPMNDI_NS, "BPMNLabel")), diagram.labels[flow.id])
