"""Structural checks made on the XML before parsing, so every such problem is reported at once."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from .errors import Problem
from .metadata import BPMN_NS
from .problems import dangling_flow_message
from .xmlsafe import line, local_name

_CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")
_PYTHON = ("", "python", "text/python", "text/x-python", "py")


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


def data_stores(file: str, root: etree._Element) -> list[Problem]:
    """Data store references: SpiffWorkflow cannot run them without an implementation, Baton has none."""
    return [
        Problem(file, line(ref), ref.get("id"),
                f"data store reference '{ref.get('name') or ref.get('id')}': Baton has no data stores; "
                "remove it from the model (keep the data in process variables instead)")
        for ref in root.iter(_q("dataStoreReference"))
    ]


def call_activities(file: str, root: etree._Element, process_ids: set[str]) -> list[Problem]:
    """Call activities must name a process of this deployment, literally."""
    problems = []
    for call in root.iter(_q("callActivity")):
        called = (call.get("calledElement") or "").strip()
        if not called:
            message = "this call activity does not say which process it calls (calledElement is empty)"
        elif "{" in called:
            message = (f"this call activity calls '{called}'; Baton needs the id of the called process "
                       "written literally, not an expression")
        elif called not in process_ids:
            message = (f"this call activity calls process '{called}', which is not in this deployment; "
                       "deploy the file that defines it together with this one")
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
