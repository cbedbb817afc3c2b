"""SpiffWorkflow's script engine for Baton: `${...}` as JUEL, everything else as sandboxed Python."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from bpmn import juel, sandbox
from bpmn.errors import ExpressionError, ScriptError
from bpmn.sandbox import DEFAULT_BUDGET, Budget

_SCALARS = (str, int, float, bool, Decimal, date)  # datetime is a date
_MAX_DEPTH = 50


def evaluate_expression(text: str, data: Mapping[str, Any]) -> Any:
    """Evaluate a JUEL (`${...}`) or Python expression over `data`; any failure is an ExpressionError."""
    return _evaluate(text, data, DEFAULT_BUDGET)


def _evaluate(text: str, data: Mapping[str, Any], budget: Budget) -> Any:
    if juel.is_juel(text):
        return juel.evaluate(text, data)
    try:
        return sandbox.evaluate(text, data, budget)
    except ScriptError as error:
        raise ExpressionError(text, error.message) from None


def storable(value: Any, depth: int = 0) -> bool:
    """True for values task data can keep: JSON-like data plus date, datetime and Decimal."""
    if value is None or isinstance(value, _SCALARS):
        return True
    if depth > _MAX_DEPTH:
        return False
    if isinstance(value, (list, tuple)):
        return all(storable(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and storable(v, depth + 1) for k, v in value.items())
    return False


def _plain(value: Any) -> Any:
    """Tuples become lists, as they would after a save and load."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class BatonScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """Evaluates conditions and runs scripts for SpiffWorkflow; failures put the task in ERROR."""

    def __init__(self, budget: Budget = DEFAULT_BUDGET) -> None:
        super().__init__()
        self.budget = budget

    def validate(self, expression: str) -> None:
        """Raise SyntaxError when `expression` cannot parse (Spiff's DMN engine relies on it)."""
        if juel.is_juel(expression):
            try:
                juel.compile(expression)
            except ExpressionError as error:
                raise SyntaxError(error.message) from None
        else:
            ast.parse(expression, mode="eval")

    def evaluate(self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        data: dict[str, Any] = dict(external_context or {})
        data.update(task.data)
        try:
            return _evaluate(expression, data, self.budget)
        except ExpressionError as error:
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {error.message}", task=task, exception=error
            ) from None

    def execute(self, task: Any, script: str, external_context: Mapping[str, Any] | None = None) -> bool:
        extra = dict(external_context or {})
        variables = {**extra, **task.data}
        try:
            result = sandbox.execute(script, variables, self.budget)
        except ScriptError as error:
            lines = script.splitlines()
            line_text = lines[error.line - 1] if error.line and 0 < error.line <= len(lines) else ""
            raise WorkflowTaskException(
                str(error), task=task, exception=error, line_number=error.line or 0, error_line=line_text
            ) from None
        for name in [n for n in task.data if n not in result]:
            del task.data[name]  # the script deleted it
        for name, value in result.items():
            if name in extra and name not in task.data and value is extra[name]:
                continue  # context handed in for this run only, left unchanged
            if storable(value):
                task.data[name] = _plain(value)
            else:
                task.data.pop(name, None)  # functions, iterators, ...: they cannot be saved
        return True

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        message = "service tasks run outside the engine; this one has no connector"
        raise WorkflowTaskException(message, task=task)
