"""The Java delegates a deployment names (camunda:class, delegateExpression, expression) and where.

Baton runs none of them itself: the server binds each name to a connector by configuration
(BATON_CONNECTOR_BINDINGS) and warns at deployment about the ones it finds unbound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .errors import ModelInvalid
from .metadata import BPMN_NS, CAMUNDA_NS
from .services import bean_name
from .xmlsafe import MAX_BYTES, line, load_xml

Kind = Literal["class", "delegateExpression", "expression"]
_TAGS = ("serviceTask", "sendTask")


@dataclass(frozen=True)
class Delegate:
    """A service or send task that names Java code, with the name a binding must use."""

    file: str
    line: int | None
    element_id: str
    kind: Kind
    name: str


def java_delegates(files: Mapping[str, bytes]) -> list[Delegate]:
    """Every task of these BPMN files whose implementation is Java code, in file and document order.

    A task with a `camunda:connector` or `camunda:type="external"` names a connector or topic
    instead, and is left out. Files that do not load are left out too (parse_bundle reports them).
    """
    found = []
    for file, data in files.items():
        if not file.lower().endswith((".bpmn", ".bpmn20.xml")):
            continue
        try:
            root = load_xml(file, data, max_bytes=MAX_BYTES)
        except ModelInvalid:
            continue
        for node in root.iter(*(f"{{{BPMN_NS}}}{tag}" for tag in _TAGS)):
            if node.get(f"{{{CAMUNDA_NS}}}type") == "external" or node.find(
                    f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}connector") is not None:
                continue
            kinds: tuple[Kind, ...] = ("class", "delegateExpression", "expression")
            for kind in kinds:
                value = (node.get(f"{{{CAMUNDA_NS}}}{kind}") or "").strip()
                if value:
                    name = bean_name(value) if kind == "delegateExpression" else value
                    found.append(Delegate(file, line(node), str(node.get("id") or ""), kind, name))
                    break
    return found
