"""Deploy model files: parse and check with the engine's own parser, then store an immutable version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import bpmn
import forms
from server import connector_config
from server.called_processes import Binder
from server.db import db
from server.errors import Forbidden, InvalidModel
from server.models import Deployment, DeploymentFile, ProcessVersion, User

MODEL_SUFFIXES = (".bpmn", ".dmn", ".bpmn20.xml")
FORM_SUFFIXES = (".json",)  # SpiffArena JSON Schema / UI schema forms deployed beside the model


@dataclass
class Deployed:
    """The outcome of a deployment: the stored row, its process versions and the parser's warnings."""

    deployment: Deployment
    processes: list[ProcessVersion]
    warnings: list[dict[str, Any]]
    unchanged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.deployment.id,
            "version": self.processes[0].version if self.processes else None,
            "processes": [
                {"id": p.process_id, "name": p.display_name, "version": p.version} for p in self.processes
            ],
            "warnings": self.warnings,
            "unchanged": self.unchanged,
        }


def deploy(files: dict[str, bytes], actor: User) -> Deployed:
    """Deploy one or more .bpmn/.dmn files as one deployment; InvalidModel lists every problem."""
    if not actor.has_role("admin", "analyst"):
        raise Forbidden("Only analysts and admins can deploy models.")
    problems = [
        bpmn.Problem(name, None, None, "Only .bpmn, .dmn and .json (form) files can be deployed.").to_dict()
        for name in files
        if not name.lower().endswith(MODEL_SUFFIXES + FORM_SUFFIXES)
    ]
    if not files:
        problems.append(bpmn.Problem("", None, None, "Choose at least one .bpmn or .dmn file.").to_dict())
    if problems:
        raise InvalidModel(problems)
    binder = Binder()  # call activities may call processes deployed before (server/called_processes.py)
    try:
        bundle = bpmn.parse_bundle(files, resolve=binder)
    except bpmn.ModelInvalid as exc:
        raise InvalidModel([p.to_dict() for p in exc.problems]) from exc
    form_problems = [
        bpmn.Problem(info.file, None, info.id, f"Start form: {message}").to_dict()
        for info in bundle.processes
        for message in _form_problems(info.start_form)
    ]
    form_problems += [
        bpmn.Problem(form.file, form.line, form.element_id, f"Form {form.schema_file}: {problem}").to_dict()
        for form in bundle.forms
        for problem in forms.check_schema(form.schema, form.ui_schema)
    ]
    if form_problems:
        raise InvalidModel(form_problems)
    if not bundle.processes:
        raise InvalidModel(
            [
                bpmn.Problem(
                    next(iter(files)), None, None, "No executable process found in these files."
                ).to_dict()
            ]
        )
    warnings = [w.to_dict() for w in [*bundle.warnings, *connector_config.unbound_delegates(files)]]

    warnings += [w.to_dict() for w in binder.warnings(bundle)]
    existing = _unchanged(bundle)
    if existing is not None:
        return Deployed(existing[0], existing[1], warnings, unchanged=True)

    for attempt in range(5):
        try:
            return _store(files, bundle, warnings, actor)
        except IntegrityError:  # another deployment took the same version number: count again
            db.session.rollback()
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _form_problems(fields: list[dict[str, Any]]) -> list[str]:
    try:
        forms.form_from_fields(fields)
    except forms.FormsError as exc:
        return [str(exc)]
    return []


def _unchanged(bundle: bpmn.Bundle) -> tuple[Deployment, list[ProcessVersion]] | None:
    """An identical redeploy (same files, still the latest versions) is a no-op."""
    previous = db.session.scalars(
        select(Deployment).where(Deployment.checksum == bundle.checksum).order_by(Deployment.id.desc())
    ).first()
    if previous is None:
        return None
    versions = list(previous.processes)
    for pv in versions:
        latest = db.session.scalar(
            select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == pv.process_id)
        )
        if latest != pv.version:
            return None
    return (previous, versions) if versions else None


def _store(
    files: dict[str, bytes], bundle: bpmn.Bundle, warnings: list[dict[str, Any]], actor: User
) -> Deployed:
    deployment = Deployment(checksum=bundle.checksum, created_by_id=actor.id, warnings=warnings)
    for name, content in files.items():
        deployment.files.append(
            DeploymentFile(name=name, content=content, sha256=hashlib.sha256(content).hexdigest())
        )
    db.session.add(deployment)
    db.session.flush()
    versions = []
    for info in bundle.processes:
        latest = db.session.scalar(
            select(func.max(ProcessVersion.version)).where(ProcessVersion.process_id == info.id)
        )
        definition = bundle.definition(info.id)
        pv = ProcessVersion(
            deployment_id=deployment.id,
            process_id=info.id,
            name=info.name or info.id,
            version=(latest or 0) + 1,
            file=info.file,
            checksum=bundle.checksum,
            documentation=info.documentation or "",
            start_form=list(info.start_form),
            starter_groups=list(info.candidate_starter_groups),
            starter_users=list(info.candidate_starter_users),
            startable=info.startable_by_hand and info.startable_in_tasklist,
            startable_in_tasklist=info.startable_in_tasklist,
            definition=json.dumps(definition.to_dict(), separators=(",", ":")),
        )
        db.session.add(pv)
        versions.append(pv)
    db.session.flush()
    from server import timer_sync

    timer_sync.on_deployed(versions, bundle)
    db.session.commit()
    return Deployed(deployment, versions, warnings)


def latest_versions() -> list[ProcessVersion]:
    """The latest deployed version of every process, by name."""
    newest = (
        select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("v"))
        .group_by(ProcessVersion.process_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(ProcessVersion).join(
            newest,
            (ProcessVersion.process_id == newest.c.process_id) & (ProcessVersion.version == newest.c.v),
        )
    )
    return sorted(rows, key=lambda p: (p.display_name.casefold(), p.process_id))


def latest_version(process_id: str) -> ProcessVersion | None:
    return db.session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc())
    ).first()


def not_in_tasklist(version: ProcessVersion) -> str:
    """Why a person cannot start a process its model keeps out of the task list."""
    return (f"“{version.display_name}” is started by other processes (a call activity), not by a person: "
            'its model sets camunda:isStartableInTasklist="false". Start the process that calls it instead.')
