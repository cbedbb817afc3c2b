"""Call activities that call a process of another deployment.

A call activity names its process by id (`calledElement`). A process of the same deployment wins;
otherwise the caller of `parse_bundle` may resolve the id to an already deployed Definition (the
server hands over the latest deployed version). That Definition's specs are copied into the
calling process's Definition and its id recorded in `Definition.external`: the server rebinds those
to the then latest version whenever an instance STARTS (server/definitions.py `latest_called`), and
the instance keeps the versions it started with. An id that resolves nowhere is a deploy problem
naming the call activity's file, line and element.

Camunda's `camunda:calledElementBinding`: "latest" (the default) as above; "deployment" requires
the called process in this deployment; "version" with a literal `camunda:calledElementVersion` binds
that deployed version for good (not rebound at start); "versionTag" (Baton keeps no version tags) and
two pins of one process to different versions are deploy problems.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from .definition import Definition
from .errors import Problem
from .metadata import BPMN_NS, CAMUNDA_NS
from .xmlsafe import line

Resolver = Callable[..., Definition | None]
"""(process id, version=None) -> the Definition of that deployed version (None: the latest), or
None when it is not deployed."""


def called_ids(roots: Iterable[etree._Element]) -> set[str]:
    """The literal process ids the call activities of these documents name."""
    return {(call.get("calledElement") or "").strip()
            for root in roots for call in root.iter(f"{{{BPMN_NS}}}callActivity")} - {""}


def resolvable(roots: Iterable[etree._Element], local: set[str], resolve: Resolver | None) -> set[str]:
    """The called ids that are not in this deployment but that `resolve` finds deployed."""
    if resolve is None:
        return set()
    return {pid for pid in called_ids(roots) - local if "{" not in pid and resolve(pid) is not None}


def called_specs(parser: Any, process_id: str, resolve: Resolver | None,
                 external: set[str] | None = None) -> dict[str, Any]:
    """Every subprocess and called process spec `process_id` needs, deployed ones included (their
    ids are added to `external`)."""
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
            if external is not None:
                external.add(task_spec.spec)
            for name, sub_spec in deployed.subprocess_specs.items():
                used.setdefault(name, sub_spec)
    return used


def _binding(call: etree._Element) -> tuple[str, str]:
    return ((call.get(f"{{{CAMUNDA_NS}}}calledElementBinding") or "latest").strip(),
            (call.get(f"{{{CAMUNDA_NS}}}calledElementVersion") or "").strip())


def _pins(roots: Iterable[etree._Element]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for root in roots:
        for call in root.iter(f"{{{BPMN_NS}}}callActivity"):
            binding, version = _binding(call)
            if binding == "version" and version.isdigit():
                found.setdefault((call.get("calledElement") or "").strip(), set()).add(int(version))
    return found


def binding_problems(bpmn: dict[str, etree._Element], local: set[str], resolve: Resolver | None
                     ) -> list[Problem]:
    """What is wrong with the call activities' camunda:calledElementBinding, by file, line, element."""
    pins = _pins(bpmn.values())
    problems: list[Problem] = []
    for file, root in bpmn.items():
        for call in root.iter(f"{{{BPMN_NS}}}callActivity"):
            called = (call.get("calledElement") or "").strip()
            binding, version = _binding(call)
            message = None
            if binding == "deployment" and called and called not in local:
                message = (f"camunda:calledElementBinding=\"deployment\" calls '{called}' from this "
                           "deployment, which does not contain it: deploy the two files together")
            elif binding == "version":
                if not version.isdigit():
                    message = (f"camunda:calledElementBinding=\"version\" needs camunda:calledElementVersion "
                               f"as a whole number (a version of '{called}' listed on its process page), "
                               f"not {version!r}")
                elif called in local:
                    message = (f"'{called}' is in this deployment, so this call would run that copy, not "
                               f"version {version}: remove the binding, or deploy '{called}' separately")
                elif len(pins.get(called, ())) > 1:
                    message = (f"call activities of this deployment pin '{called}' to versions "
                               f"{sorted(pins[called])}; Baton binds one version per called process")
                elif resolve is not None and resolve(called, version=int(version)) is None:
                    message = f"version {version} of process '{called}' is not deployed"
            elif binding == "versionTag":
                message = ("camunda:calledElementBinding=\"versionTag\": Baton keeps no version tags; "
                           "bind to \"latest\" (the default) or to a \"version\" number")
            elif binding not in ("latest", "deployment", "version"):
                message = (f"camunda:calledElementBinding={binding!r} is not one Baton knows: use latest, "
                           "deployment or version")
            if message:
                problems.append(Problem(file, line(call), call.get("id"), message))
    return problems


def pinned_ids(roots: Iterable[etree._Element]) -> set[str]:
    """The processes some call activity pins to a version (never rebound when an instance starts)."""
    return set(_pins(roots))


def pinned(roots: Iterable[etree._Element], resolve: Resolver | None) -> Resolver | None:
    """`resolve`, asking for the version a call activity pins (camunda:calledElementBinding="version")."""
    if resolve is None:
        return None
    pins = {pid: min(versions) for pid, versions in _pins(roots).items()}
    if not pins:
        return resolve
    base = resolve

    def resolve_pinned(process_id: str, version: int | None = None) -> Definition | None:
        return base(process_id, version=version if version is not None else pins.get(process_id))

    return resolve_pinned
