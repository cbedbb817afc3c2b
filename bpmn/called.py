"""Call activities that call a process of another deployment: bound when this deployment is parsed.

A call activity names its process by id (`calledElement`). A process of the same deployment wins;
otherwise the caller of `parse_bundle` may resolve the id to an already deployed Definition (the
server hands over the latest deployed version). That Definition's specs are copied into the
calling process's Definition, so the binding is made at DEPLOY time and stays as it was: instances
of this deployment keep calling that version even after the called process is deployed again
(redeploy the caller to pick the new version up). An id that resolves nowhere is a deploy problem
naming the call activity's file, line and element.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from .definition import Definition
from .metadata import BPMN_NS

Resolver = Callable[[str], Definition | None]
"""Process id -> the Definition of its latest deployed version, or None when none is deployed."""


def called_ids(roots: Iterable[etree._Element]) -> set[str]:
    """The literal process ids the call activities of these documents name."""
    return {(call.get("calledElement") or "").strip()
            for root in roots for call in root.iter(f"{{{BPMN_NS}}}callActivity")} - {""}


def resolvable(roots: Iterable[etree._Element], local: set[str], resolve: Resolver | None) -> set[str]:
    """The called ids that are not in this deployment but that `resolve` finds deployed."""
    if resolve is None:
        return set()
    return {pid for pid in called_ids(roots) - local if "{" not in pid and resolve(pid) is not None}


def called_specs(parser: Any, process_id: str, resolve: Resolver | None) -> dict[str, Any]:
    """Every subprocess and called process spec `process_id` needs, deployed ones included."""
    used: dict[str, Any] = {}
    pending = [parser.get_spec(process_id)]
    while pending:
        spec = pending.pop()
        for task_spec in spec.task_specs.values():
            if not isinstance(task_spec, SubWorkflowTask) or task_spec.spec in used:
                continue
            local = parser.get_spec(task_spec.spec, required=False)
            if local is not None:
                used[task_spec.spec] = local
                pending.append(local)
                continue
            deployed = resolve(task_spec.spec) if resolve is not None else None
            if deployed is None:  # (reported before parsing; the parser's own error as a fallback)
                used[task_spec.spec] = parser.get_spec(task_spec.spec)
                continue
            used[task_spec.spec] = deployed.spec
            for name, sub_spec in deployed.subprocess_specs.items():
                used.setdefault(name, sub_spec)
    return used
