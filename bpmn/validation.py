"""XSD validation with the BPMN 2.0 and DMN schemas SpiffWorkflow ships; findings are warnings."""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import XSD_PATH
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS

from .errors import Problem
from .xmlsafe import line

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_PREFIXES = {
    "{" + BPMN_NS + "}": "bpmn:",
    "{http://www.omg.org/spec/BPMN/20100524/DI}": "bpmndi:",
    "{http://camunda.org/schema/1.0/bpmn}": "camunda:",
    "{http://spiffworkflow.org/bpmn/schema/1.0/core}": "spiffworkflow:",
}
_MAX_FINDINGS = 50
_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _schema(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(path, parser=parser))


def _shorten(message: str) -> str:
    for long, short in _PREFIXES.items():
        message = message.replace(long, short)
    return message


def _ids_by_line(root: etree._Element) -> dict[int, str]:
    ids: dict[int, str] = {}
    for element in root.iter():
        element_id = element.get("id") if isinstance(element.tag, str) else None
        where = line(element)
        if element_id and where is not None:
            ids.setdefault(where, element_id)
    return ids


def schema_path(root: etree._Element) -> str | None:
    """The XSD that applies to this document (BPMN or one of the DMN versions), if any."""
    namespace = etree.QName(root).namespace
    if namespace == BPMN_NS:
        return str(XSD_PATH)
    path = DMN_SCHEMAS.get(namespace or "")
    return str(path) if path else None


def schema_findings(file: str, root: etree._Element) -> list[Problem]:
    """Everything the schema objects to, as warnings with file, line and (where known) element id.

    They are warnings, not errors: SpiffArena writes schema-invalid files that run fine, and
    whether a model can run is decided by parsing it, not by the schema.
    """
    path = schema_path(root)
    if path is None:
        return []
    document = root
    retrieval = f".//{{{BPMN_NS}}}correlationPropertyRetrievalExpression/{{{BPMN_NS}}}formalExpression"
    if root.find(retrieval) is not None:
        # bpmn-js writes formalExpression where the schema wants messagePath; do not flag that.
        document = copy.deepcopy(root)
        for element in document.iterfind(retrieval):
            element.tag = f"{{{BPMN_NS}}}messagePath"
    schema = _schema(path)
    with _lock:
        valid = schema.validate(document)
        errors: list[Any] = list(iter(schema.error_log))  # type: ignore[call-overload]
    if valid:
        return []
    ids = _ids_by_line(root)
    findings = []
    for error in errors[:_MAX_FINDINGS]:
        where = error.line or None
        findings.append(Problem(file, where, ids.get(where) if where else None,
                                "schema: " + _shorten(error.message), severity="warning"))
    return findings
