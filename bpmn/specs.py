"""Baton's own task specs: service tasks that park in STARTED so a worker can run them elsewhere."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask


class ExternalServiceTask(ServiceTaskMixin, SpiffBpmnTask):  # type: ignore[misc]
    """A bpmn:serviceTask without a SpiffArena operator (Camunda class/expression/topic, or nothing).

    Running it returns None, so the engine parks the task in STARTED and moves on; the runtime
    records a service call and completes the task when the connector's result arrives.
    """


class ConnectorServiceTask(SpiffServiceTask):  # type: ignore[misc]
    """A SpiffArena service task (spiffworkflow:serviceTaskOperator) that parks instead of calling out."""

    def _execute(self, task: Any) -> None:
        return None
