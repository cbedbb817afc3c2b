"""Event parsers SpiffWorkflow 3.2 lacks: signal end events (it reads them as plain end events)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
)
from SpiffWorkflow.spiff.parser.event_parsers import SpiffEndEventParser


class BatonEndEventParser(SpiffEndEventParser):  # type: ignore[misc]
    """End events, signal end events included: they broadcast their signal as the branch ends."""

    def create_task(self) -> Any:
        task = self._create_task(self.get_event_definition(
            [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, CANCEL_EVENT_XPATH, ERROR_EVENT_XPATH,
             ESCALATION_EVENT_XPATH, TERMINATION_EVENT_XPATH]))
        task.connect(self.spec.end)
        return task
