"""parse_bundle: every .bpmn/.dmn file of one deployment in, runnable processes or all problems out."""

from __future__ import annotations

import hashlib
import warnings as python_warnings
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS

from . import checks, data_refs, embedded_forms, fixups, sla_checks
from .called import Resolver, binding_problems, called_specs, pinned, pinned_ids, resolvable
from .definition import Definition
from .errors import BpmnError, ModelInvalid, Problem
from .event_subprocesses import check_event_subprocesses
from .implicit_end import gateways_without_outgoing
from .messages import message_starts
from .metadata import BPMN_NS, process_metadata
from .parser import BatonParser
from .problems import from_unexpected, from_validation_exception
from .spiff_forms import FormFile, attach_forms
from .timers import TimerStart, first_start, timer_starts, use_baton_timers
from .validation import schema_findings
from .xmlsafe import MAX_BYTES, line, load_xml, local_name


@dataclass(frozen=True)
class ProcessInfo:
    """A process of a deployment that can be instantiated, with what the catalog and start page need."""

    id: str
    name: str
    file: str
    documentation: str
    start_form: list[dict[str, Any]]
    candidate_starter_groups: tuple[str, ...]
    candidate_starter_users: tuple[str, ...]
    startable_by_hand: bool
    lanes: tuple[str, ...] = ()
    timer_starts: tuple[TimerStart, ...] = ()
    """Timer start events: the server creates instances on their schedule (timeDate once, cycles repeat)."""
    message_starts: tuple[str, ...] = ()
    """Message names of the message start events: a delivered message creates an instance."""
    startable_in_tasklist: bool = True
    """False for `camunda:isStartableInTasklist="false"`: not offered to people; call activities start it."""


@dataclass(frozen=True)
class Bundle:
    """The parsed deployment: its runnable processes, the warnings, and a Definition per process."""

    processes: list[ProcessInfo]
    warnings: list[Problem]
    checksum: str
    definitions: dict[str, Definition] = field(repr=False)
    forms: list[FormFile] = field(default_factory=list, repr=False)
    """SpiffArena JSON Schema forms the tasks use (uploaded as .json files beside the model)."""

    def definition(self, process_id: str) -> Definition:
        """The Definition to start instances of `process_id` with."""
        try:
            return self.definitions[process_id]
        except KeyError:
            raise BpmnError(f"process {process_id!r} is not in this deployment") from None


def checksum(files: Mapping[str, bytes]) -> str:
    """sha256 over the files sorted by name (name, size and content of each)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _is_dmn(root: etree._Element) -> bool:
    namespace = etree.QName(root).namespace or ""
    return namespace in DMN_SCHEMAS or "dmn" in namespace.lower()


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _process_name(process: etree._Element, root: etree._Element) -> str:
    if process.get("name"):
        return str(process.get("name"))
    for participant in root.iter(f"{{{BPMN_NS}}}participant"):
        if participant.get("processRef") == process.get("id") and participant.get("name"):
            return str(participant.get("name"))
    return str(process.get("id"))


def _runnable(processes: dict[str, tuple[str, etree._Element]]) -> tuple[list[str], list[Problem]]:
    """Which top-level processes Baton offers for starting, and the warnings that decision produces.

    isExecutable="false" is common in models drawn for documentation (MIWG reference files, pools
    of external partners). If the deployment marks at least one process executable, the others are
    taken as documentation: not offered for starting (a call activity may still call them). If it
    marks none, Baton runs them all anyway and says so in a warning.
    """
    executable = [pid for pid, (_, node) in processes.items() if node.get("isExecutable") != "false"]
    warnings = []
    for pid, (file, node) in processes.items():
        if pid in executable:
            continue
        message = (f"process {pid} is not marked executable (isExecutable=\"false\"); "
                   + ("Baton runs it anyway" if not executable else
                      "Baton does not offer it for starting (a call activity may still call it)"))
        warnings.append(Problem(file, line(node), pid, message, severity="warning"))
    return (executable or list(processes)), warnings


def _load(files: Mapping[str, bytes], max_bytes: int, problems: list[Problem]) -> dict[str, etree._Element]:
    roots = {}
    for name, data in files.items():
        try:
            roots[name] = load_xml(name, data, max_bytes=max_bytes)
        except ModelInvalid as exc:
            problems.extend(exc.problems)
    return roots


def _prepare(bpmn: dict[str, etree._Element], processes: dict[str, tuple[str, etree._Element]],
             problems: list[Problem], warnings: list[Problem],
             deployed: AbstractSet[str] = frozenset()) -> None:
    steps: list[Callable[[str, etree._Element], list[Problem]]] = [
        fixups.name_idless_flows, fixups.quote_timer_literals, fixups.camunda_collections,
        checks.reserved_ids, checks.dangling_flows, data_refs.strip, checks.script_languages,
        checks.unexecuted_constructs, checks.delegate_fields,
        sla_checks.sla_settings,
        check_event_subprocesses, gateways_without_outgoing,
        lambda file, root: checks.call_activities(file, root, set(processes) | deployed),
    ]
    for name, root in bpmn.items():
        for step in steps:
            for problem in step(name, root):
                (warnings if problem.severity == "warning" else problems).append(problem)


def _parse(roots: dict[str, etree._Element], bpmn: dict[str, etree._Element], dmn: dict[str, etree._Element],
           processes: dict[str, tuple[str, etree._Element]], problems: list[Problem],
           warnings: list[Problem], resolve: Resolver | None = None
           ) -> tuple[list[str], dict[str, Definition]]:
    """Hand the prepared documents to SpiffWorkflow and build a Definition per runnable process."""
    parser = BatonParser()
    for name, root in [*dmn.items(), *bpmn.items()]:
        try:
            if name in dmn:
                parser.add_dmn_xml(root, filename=name)
            else:
                parser.add_bpmn_xml(root, filename=name)
        except ValidationException as exc:
            problems.append(from_validation_exception(exc, roots, name))
        except Exception as exc:  # a parser bug must become a problem, never a traceback
            problems.append(from_unexpected(name, exc))
    for finding in parser.dmn_problems:  # every bad cell of every decision (bpmn/dmn/reader.py)
        (warnings if finding.severity == "warning" else problems).append(finding)
    if problems:
        return [], {}

    runnable, executable_warnings = _runnable(processes)
    warnings.extend(executable_warnings)
    definitions: dict[str, Definition] = {}
    for pid in runnable:
        file = processes[pid][0]
        try:
            spec = parser.get_spec(pid)
            external: set[str] = set()
            subprocess_specs = called_specs(parser, pid, resolve, external)
            for each in (spec, *subprocess_specs.values()):
                use_baton_timers(each)
            rebound_at_start = frozenset(external - pinned_ids(bpmn.values()))  # (pinned ones stay)
            definitions[pid] = Definition(spec, subprocess_specs, rebound_at_start)
        except ValidationException as exc:
            problems.append(from_validation_exception(exc, roots, file))
        except Exception as exc:  # a parser bug must become a problem, never a traceback
            problems.append(from_unexpected(file, exc, pid, roots[file]))
    return runnable, definitions


def _timer_start_problems(
    file: str, process: etree._Element, starts: tuple[TimerStart, ...]
) -> list[Problem]:
    """A timer start event must give a schedule at deployment: it has no variables to read."""
    problems = []
    for start in starts:
        try:
            first_start(start, datetime.now(UTC))
        except Exception as exc:  # any expression or value error becomes a problem for the modeller
            element = next((e for e in process.iter() if e.get("id") == start.element_id), process)
            problems.append(Problem(file, line(element), start.element_id,
                                    f"the timer of start event {start.name!r} gives no schedule: {exc}"))
    return problems


def parse_bundle(files: Mapping[str, bytes], *, max_bytes: int = MAX_BYTES,
                 resolve: Resolver | None = None) -> Bundle:
    """Parse the files of one deployment; raise ModelInvalid with every problem found.

    Problems carry the file name as given, the line, the element id and a message for the
    modeller. Schema findings that do not stop the model running come back as `Bundle.warnings`.
    `resolve` finds the deployed Definition of a process that a call activity calls and this
    deployment lacks (bpmn/called.py: bound now, at deploy time).
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    if not files:
        raise ModelInvalid([Problem("", None, None, "no files to deploy")])
    json_files = {name: data for name, data in files.items() if name.lower().endswith(".json")}
    roots = _load({name: data for name, data in files.items() if name not in json_files}, max_bytes, problems)
    bpmn: dict[str, etree._Element] = {}
    dmn: dict[str, etree._Element] = {}
    processes: dict[str, tuple[str, etree._Element]] = {}
    for name, root in roots.items():
        if etree.QName(root).namespace == BPMN_NS:
            bpmn[name] = root
        elif _is_dmn(root):
            dmn[name] = root
        else:
            problems.append(Problem(name, line(root), None,
                                    f"not a BPMN or DMN file (its root element is <{local_name(root)}>)"))
            continue
        warnings.extend(schema_findings(name, root))
    for name, root in bpmn.items():
        for process in checks.top_level_processes(root):
            pid = process.get("id") or ""
            if pid in processes:
                problems.append(Problem(name, line(process), pid,
                                        f"process id {pid} is also defined in {processes[pid][0]}"))
            processes[pid] = (name, process)
    _prepare(bpmn, processes, problems, warnings, resolvable(bpmn.values(), set(processes), resolve))
    problems.extend(binding_problems(bpmn, set(processes), resolve))
    resolve = pinned(bpmn.values(), resolve)
    warnings.extend(embedded_forms.replace(bpmn, dmn))
    if not problems and not processes:
        problems.append(Problem(next(iter(files)), None, None, "the deployment contains no BPMN process"))
    if problems:
        raise ModelInvalid(_dedupe(problems))

    with python_warnings.catch_warnings(record=True) as caught:
        # SpiffWorkflow warns (DeprecationWarning) about dated SpiffArena constructs that still run.
        python_warnings.simplefilter("always")
        runnable, definitions = _parse(roots, bpmn, dmn, processes, problems, warnings, resolve)
    json_forms, form_problems, form_warnings = attach_forms(definitions.values(), roots, json_files)
    problems.extend(form_problems)
    warnings.extend(form_warnings)
    for item in caught:
        warnings.append(Problem(next(iter(bpmn)), None, None, f"SpiffWorkflow: {item.message}",
                                severity="warning"))
    if problems:
        raise ModelInvalid(_dedupe(problems))

    infos = []
    for pid in runnable:
        file, node = processes[pid]
        meta = process_metadata(node)
        infos.append(ProcessInfo(
            id=pid, name=_process_name(node, bpmn[file]), file=file, documentation=meta["documentation"],
            start_form=meta["start_form"],
            candidate_starter_groups=tuple(meta["candidate_starter_groups"]),
            candidate_starter_users=tuple(meta["candidate_starter_users"]),
            startable_by_hand=meta["startable_by_hand"], lanes=tuple(meta["lanes"]),
            startable_in_tasklist=meta["startable_in_tasklist"],
            timer_starts=tuple(timer_starts(definitions[pid].spec)),
            message_starts=tuple(message_starts(definitions[pid].spec))))
        problems.extend(_timer_start_problems(file, node, infos[-1].timer_starts))
    if problems:
        raise ModelInvalid(_dedupe(problems))
    return Bundle(processes=infos, warnings=_dedupe(warnings), checksum=checksum(files),
                  definitions=definitions, forms=json_forms)
