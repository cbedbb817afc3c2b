"""One parser for both dialects: Camunda 7 (`camunda:`) and SpiffArena (`spiffworkflow:`), DMN included."""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.event_parsers import EventBasedGatewayParser
from SpiffWorkflow.bpmn.parser.task_parsers import (
    AdHocSubprocessParser,
    ConditionalGatewayParser,
    GatewayParser,
)
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import (
    AdHocSubprocess,
    EventBasedGateway,
    ExclusiveGateway,
    InclusiveGateway,
    ParallelGateway,
)
from SpiffWorkflow.spiff.parser.event_parsers import SpiffSendTaskParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, SpiffProcessParser
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser as SpiffBusinessRuleTaskParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser

from .dmn.catalog import DecisionCatalog
from .dmn.task import DecisionTask, decision_task
from .event_parsers import BatonEndEventParser
from .event_subprocesses import BatonStartEventParser, BatonSubWorkflowParser
from .implicit_end import ImplicitEnd
from .implicit_end import install as _install_implicit_end
from .metadata import BPMN_NS, CAMUNDA_NS, NSMAP, task_metadata
from .specs import ConnectorServiceTask, ExternalServiceTask
from .xmlsafe import elements

_DECISION_REF = f"{{{CAMUNDA_NS}}}decisionRef"
_CAMUNDA_PROPERTIES = "./bpmn:extensionElements/camunda:properties/camunda:property"


class _Extensions:
    """Extension parsing shared by every tag: spiffworkflow: elements, camunda: properties, metadata.

    `extensions['properties']` merges camunda:properties with spiffworkflow:properties, and
    `extensions['baton']` carries what the runtime needs (assignment, forms, due date, ...); both are
    serialized with the spec, once per deployment.
    """

    node: etree._Element

    def parse_extensions(self, node: etree._Element | None = None) -> dict[str, Any]:
        target = self.node if node is None else node
        extensions: dict[str, Any] = SpiffTaskParser._parse_extensions(target)
        camunda_properties = {
            prop.get("name"): prop.get("value")
            for prop in elements(target, _CAMUNDA_PROPERTIES, NSMAP)
            if prop.get("name")
        }
        if camunda_properties:
            extensions["properties"] = {**camunda_properties, **extensions.get("properties", {})}
        if node is None:
            metadata = task_metadata(target)
            if metadata:
                extensions["baton"] = metadata
        return extensions


class BusinessRuleTaskParser(_Extensions, ImplicitEnd, SpiffBusinessRuleTaskParser):  # type: ignore[misc]
    """A businessRuleTask naming its decision the SpiffArena way or the Camunda way."""

    @staticmethod
    def get_decision_ref(node: etree._Element) -> str | None:
        spiff: str | None = SpiffTaskParser._parse_extensions(node).get("calledDecisionId")
        return spiff or node.get(_DECISION_REF)

    def create_task(self) -> Any:
        decision_ref = self.get_decision_ref(self.node)
        if not decision_ref:
            raise ValidationException(
                "this business rule task names no decision: set camunda:decisionRef (Camunda Modeler) "
                "or spiffworkflow:calledDecisionId (SpiffArena)",
                node=self.node, file_name=self.filename)
        return decision_task(self, decision_ref)  # Baton's decision engine (bpmn/dmn), not SpiffWorkflow's


class ServiceTaskParser(_Extensions, ImplicitEnd, SpiffTaskParser):  # type: ignore[misc]
    """Service tasks park in STARTED: a SpiffArena operator keeps its parameters for the connector."""

    def create_task(self) -> Any:
        extensions = self.parse_extensions()
        operator = extensions.get("serviceTaskOperator")
        scripts = {"prescript": extensions.get("preScript"), "postscript": extensions.get("postScript")}
        if operator is None:
            return ExternalServiceTask(self.spec, self.bpmn_id, **scripts, **self.bpmn_attributes)
        return ConnectorServiceTask(
            self.spec, self.bpmn_id,
            operation_name=operator["name"],
            operation_params=operator["parameters"],
            result_variable=operator["resultVariable"],
            retries=operator.get("retries"),
            retry_backoff_base=operator.get("retryBackoffBase"),
            **scripts, **self.bpmn_attributes)


class SendTaskParser(_Extensions, ImplicitEnd, SpiffSendTaskParser):  # type: ignore[misc]
    """A send task naming code (camunda:class, expression, delegateExpression, an external topic or a
    camunda:connector) runs as a service task, as in Camunda; any other send task throws its message."""

    def create_task(self) -> Any:
        implementation = [self.node.get(f"{{{CAMUNDA_NS}}}{name}") for name in _SEND_TASK_CODE]
        connector = self.node.find(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}connector")
        if any((value or "").strip() for value in implementation) or connector is not None:
            extensions = self.parse_extensions()
            return ExternalServiceTask(self.spec, self.bpmn_id, prescript=extensions.get("preScript"),
                                       postscript=extensions.get("postScript"), **self.bpmn_attributes)
        return super().create_task()


_SEND_TASK_CODE = ("class", "expression", "delegateExpression", "topic")


def _with_extensions(parser_class: type) -> type:
    # ImplicitEnd: an element without outgoing flows ends its path (bpmn/implicit_end.py)
    return type(f"Baton{parser_class.__name__}", (_Extensions, ImplicitEnd, parser_class), {})


def _parser_classes() -> dict[str, tuple[type, type]]:
    classes: dict[str, tuple[type, type]] = {}
    for tag, (parser_class, spec_class) in SpiffBpmnParser.OVERRIDE_PARSER_CLASSES.items():
        classes[tag] = (_with_extensions(parser_class), spec_class)
    classes[full_tag("exclusiveGateway")] = (_with_extensions(ConditionalGatewayParser), ExclusiveGateway)
    classes[full_tag("inclusiveGateway")] = (_with_extensions(ConditionalGatewayParser), InclusiveGateway)
    classes[full_tag("parallelGateway")] = (_with_extensions(GatewayParser), ParallelGateway)
    classes[full_tag("eventBasedGateway")] = (_with_extensions(EventBasedGatewayParser), EventBasedGateway)
    classes[full_tag("adHocSubProcess")] = (_with_extensions(AdHocSubprocessParser), AdHocSubprocess)
    for tag, parser_class in (("startEvent", BatonStartEventParser), ("subProcess", BatonSubWorkflowParser),
                              ("endEvent", BatonEndEventParser)):
        # event subprocesses (bpmn/event_subprocesses.py), signal end events (bpmn/event_parsers.py)
        classes[full_tag(tag)] = (_with_extensions(parser_class), classes[full_tag(tag)][1])
    classes[full_tag("businessRuleTask")] = (BusinessRuleTaskParser, DecisionTask)
    classes[full_tag("serviceTask")] = (ServiceTaskParser, ExternalServiceTask)
    classes[full_tag("sendTask")] = (SendTaskParser, classes[full_tag("sendTask")][1])
    return classes


_install_implicit_end()  # embedded subprocesses need no end event (bpmn/implicit_end.py)


class BatonProcessParser(SpiffProcessParser):  # type: ignore[misc]
    """Treats every process as runnable; which ones are offered for starting is the bundle's decision."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.process_executable = True


class BatonParser(DecisionCatalog, SpiffBpmnParser):  # type: ignore[misc]
    """SpiffWorkflow's parser with Baton's tag table and decision catalog. One per deployment (stateful)."""

    PROCESS_PARSER_CLASS = BatonProcessParser
    OVERRIDE_PARSER_CLASSES = _parser_classes()

    def __init__(self) -> None:
        super().__init__(namespaces={**NSMAP, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
                                     "dc": "http://www.omg.org/spec/DD/20100524/DC"})

    def _add_data_stores(self, bpmn: etree._Element) -> None:
        # Data stores are reported as problems (with line and element) before parsing starts;
        # SpiffWorkflow's own check raises without either.
        return None
