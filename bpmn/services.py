"""Service tasks run elsewhere: what each parked one asks for, and how its result or error comes back.

A service task parks in STARTED (see specs.py). `parked(workflow)` says, for each, which connector
the model names and with which parameters (already evaluated over the task's data); a worker calls
it; `complete(...)` applies the output mappings and completes the task, `throw_error(...)` delivers
the modelled BPMN error to an error boundary event that catches its code.

How a model names its connector (the `implementation`):
- "connector": Camunda's `camunda:connector` (connectorId, e.g. `http-connector`, `mail-send`), with
  the connector's `camunda:inputOutput` as parameters and output mappings;
- "external": `camunda:type="external"` with `camunda:topic` naming the connector;
- "class" / "delegateExpression" / "expression": Java-side names Baton cannot run unless the
  server's configuration binds them to a connector (`${bean}` is named `bean`);
- "operator": SpiffArena's `spiffworkflow:serviceTaskOperator` (Python parameter expressions,
  result in `resultVariable`);
- "none": a plain service task that names nothing.
The task's own `camunda:inputOutput` inputs are the parameters of the non-connector kinds; a
"class" or "delegateExpression" task's `camunda:field` injections are parameters too, under the
field names (the inputs win over a field of the same name).

Results: the output mappings when the model has any; else the `resultVariable`; else, for the
non-connector kinds, the result's keys become variables (what a Camunda external task worker does).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from . import juel
from .error_events import deliver_error
from .errors import BpmnError
from .retry import RetryCycleInvalid, RetryPolicy, parse_retry_cycle, spiff_retry
from .script_engine import evaluate_expression
from .specs import ConnectorServiceTask
from .stepping import record_failure

Implementation = Literal["connector", "external", "class", "delegateExpression", "expression", "operator",
                         "none"]
_PYTHON_SCRIPTS = ("", "python", "py", "spiff")
_INJECTED: tuple[Implementation, ...] = ("class", "delegateExpression")
"""The Java delegates Camunda injects camunda:field values into: here they are connector parameters."""


@dataclass(frozen=True)
class ServiceTask:
    """A service task parked in STARTED, waiting for a worker to run its connector."""

    task_id: str
    element_id: str
    name: str
    process_id: str
    implementation: Implementation
    connector: str | None
    """The name as the model writes it: connectorId, topic, class, bean or operator name."""
    params: dict[str, Any]
    outputs: tuple[str, ...]
    """The variables the output mappings set (names only; they are applied by `complete`)."""
    result_variable: str | None
    retry: RetryPolicy | None
    """The model's retry policy; None when it names none (the server applies its default)."""
    problem: str | None = None
    """Why the call cannot be made as modelled (a parameter that does not evaluate, a bad retry cycle)."""
    variables: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The task's variables when described (read-only): what configured parameters are evaluated over."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id, "element_id": self.element_id, "name": self.name,
            "process_id": self.process_id, "implementation": self.implementation,
            "connector": self.connector, "params": self.params, "outputs": list(self.outputs),
            "result_variable": self.result_variable,
            "retry": self.retry.to_dict() if self.retry else None, "problem": self.problem,
        }


class ParameterError(BpmnError):
    """A mapped parameter or output that cannot be evaluated; says which one and why."""


def _wiring(spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = (getattr(spec, "extensions", None) or {}).get("baton", {})
    service: dict[str, Any] = meta.get("service", {})
    return service


def bean_name(expression: str) -> str:
    """The bean a `${bean}` delegate expression names (the expression itself when it is more)."""
    inner = expression.strip()
    if inner[:2] in ("${", "#{") and inner.endswith("}"):
        inner = inner[2:-1].strip()
    return inner if inner.replace("_", "").replace(".", "").isalnum() else expression.strip()


def _implementation(spec: Any, wiring: Mapping[str, Any]) -> tuple[Implementation, str | None]:
    if isinstance(spec, ConnectorServiceTask):
        return "operator", str(spec.operation_name)
    if "connector_id" in wiring:
        return "connector", str(wiring["connector_id"]) or None
    if wiring.get("type") == "external":
        return "external", wiring.get("topic") or None
    if wiring.get("class"):
        return "class", str(wiring["class"])
    if wiring.get("delegateExpression"):
        return "delegateExpression", bean_name(str(wiring["delegateExpression"]))
    if wiring.get("expression"):
        return "expression", str(wiring["expression"]).strip()
    return "none", None


def evaluate_value(value: Mapping[str, Any], scope: Mapping[str, Any], what: str) -> Any:
    """Evaluate one mapped value (see metadata._value) over `scope`; ParameterError names `what`."""
    try:
        if "list" in value:
            return [evaluate_value(item, scope, what) for item in value["list"]]
        if "map" in value:
            return {key: evaluate_value(item, scope, f"{what}.{key}") for key, item in value["map"].items()}
        if "script" in value:
            if value.get("format") not in _PYTHON_SCRIPTS and value.get("format") != "juel":
                raise ParameterError(
                    f"{what}: camunda:script in {value.get('format')!r} cannot run in Baton; "
                    "write it as a ${{...}} expression or in Python")
            return evaluate_expression(str(value["script"]), scope)
        if "text" in value:
            text = str(value["text"])
            return evaluate_expression(text, scope) if juel.is_juel(text) else text
        return None
    except ParameterError:
        raise
    except BpmnError as error:
        raise ParameterError(f"{what}: {error}") from None


def _evaluate_all(params: list[dict[str, Any]], scope: Mapping[str, Any], kind: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for param in params:
        values[param["name"]] = evaluate_value(param["value"], {**scope, **values},
                                               f"{kind} {param['name']!r}")
    return values


def bind_params(template: Any, variables: Mapping[str, Any], what: str = "parameter") -> Any:
    """Configured parameters (plain JSON) with every `${...}` string evaluated over `variables`.

    A server binds a Java delegate to a connector with parameters such as
    `{"url": "https://archive.example/invoices/${invoiceNumber}", "json": {"amount": "${amount}"}}`;
    a string that is one whole expression keeps the value's type. ParameterError names the key.
    """
    if isinstance(template, Mapping):
        return {key: bind_params(value, variables, f"{what}.{key}") for key, value in template.items()}
    if isinstance(template, list):
        return [bind_params(item, variables, f"{what}[{index}]") for index, item in enumerate(template)]
    if isinstance(template, str) and juel.is_juel(template):
        return evaluate_value({"text": template}, variables, what)
    return template


def _field_values(fields: list[dict[str, Any]], scope: Mapping[str, Any]) -> dict[str, Any]:
    """camunda:field injections as parameters: strings as written, expressions evaluated over `scope`."""
    values: dict[str, Any] = {}
    for injection in fields:
        name, value = injection["name"], injection["value"]
        if "string" in value:
            values[name] = value["string"]
        else:
            values[name] = evaluate_value(value, scope, f"camunda:field {name!r}")
    return values


def _operator_params(spec: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, param in (spec.operation_params or {}).items():
        try:
            values[name] = evaluate_expression(str(param.get("value")), data)
        except BpmnError as error:
            raise ParameterError(f"parameter {name!r}: {error}") from None
    return values


def _retry(spec: Any, wiring: Mapping[str, Any]) -> RetryPolicy | None:
    if wiring.get("retry_cycle"):
        return parse_retry_cycle(str(wiring["retry_cycle"]))
    if isinstance(spec, ConnectorServiceTask):
        return spiff_retry(spec.retries, spec.retry_backoff_base)
    return None


def describe(task: Any) -> ServiceTask:
    """The ServiceTask view of a parked Spiff task; evaluation problems go into `problem`."""
    spec = task.task_spec
    wiring = _wiring(spec)
    implementation, connector = _implementation(spec, wiring)
    problem: str | None = None
    params: dict[str, Any] = {}
    data = task.data
    try:
        if implementation == "operator":
            params = _operator_params(spec, data)
        else:
            local = _evaluate_all(wiring.get("task_inputs", []), data, "input")
            if implementation == "connector":
                params = _evaluate_all(wiring.get("connector_inputs", []), {**data, **local}, "input")
            elif implementation in _INJECTED:
                params = {**_field_values(wiring.get("fields", []), {**data, **local}), **local}
            else:
                params = local
    except ParameterError as error:
        problem = str(error)
    try:
        retry = _retry(spec, wiring)
    except RetryCycleInvalid as error:
        retry, problem = None, problem or str(error)
    outputs = [p["name"] for p in [*wiring.get("connector_outputs", []), *wiring.get("task_outputs", [])]]
    result_variable = getattr(spec, "result_variable", None) or wiring.get("resultVariable")
    return ServiceTask(
        task_id=str(task.id), element_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
        process_id=task.workflow.spec.name, implementation=implementation, connector=connector,
        params=params, outputs=tuple(dict.fromkeys(outputs)), result_variable=result_variable,
        retry=retry, problem=problem, variables=data,
    )


def _is_parked(task: Any) -> bool:
    return bool(task.has_state(TaskState.STARTED) and isinstance(task.task_spec, ServiceTaskMixin))


def parked(workflow: BpmnWorkflow) -> list[ServiceTask]:
    """Every service task parked in STARTED, subprocesses and called processes included."""
    return [describe(task) for task in workflow.get_tasks(state=TaskState.STARTED) if _is_parked(task)]


def parked_task(workflow: BpmnWorkflow, task: Any) -> ServiceTask | None:
    """The ServiceTask view of `task` if it is still parked (a duplicate result finds None)."""
    return describe(task) if _is_parked(task) else None


def apply_result(task: Any, result: Mapping[str, Any]) -> None:
    """Put a connector's result into the task's data as the model maps it (see the module docstring)."""
    spec = task.task_spec
    wiring = _wiring(spec)
    implementation, _ = _implementation(spec, wiring)
    result = copy.deepcopy(dict(result))
    connector_outputs = wiring.get("connector_outputs", [])
    task_outputs = wiring.get("task_outputs", [])
    if connector_outputs or task_outputs:
        mapped = _evaluate_all(connector_outputs, {**task.data, **result}, "output")
        task.data.update(mapped)
        task.data.update(_evaluate_all(task_outputs, {**task.data, **result}, "output"))
        return
    result_variable = getattr(spec, "result_variable", None) or wiring.get("resultVariable")
    if result_variable:
        task.data[result_variable] = result
    elif implementation != "connector":
        task.data.update(result)


def complete(task: Any, result: Mapping[str, Any], *, map_outputs: bool = True) -> bool:
    """Complete a parked service task with its connector's result; False if it is no longer parked.

    With `map_outputs` False the result's keys become variables as they are (an operator skipping
    the call gives the variables the call would have set). An output mapping that fails leaves the
    task in ERROR (the instance shows why), like a script.
    """
    if not _is_parked(task):
        return False
    try:
        if map_outputs:
            apply_result(task, result)
        else:
            task.data.update(copy.deepcopy(dict(result)))
        task.complete()
    except Exception as error:  # output mappings and post-scripts may raise anything
        record_failure(task, error)
    return True


def throw_error(task: Any, code: str, message: str) -> bool:
    """Deliver BPMN error `code` from a parked service task; False when no boundary event catches it."""
    if not _is_parked(task):
        return False
    return deliver_error(task, code, message)
