"""Data stores and data objects: documentation of what a process reads and writes, never executed.

Camunda 7 draws data stores and data objects but does not run them; SpiffWorkflow has no data
store implementation (every `dataStoreReference` fails its parser) and treats data objects as
workflow variables that a task receives and hands back through its data associations. Baton
follows the tool that wrote the model:

- data store references are always documentation: removed, with their associations, before
  SpiffWorkflow parses the model, and reported in a warning;
- data objects are documentation too, except in SpiffArena models (any `spiffworkflow:` element
  or attribute in the file), where SpiffWorkflow runs them as SpiffArena does.

`references(root)` reads them from the deployed XML (the process page lists them); `strip` is
the fixup that takes them out of the parser's way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lxml import etree

from .errors import Problem
from .metadata import BPMN_NS, SPIFF_NS
from .xmlsafe import line, local_name

Kind = Literal["data store", "data object"]
_CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")


@dataclass(frozen=True)
class DataReference:
    """A data store or data object drawn in a process, and the tasks drawn reading or writing it."""

    element_id: str
    name: str
    kind: Kind
    process_id: str
    read_by: tuple[str, ...]
    """Names (else ids) of the flow nodes with a data input association from it."""
    written_by: tuple[str, ...]
    """Names (else ids) of the flow nodes with a data output association to it."""
    executed: bool = False
    """True for SpiffArena data objects, which SpiffWorkflow runs as variables."""


def _q(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def is_spiff_dialect(root: etree._Element) -> bool:
    """Whether the file uses SpiffArena's extensions (then its data objects run as SpiffArena's do)."""
    prefix = f"{{{SPIFF_NS}}}"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.startswith(prefix) or any(str(key).startswith(prefix) for key in element.attrib):
            return True
    return False


def _process_of(element: etree._Element) -> str:
    parent = element.getparent()
    while parent is not None and local_name(parent) != "process":
        parent = parent.getparent()
    return str(parent.get("id") or "") if parent is not None else ""


def _label(element: etree._Element | None) -> str:
    if element is None:
        return "?"
    return " ".join(str(element.get("name") or element.get("id") or "?").split())


def _associations(root: etree._Element) -> list[tuple[etree._Element, str, str]]:
    """(association, "in"/"out", the data reference id it connects) for every data association."""
    found = []
    for association in root.iter(_q("dataInputAssociation"), _q("dataOutputAssociation")):
        direction = "in" if local_name(association) == "dataInputAssociation" else "out"
        ref_tag = "sourceRef" if direction == "in" else "targetRef"
        for ref in association.findall(_q(ref_tag)):
            if ref.text and ref.text.strip():
                found.append((association, direction, ref.text.strip()))
    return found


def _reference_elements(root: etree._Element, with_objects: bool) -> dict[str, etree._Element]:
    tags = [_q("dataStoreReference")]
    if with_objects:
        tags += [_q("dataObjectReference"), _q("dataObject")]
    return {str(e.get("id")): e for e in root.iter(*tags) if e.get("id")}


def references(root: etree._Element) -> list[DataReference]:
    """Every data store reference and data object reference of a BPMN document, in document order."""
    spiff = is_spiff_dialect(root)
    elements = _reference_elements(root, with_objects=True)
    objects = {e.get("id"): e for e in root.iter(_q("dataObject"))}
    readers: dict[str, list[str]] = {}
    writers: dict[str, list[str]] = {}
    for association, direction, ref in _associations(root):
        users = readers if direction == "in" else writers
        users.setdefault(ref, []).append(_label(association.getparent()))
    found = []
    for element_id, element in elements.items():
        kind = local_name(element)
        if kind == "dataObject":
            continue  # shown through its references; a bare data object is drawn nowhere
        target = objects.get(element.get("dataObjectRef")) if kind == "dataObjectReference" else None
        name = element.get("name") or (target.get("name") if target is not None else None) or element_id
        found.append(DataReference(
            element_id=element_id, name=" ".join(str(name).split()),
            kind="data store" if kind == "dataStoreReference" else "data object",
            process_id=_process_of(element),
            read_by=tuple(dict.fromkeys(readers.get(element_id, []))),
            written_by=tuple(dict.fromkeys(writers.get(element_id, []))),
            executed=spiff and kind == "dataObjectReference"))
    return found


def strip(file: str, root: etree._Element) -> list[Problem]:
    """Take the data references Baton does not run out of the model; one warning per reference.

    Data associations to them go too, with the placeholder `property` a modeller writes as an
    input association's target, so SpiffWorkflow never tries to resolve them.
    """
    spiff = is_spiff_dialect(root)
    documented = {r.element_id: r for r in references(root) if not r.executed}
    elements = _reference_elements(root, with_objects=not spiff)
    # a data object's own element goes with its references (its id is what associations name too)
    gone = set(elements)
    for association, _direction, ref in _associations(root):
        if ref not in gone:
            continue
        owner = association.getparent()
        target = association.findtext(_q("targetRef"))
        if local_name(association) == "dataInputAssociation" and owner is not None and target:
            for prop in owner.findall(_q("property")):
                if prop.get("id") == target.strip():
                    owner.remove(prop)
        if owner is not None:
            owner.remove(association)
    warnings = []
    for element_id, element in elements.items():
        reference = documented.get(element_id)
        if reference is not None:
            used = [*(f"read by {n}" for n in reference.read_by),
                    *(f"written by {n}" for n in reference.written_by)]
            warnings.append(Problem(
                file, line(element), element_id,
                f"{reference.kind} reference '{reference.name}' is documentation: Baton neither reads nor "
                f"writes it{' (' + ', '.join(used) + ')' if used else ''}; keep the data the process needs "
                "in process variables, and reach the system behind it with a service task",
                severity="warning"))
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    return warnings
