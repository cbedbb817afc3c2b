"""Binding call activities to processes deployed before (see bpmn/called.py): the latest version, now.

The binding is made when the CALLING model is deployed: its stored definition carries a copy of the
called process's latest deployed version, and its instances keep calling that version. Deploying
the called process again changes nothing for them; redeploy the caller to bind the new version.
The deployment's warnings say which version each call activity was bound to.
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

    def __call__(self, process_id: str, version: int | None = None) -> bpmn.Definition | None:
        """The latest deployed version of the process, or the one numbered `version` (pinned by
        camunda:calledElementBinding="version")."""
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
                         f"(deployed before, bound now); deploy this model again to bind a newer one",
                         severity="warning")
            for process_id, version in sorted(self.bound.items())
            if version is not None and process_id not in local
        ]
