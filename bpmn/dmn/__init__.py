"""DMN decisions for business rule tasks: FEEL (Camunda) and Python (SpiffArena) cells, every hit policy.

reader.py says how a file's dialect is chosen, feel.py which FEEL Baton runs, evaluate.py the hit
policies and required decisions, results.py how results land in task data (mapDecisionResult).
"""

from __future__ import annotations

from .catalog import DecisionCatalog
from .errors import CellSyntaxError, DecisionFailed, DmnError
from .evaluate import DecisionResult, decide
from .model import Decision
from .reader import read_decisions
from .task import DecisionTask, DecisionTaskConverter

__all__ = [
    "CellSyntaxError",
    "Decision",
    "DecisionCatalog",
    "DecisionFailed",
    "DecisionResult",
    "DecisionTask",
    "DecisionTaskConverter",
    "DmnError",
    "decide",
    "read_decisions",
]
