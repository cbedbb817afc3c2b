"""Workflows kept in memory between the changes of one process, so the next change skips the load.

Loading an instance (rebuilding SpiffWorkflow's task tree from the saved state) is the largest part
of a task completion after the save itself. A change that saved an instance may leave its workflow
here; the next change of that instance in this process takes it instead of loading, but only when
what was saved is exactly what the database holds now: the state it reads must parse to the very
dict this workflow was dumped to. That one comparison covers every way the entry can be stale
(another process changed the instance, the change rolled back, a migration rewrote the state) and
every value the JSON round trip would change (a tuple, a non-string key): the next change then
loads, as it always did. Nothing here is needed: a process that never saw the instance loads it.

An entry is taken out while a change uses it (two threads never share a workflow), and put back
only after that change committed (`runtime.save` queues it as an after-commit step).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import bpmn

MAX_STATE_CHARS = 100_000
"""Larger instances (big multi-instance fan-outs) are not kept: the memory a process spends here
stays bounded (a kept instance takes a few times its saved text)."""

_lock = threading.Lock()
_kept: OrderedDict[int, tuple[dict[str, Any], bpmn.Instance]] = OrderedDict()
stats = {"hits": 0, "misses": 0}
"""How often a change found its workflow here (read by tests and the benchmark)."""


def keep(instance_id: int, saved: dict[str, Any], wf: bpmn.Instance, size: int) -> None:
    """Keep `wf`, just committed as `saved` (the dict its state text was written from); at most
    `size` instances (BATON_LIVE_INSTANCES), the least recently kept go first; 0 keeps none."""
    if size <= 0:
        return
    with _lock:
        _kept[instance_id] = (saved, wf)
        _kept.move_to_end(instance_id)
        while len(_kept) > size:
            _kept.popitem(last=False)


def take(instance_id: int, definition: bpmn.Definition, saved: dict[str, Any]) -> bpmn.Instance | None:
    """The kept workflow of this instance if it is exactly the one `saved` (the state as read now,
    parsed) would load, over the same definition; None otherwise (and the entry is gone either way)."""
    with _lock:
        entry = _kept.pop(instance_id, None)
    if entry is None or entry[1].definition is not definition or entry[0] != saved:
        stats["misses"] += 1
        return None
    stats["hits"] += 1
    wf = entry[1]
    wf.resume()
    return wf


def forget(instance_id: int | None = None) -> None:
    """Drop one instance's entry, or all of them."""
    with _lock:
        if instance_id is None:
            _kept.clear()
        else:
            _kept.pop(instance_id, None)
