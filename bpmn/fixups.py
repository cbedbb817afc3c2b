"""Repairs made to a parsed model before SpiffWorkflow sees it, each reported as a warning."""

from __future__ import annotations

import re

from lxml import etree

from .errors import Problem
from .metadata import BPMN_NS, CAMUNDA_NS
from .timer_values import is_cron
from .xmlsafe import line

_TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")
# ISO 8601 durations, repetitions and date-times written bare, the way Camunda Modeler writes them.
_ISO_LITERAL = re.compile(
    r"^(R\d*/)?(P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T[0-9:.]+)?(Z|[+-]\d{2}:?\d{2})?)"
    r"(/(P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T[0-9:.]+)?(Z|[+-]\d{2}:?\d{2})?))?$"
)
_SIMPLE_VARIABLE = re.compile(r"^\s*(?:[$#]\{\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\}?\s*$")


def _q(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def name_idless_flows(file: str, root: etree._Element) -> list[Problem]:
    """Give every sequence flow without an id one, so SpiffWorkflow does not silently drop it.

    SpiffWorkflow indexes flow elements by id: a flow without one vanishes and the model then
    "completes" without running the tasks behind it. The XSD allows the omission, so Baton names
    such flows `<source>__<target>` (made unique) and says so in a warning.
    """
    taken = {element.get("id") for element in root.iter() if isinstance(element.tag, str)}
    warnings: list[Problem] = []
    for flow in root.iter(_q("sequenceFlow")):
        if flow.get("id"):
            continue
        base = f"{flow.get('sourceRef') or 'unknown'}__{flow.get('targetRef') or 'unknown'}"
        flow_id, counter = base, 1
        while flow_id in taken:
            counter += 1
            flow_id = f"{base}_{counter}"
        taken.add(flow_id)
        flow.set("id", flow_id)
        warnings.append(Problem(file, line(flow), flow_id,
                                f"a sequence flow from '{flow.get('sourceRef')}' to "
                                f"'{flow.get('targetRef')}' "
                                f"has no id; Baton calls it {flow_id}", severity="warning"))
    return warnings


def quote_timer_literals(file: str, root: etree._Element) -> list[Problem]:
    """Quote bare ISO 8601 timer values (`PT5M`) and cron cycles, which would be evaluated as Python.

    Camunda Modeler writes timer values bare; SpiffArena writes Python expressions (`"PT5M"`).
    """
    for tag in _TIMER_TAGS:
        for element in root.iter(_q(tag)):
            text = (element.text or "").strip()
            if text and (_ISO_LITERAL.match(text) or (tag == "timeCycle" and is_cron(text))):
                element.text = f'"{text}"'
    return []


def camunda_collections(file: str, root: etree._Element) -> list[Problem]:
    """Map camunda:collection / camunda:elementVariable onto the standard BPMN loop data elements."""
    problems: list[Problem] = []
    for loop in root.iter(_q("multiInstanceLoopCharacteristics")):
        collection = loop.get(f"{{{CAMUNDA_NS}}}collection")
        if collection is None or loop.find(_q("loopDataInputRef")) is not None:
            continue
        if loop.find(_q("loopCardinality")) is not None:
            continue
        parent = loop.getparent()
        match = _SIMPLE_VARIABLE.match(collection)
        if match is None:
            problems.append(Problem(file, line(loop), parent.get("id") if parent is not None else None,
                                    f"camunda:collection '{collection}' must name a variable holding a list; "
                                    "Baton does not evaluate other expressions there"))
            continue
        data_input = etree.Element(_q("loopDataInputRef"))
        data_input.text = match.group(1)
        loop.insert(0, data_input)
        element = loop.get(f"{{{CAMUNDA_NS}}}elementVariable")
        if element:
            item = etree.Element(_q("inputDataItem"), id=element, name=element)
            data_input.addnext(item)
    return problems
