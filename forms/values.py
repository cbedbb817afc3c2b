"""Parsing of whole numbers, booleans and dates, shared by definitions and submissions."""

from __future__ import annotations

import re
from datetime import date, datetime

# Camunda's long is a Java long; values outside it cannot round-trip to Camunda-style clients.
LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1

_INTEGER = re.compile(r"[+-]?[0-9]+(\.0*)?")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# Camunda 7's default date pattern for form fields is dd/MM/yyyy.
_CAMUNDA_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")

TRUE_WORDS = frozenset({"true", "on", "1", "yes"})
FALSE_WORDS = frozenset({"false", "off", "0", "no"})


def parse_integer(value: object, *, allow_text: bool) -> int | None:
    """An int from an int, an integral float, or (if `allow_text`) a numeric string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if allow_text and isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text.split(".", 1)[0])
    return None


def parse_boolean_text(value: str) -> bool | None:
    """True/False for the usual words a form or a model writes; None for anything else."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def parse_iso_date(value: str) -> str | None:
    """The ISO date for a "YYYY-MM-DD" string naming a real day; else None."""
    match = _ISO_DATE.fullmatch(value.strip())
    if not match:
        return None
    return _make_date(int(match[1]), int(match[2]), int(match[3]))


def parse_model_date(value: object) -> str | None:
    """The ISO date for a default as a model writes it: ISO, Camunda's dd/MM/yyyy, or a date object."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    iso = parse_iso_date(value)
    if iso is not None:
        return iso
    match = _CAMUNDA_DATE.fullmatch(value.strip())
    if not match:
        return None
    return _make_date(int(match[3]), int(match[2]), int(match[1]))


def _make_date(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
