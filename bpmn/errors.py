"""Errors of the engine layer: every one carries what a modeller needs to fix the problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Problem:
    """One finding about a model: where it is (file, line, element) and what to do about it."""

    file: str
    line: int | None
    element_id: str | None
    message: str
    severity: Literal["error", "warning"] = "error"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "element_id": self.element_id, "message": self.message}

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        element = f" [{self.element_id}]" if self.element_id else ""
        return f"{where}{element}: {self.message}"


class BpmnError(Exception):
    """Base of every error the engine layer raises on purpose."""


class ModelInvalid(BpmnError):
    """A model (one or more files) cannot be deployed; `problems` says why, each with its place."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "invalid model"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)


class TaskNotReady(BpmnError):
    """The task is not waiting for a person (already completed, cancelled, or not reached yet)."""

    def __init__(self, task_id: str, state: str) -> None:
        self.task_id = task_id
        self.state = state
        super().__init__(f"task {task_id} is {state}, not ready")


class StepBudgetExceeded(BpmnError):
    """The engine ran more steps than allowed in one change: the model loops without waiting."""

    def __init__(self, budget: int, element_id: str | None) -> None:
        self.budget = budget
        self.element_id = element_id
        super().__init__(
            f"the process ran {budget} steps without reaching a wait state"
            + (f" (last at {element_id})" if element_id else "")
            + "; it probably loops forever"
        )


class ExpressionError(BpmnError):
    """An expression (condition, assignee, timer, ...) could not be parsed or evaluated."""

    def __init__(self, expression: str, message: str, element_id: str | None = None) -> None:
        self.expression = expression
        self.message = message
        self.element_id = element_id
        super().__init__(f"expression {expression!r}: {message}")


class ScriptError(BpmnError):
    """A script failed or broke a sandbox rule; `line` is the line within the script."""

    def __init__(self, message: str, line: int | None = None, element_id: str | None = None) -> None:
        self.message = message
        self.line = line
        self.element_id = element_id
        super().__init__(message + (f" (script line {line})" if line else ""))


class TaskNotFound(TaskNotReady):
    """No task with this id exists in the instance (a stale link, or another instance's task)."""

    def __init__(self, task_id: str) -> None:
        super().__init__(task_id, "unknown")


class NestingTooDeep(StepBudgetExceeded):
    """Subprocesses or call activities nest deeper than allowed: most likely a call activity calls itself."""

    def __init__(self, depth: int, element_id: str | None) -> None:
        super().__init__(0, element_id)
        self.depth = depth
        self.args = (
            f"subprocesses nest {depth} levels deep"
            + (f" (at {element_id})" if element_id else "")
            + "; a call activity probably calls its own process",
        )


class TimeBudgetExceeded(StepBudgetExceeded):
    """The engine ran longer than allowed in one change, whatever the number of steps."""

    def __init__(self, seconds: float, steps: int, element_id: str | None) -> None:
        super().__init__(steps, element_id)
        self.seconds = seconds
        self.args = (
            f"the process ran {steps} steps in {seconds:g} s without reaching a wait state"
            + (f" (last at {element_id})" if element_id else "")
            + "; it probably loops forever",
        )


class SlaInvalid(BpmnError):
    """An SLA setting (due date, calendar, ladder step) cannot be read; `key` names the setting."""

    def __init__(self, key: str, value: str, message: str) -> None:
        self.key = key
        self.value = value
        self.message = message
        super().__init__(f"{key} = {value!r}: {message}")
