"""What a deployed BPMN file says about its elements: names, kinds, and each sequence flow by its ends.

The engine keeps no sequence flow ids: "engine_steps" events (server/steps.py) record the flows an
instance took as [source element, target element] pairs (plus the process, inside a called process or
subprocess). The heatmap (server/heatmap.py), the live diagram (server/diagram.py) and the audit
page's words (server/web/describe.py) read them through this one mapping from the deployed XML.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lxml import etree

from server.drafts import version_xml
from server.models import ProcessVersion

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NOT_ELEMENTS = frozenset({
    "sequenceFlow", "laneSet", "lane", "documentation", "extensionElements", "ioSpecification",
    "dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation", "association",
    "property", "incoming", "outgoing", "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics", "dataInputAssociation", "dataOutputAssociation",
})
"""Children of a process that are not flow elements."""


@dataclass(frozen=True)
class Shape:
    """Element names and kinds (local tag names), and each sequence flow's id by its (source, target)."""

    names: dict[str, str]
    kinds: dict[str, str]
    flows: dict[tuple[str, str], str]
    """(source, target) -> flow id; the first in the file where several join the same two elements
    (the engine cannot tell them apart)."""

    def flow_id(self, source: str, target: str) -> str | None:
        """The sequence flow from `source` to `target`, or None (no such flow in this file: a boundary
        event's attachment, an element of another file)."""
        return self.flows.get((source, target))

    def name(self, element_id: str) -> str:
        return self.names.get(element_id) or element_id


@dataclass(frozen=True)
class FlowTaken:
    """One [source, target(, process)] entry of an engine_steps event."""

    source: str
    target: str
    process: str | None = None


def flows_taken(entries: Iterable[Any]) -> Iterator[FlowTaken]:
    """The flows of an engine_steps event's "flows" list, skipping entries that are not pairs."""
    for entry in entries:
        pair = isinstance(entry, list | tuple) and len(entry) in (2, 3)
        if pair and all(isinstance(i, str) for i in entry):
            yield FlowTaken(entry[0], entry[1], entry[2] if len(entry) == 3 else None)


@lru_cache(maxsize=64)
def shape(key: Hashable, xml: str) -> Shape:
    """The shape of a deployed file (`key` names it in the cache: deployed files never change)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(xml.encode(), parser)
    names: dict[str, str] = {}
    kinds: dict[str, str] = {}
    flows: dict[tuple[str, str], str] = {}
    containers = [f"{{{BPMN_NS}}}{name}" for name in ("process", "subProcess", "transaction")]
    for container in root.iter(*containers):
        for node in container.iterchildren(f"{{{BPMN_NS}}}*"):
            element_id, tag = node.get("id"), etree.QName(node.tag).localname
            if not element_id:
                continue
            if tag == "sequenceFlow":
                flows.setdefault((node.get("sourceRef") or "", node.get("targetRef") or ""), element_id)
            elif tag not in NOT_ELEMENTS:
                kinds[element_id] = tag
                names[element_id] = (node.get("name") or "").strip()
    return Shape(names, kinds, flows)


def version_shape(version: ProcessVersion) -> Shape:
    """The shape of a process version's own file."""
    return shape(("version", version.id), version_xml(version))
