"""How erased audit values read for people, on every page that shows them (instance timeline, task
page, audit page, progress timeline): "Erased on <date> by <admin> (record #N)"."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any

from server.audit import ERASED_ACTOR

ERASED_ACTOR_TEXT = "name erased"
"""Who did an event whose actor was erased, as a person reads it."""


def erased_text(marker: Mapping[str, Any]) -> str:
    """An erasure marker (server/audit_erasure.py) in words: when, by whom, and the `data_erased`
    event that records it (its number in the instance's audit trail)."""
    when = str(marker.get("at") or "")
    with suppress(ValueError):
        when = datetime.fromisoformat(when).strftime("%Y-%m-%d %H:%M UTC")
    text = "Erased" + (f" on {when}" if when else "") + (f" by {marker['by']}" if marker.get("by") else "")
    record = marker.get("record")
    return text + (f" (record #{record})" if record else "")


def actor_words(actor: str | None) -> str | None:
    """An event's actor, with an erased one as readable words; None stays None (the engine)."""
    return ERASED_ACTOR_TEXT if actor == ERASED_ACTOR else actor
