"""JSON text out, fast: answers and saved instance states are written with orjson, falling back to
the standard library for what orjson refuses (integers beyond 64 bits), so nothing that wrote
before fails now.

Reading stays with the standard library: orjson reads integers beyond 64 bits as floats, and a
request or a saved state must come back exactly as it was written. The audit chain's canonical
JSON is untouched (its hashes depend on every byte).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

# Non-string keys become text (as the standard library does); dates, times and dataclasses go to the
# `default` function, so they come out as they did before.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def state_text(value: Any) -> str:
    """A JSON-able dict (an instance state) as compact text."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(value, separators=(",", ":"))


def column_text(value: Any) -> str:
    """A JSON column's value as stored: what `json.dumps(value, default=str)` means (dates, times,
    Decimal and the like as their text), written compactly."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(value, default=str, separators=(",", ":"))


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, written by orjson: the same values as Flask's own provider writes (dates and
    times as Flask formats them, dataclasses, Decimal, UUID), keys in the order written."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if set(kwargs) - {"separators"} or kwargs.get("separators", _COMPACT) != _COMPACT:
            return super().dumps(obj, **kwargs)  # indented (debug) or otherwise tuned: Flask's own
        options = _OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        try:
            return orjson.dumps(obj, default=self.default, option=options).decode()
        except TypeError:
            return super().dumps(obj)


_COMPACT = (",", ":")
