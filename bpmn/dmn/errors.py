"""Errors of the decision engine: a cell that does not parse, a decision that cannot decide."""

from __future__ import annotations

from ..errors import BpmnError


class DmnError(BpmnError):
    """Base of the errors the decision engine raises on purpose."""


class FeelFailure(DmnError):
    """A FEEL evaluation rule was broken (the message says which); callers add the cell it came from."""


class CellSyntaxError(DmnError):
    """A cell (FEEL or Python) does not parse; `message` says where in the cell."""

    def __init__(self, text: str, message: str) -> None:
        self.text = text
        self.message = message
        super().__init__(f"{text!r}: {message}")


class DecisionFailed(DmnError):
    """A decision could not produce its result at run time (no input, UNIQUE broken, ...).

    The message names the decision and, where there is one, the rule; the task fails with it.
    """

    def __init__(self, decision_id: str, message: str, rule_ids: tuple[str, ...] = ()) -> None:
        self.decision_id = decision_id
        self.rule_ids = rule_ids
        self.message = message
        super().__init__(f"decision '{decision_id}': {message}")
