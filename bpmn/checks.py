"""Structural checks made on the XML before parsing, so every such problem is reported at once."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from .errors import Problem
from .metadata import BPMN_NS, CAMUNDA_NS
from .problems import dangling_flow_message
from .xmlsafe import line, local_name

_CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")
_PYTHON = ("", "python", "text/python", "text/x-python", "py")
_INJECTED = ("class", "delegateExpression")  # the Java delegates Camunda injects camunda:field values into


def _q(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def _containers(root: etree._Element) -> Iterable[etree._Element]:
    for name in _CONTAINERS:
        yield from root.iter(_q(name))


def dangling_flows(file: str, root: etree._Element) -> list[Problem]:
    """Sequence flows whose sourceRef or targetRef names nothing in their process or subprocess."""
    problems = []
    for container in _containers(root):
        ids = {child.get("id") for child in container if isinstance(child.tag, str) and child.get("id")}
        for flow in container.iterchildren(_q("sequenceFlow")):
            flow_id = flow.get("id")
            for attribute in ("sourceRef", "targetRef"):
                ref = flow.get(attribute)
                if not ref:
                    problems.append(Problem(file, line(flow), flow_id,
                                            f"sequence flow {flow_id} has no {attribute}"))
                elif ref not in ids:
                    problems.append(Problem(file, line(flow), flow_id,
                                            dangling_flow_message(flow_id or "?", attribute, ref)))
    return problems


def call_activities(file: str, root: etree._Element, process_ids: set[str]) -> list[Problem]:
    """Call activities must name, literally, a process of this deployment or one deployed before."""
    problems = []
    for call in root.iter(_q("callActivity")):
        called = (call.get("calledElement") or "").strip()
        if not called:
            message = "this call activity does not say which process it calls (calledElement is empty)"
        elif "{" in called:
            message = (f"this call activity calls '{called}'; Baton needs the id of the called process "
                       "written literally, not an expression")
        elif called not in process_ids:
            message = (f"this call activity calls process '{called}', which is neither in this "
                       "deployment nor deployed before: deploy the file that defines it first, or together "
                       "with this one")
        else:
            continue
        problems.append(Problem(file, line(call), call.get("id"), message))
    return problems


def script_languages(file: str, root: etree._Element) -> list[Problem]:
    """Script tasks must be Python: Baton runs no JavaScript or Groovy."""
    problems = []
    for task in root.iter(_q("scriptTask")):
        language = (task.get("scriptFormat") or "").strip().lower()
        if language not in _PYTHON:
            problems.append(Problem(file, line(task), task.get("id"),
                                    f"this script task is written in '{task.get('scriptFormat')}'; "
                                    "Baton runs Python scripts only"))
    return problems


def delegate_fields(file: str, root: etree._Element) -> list[Problem]:
    """camunda:field injections of service and send tasks: each needs a name and exactly one value.

    They reach the connector a `camunda:class` or `camunda:delegateExpression` is bound to; on any
    other task nothing would receive them, which is said as a warning.
    """
    problems = []
    for task in (t for tag in ("serviceTask", "sendTask") for t in root.iter(_q(tag))):
        injected = any((task.get(f"{{{CAMUNDA_NS}}}{kind}") or "").strip() for kind in _INJECTED)
        for field in task.iterfind(f"{_q('extensionElements')}/{{{CAMUNDA_NS}}}field"):
            name = (field.get("name") or "").strip()
            values = [field.get("stringValue"), field.get("expression"),
                      field.find(f"{{{CAMUNDA_NS}}}string"), field.find(f"{{{CAMUNDA_NS}}}expression")]
            count = sum(value is not None for value in values)
            where = (file, line(field), task.get("id"))
            if not name:
                problems.append(Problem(*where, "this camunda:field has no name: name the parameter"))
            elif count != 1:
                how_many = "no value" if not count else "more than one value"
                problems.append(Problem(*where, (
                    f"camunda:field '{name}' has {how_many}: give it one stringValue or expression "
                    "(attribute, or camunda:string or camunda:expression child)")))
            elif not injected:
                problems.append(Problem(*where, (
                    f"camunda:field '{name}' is injected only into a camunda:class or "
                    "camunda:delegateExpression; this task has neither, so nothing receives it"),
                    severity="warning"))
    return problems


def top_level_processes(root: etree._Element) -> list[etree._Element]:
    """The bpmn:process elements of a document (not subprocesses)."""
    return [child for child in root if local_name(child) == "process"]


_RESERVED = {"Start", "End", "Root", "StartEventSplit", "StartEventJoin"}
_RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin", " [child]")


def reserved_ids(file: str, root: etree._Element) -> list[Problem]:
    """Flow elements whose id clashes with a task SpiffWorkflow creates itself.

    An element with id "Start" or "End" is silently merged with the engine's own task of that
    name: the process then does nothing at all. Such ids are rejected.
    """
    problems = []
    for container in _containers(root):
        for child in container:
            element_id = child.get("id") if isinstance(child.tag, str) else None
            if element_id and (element_id in _RESERVED or element_id.endswith(_RESERVED_SUFFIXES)):
                problems.append(Problem(file, line(child), element_id,
                                        f"the id '{element_id}' is reserved by the engine; give this "
                                        f"<{local_name(child)}> another id"))
    return problems


_UNEXECUTED_EVENTS = {
    "compensateEventDefinition": "compensation events",
    "linkEventDefinition": "link events (draw the sequence flow instead)",
    "conditionalEventDefinition": (
        "conditional events: their condition must be checked again whenever a variable changes, which "
        "Baton does not do (wait for a message or signal instead, or decide with a gateway after the "
        "task that sets the variable)"),
}
_IO_PLACES = ("userTask", "manualTask", "task", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "intermediateCatchEvent",
              "intermediateThrowEvent", "endEvent")


def unexecuted_constructs(file: str, root: etree._Element) -> list[Problem]:
    """Constructs Baton would otherwise skip without a word: rejected, each naming its element.

    SpiffWorkflow parses a compensation or link event as a plain event (the compensation never
    runs; a link throw just ends its path) and never calls a compensation handler; it checks a
    conditional event's condition only when the event is reached, not when variables change. Camunda's
    `camunda:inputOutput` where Camunda itself allows none (start and boundary events, gateways)
    would be ignored. Task and execution listeners are reported as warnings: Baton does not run
    them, and the model still runs without them.
    """
    problems = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = local_name(element)
        holder = element.getparent()
        if name in _UNEXECUTED_EVENTS and element.tag == _q(name) and holder is not None:
            kind = name.removesuffix("EventDefinition")
            watched = element.get(f"{{{CAMUNDA_NS}}}variableName")  # Camunda: the variable to watch
            watching = f" (camunda:variableName '{watched}' is not watched either)" if watched else ""
            problems.append(Problem(file, line(holder), holder.get("id"),
                                    f"this <{local_name(holder)}> is a {kind} event; "
                                    f"Baton does not run {_UNEXECUTED_EVENTS[name]}{watching}"))
        elif element.get("isForCompensation") == "true":
            problems.append(Problem(file, line(element), element.get("id"),
                                    "this activity is a compensation handler; "
                                    "Baton does not run compensation"))
        elif name == "complexGateway" and element.tag == _q(name):
            problems.append(Problem(file, line(element), element.get("id"),
                                    "Baton does not run complex gateways; "
                                    "use an inclusive or parallel gateway"))
        elif name == "adHocSubProcess" and element.tag == _q(name):
            problems.append(Problem(file, line(element), element.get("id"),
                                    "Baton does not run ad-hoc subprocesses; model the activities as "
                                    "parallel branches, or as a loop around a choice"))
        elif name == "inputOutput" and etree.QName(element).namespace == CAMUNDA_NS:
            owner = _owner(element)
            if owner is not None and local_name(owner) not in _IO_PLACES and local_name(owner) != "connector":
                problems.append(Problem(file, line(element), owner.get("id"),
                                        f"camunda:inputOutput is not allowed on a <{local_name(owner)}> "
                                        "(Camunda allows it on activities and intermediate and end events)"))
        elif name in ("taskListener", "executionListener") and etree.QName(element).namespace == CAMUNDA_NS:
            owner = _owner(element)
            what = element.get("class") or element.get("delegateExpression") or element.get("expression")
            if what is None:
                script = element.find(f"{{{CAMUNDA_NS}}}script")
                what = f"a {script.get('scriptFormat') or ''} script" if script is not None else "a listener"
            problems.append(Problem(
                file, line(element), owner.get("id") if owner is not None else None,
                f"camunda:{name} ({element.get('event') or 'no event'}: {what}) is not run by Baton; "
                "the model runs without it (model what it does as a task if the process needs it)",
                severity="warning"))
    return problems


def _owner(extension: etree._Element) -> etree._Element | None:
    """The BPMN element whose extensionElements hold `extension` (the connector for its mappings)."""
    parent = extension.getparent()
    while parent is not None and (local_name(parent) == "extensionElements" or (
            etree.QName(parent).namespace == CAMUNDA_NS and local_name(parent) != "connector")):
        parent = parent.getparent()
    return parent
