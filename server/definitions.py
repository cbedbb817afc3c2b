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


def definition_for(version: ProcessVersion) -> bpmn.Definition:
    """The parsed definition of a deployed process version.

    Keyed by the deployment's checksum and the process id: the same files always give the same
    definition, whichever database or process version row they came from.
    """
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
