"""Put a decision's result in task data: Camunda's resultVariable + mapDecisionResult, or SpiffArena's merge.

With `camunda:resultVariable` the result goes into that one variable, shaped by
`camunda:mapDecisionResult` as Camunda 7 does:
- resultList (the default): a list with one dict (output name -> value) per result;
- singleResult: that dict, or null without a result; more than one result is an error;
- singleEntry: the value of the single output, or null; more results or outputs is an error;
- collectEntries: a list of the single output's values; more than one output is an error.
Without a result variable (SpiffArena, or Camunda models that name none) the outputs are merged
into the task data as SpiffWorkflow does: each output name (dotted names make nested dicts) gets
the value of the result, or for COLLECT / RULE ORDER the list of values; nothing is set when no rule
matched.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import time
from typing import Any

import isodate
from SpiffWorkflow.util.deep_merge import DeepMerge

from .errors import DecisionFailed
from .evaluate import DecisionResult

MAPPINGS = ("resultList", "singleResult", "singleEntry", "collectEntries")


def _storable(value: Any) -> Any:
    """Task data keeps JSON values plus date, datetime, timedelta: FEEL times and durations become text."""
    if isinstance(value, dict):
        return {key: _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, isodate.Duration):
        return isodate.duration_isoformat(value)
    return value


def mapped(result: DecisionResult, mapping: str) -> Any:
    """The result shaped by a Camunda mapDecisionResult value."""
    entries, decision = result.entries, result.decision
    many = f"{len(entries)} results (rules {', '.join(result.rule_ids)})"
    if mapping == "resultList":
        return [dict(entry) for entry in entries]
    if mapping in ("singleResult", "singleEntry") and len(entries) > 1:
        raise DecisionFailed(decision.id, f"mapDecisionResult {mapping} needs at most one result, "
                             f"the decision gave {many}", result.rule_ids)
    if mapping == "singleResult":
        return dict(entries[0]) if entries else None
    for entry in entries:
        if len(entry) > 1:
            raise DecisionFailed(decision.id, f"mapDecisionResult {mapping} needs results with one output, "
                                 f"this one has {', '.join(entry)}", result.rule_ids)
    values = [next(iter(entry.values()), None) for entry in entries]
    if mapping == "singleEntry":
        return values[0] if values else None
    return values


def _merged(result: DecisionResult) -> dict[str, Any]:
    if not result.entries:
        return {}
    if result.decision.returns_many:
        keys = dict.fromkeys(key for entry in result.entries for key in entry)
        flat = {key: [entry.get(key) for entry in result.entries] for key in keys}
    else:
        flat = dict(result.entries[0])
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        branch: dict[str, Any] = {last: value}
        for parent in reversed(parents):
            branch = {parent: branch}
        nested = DeepMerge.merge(nested, branch)
    return nested


def store(result: DecisionResult, data: MutableMapping[str, Any], result_variable: str | None,
          mapping: str | None) -> None:
    """Write the result into task data (see the module docstring for the shapes)."""
    if result_variable:
        data[result_variable] = _storable(mapped(result, mapping or "resultList"))
        return
    merged = _storable(_merged(result))
    for key, value in merged.items():
        existing = data.get(key)
        both_dicts = isinstance(existing, dict) and isinstance(value, dict)
        data[key] = DeepMerge.merge(existing, value) if both_dicts else value
