"""Baton's engine layer over SpiffWorkflow: parse and validate models, run and serialize instances."""

from __future__ import annotations

from .bundle import Bundle, ProcessInfo, parse_bundle
from .definition import Definition
from .delegates import Delegate, java_delegates
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
from .event_subprocesses import install as _install_event_subprocesses
from .instance import Instance
from .io_mapping import install as _install_io_mapping
from .joins import install as _install_join_merge
from .messages import ThrownMessage, message_starts, signal_starts
from .multi_instance import install as _install_multi_instance
from .retry import DEFAULT_RETRY, RetryCycleInvalid, RetryPolicy, parse_retry_cycle
from .services import ServiceTask, bind_params
from .stepping import DEFAULT_STEP_BUDGET, DEFAULT_TIME_BUDGET
from .steps import Step, Steps
from .tasks import Failure, HumanTask, Wait
from .timer_values import TimerValueError
from .timers import TimerStart, first_start, next_start, timer_starts
from .xmlsafe import MAX_BYTES

ScriptFailure = Failure
"""The contract's name for what `Instance.failures()` returns."""

_install_join_merge()
_install_event_subprocesses()
_install_io_mapping()
_install_multi_instance()

__all__ = [
    "DEFAULT_RETRY",
    "DEFAULT_STEP_BUDGET",
    "DEFAULT_TIME_BUDGET",
    "MAX_BYTES",
    "BpmnError",
    "Bundle",
    "Definition",
    "Delegate",
    "ExpressionError",
    "Failure",
    "HumanTask",
    "Instance",
    "ModelInvalid",
    "NestingTooDeep",
    "Problem",
    "ProcessInfo",
    "RetryCycleInvalid",
    "RetryPolicy",
    "ScriptError",
    "ScriptFailure",
    "ServiceTask",
    "Step",
    "StepBudgetExceeded",
    "Steps",
    "TaskNotFound",
    "TaskNotReady",
    "ThrownMessage",
    "TimeBudgetExceeded",
    "TimerStart",
    "TimerValueError",
    "Wait",
    "bind_params",
    "first_start",
    "java_delegates",
    "message_starts",
    "next_start",
    "parse_bundle",
    "parse_retry_cycle",
    "signal_starts",
    "timer_starts",
]
