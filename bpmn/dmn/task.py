"""The business rule task: its spec (with the decisions it needs), its serializer, and its parsing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask

from .. import sandbox
from .cells import PythonEvaluator
from .evaluate import decide
from .model import Decision
from .results import MAPPINGS, store

CAMUNDA_BPMN_NS = "http://camunda.org/schema/1.0/bpmn"


class DecisionTask(SpiffBpmnTask):  # type: ignore[misc]
    """A bpmn:businessRuleTask: evaluates its decision and stores the result in the task data.

    The spec carries the decision and every decision it requires, so a deployment's Definition is
    self-contained. A decision that cannot decide fails the task with DecisionFailed.
    """

    def __init__(self, wf_spec: Any, name: str, decision_ref: str, decisions: list[Decision],
                 result_variable: str | None = None, map_decision_result: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(wf_spec, name, **kwargs)
        self.decision_ref = decision_ref
        self.decisions = {decision.id: decision for decision in decisions}
        self.result_variable = result_variable
        self.map_decision_result = map_decision_result

    def _run_hook(self, my_task: Any) -> bool:
        python = _python_evaluator(my_task.workflow.script_engine)
        result = decide(self.decisions, self.decision_ref, my_task.data, python)
        store(result, my_task.data, self.result_variable, self.map_decision_result)
        done: bool = super()._run_hook(my_task)
        return done


def _python_evaluator(engine: Any) -> PythonEvaluator:
    budget = getattr(engine, "budget", sandbox.DEFAULT_BUDGET)

    def evaluate(text: str, variables: Mapping[str, Any]) -> Any:
        return sandbox.evaluate(text, variables, budget)

    return evaluate


class DecisionTaskConverter(SpiffBpmnTaskConverter):  # type: ignore[misc]
    """Serializes a DecisionTask with its decisions (once per deployment, with the Definition)."""

    def to_dict(self, spec: DecisionTask) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        dct["decision_ref"] = spec.decision_ref
        dct["decisions"] = [decision.to_dict() for decision in spec.decisions.values()]
        dct["result_variable"] = spec.result_variable
        dct["map_decision_result"] = spec.map_decision_result
        return dct

    def from_dict(self, dct: dict[str, Any]) -> DecisionTask:
        dct = {**dct, "decisions": [Decision.from_dict(item) for item in dct["decisions"]]}
        spec: DecisionTask = self.task_spec_from_dict(dct)
        return spec


def required_closure(decisions: Mapping[str, Decision], decision_id: str) -> list[Decision]:
    """The decision and every decision it requires, directly or not; ValueError names a gap or a cycle."""
    found: dict[str, Decision] = {}

    def visit(current: str, path: tuple[str, ...]) -> None:
        if current in path:
            raise ValueError(f"decision '{current}' requires itself ({' -> '.join((*path, current))})")
        if current in found:
            return
        decision = decisions.get(current)
        if decision is None:
            raise ValueError(f"decision '{path[-1]}' requires decision '{current}', which no DMN file of "
                             "this deployment defines")
        found[current] = decision
        for required in decision.required:
            visit(required, (*path, current))

    visit(decision_id, ())
    return list(found.values())


def decision_task(task_parser: Any, decision_ref: str) -> DecisionTask:
    """The spec for the businessRuleTask a SpiffWorkflow task parser is reading.

    `task_parser.process_parser.parser.decisions` holds the deployment's decisions by id.
    """
    node = task_parser.node
    decisions: Mapping[str, Decision] = task_parser.process_parser.parser.decisions
    if decision_ref not in decisions:
        known = ", ".join(sorted(decisions)) or "none"
        raise ValidationException(f"decision '{decision_ref}' is not in this deployment (its DMN files "
                                  f"define: {known})", node=node, file_name=task_parser.filename)
    try:
        closure = required_closure(decisions, decision_ref)
    except ValueError as error:
        raise ValidationException(str(error), node=node, file_name=task_parser.filename) from None
    mapping = node.get(f"{{{CAMUNDA_BPMN_NS}}}mapDecisionResult")
    if mapping and mapping not in MAPPINGS:
        raise ValidationException(f"camunda:mapDecisionResult '{mapping}' is not one of "
                                  f"{', '.join(MAPPINGS)}", node=node, file_name=task_parser.filename)
    extensions = task_parser.parse_extensions()
    return DecisionTask(
        task_parser.spec, task_parser.bpmn_id, decision_ref=decision_ref, decisions=closure,
        result_variable=node.get(f"{{{CAMUNDA_BPMN_NS}}}resultVariable") or None,
        map_decision_result=mapping, prescript=extensions.get("preScript"),
        postscript=extensions.get("postScript"), **task_parser.bpmn_attributes)
