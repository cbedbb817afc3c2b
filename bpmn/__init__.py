"""Baton's engine layer over SpiffWorkflow: parse and validate models, run and serialize instances."""

from __future__ import annotations

from .bundle import Bundle, ProcessInfo, parse_bundle
from .definition import Definition
from .errors import (
    BpmnError,
    ExpressionError,
    ModelInvalid,
    NestingTooDeep,
    Problem,
    ScriptError,
    StepBudgetExceeded,
    TaskNotFound,
    TaskNotReady,
    TimeBudgetExceeded,
)
from .instance import Instance
from .stepping import DEFAULT_STEP_BUDGET, DEFAULT_TIME_BUDGET
from .tasks import Failure, HumanTask, Wait
from .xmlsafe import MAX_BYTES

ScriptFailure = Failure
"""The contract's name for what `Instance.failures()` returns."""

__all__ = [
    "DEFAULT_STEP_BUDGET",
    "DEFAULT_TIME_BUDGET",
    "MAX_BYTES",
    "BpmnError",
    "Bundle",
    "Definition",
    "ExpressionError",
    "Failure",
    "HumanTask",
    "Instance",
    "ModelInvalid",
    "NestingTooDeep",
    "Problem",
    "ProcessInfo",
    "ScriptError",
    "ScriptFailure",
    "StepBudgetExceeded",
    "TaskNotFound",
    "TaskNotReady",
    "TimeBudgetExceeded",
    "Wait",
    "parse_bundle",
]
