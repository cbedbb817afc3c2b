"""Implicit ends: an activity or event without an outgoing sequence flow ends its path there.

BPMN allows it, and Camunda Modeler and SpiffArena models do it (a last script task, a branch
that just stops, an embedded subprocess with no end event). SpiffWorkflow 3.2 leaves such a task
without outputs: the path stops and the process completes once nothing else runs, but the end join
of its scope (`<process>.EndJoin`, which copies the final variables into the workflow's data) is
never reached. `Instance.data` then came back `{}`, and an embedded subprocess or called process
handed nothing back to its caller.

Baton connects every such element to the end join of its scope, exactly as SpiffWorkflow connects
an end event. No element is invented: the join is the engine's own task, without a BPMN id, which
engine steps, live diagrams, heatmaps and the road ahead already pass over silently; so nothing
new can show to a person, and no id can collide with one of the model's.

What is not an implicit end:
- end events (already connected) and event subprocesses (connected to their scope's end when
  they start listening, bpmn/event_subprocesses.py); activities inside an ad-hoc subprocess
  (which Baton rejects anyway) have no flows by design;
- a gateway without an outgoing flow decides nothing: that is a model error, reported at deploy
  naming the gateway (`gateways_without_outgoing`).
A boundary event without an outgoing flow ends the path it starts (after cancelling its activity,
if it interrupts), like any other event: the variables it carries reach the end of its scope.

SpiffWorkflow also demands an end event in every embedded subprocess; here one start event is
enough (`install`), as in Camunda.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ProcessParser import AdHocParser
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from .errors import Problem
from .metadata import BPMN_NS
from .xmlsafe import line, local_name

ENDS_IMPLICITLY = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction",
    "startEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
})
"""Flow nodes whose path just ends when they have no outgoing sequence flow."""

GATEWAYS = ("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway")
_CONTAINERS = ("process", "subProcess", "transaction")


class ImplicitEnd:
    """Task parser mixin: an element with no outgoing sequence flow leads to its scope's end join."""

    node: etree._Element
    bpmn_id: str
    process_parser: Any
    spec: Any
    task: Any

    def parse_node(self) -> Any:
        parsed = super().parse_node()  # type: ignore[misc]
        if self._ends_implicitly():
            # `self.task` is what the outgoing flows would leave from (a multi-instance or loop
            # activity's outer task; the activity itself when boundary events hang on it).
            self.task.connect(self.spec.end)
        return parsed

    def _ends_implicitly(self) -> bool:
        if local_name(self.node) not in ENDS_IMPLICITLY or self.node.get("triggeredByEvent") == "true":
            return False
        if isinstance(self.process_parser, AdHocParser):
            return False
        return not self.process_parser.get_outgoing_sequence_flows(self.bpmn_id)


def _q(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def _documentation(container: etree._Element) -> bool:
    """Is this in a process marked isExecutable="false" (a pool drawn for documentation)?"""
    process: etree._Element | None = container
    while process is not None and process.tag != _q("process"):
        process = process.getparent()
    return process is not None and process.get("isExecutable") == "false"


def gateways_without_outgoing(file: str, root: etree._Element) -> list[Problem]:
    """A gateway with no outgoing sequence flow: rejected, naming the gateway.

    Only a warning in a process marked isExecutable="false": such pools are often drawn for
    documentation (a partner's side of a collaboration), and Baton runs them only when asked to.
    """
    problems = []
    for container in (c for name in _CONTAINERS for c in root.iter(_q(name))):
        sources = {flow.get("sourceRef") for flow in container.iterchildren(_q("sequenceFlow"))}
        for gateway in (g for name in GATEWAYS for g in container.iterchildren(_q(name))):
            if gateway.get("id") not in sources:
                documentation = _documentation(container)
                problems.append(Problem(
                    file, line(gateway), gateway.get("id"),
                    f"this <{local_name(gateway)}> has no outgoing sequence flow, so it leads nowhere: "
                    "draw the flows it chooses between, or remove it and let the path end at an end event"
                    + (" (its process is not marked executable: should it run, the path stops here)"
                       if documentation else ""),
                    severity="warning" if documentation else "error"))
    return problems


def _subprocess_spec(task_parser: Any) -> str:
    """SpiffWorkflow's `SubprocessParser.get_subprocess_spec` without its demand for an end event."""
    starts = task_parser.xpath("./bpmn:startEvent")
    if len(starts) != 1:
        raise ValidationException(
            f"Exactly one start event is required in a SubWorkflow Task; found {len(starts)}.",
            node=task_parser.node, file_name=task_parser.filename)
    task_parser.process_parser.parser.create_parser(
        task_parser.node, filename=task_parser.filename, lane=task_parser.lane)
    spec_id: str = task_parser.node.get("id")
    task_parser.process_parser.parser.process_parsers[spec_id].parent = task_parser.process_parser
    return spec_id


def install() -> None:
    """Let embedded subprocesses end implicitly (idempotent)."""
    SubprocessParser.get_subprocess_spec = staticmethod(_subprocess_spec)
