"""camunda:inputOutput on every activity and intermediate event, and camunda:in/out on call activities.

Camunda's semantics, which SpiffWorkflow does not have:

- input parameters are evaluated when the element is entered (each sees the ones before it) and
  are LOCAL to it: the element's own work (a form, a script, a called process, its output
  mappings) sees them; when it is left they are dropped, and a variable of the same name outside
  keeps its value;
- output parameters are evaluated when the element is left, over its variables (inputs
  included), and written to the process;
- everything else the element sets (a form's fields, a script's variables) reaches the process as
  usual.
- a call activity with `camunda:in` passes ONLY those variables to the called process
  (`variables="all"`: all of them), and with `camunda:out` takes back ONLY those
  (`variables="all"`: all); without any, SpiffWorkflow's pass-everything behaviour stays.

Service and send tasks map their inputs and outputs in bpmn/services.py (inputs become the
connector's parameters there). A failing mapping puts the element in ERROR with the reason, like a
failing script. Installed once, at import of `bpmn`, by wrapping the library's base task spec hooks.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.util.task import TaskState

from .services import evaluate_value
from .stepping import record_failure

_SAVED = "baton_io_saved"  # internal_data: {"values": {name: value}, "absent": [names]} of shadowed variables
_FAILED = "baton_io_failed"
_library_update_hook = BpmnTaskSpec._update_hook
_library_update = BpmnTaskSpec._update
_library_complete_hook = BpmnTaskSpec._on_complete_hook
_library_copy_data = CallActivity.copy_data
_library_update_data = CallActivity.update_data


def _meta(spec: Any) -> dict[str, Any]:
    extensions = getattr(spec, "extensions", None) or {}
    baton: dict[str, Any] = extensions.get("baton") or {}
    return baton


def _evaluate(params: list[dict[str, Any]], data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for param in params:
        name = param["name"]
        values[name] = evaluate_value(param["value"], {**data, **values}, f"{kind} {name!r}")
    return values


def _update_hook(self: Any, my_task: Any) -> Any:
    result = _library_update_hook(self, my_task)
    inputs = _meta(self).get("io", {}).get("inputs")
    if inputs:
        try:
            values = _evaluate(inputs, my_task.data, "input parameter")
        except Exception as exc:  # recorded on the task once _update has readied it (see _update)
            my_task.internal_data[_FAILED] = str(exc)
            return result
        my_task.internal_data[_SAVED] = {
            "values": {k: copy.deepcopy(my_task.data[k]) for k in values if k in my_task.data},
            "absent": [k for k in values if k not in my_task.data],
        }
        my_task.data.update(values)
    return result


class MappingFailed(Exception):
    """An input or output parameter that does not evaluate."""


def _update(self: Any, my_task: Any) -> None:
    _library_update(self, my_task)
    failure = my_task.internal_data.pop(_FAILED, None)
    if failure is not None:
        record_failure(my_task, MappingFailed(failure))


def _on_complete_hook(self: Any, my_task: Any) -> None:
    mapping = _meta(self).get("io", {})
    if mapping:
        try:
            outputs = _evaluate(mapping.get("outputs", []), my_task.data, "output parameter")
        except Exception as exc:
            my_task._set_state(TaskState.ERROR)
            record_failure(my_task, MappingFailed(str(exc)))
            raise MappingFailed(str(exc)) from None
        saved = my_task.internal_data.pop(_SAVED, None) or {}
        for name in saved.get("absent", []):
            my_task.data.pop(name, None)
        my_task.data.update(saved.get("values", {}))
        my_task.data.update(outputs)
    _library_complete_hook(self, my_task)


def _copy_data(self: Any, my_task: Any, subworkflow: Any) -> None:
    mappings = _meta(self).get("call_in")
    if not mappings:
        _library_copy_data(self, my_task, subworkflow)
        return
    start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
    passed = dict(my_task.data) if any(m.get("variables") == "all" for m in mappings) else {}
    passed.update(_mapped(mappings, my_task.data, "camunda:in"))
    start.set_data(**copy.deepcopy(passed))


def _update_data(self: Any, my_task: Any, subworkflow: Any) -> None:
    mappings = _meta(self).get("call_out")
    if not mappings:
        _library_update_data(self, my_task, subworkflow)
        return
    data = subworkflow.last_task.data
    if any(m.get("variables") == "all" for m in mappings):
        my_task.data.update(copy.deepcopy(data))
    my_task.data.update(copy.deepcopy(_mapped(mappings, data, "camunda:out")))


def _mapped(mappings: list[dict[str, Any]], data: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The variables the mappings pass: a missing source passes null, as in Camunda."""
    values: dict[str, Any] = {}
    for mapping in mappings:
        target = mapping.get("target")
        if not target:
            continue
        if mapping.get("source_expression"):
            values[target] = evaluate_value({"text": mapping["source_expression"]}, data,
                                            f"{kind} {target!r}")
        elif mapping.get("source"):
            values[target] = data.get(mapping["source"])
    return values


def install() -> None:
    """Wrap the library's hooks (once)."""
    if BpmnTaskSpec._update_hook is _update_hook:
        return
    BpmnTaskSpec._update_hook = _update_hook
    BpmnTaskSpec._update = _update
    BpmnTaskSpec._on_complete_hook = _on_complete_hook
    CallActivity.copy_data = _copy_data
    CallActivity.update_data = _update_data
