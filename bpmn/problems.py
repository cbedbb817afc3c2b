"""Turn whatever a parse raised into Problems a modeller understands: file, line, element id, message."""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from .errors import Problem
from .xmlsafe import elements, line

_TWO_ITEMS = re.compile(r"found two items, perhaps a form has the same ID\? \((?P<target>.*)\)")
_NOT_SUPPORTED = "There is no support implemented for this task type"
_NO_CONDITION = "Non-default exclusive outgoing sequence flow without condition"
_MULTIPLE_OUTGOING = "Multiple outgoing flows are not supported for tasks of type"


def line_of(root: etree._Element | None, element_id: str | None) -> int | None:
    """The source line of the element with this id in the document, if there is one."""
    if root is None or not element_id:
        return None
    found = elements(root, "//*[@id=$element_id]", {}, element_id=element_id)
    return line(found[0]) if found else None


def dangling_flow_message(flow_id: str, attribute: str, target: str) -> str:
    """The message for a sequence flow whose sourceRef or targetRef names no element."""
    verb = "points at" if attribute == "targetRef" else "starts from"
    return f"sequence flow {flow_id} {verb} '{target}', which does not exist"


def _friendly(exc: ValidationException, root: etree._Element | None) -> tuple[str, str | None]:
    """A message a modeller understands, and the element it is really about."""
    message = str(exc.args[0]) if exc.args else str(exc)
    element_id: str | None = exc.id or None
    tag = exc.tag or "element"
    dangling = _TWO_ITEMS.search(message)
    if dangling:
        target = dangling.group("target")
        flows = elements(root, "//*[local-name()='sequenceFlow'][@sourceRef=$s][@targetRef=$t]", {},
                         s=element_id or "", t=target) if root is not None else []
        if flows:
            flow_id = flows[0].get("id") or "?"
            return dangling_flow_message(flow_id, "targetRef", target), flow_id
        return f"a sequence flow from {element_id} points at '{target}', which does not exist", element_id
    if message.startswith(_NOT_SUPPORTED):
        return f"Baton cannot run <{tag}> elements here (no support for this element type)", element_id
    if message.startswith(_NO_CONDITION):
        return ("this sequence flow leaves an exclusive or inclusive gateway without a condition and is "
                "not the gateway's default flow: add a condition, or make it the default flow"), element_id
    if message.startswith(_MULTIPLE_OUTGOING):
        return (f"this <{tag}> has more than one outgoing sequence flow; use a gateway to split the "
                "flow"), element_id
    if message.startswith(("KeyError(", "AttributeError(", "TypeError(", "ValueError(", "IndexError(")):
        return f"could not read this <{tag}>: {message}", element_id
    return message.rstrip(". ") or "invalid element", element_id


def from_validation_exception(
    exc: ValidationException, roots: Mapping[str, etree._Element], default_file: str
) -> Problem:
    """A Problem for a SpiffWorkflow ValidationException; the line is looked up from the element id."""
    file = exc.file_name if exc.file_name in roots else default_file
    root = roots.get(file)
    message, element_id = _friendly(exc, root)
    where = exc.line_number if isinstance(exc.line_number, int) and exc.line_number > 0 else None
    if where is None:
        where = line_of(root, element_id)
    return Problem(file, where, element_id, message)


def from_unexpected(file: str, exc: BaseException, element_id: str | None = None,
                    root: etree._Element | None = None) -> Problem:
    """A Problem for an error nobody anticipated: the type and message, never a traceback."""
    detail = str(exc) or exc.__class__.__name__
    return Problem(file, line_of(root, element_id), element_id,
                   f"could not read the model ({exc.__class__.__name__}: {detail})")
