"""DMN drafts: a blank decision, Baton's verdict on a .dmn, and the files a draft deploys with.

A decision runs inside the deployment of the process that calls it (the business rule task's spec
carries its decisions), so a .dmn is never deployed alone: a DMN draft deploys with the latest
deployments of the processes whose business rule tasks call its decisions (their other files
kept, the .dmn it replaces dropped), and a BPMN draft takes along the DMN it calls (the saved DMN
draft that defines the decision, else the .dmn of the process's latest deployment).
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlalchemy import select

import bpmn
from bpmn.dmn import read_decisions
from bpmn.metadata import BPMN_NS
from bpmn.parser import BusinessRuleTaskParser
from bpmn.xmlsafe import line, load_xml
from server import deploying
from server.db import db
from server.models import DeploymentFile, ProcessModel, ProcessVersion

DMN_NAMESPACE_MARK = "omg.org/spec/DMN/"
_ROOT_TAG = re.compile(r"<(?:[\w.-]+:)?definitions\b([^>]*)>", re.S)
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")

BLANK = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
  xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/"
  xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/"
  xmlns:camunda="http://camunda.org/schema/1.0/dmn"
  id="{defs}" name="{name}" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="{decision}" name="{name}">
    <decisionTable id="DecisionTable_{suffix}">
      <input id="Input_1" label="Input">
        <inputExpression id="InputExpression_1" typeRef="string"><text>input</text></inputExpression>
      </input>
      <output id="Output_1" label="Output" name="output" typeRef="string" />
      <rule id="Rule_1">
        <inputEntry id="InputEntry_1"><text></text></inputEntry>
        <outputEntry id="OutputEntry_1"><text>"yes"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <dmndi:DMNDI>
    <dmndi:DMNDiagram id="DMNDiagram_{suffix}">
      <dmndi:DMNShape id="DMNShape_{suffix}" dmnElementRef="{decision}">
        <dc:Bounds height="80" width="180" x="160" y="100" />
      </dmndi:DMNShape>
    </dmndi:DMNDiagram>
  </dmndi:DMNDI>
</definitions>
"""


def is_dmn(xml: str) -> bool:
    """Whether the text is a DMN document (its <definitions> is in a DMN namespace), read leniently."""
    match = _ROOT_TAG.search(xml[:20_000])
    if match is None:
        return False
    return DMN_NAMESPACE_MARK in match.group(0) and BPMN_NS not in match.group(0)


def blank_xml(name: str) -> str:
    """A new DMN: one decision table (FEEL, Camunda namespace) drawn in the DRD."""
    suffix = secrets.token_hex(4)
    return BLANK.format(defs=f"Definitions_{suffix}", decision=f"Decision_{suffix}", suffix=suffix,
                        name=html.escape(name.strip() or "New decision", quote=True))


def file_name_for(name: str) -> str:
    """A safe .dmn file name from a user's file or model name."""
    stem = name.strip()
    if stem.lower().endswith(".dmn"):
        stem = stem[:-4]
    stem = _UNSAFE_FILE_CHARS.sub("_", stem).strip("._") or f"decisions_{secrets.token_hex(3)}"
    return f"{stem[:200]}.dmn"


def _root(file_name: str, xml: str | bytes) -> etree._Element | None:
    try:
        return load_xml(file_name, xml.encode() if isinstance(xml, str) else xml)
    except bpmn.ModelInvalid:
        return None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def decision_ids(xml: str | bytes, file_name: str = "draft.dmn") -> set[str]:
    """The ids of the decisions a DMN document defines (none when it does not parse)."""
    root = _root(file_name, xml)
    if root is None:
        return set()
    return {child.get("id") or "" for child in root if _local(child) == "decision"} - {""}


def definitions_name(xml: str) -> str:
    """The name on <definitions>, for the draft's title ("" when there is none)."""
    match = _ROOT_TAG.search(xml[:20_000])
    found = re.search(r"""\bname\s*=\s*(?:"([^"]*)"|'([^']*)')""", match.group(1)) if match else None
    return html.unescape(found.group(1) or found.group(2) or "") if found else ""


def called_decisions(file_name: str, xml: str | bytes) -> set[str]:
    """The decisions the business rule tasks of a BPMN document call (Camunda or SpiffArena way)."""
    root = _root(file_name, xml)
    if root is None:
        return set()
    refs = {BusinessRuleTaskParser.get_decision_ref(node)
            for node in root.iter(f"{{{BPMN_NS}}}businessRuleTask")}
    return {ref for ref in refs if ref}


def _latest_deployment_files() -> dict[int, list[DeploymentFile]]:
    """The files of every deployment that holds the latest version of some process, newest first."""
    deployment_ids = sorted({pv.deployment_id for pv in deploying.latest_versions()}, reverse=True)
    if not deployment_ids:
        return {}
    found: dict[int, list[DeploymentFile]] = {i: [] for i in deployment_ids}
    for row in db.session.scalars(
        select(DeploymentFile).where(DeploymentFile.deployment_id.in_(deployment_ids)).order_by(DeploymentFile.id)
    ):
        found[row.deployment_id].append(row)
    return found


@dataclass
class Companions:
    """The other files a DMN draft deploys with, and the latest process versions they come from."""

    files: dict[str, bytes] = field(default_factory=dict)
    processes: list[ProcessVersion] = field(default_factory=list)


def companions(file_name: str, xml: str) -> Companions:
    """The files of the latest deployments that call this DMN's decisions (or hold a file of its name)."""
    mine = decision_ids(xml, file_name)
    found = Companions()
    used: set[int] = set()
    for deployment_id, rows in _latest_deployment_files().items():
        calls = any(
            row.name.lower().endswith(".bpmn") and called_decisions(row.name, row.content) & mine
            for row in rows
        )
        if not calls and not any(row.name == file_name for row in rows):
            continue
        used.add(deployment_id)
        for row in rows:
            content = bytes(row.content)
            replaced = row.name == file_name or (
                row.name.lower().endswith(".dmn") and bool(decision_ids(content, row.name) & mine)
            )
            if not replaced:
                found.files.setdefault(row.name, content)  # newest deployment first: its file wins
    found.processes = [pv for pv in deploying.latest_versions() if pv.deployment_id in used]
    return found


def decision_files_for(file_name: str, xml: str, process_id: str) -> dict[str, bytes]:
    """The DMN a BPMN draft calls: each decision from the newest DMN draft that defines it, else from
    the .dmn files of the process's latest deployment. A decision found nowhere is left for the parser
    to report (with the business rule task that calls it)."""
    wanted = called_decisions(file_name, xml)
    files: dict[str, bytes] = {}
    if not wanted:
        return files
    drafts = db.session.scalars(
        select(ProcessModel).where(ProcessModel.process_id.like("%.dmn"))
        .order_by(ProcessModel.updated_at.desc(), ProcessModel.id.desc())
    )
    for draft in drafts:
        defined = decision_ids(draft.xml, draft.file_name) & wanted
        if defined and draft.file_name not in files:
            files[draft.file_name] = draft.xml.encode()
            wanted -= defined
    latest = deploying.latest_version(process_id) if process_id else None
    if wanted and latest is not None:
        for row in db.session.scalars(
            select(DeploymentFile).where(DeploymentFile.deployment_id == latest.deployment_id)
        ):
            if row.name.lower().endswith(".dmn") and row.name not in files:
                defined = decision_ids(row.content, row.name) & wanted
                if defined:
                    files[row.name] = bytes(row.content)
                    wanted -= defined
    files.pop(file_name, None)
    return files


def check_alone(file_name: str, xml: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(problems, warnings) of a DMN read by Baton's decision reader, the one every deployment uses."""
    try:
        root = load_xml(file_name, xml.encode())
    except bpmn.ModelInvalid as exc:
        return [p.to_dict() for p in exc.problems], []
    if DMN_NAMESPACE_MARK not in (etree.QName(root).namespace or ""):
        return [bpmn.Problem(file_name, None, None, "this is not a DMN file (its root element is not a "
                             "DMN <definitions>)").to_dict()], []
    _, findings = read_decisions(file_name, root)
    problems = [p.to_dict() for p in findings if p.severity != "warning"]
    warnings = [p.to_dict() for p in findings if p.severity == "warning"]
    seen: set[str] = set()
    for child in root:
        if _local(child) == "decision" and child.get("id"):
            if child.get("id") in seen:
                problems.append(bpmn.Problem(file_name, line(child), child.get("id"),
                                             f"decision id {child.get('id')} is defined twice").to_dict())
            seen.add(child.get("id") or "")
    return problems, warnings


def check(file_name: str, xml: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Companions]:
    """(problems, warnings, companions): the DMN alone, then with the processes it deploys with."""
    problems, warnings = check_alone(file_name, xml)
    found = companions(file_name, xml)
    if problems or not found.files:
        return problems, warnings, found
    try:
        bundle = bpmn.parse_bundle({**found.files, file_name: xml.encode()})
    except bpmn.ModelInvalid as exc:
        return [p.to_dict() for p in exc.problems], warnings, found
    return [], [w.to_dict() for w in bundle.warnings if w.file == file_name], found


def no_callers_problem(file_name: str, xml: str) -> dict[str, Any]:
    """Why a DMN with no calling process cannot be deployed, and what to do instead."""
    ids = ", ".join(sorted(decision_ids(xml, file_name))) or "none"
    return bpmn.Problem(
        file_name, None, None,
        f"no deployed process calls the decisions of {file_name} ({ids}). A decision runs inside the "
        "deployment of the process that calls it: give a business rule task of a process draft "
        "camunda:decisionRef set to one of these ids and deploy that draft (it takes this DMN along), "
        "or deploy the .bpmn and this .dmn together on the Deploy page.",
    ).to_dict()
