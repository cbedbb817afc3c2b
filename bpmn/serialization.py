"""Serializer set-up: Baton's task specs, date/Decimal/set data, and instance state WITHOUT the spec."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.workflow import VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask as BpmnServiceTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter, SpiffBpmnTaskConverter
from SpiffWorkflow.task import Task

from .dmn.task import DecisionTask, DecisionTaskConverter
from .errors import BpmnError
from .specs import ConnectorServiceTask, ExternalServiceTask

STATE_FORMAT = "baton-1"
"""Marks an instance state written by `dump_workflow` (SpiffWorkflow serializer format {VERSION})."""


class _TaskConverter(TaskConverter):  # type: ignore[misc]
    """Like SpiffWorkflow's, but task data is converted too, so the result is JSON-able as it stands."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(task)
        dct["data"] = self.registry.convert(dct["data"])
        if dct["delta"]:
            dct["delta"] = {"updates": self.registry.convert(dct["delta"]["updates"]),
                            "deletions": dct["delta"]["deletions"]}
        return dct


class _SubWorkflowConverter(BpmnSubWorkflowConverter):  # type: ignore[misc]
    def from_dict(self, dct: dict[str, Any], task: Any, top_workflow: Any) -> Any:
        dct = {**dct, "correlations": copy.deepcopy(dct.get("correlations", {}))}
        return super().from_dict(dct, task, top_workflow)


class _InstanceConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """The top-level workflow without its spec: instances reference the deployment's Definition."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["spec_name"] = workflow.spec.name
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None,
                  script_engine: Any = None) -> Any:
        if spec is None:
            raise BpmnError("an instance state can only be loaded with its Definition")
        workflow = self.target_class(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        attributes = {**dct, "correlations": copy.deepcopy(dct.get("correlations", {}))}
        self.set_default_attributes(workflow, attributes)
        self.subprocesses_from_dict(dict(dct["subprocesses"]), workflow)
        workflow.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        return workflow


def _registry() -> DefaultRegistry:
    config = dict(SPIFF_CONFIG)  # a copy: the shared config must not change
    config[Task] = _TaskConverter
    config[BpmnWorkflow] = _InstanceConverter
    config[BpmnSubWorkflow] = _SubWorkflowConverter
    config[ExternalServiceTask] = SpiffBpmnTaskConverter
    config[ConnectorServiceTask] = ServiceTaskConverter
    config[DecisionTask] = DecisionTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    BpmnTaskSpecConverter(BpmnServiceTask, registry, typename="BpmnServiceTask")
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(set, lambda v: {"value": list(v)}, lambda v: set(v["value"]))
    registry.register(frozenset, lambda v: {"value": list(v)}, lambda v: frozenset(v["value"]))
    return registry


REGISTRY = _registry()


def spec_to_dict(spec: Any) -> dict[str, Any]:
    """A process spec (or subprocess spec) as a JSON-able dict."""
    result: dict[str, Any] = REGISTRY.convert(spec)
    return result


def spec_from_dict(dct: dict[str, Any]) -> Any:
    """Restore a spec; works on a deep copy because SpiffWorkflow's converters consume their input."""
    return REGISTRY.restore(copy.deepcopy(dct))


def dump_workflow(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance state as a JSON-able dict, without the spec."""
    dct: dict[str, Any] = REGISTRY.convert(workflow)
    dct["format"] = STATE_FORMAT
    dct["serializer_version"] = VERSION
    return dct


def load_workflow(dct: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any],
                  script_engine: Any = None) -> BpmnWorkflow:
    """Rebuild a workflow from `dump_workflow` output and an already-parsed spec; `dct` is not changed."""
    if dct.get("format") != STATE_FORMAT or dct.get("serializer_version") != VERSION:
        found = f"{dct.get('format')!r}/{dct.get('serializer_version')!r}"
        raise BpmnError(f"unknown instance state format {found}")
    if dct.get("spec_name") != spec.name:
        raise BpmnError(f"this state belongs to process {dct.get('spec_name')!r}, not {spec.name!r}")
    workflow: BpmnWorkflow = REGISTRY.restore(dct, spec=spec, subprocess_specs=subprocess_specs,
                                                   script_engine=script_engine)
    return workflow
