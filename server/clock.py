"""Time in one place: naive UTC datetimes in the database, ISO 8601 with Z on the wire."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_fixed: datetime | None = None  # set only by `frozen` (tests that move time by hand)


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what every timestamp column stores)."""
    if _fixed is not None:
        return _fixed
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Make `utcnow` answer `at` (naive UTC) inside the block: lets a test say exactly how long
    something took. Process-wide, so only for tests that run the app in their own thread."""
    global _fixed
    previous, _fixed = _fixed, to_utc_naive(at)
    try:
        yield
    finally:
        _fixed = previous


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, or None."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def to_utc_naive(value: datetime) -> datetime:
    """An aware or naive (taken as UTC) datetime as naive UTC."""
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value
