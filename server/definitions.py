"""Parsed process definitions, loaded from the database once per process and kept in memory.

Only a cache: every process can rebuild it from the `process_versions.definition` column.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

from sqlalchemy import select

import bpmn
from server.db import db
from server.models import ProcessVersion

CACHE_SIZE = 256  # definitions per process

_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str], bpmn.Definition] = OrderedDict()


def definition_for(version: ProcessVersion, called: dict[str, int] | None = None) -> bpmn.Definition:
    """The parsed definition of a deployed process version; with `called` ({process id: process
    version id}, an instance's `called_versions`), its call activities call those versions of the
    processes of other deployments.

    Keyed by the deployment's checksum and the process id: the same files always give the same
    definition, whichever database or process version row they came from.
    """
    base = _definition(version)
    if not called or not base.external:
        return base
    key = (f"{version.checksum}+" + ",".join(f"{pid}={vid}" for pid, vid in sorted(called.items())),
           version.process_id)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    versions = {pid: db.session.get(ProcessVersion, vid) for pid, vid in called.items()}
    rebound = base.rebind({pid: _definition(pv) for pid, pv in versions.items() if pv is not None})
    with _lock:
        _cache[key] = rebound
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return rebound


def latest_called(definition: bpmn.Definition) -> dict[str, int] | None:
    """{process id: id of its latest deployed version} for the processes of other deployments that
    `definition` calls: what an instance starting now binds (None when it calls none)."""
    if not definition.external:
        return None
    bound: dict[str, int] = {}
    for process_id in sorted(definition.external):
        latest = db.session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == process_id)
                                   .order_by(ProcessVersion.version.desc()).limit(1))
        if latest is not None:
            bound[process_id] = latest
    return bound or None


def _definition(version: ProcessVersion) -> bpmn.Definition:
    key = (version.checksum, version.process_id)
    version_id = version.id
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    text = db.session.scalar(select(ProcessVersion.definition).where(ProcessVersion.id == version_id))
    if text is None:
        raise LookupError(f"process version {version_id} does not exist")
    definition = bpmn.Definition.from_dict(json.loads(text))
    with _lock:
        _cache[key] = definition
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return definition
