"""Check a submission against a FormSpec and turn it into typed values, with one message per bad field."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from forms.errors import FormInvalid
from forms.spec import Field, FormSpec, Number, Value
from forms.values import LONG_MAX, LONG_MIN, parse_boolean_text, parse_integer, parse_iso_date

REQUIRED = "This field is required."
WHOLE_NUMBER = "Enter a whole number."
TRUE_OR_FALSE = "Choose true or false."
DATE_FORMAT = "Use the format YYYY-MM-DD."
NOT_A_DAY = "Enter a real date in the format YYYY-MM-DD."
TEXT = "Enter text."
UPLOAD = "Upload a file."
NOT_A_DOCUMENT = "This is not an uploaded document; upload the file again."
NUMBER = "Enter a number."
EMAIL = "Enter an e-mail address, like name@example.org."
PATTERN = "This does not have the expected format."
NOTHING_TO_CHOOSE = "There is nothing to choose from here; tell the people who run this process."
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


class _Rejected(Exception):
    """A submitted value that does not fit its field; the message is for the person who typed it."""


def validate(spec: FormSpec, values: Mapping[str, Any], *, from_html: bool = False) -> dict[str, Any]:
    """Typed values for the fields of `spec`, or FormInvalid naming every bad field.

    The result holds each field that has a value: the submitted one, else its default. Readonly
    and hidden fields always take their default. Keys that are not fields of the form are dropped,
    unless the spec keeps other values (then they pass as they are, except from an HTML form).
    With `from_html`, values are strings from an HTML form and an absent boolean means False.
    A nested field (JSON Schema object) is read from the nested object or from its dotted id, and
    its value is put back nested.
    """
    result: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if spec.keeps_other_values and not from_html:
        result.update(values)
    for field in spec.fields:
        if field.readonly or field.hidden:
            if field.default is not None:
                _put(result, field, field.default)
            continue
        raw = _read(values, field)
        if from_html and isinstance(raw, list | tuple) and not field.multiple:
            raw = raw[-1] if raw else None
        if from_html and field.type == "boolean" and _is_empty(raw):
            # An unchecked checkbox is not sent at all.
            _put(result, field, False)
            continue
        if _is_empty(raw):
            if field.required:
                errors[field.id] = UPLOAD if field.type == "file" else REQUIRED
            elif field.default is not None:
                _put(result, field, field.default)
            continue
        try:
            _put(result, field, _convert(field, raw, from_html))
        except _Rejected as rejected:
            errors[field.id] = str(rejected)
    if errors:
        raise FormInvalid(errors)
    return result


def _read(values: Mapping[str, Any], field: Field) -> Any:
    if len(field.path) > 1:
        here: Any = values
        for part in field.path:
            here = here.get(part) if isinstance(here, Mapping) else None
        if here is not None:
            return here
    return values.get(field.id)


def _put(result: dict[str, Any], field: Field, value: Value) -> None:
    if len(field.path) <= 1:
        result[field.id] = value
        return
    if field.id in result and field.id not in field.path:
        del result[field.id]  # a dotted key kept from the submission moves to its nested place
    here = result
    for part in field.path[:-1]:
        inner = here.get(part)
        here[part] = inner = dict(inner) if isinstance(inner, Mapping) else {}
        here = inner
    here[field.path[-1]] = value


def _is_empty(value: object) -> bool:
    if isinstance(value, list | tuple):
        return not any(not _is_empty(item) for item in value)
    return value is None or (isinstance(value, str) and not value.strip())


def _convert(field: Field, value: object, from_html: bool) -> Value:
    if field.type == "enum" and field.multiple:
        return _choices(field, value)
    if field.type == "number":
        return _number(field, value, from_html)
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


def _number(field: Field, value: object, from_html: bool) -> Number:
    number: Number | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    elif from_html and isinstance(value, str):
        number = _number_text(value.strip())
    if number is None or (isinstance(number, float) and not math.isfinite(number)):
        raise _Rejected(NUMBER)
    _check_range(field, number)
    return number


def _number_text(text: str) -> Number | None:
    """A number typed into a form: whole numbers stay int, others are float."""
    if re.fullmatch(r"[+-]?[0-9]+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return None


def _check_range(field: Field, number: Number) -> None:
    if field.minimum is not None and number < field.minimum:
        raise _Rejected(f"Must be at least {field.minimum}.")
    if field.maximum is not None and number > field.maximum:
        raise _Rejected(f"Must be at most {field.maximum}.")


def _choices(field: Field, value: object) -> list[str]:
    picked = [value] if isinstance(value, str) else value
    if not isinstance(picked, list | tuple):
        raise _Rejected(f"Choose from: {', '.join(field.option_names())}.")
    ids = [option.id for option in field.options]
    chosen: list[str] = []
    for item in picked:
        if _is_empty(item):
            continue
        if item not in ids:
            raise _Rejected(f"Choose from: {', '.join(field.option_names())}.")
        if item not in chosen:
            chosen.append(item)
    if field.required and not chosen:
        raise _Rejected(REQUIRED)
    if field.min_items is not None and len(chosen) < field.min_items:
        raise _Rejected(f"Choose at least {field.min_items}.")
    if field.max_items is not None and len(chosen) > field.max_items:
        raise _Rejected(f"Choose at most {field.max_items}.")
    return sorted(chosen, key=ids.index)


def _enum(field: Field, value: object) -> str:
    if not field.options:
        raise _Rejected(NOTHING_TO_CHOOSE)
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
    if field.format == "email" and not _EMAIL.fullmatch(value.strip()):
        raise _Rejected(EMAIL)
    if field.pattern is not None and re.search(field.pattern, value) is None:
        raise _Rejected(field.pattern_message or PATTERN)
    return value


def _characters(count: int) -> str:
    return "1 character" if count == 1 else f"{count} characters"
