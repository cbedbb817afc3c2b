"""Check a submission against a FormSpec and turn it into typed values, with one message per bad field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from forms.errors import FormInvalid
from forms.spec import Field, FormSpec, Value
from forms.values import LONG_MAX, LONG_MIN, parse_boolean_text, parse_integer, parse_iso_date

REQUIRED = "This field is required."
WHOLE_NUMBER = "Enter a whole number."
TRUE_OR_FALSE = "Choose true or false."
DATE_FORMAT = "Use the format YYYY-MM-DD."
NOT_A_DAY = "Enter a real date in the format YYYY-MM-DD."
TEXT = "Enter text."
UPLOAD = "Upload a file."
NOT_A_DOCUMENT = "This is not an uploaded document; upload the file again."


class _Rejected(Exception):
    """A submitted value that does not fit its field; the message is for the person who typed it."""


def validate(spec: FormSpec, values: Mapping[str, Any], *, from_html: bool = False) -> dict[str, Any]:
    """Typed values for the fields of `spec`, or FormInvalid naming every bad field.

    The result holds each field that has a value: the submitted one, else its default. Readonly
    fields always take their default. Keys that are not fields of the form are dropped.
    With `from_html`, values are strings from an HTML form and an absent boolean means False.
    """
    result: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in spec.fields:
        if field.readonly:
            if field.default is not None:
                result[field.id] = field.default
            continue
        raw = values.get(field.id)
        if from_html and isinstance(raw, list | tuple):
            raw = raw[-1] if raw else None
        if from_html and field.type == "boolean" and _is_empty(raw):
            # An unchecked checkbox is not sent at all.
            result[field.id] = False
            continue
        if _is_empty(raw):
            if field.required:
                errors[field.id] = UPLOAD if field.type == "file" else REQUIRED
            elif field.default is not None:
                result[field.id] = field.default
            continue
        try:
            result[field.id] = _convert(field, raw, from_html)
        except _Rejected as rejected:
            errors[field.id] = str(rejected)
    if errors:
        raise FormInvalid(errors)
    return result


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _convert(field: Field, value: object, from_html: bool) -> Value:
    if field.type == "long":
        return _long(field, value, from_html)
    if field.type == "boolean":
        return _boolean(value, from_html)
    if field.type == "date":
        return _date(value)
    if field.type == "enum":
        return _enum(field, value)
    if field.type == "file":
        return _document_id(value)
    return _string(field, value)


def _document_id(value: object) -> int:
    """A file field holds the id of a stored document (the server checks that it exists)."""
    number = parse_integer(value, allow_text=True) if not isinstance(value, float) else None
    if number is None or number < 1 or number > LONG_MAX:
        raise _Rejected(NOT_A_DOCUMENT)
    return number


def _long(field: Field, value: object, from_html: bool) -> int:
    number = parse_integer(value, allow_text=from_html)
    if number is None:
        raise _Rejected(WHOLE_NUMBER)
    if field.minimum is not None and number < field.minimum:
        raise _Rejected(f"Must be at least {field.minimum}.")
    if field.maximum is not None and number > field.maximum:
        raise _Rejected(f"Must be at most {field.maximum}.")
    if not LONG_MIN <= number <= LONG_MAX:
        raise _Rejected("This number is too large." if number > 0 else "This number is too small.")
    return number


def _boolean(value: object, from_html: bool) -> bool:
    if isinstance(value, bool):
        return value
    if from_html and isinstance(value, str):
        flag = parse_boolean_text(value)
        if flag is not None:
            return flag
    raise _Rejected(TRUE_OR_FALSE)


def _date(value: object) -> str:
    if isinstance(value, datetime):
        raise _Rejected(DATE_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise _Rejected(DATE_FORMAT)
    iso = parse_iso_date(value)
    if iso is not None:
        return iso
    if _looks_iso(value):
        raise _Rejected(NOT_A_DAY)
    raise _Rejected(DATE_FORMAT)


def _looks_iso(value: str) -> bool:
    parts = value.strip().split("-")
    return [len(part) for part in parts] == [4, 2, 2] and all(part.isdigit() for part in parts)


def _enum(field: Field, value: object) -> str:
    for option in field.options:
        if value == option.id:
            return option.id
    raise _Rejected(f"Choose one of: {', '.join(field.option_names())}.")


def _string(field: Field, value: object) -> str:
    if not isinstance(value, str):
        raise _Rejected(TEXT)
    if field.minlength is not None and len(value) < field.minlength:
        raise _Rejected(f"Must be at least {_characters(field.minlength)}.")
    if field.maxlength is not None and len(value) > field.maxlength:
        raise _Rejected(f"Must be at most {_characters(field.maxlength)}.")
    return value


def _characters(count: int) -> str:
    return "1 character" if count == 1 else f"{count} characters"
