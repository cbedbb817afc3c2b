"""RQ job functions: module-level, enqueued by dotted path, run by the worker inside an app context.

Importing this module imports every module that registers a timer handler, so a worker knows them
all whatever imported it first: server.timer_sync ("bpmn", "start"), server.sla ("sla") and
server.services ("retry").
"""

from __future__ import annotations

import logging

from server import services, sla, timer_sync, timers

log = logging.getLogger(__name__)

HANDLER_MODULES = (timer_sync, sla, services)
"""The modules whose import registers timer handlers."""


def fire_timer(timer_id: int) -> str:
    """Fire timer `timer_id` if it is pending and due (a duplicate or early delivery does nothing)."""
    outcome = timers.fire(timer_id)
    log.debug("timer %s: %s", timer_id, outcome)
    return outcome
