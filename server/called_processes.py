"""Call activities to processes deployed before (see bpmn/called.py): their latest version.

When the CALLING model is deployed, its stored definition takes a copy of the called process's
latest deployed version (the deployment must be able to run as it stands); each instance then binds
the latest version as of its START (server/definitions.py `latest_called`, kept in
`instances.called_versions`) and keeps it to its end. A version pinned by
camunda:calledElementBinding="version" stays pinned. The deployment's warnings say what was bound.
"""

from __future__ import annotations

from sqlalchemy import select

import bpmn
from server.db import db
from server.definitions import definition_for
from server.models import ProcessVersion


class Binder:
    """A `bpmn.parse_bundle` resolver that remembers which deployed versions it handed out."""

    def __init__(self) -> None:
        self.bound: dict[str, ProcessVersion | None] = {}
        self.pinned: set[str] = set()

    def __call__(self, process_id: str, version: int | None = None) -> bpmn.Definition | None:
        """The latest deployed version of the process, or the one numbered `version` (pinned by
        camunda:calledElementBinding="version")."""
        if version is not None:
            self.pinned.add(process_id)
        if process_id not in self.bound or version is not None:
            query = select(ProcessVersion).where(ProcessVersion.process_id == process_id)
            if version is not None:
                query = query.where(ProcessVersion.version == version)
            self.bound[process_id] = db.session.scalars(query.order_by(ProcessVersion.version.desc())).first()
        found = self.bound[process_id]
        return None if found is None else definition_for(found)

    def warnings(self, bundle: bpmn.Bundle) -> list[bpmn.Problem]:
        """One note per process bound from another deployment (the first file of the bundle)."""
        local = {info.id for info in bundle.processes} | set(bundle.definitions)
        file = bundle.processes[0].file if bundle.processes else ""
        return [
            bpmn.Problem(file, None, process_id,
                         f"call activities calling '{process_id}' run its version {version.version} "
                         "(pinned by camunda:calledElementVersion)" if process_id in self.pinned else
                         f"call activities calling '{process_id}' run its latest deployed version as of "
                         f"each instance's start (now its version {version.version})",
                         severity="warning")
            for process_id, version in sorted(self.bound.items())
            if version is not None and process_id not in local
        ]
