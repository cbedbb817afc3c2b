"""Read from the XML what no SpiffWorkflow parser reads: assignment, forms, properties, starters, lanes."""

from __future__ import annotations

from typing import Any

from lxml import etree

from .xmlsafe import elements, local_name

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS}

# camunda attribute -> key of the metadata dict
_TASK_ATTRIBUTES = {
    "assignee": "assignee",
    "candidateUsers": "candidate_users",
    "candidateGroups": "candidate_groups",
    "dueDate": "due_date",
    "followUpDate": "follow_up_date",
    "priority": "priority",
    "formKey": "form_key",
    "formRef": "form_ref",
    "initiator": "initiator",  # on a start event: the variable that gets the starter's e-mail
}
_SERVICE_ATTRIBUTES = ("type", "topic", "class", "expression", "delegateExpression", "resultVariable")
# SpiffArena keeps its form references as plain extension elements; pass them on as properties.
_SPIFF_FORM_ELEMENTS = ("formJsonSchemaFilename", "formUiSchemaFilename", "instructionsForEndUser")


def _camunda(node: etree._Element, name: str) -> str | None:
    return node.get(f"{{{CAMUNDA_NS}}}{name}")


def split_list(raw: str) -> list[str]:
    """Split a comma list, leaving commas inside `${...}` / `#{...}` expressions alone."""
    parts: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(raw):
        if (char == "{" and index > 0 and raw[index - 1] in "$#") or (char == "{" and depth):
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(raw[start:index])
            start = index + 1
    parts.append(raw[start:])
    return [part.strip() for part in parts if part.strip()]


def properties(node: etree._Element) -> dict[str, str]:
    """camunda:properties and spiffworkflow:properties of an element, as name -> value."""
    found: dict[str, str] = {}
    for prop in elements(node, "./bpmn:extensionElements/camunda:properties/camunda:property", NSMAP):
        name = prop.get("name")
        if name:
            found[name] = prop.get("value") or ""
    spiff_properties = "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    for prop in elements(node, spiff_properties, NSMAP):
        name = prop.get("name")
        if name:
            found[name] = prop.get("value") or ""
    for name in _SPIFF_FORM_ELEMENTS:
        element = node.find(f"./{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}{name}")
        if element is not None and element.text and element.text.strip():
            found.setdefault(name, element.text.strip())
    return found


def form_fields(node: etree._Element) -> list[dict[str, Any]]:
    """The camunda:formData fields of a user task or start event as raw dicts (see the brief)."""
    fields: list[dict[str, Any]] = []
    for field in elements(node, "./bpmn:extensionElements/camunda:formData/camunda:formField", NSMAP):
        constraints = [
            {"name": c.get("name") or "", "config": c.get("config")}
            for c in elements(field, "./camunda:validation/camunda:constraint", NSMAP)
        ]
        values = [
            {"id": v.get("id") or "", "name": v.get("name") or v.get("id") or ""}
            for v in elements(field, "./camunda:value", NSMAP)
        ]
        props = {
            p.get("id") or "": p.get("value") or ""
            for p in elements(field, "./camunda:properties/camunda:property", NSMAP)
        }
        fields.append({
            "id": field.get("id") or "",
            "label": field.get("label") or field.get("id") or "",
            "type": field.get("type") or "string",
            "default": field.get("defaultValue"),
            "constraints": constraints,
            "values": values,
            "properties": props,
        })
    return fields


def task_metadata(node: etree._Element) -> dict[str, Any]:
    """What Baton needs about one flow node at run time; only the keys the model sets are present."""
    meta: dict[str, Any] = {}
    for attribute, key in _TASK_ATTRIBUTES.items():
        value = _camunda(node, attribute)
        if value is not None and value.strip():
            meta[key] = value.strip()
    fields = form_fields(node)
    if fields:
        meta["form_fields"] = fields
    props = properties(node)
    if props:
        meta["properties"] = props
    process_sla = _process_sla(node)
    if process_sla:
        meta["process_sla"] = process_sla
    if local_name(node) in ("serviceTask", "sendTask"):
        service = {name: value for name in _SERVICE_ATTRIBUTES if (value := _camunda(node, name))}
        service.update(service_wiring(node))
        if service:
            meta["service"] = service
    else:
        io = _extension_io(node)
        if io:
            meta["io"] = io
    if local_name(node) == "callActivity":
        meta.update(call_mappings(node))
    if local_name(node) == "boundaryEvent":
        variables = error_variables(node)
        if variables:
            meta["error_variables"] = variables
    return meta


def _value(node: etree._Element) -> dict[str, Any]:
    """One camunda:inputParameter / outputParameter / list item / map entry value, as plain data.

    {"text": "..."} (plain text or a `${...}` expression), {"list": [values]}, {"map": {key: value}},
    {"script": "...", "format": "..."}, or {"null": True} when the element is empty.
    """
    for child in node:
        if not isinstance(child.tag, str):
            continue
        kind = local_name(child)
        if kind == "list":
            return {"list": [_value(item) for item in child if isinstance(item.tag, str)]}
        if kind == "map":
            entries = elements(child, "./camunda:entry", NSMAP)
            return {"map": {entry.get("key") or "": _value(entry) for entry in entries}}
        if kind == "script":
            source = (child.text or "").strip() or (child.get("resource") or "")
            return {"script": source, "format": (child.get("scriptFormat") or "").strip().lower()}
    text = node.text or ""
    return {"text": text.strip()} if text.strip() else {"null": True}


def input_output(parent: etree._Element) -> dict[str, list[dict[str, Any]]]:
    """The camunda:inputOutput directly under `parent` as {"inputs": [...], "outputs": [...]}."""
    found: dict[str, list[dict[str, Any]]] = {}
    for tag, key in (("inputParameter", "inputs"), ("outputParameter", "outputs")):
        params = [{"name": p.get("name") or "", "value": _value(p)}
                  for p in elements(parent, f"./camunda:inputOutput/camunda:{tag}", NSMAP)]
        if params:
            found[key] = params
    return found


def _extension_io(node: etree._Element) -> dict[str, list[dict[str, Any]]]:
    """The element's own camunda:inputOutput (see bpmn/io_mapping.py), outside service tasks."""
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    return input_output(extensions) if extensions is not None else {}


def call_mappings(node: etree._Element) -> dict[str, list[dict[str, str]]]:
    """camunda:in / camunda:out of a call activity as {"call_in": [...], "call_out": [...]}."""
    found: dict[str, list[dict[str, str]]] = {}
    for tag, key in (("in", "call_in"), ("out", "call_out")):
        mappings = [
            {name: value for name, value in (
                ("source", m.get("source")), ("source_expression", m.get("sourceExpression")),
                ("target", m.get("target")), ("variables", m.get("variables"))) if value}
            for m in elements(node, f"./bpmn:extensionElements/camunda:{tag}", NSMAP)]
        if mappings:
            found[key] = mappings
    return found


def service_wiring(node: etree._Element) -> dict[str, Any]:
    """How a service task reaches its connector: camunda:connector (id and mappings), the task's own
    camunda:inputOutput, and camunda:failedJobRetryTimeCycle."""
    wiring: dict[str, Any] = {}
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    if extensions is None:
        return wiring
    connector = extensions.find(f"{{{CAMUNDA_NS}}}connector")
    if connector is not None:
        connector_id = connector.findtext(f"{{{CAMUNDA_NS}}}connectorId") or ""
        wiring["connector_id"] = connector_id.strip()
        wiring.update({f"connector_{k}": v for k, v in input_output(connector).items()})
    wiring.update({f"task_{k}": v for k, v in input_output(extensions).items()})
    fields = delegate_fields(extensions)
    if fields:
        wiring["fields"] = fields
    cycle = extensions.findtext(f"{{{CAMUNDA_NS}}}failedJobRetryTimeCycle")
    if cycle and cycle.strip():
        wiring["retry_cycle"] = cycle.strip()
    return wiring


def delegate_fields(extensions: etree._Element) -> list[dict[str, Any]]:
    """camunda:field injections of a Java delegate, in order, as {"name", "value"}.

    The value is {"string": text} (stringValue or a camunda:string child: taken literally, as Camunda
    does), {"text": expression} (expression or a camunda:expression child: `${...}` evaluated), or
    {"null": True} when the field gives neither (a deployment rejects that: bpmn.checks).
    """
    found: list[dict[str, Any]] = []
    for field in elements(extensions, "./camunda:field", NSMAP):
        string = field.get("stringValue")
        if string is None:
            string = field.findtext(f"{{{CAMUNDA_NS}}}string")
        expression = field.get("expression")
        if expression is None:
            expression = field.findtext(f"{{{CAMUNDA_NS}}}expression")
        value: dict[str, Any]
        if string is not None:
            value = {"string": string}
        elif expression is not None:
            value = {"text": expression.strip()}
        else:
            value = {"null": True}
        found.append({"name": field.get("name") or "", "value": value})
    return found


def error_variables(node: etree._Element) -> dict[str, str]:
    """camunda:errorCodeVariable / errorMessageVariable of a boundary event's error definition."""
    definition = node.find(f"{{{BPMN_NS}}}errorEventDefinition")
    if definition is None:
        return {}
    names = {"code": _camunda(definition, "errorCodeVariable"),
             "message": _camunda(definition, "errorMessageVariable")}
    return {key: value.strip() for key, value in names.items() if value and value.strip()}


def _process_sla(node: etree._Element) -> dict[str, str]:
    """The `sla.*` properties of the process around a flow node: defaults for its user tasks."""
    if local_name(node) not in ("userTask", "manualTask", "task"):
        return {}
    parent = node.getparent()
    while parent is not None and local_name(parent) != "process":
        parent = parent.getparent()
    if parent is None:
        return {}
    return {k: v for k, v in properties(parent).items() if k.startswith("sla.")}


def _is_none_start_event(node: etree._Element) -> bool:
    return local_name(node) == "startEvent" and not any(
        local_name(child).endswith("EventDefinition") or local_name(child) == "eventDefinitionRef"
        for child in node
    )


def none_start_events(process: etree._Element) -> list[etree._Element]:
    """The start events of a process that a person can trigger (no event definition)."""
    return [node for node in process.findall(f"{{{BPMN_NS}}}startEvent") if _is_none_start_event(node)]


def documentation(node: etree._Element) -> str:
    """The text of the element's own bpmn:documentation children, joined."""
    texts = [doc.text.strip() for doc in node.findall(f"{{{BPMN_NS}}}documentation") if doc.text]
    return "\n\n".join(text for text in texts if text)


def lane_names(process: etree._Element) -> list[str]:
    """Names of every lane in the process (nested lane sets included), in document order."""
    return [lane.get("name") or "" for lane in process.iterfind(f".//{{{BPMN_NS}}}lane") if lane.get("name")]


def process_metadata(process: etree._Element) -> dict[str, Any]:
    """Process-level facts: who may start it, its start form, documentation and lanes."""
    starts = none_start_events(process)
    return {
        "candidate_starter_groups": split_list(_camunda(process, "candidateStarterGroups") or ""),
        "candidate_starter_users": split_list(_camunda(process, "candidateStarterUsers") or ""),
        "documentation": documentation(process),
        "lanes": lane_names(process),
        "start_form": form_fields(starts[0]) if starts else [],
        "startable_by_hand": bool(starts),
        # Camunda's Tasklist does not offer it: other processes start it (call activities).
        "startable_in_tasklist": (_camunda(process, "isStartableInTasklist") or "").strip() != "false",
    }
