"""Retry policies of service tasks: `camunda:failedJobRetryTimeCycle`, SpiffArena's retries, a default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import isodate

from .errors import BpmnError

MAX_ATTEMPTS = 100
"""More attempts than this in a model is taken for a typo."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try a service call in all, and how long to wait before each retry.

    `intervals[i]` is the wait in seconds after failed attempt i+1; the last one repeats when the
    list is shorter than the attempts need.
    """

    max_attempts: int
    intervals: tuple[float, ...]

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based) before the next one."""
        if not self.intervals:
            return 0.0
        return self.intervals[min(max(attempt, 1), len(self.intervals)) - 1]

    def to_dict(self) -> dict[str, Any]:
        return {"max_attempts": self.max_attempts, "intervals": list(self.intervals)}


DEFAULT_RETRY = RetryPolicy(max_attempts=3, intervals=(10.0, 60.0))
"""When the model says nothing: three attempts, 10 s then 60 s apart."""


class RetryCycleInvalid(BpmnError):
    """A retry cycle that cannot be read; the message says what is expected."""


def _seconds(text: str, cycle: str) -> float:
    try:
        duration: Any = isodate.parse_duration(text.strip())
    except (isodate.ISO8601Error, ValueError):
        raise RetryCycleInvalid(
            f"retry cycle {cycle!r}: {text.strip()!r} is not an ISO 8601 duration such as PT10S or PT5M"
        ) from None
    if not isinstance(duration, timedelta):  # months or years: count them from now
        duration = duration.totimedelta(start=datetime(2000, 1, 1))
    return max(0.0, float(duration.total_seconds()))


def parse_retry_cycle(cycle: str) -> RetryPolicy:
    """Read Camunda's failedJobRetryTimeCycle.

    `R3/PT10S`: three attempts in all, 10 s apart (Camunda's meaning: the first run counts).
    `PT10S,PT1M,PT5M`: one attempt, then one more after each interval (four in all).
    """
    text = cycle.strip()
    if text.upper().startswith("R") and "/" in text:
        count, _, interval = text.partition("/")
        try:
            attempts = int(count[1:])
        except ValueError:
            raise RetryCycleInvalid(f"retry cycle {cycle!r}: expected R<count>/<duration>, e.g. R3/PT10S") \
                from None
        if not 1 <= attempts <= MAX_ATTEMPTS:
            raise RetryCycleInvalid(f"retry cycle {cycle!r}: the count must be between 1 and {MAX_ATTEMPTS}")
        return RetryPolicy(attempts, (_seconds(interval, cycle),))
    intervals = tuple(_seconds(part, cycle) for part in text.split(",") if part.strip())
    if not intervals or len(intervals) >= MAX_ATTEMPTS:
        raise RetryCycleInvalid(f"retry cycle {cycle!r}: expected R3/PT10S or a list like PT10S,PT1M")
    return RetryPolicy(len(intervals) + 1, intervals)


def spiff_retry(retries: Any, backoff_base: Any) -> RetryPolicy | None:
    """SpiffArena's `retries` / `retryBackoffBase` (seconds, doubling): None when unset."""
    if retries in (None, ""):
        return None
    try:
        count = int(retries)
        base = float(backoff_base) if backoff_base not in (None, "") else DEFAULT_RETRY.intervals[0]
    except (TypeError, ValueError):
        raise RetryCycleInvalid(f"retries {retries!r} / backoff {backoff_base!r} are not numbers") from None
    count = max(0, min(count, MAX_ATTEMPTS - 1))
    return RetryPolicy(count + 1, tuple(base * 2**i for i in range(count)) or (0.0,))
