"""Process model drafts: create, save with Baton's own parser's verdict, open deployed versions, deploy."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

import bpmn
import forms
from server import decision_drafts, deploying
from server.clock import utcnow
from server.config import MAX_MODEL_BYTES
from server.db import db
from server.errors import BadRequest, InvalidModel, NotFound
from server.models import DeploymentFile, ProcessModel, ProcessVersion, User

_PROCESS_TAG = re.compile(r"<(?:[\w.-]+:)?process\b([^>]*)>", re.S)
_ATTRIBUTE = re.compile(r"""\b(id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')""")

BLANK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="Definitions_{pid}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{pid}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" name="Start" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="{pid}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


@dataclass
class Verdict:
    """What Baton's parser says about a draft: problems stop a deployment, warnings do not."""

    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    deploys_with: list[str] | None = None
    """For a DMN draft: the processes (name and version) it deploys with; [] when none calls it."""


def blank_xml(name: str) -> str:
    """A new diagram: one executable process holding a start event (Camunda 7 namespaces declared)."""
    pid = f"Process_{secrets.token_hex(4)}"
    return BLANK.format(pid=pid, name=html.escape(name.strip() or "New process", quote=True))


def first_process(xml: str) -> tuple[str, str]:
    """(id, name) of the first <process> in the XML text, read leniently (it may not parse)."""
    match = _PROCESS_TAG.search(xml)
    if not match:
        return "", ""
    found = {
        m.group(1): html.unescape(m.group(2) or m.group(3) or "") for m in _ATTRIBUTE.finditer(match.group(1))
    }
    return found.get("id", ""), found.get("name", "")


def check(xml: str, file_name: str, process_id: str = "") -> Verdict:
    """Parse the draft exactly as a deployment would; every problem names its element."""
    if file_name.lower().endswith(".dmn"):
        problems, warnings, found = decision_drafts.check(file_name, xml)
        names = [f"{pv.display_name} (version {pv.version})" for pv in found.processes]
        return Verdict(problems, warnings, deploys_with=names)
    files = {**decision_drafts.decision_files_for(file_name, xml, process_id or first_process(xml)[0]),
             file_name: xml.encode()}
    try:
        bundle = bpmn.parse_bundle(files)
    except bpmn.ModelInvalid as exc:
        return Verdict([p.to_dict() for p in exc.problems])
    verdict = Verdict(warnings=[w.to_dict() for w in bundle.warnings])
    if not bundle.processes:
        verdict.problems.append(
            bpmn.Problem(file_name, None, None, "No executable process found: tick “Executable”.").to_dict()
        )
    for info in bundle.processes:
        try:
            forms.form_from_fields(info.start_form)
        except forms.FormsError as exc:
            verdict.problems.append(bpmn.Problem(file_name, None, info.id, f"Start form: {exc}").to_dict())
    return verdict


def get(model_id: int) -> ProcessModel:
    row = db.session.get(ProcessModel, model_id)
    if row is None:
        raise NotFound(f"Process model {model_id} does not exist.")
    return row


def create(actor: User, *, name: str = "", xml: str | None = None, dmn: bool = False,
           file_name: str = "") -> ProcessModel:
    """A new draft: the given XML (an imported file), else a blank diagram (a decision table if `dmn`).

    A DMN draft keeps the file name it deploys as (`file_name`, else one made from its name).
    """
    text = xml if xml is not None else (decision_drafts.blank_xml(name) if dmn else blank_xml(name))
    _check_size(text)
    if decision_drafts.is_dmn(text):
        xml_name = decision_drafts.definitions_name(text)
        pid = decision_drafts.file_name_for(file_name or name or xml_name)
    else:
        pid, xml_name = first_process(text)
    row = ProcessModel(
        process_id=pid, name=name.strip() or xml_name or pid, xml=text, updated_at=utcnow(),
        updated_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    return row


def save(row: ProcessModel, xml: str, actor: User) -> Verdict:
    """Store the draft (always: nothing drawn is lost) and return the parser's verdict on it."""
    _check_size(xml)
    if not xml.strip():
        raise BadRequest("The diagram is empty; nothing was saved.", field="xml")
    if decision_drafts.is_dmn(xml) != row.is_decision:
        kind = "DMN decisions" if row.is_decision else "a BPMN diagram"
        raise BadRequest(f"This draft holds {kind}; nothing was saved. Import the file as a new draft "
                         "on the Models page instead.", field="xml")
    if row.is_decision:
        pid, name = row.process_id, decision_drafts.definitions_name(xml)
    else:
        pid, name = first_process(xml)
    row.xml = xml
    row.process_id = pid or row.process_id
    row.name = name or row.name
    row.updated_at = utcnow()
    row.updated_by_id = actor.id
    return check(xml, row.file_name, row.process_id)


def deploy(row: ProcessModel, actor: User) -> deploying.Deployed:
    """Deploy the saved draft (InvalidModel lists every problem); remember the version it became.

    A BPMN draft takes along the DMN its business rule tasks call; a DMN draft deploys with the
    latest deployments of the processes that call it (see server/decision_drafts.py).
    """
    if row.is_decision:
        problems, _, found = decision_drafts.check(row.file_name, row.xml)
        if problems:
            raise InvalidModel(problems)
        if not found.files:
            raise InvalidModel([decision_drafts.no_callers_problem(row.file_name, row.xml)])
        files = {**found.files, row.file_name: row.xml.encode()}
    else:
        files = {**decision_drafts.decision_files_for(row.file_name, row.xml, row.process_id),
                 row.file_name: row.xml.encode()}
    result = deploying.deploy(files, actor)
    mine = next((p for p in result.processes if p.process_id == row.process_id), None)
    row.deployed_version_id = (mine or result.processes[0]).id
    db.session.commit()
    return result


def version(version_id: int) -> ProcessVersion:
    pv = db.session.get(ProcessVersion, version_id)
    if pv is None:
        raise NotFound(f"Process version {version_id} does not exist.")
    return pv


def version_xml(pv: ProcessVersion) -> str:
    """The deployed file that defines a process version, as text."""
    content = db.session.scalar(
        select(DeploymentFile.content).where(
            DeploymentFile.deployment_id == pv.deployment_id, DeploymentFile.name == pv.file
        )
    )
    if content is None:
        raise NotFound(f"The file {pv.file} of deployment {pv.deployment_id} is missing.")
    return bytes(content).decode("utf-8", errors="replace")


def versions_of(process_id: str) -> list[ProcessVersion]:
    if not process_id:
        return []
    return list(
        db.session.scalars(
            select(ProcessVersion)
            .where(ProcessVersion.process_id == process_id)
            .order_by(ProcessVersion.version.desc())
        )
    )


def deployed_file(file_id: int) -> DeploymentFile:
    row = db.session.get(DeploymentFile, file_id)
    if row is None:
        raise NotFound(f"Deployed file {file_id} does not exist.")
    return row


def deployed_files_named(name: str) -> list[tuple[int, int]]:
    """(file id, deployment id) of every deployed file of this name, newest first (a DMN's versions)."""
    rows = db.session.execute(
        select(DeploymentFile.id, DeploymentFile.deployment_id)
        .where(DeploymentFile.name == name)
        .order_by(DeploymentFile.deployment_id.desc())
    )
    return [(file_id, deployment_id) for file_id, deployment_id in rows]


def for_process(process_id: str) -> ProcessModel | None:
    """The most recently saved draft of a process, if any."""
    return db.session.scalars(
        select(ProcessModel)
        .where(ProcessModel.process_id == process_id)
        .order_by(ProcessModel.updated_at.desc(), ProcessModel.id.desc())
    ).first()


def _check_size(xml: str) -> None:
    if len(xml.encode()) > MAX_MODEL_BYTES:
        raise BadRequest(f"The diagram is larger than {MAX_MODEL_BYTES // (1024 * 1024)} MiB.", field="xml")
