"""validate: submissions from the JSON API and from HTML forms -> typed values, or a message per field."""

from __future__ import annotations

import datetime
import pickle
from typing import Any

import pytest

from forms import Field, FormInvalid, FormSpec, Option, validate

YES_NO = (Option("yes", "Yes"), Option("no", "No"))


def spec_of(**kwargs: Any) -> FormSpec:
    """A one-field form whose field is called "f"."""
    kwargs.setdefault("label", "F")
    if kwargs.get("type") == "enum":
        kwargs.setdefault("options", YES_NO)
    return FormSpec(fields=(Field(id="f", **kwargs),))


def typed(values: dict[str, Any]) -> dict[str, tuple[Any, type]]:
    """Values with their types, so that True and 1 (or 5 and 5.0) do not compare equal."""
    return {key: (value, type(value)) for key, value in values.items()}


def error_of(spec: FormSpec, values: dict[str, Any], *, from_html: bool) -> str:
    with pytest.raises(FormInvalid) as caught:
        validate(spec, values, from_html=from_html)
    assert list(caught.value.fields) == ["f"]
    return caught.value.fields["f"]


ACCEPTED = [
    # (field, submitted value, from_html, stored value)
    ({"type": "long"}, 5, False, 5),
    ({"type": "long"}, -3, False, -3),
    ({"type": "long"}, 5.0, False, 5),
    ({"type": "long"}, 0, False, 0),
    ({"type": "long"}, "5", True, 5),
    ({"type": "long"}, " 42 ", True, 42),
    ({"type": "long"}, "+7", True, 7),
    ({"type": "long"}, "-7", True, -7),
    ({"type": "long"}, "5.0", True, 5),
    ({"type": "long", "minimum": 1, "maximum": 10}, 1, False, 1),
    ({"type": "long", "minimum": 1, "maximum": 10}, "10", True, 10),
    ({"type": "long"}, 2**63 - 1, False, 2**63 - 1),
    ({"type": "boolean"}, True, False, True),
    ({"type": "boolean"}, False, False, False),
    ({"type": "boolean"}, "on", True, True),
    ({"type": "boolean"}, "true", True, True),
    ({"type": "boolean"}, "TRUE", True, True),
    ({"type": "boolean"}, "1", True, True),
    ({"type": "boolean"}, "yes", True, True),
    ({"type": "boolean"}, "off", True, False),
    ({"type": "boolean"}, "false", True, False),
    ({"type": "boolean"}, "0", True, False),
    ({"type": "boolean"}, "", True, False),
    ({"type": "date"}, "2024-02-29", False, "2024-02-29"),
    ({"type": "date"}, "2024-12-25", True, "2024-12-25"),
    ({"type": "date"}, " 2024-12-25 ", True, "2024-12-25"),
    ({"type": "date"}, datetime.date(2024, 1, 5), False, "2024-01-05"),
    ({"type": "enum"}, "yes", False, "yes"),
    ({"type": "enum"}, "no", True, "no"),
    ({"type": "string"}, "hello", False, "hello"),
    ({"type": "string"}, "  padded ", True, "  padded "),
    ({"type": "string", "minlength": 2, "maxlength": 3}, "ab", False, "ab"),
    ({"type": "string", "minlength": 2, "maxlength": 3}, "abc", True, "abc"),
]


@pytest.mark.parametrize(("field", "value", "from_html", "stored"), ACCEPTED)
def test_accepted_values_are_stored_typed(
    field: dict[str, Any], value: Any, from_html: bool, stored: Any
) -> None:
    assert typed(validate(spec_of(**field), {"f": value}, from_html=from_html)) == typed({"f": stored})


REJECTED = [
    # (field, submitted value, from_html, message)
    ({"type": "long"}, "5", False, "Enter a whole number."),
    ({"type": "long"}, True, False, "Enter a whole number."),
    ({"type": "long"}, False, False, "Enter a whole number."),
    ({"type": "long"}, 5.5, False, "Enter a whole number."),
    ({"type": "long"}, float("nan"), False, "Enter a whole number."),
    ({"type": "long"}, [5], False, "Enter a whole number."),
    ({"type": "long"}, "abc", True, "Enter a whole number."),
    ({"type": "long"}, "5.5", True, "Enter a whole number."),
    ({"type": "long"}, "1e3", True, "Enter a whole number."),
    ({"type": "long"}, "1_000", True, "Enter a whole number."),
    ({"type": "long"}, "٣", True, "Enter a whole number."),
    ({"type": "long", "minimum": 1}, 0, False, "Must be at least 1."),
    ({"type": "long", "minimum": 1}, "-4", True, "Must be at least 1."),
    ({"type": "long", "maximum": 10}, 11, False, "Must be at most 10."),
    ({"type": "long", "maximum": 10}, "11", True, "Must be at most 10."),
    ({"type": "long"}, 2**63, False, "This number is too large."),
    ({"type": "long"}, -(2**63) - 1, False, "This number is too small."),
    ({"type": "boolean"}, "true", False, "Choose true or false."),
    ({"type": "boolean"}, 1, False, "Choose true or false."),
    ({"type": "boolean"}, "maybe", True, "Choose true or false."),
    ({"type": "date"}, "25/12/2024", False, "Use the format YYYY-MM-DD."),
    ({"type": "date"}, "25/12/2024", True, "Use the format YYYY-MM-DD."),
    ({"type": "date"}, "2024-1-5", True, "Use the format YYYY-MM-DD."),
    ({"type": "date"}, "20240105", True, "Use the format YYYY-MM-DD."),
    ({"type": "date"}, "2024-W01-1", True, "Use the format YYYY-MM-DD."),
    ({"type": "date"}, "2024-01-05T10:00:00", False, "Use the format YYYY-MM-DD."),
    ({"type": "date"}, datetime.datetime(2024, 1, 5, 10, 0), False, "Use the format YYYY-MM-DD."),
    ({"type": "date"}, 20240105, False, "Use the format YYYY-MM-DD."),
    ({"type": "date"}, "2023-02-29", True, "Enter a real date in the format YYYY-MM-DD."),
    ({"type": "date"}, "2024-13-01", False, "Enter a real date in the format YYYY-MM-DD."),
    ({"type": "enum"}, "maybe", False, "Choose one of: Yes, No."),
    ({"type": "enum"}, "Yes", True, "Choose one of: Yes, No."),
    ({"type": "enum", "options": (Option("1", "One"),)}, 1, False, "Choose one of: One."),
    ({"type": "string"}, 5, False, "Enter text."),
    ({"type": "string"}, ["a"], False, "Enter text."),
    ({"type": "string"}, {"a": 1}, False, "Enter text."),
    ({"type": "string", "minlength": 3}, "ab", False, "Must be at least 3 characters."),
    ({"type": "string", "maxlength": 1}, "ab", True, "Must be at most 1 character."),
    ({"type": "string", "maxlength": 3}, "abcd", False, "Must be at most 3 characters."),
]


@pytest.mark.parametrize(("field", "value", "from_html", "message"), REJECTED)
def test_rejected_values_get_a_message(
    field: dict[str, Any], value: Any, from_html: bool, message: str
) -> None:
    assert error_of(spec_of(**field), {"f": value}, from_html=from_html) == message


@pytest.mark.parametrize("field_type", ["string", "long", "boolean", "date", "enum"])
@pytest.mark.parametrize("value", [None, "", "   ", "absent"])
def test_required_missing_or_empty_from_json(field_type: str, value: Any) -> None:
    values = {} if value == "absent" else {"f": value}
    spec = spec_of(type=field_type, required=True)
    assert error_of(spec, values, from_html=False) == "This field is required."


@pytest.mark.parametrize("field_type", ["string", "long", "date", "enum"])
@pytest.mark.parametrize("value", ["", "   ", "absent"])
def test_required_missing_or_empty_from_html(field_type: str, value: str) -> None:
    values = {} if value == "absent" else {"f": value}
    spec = spec_of(type=field_type, required=True)
    assert error_of(spec, values, from_html=True) == "This field is required."


@pytest.mark.parametrize("required", [True, False])
@pytest.mark.parametrize("default", [None, True])
def test_unchecked_checkbox_is_false(required: bool, default: bool | None) -> None:
    spec = spec_of(type="boolean", required=required, default=default)
    assert typed(validate(spec, {}, from_html=True)) == typed({"f": False})


DEFAULTS = [
    ("string", "x"),
    ("long", 3),
    ("boolean", True),
    ("boolean", False),
    ("date", "2024-01-01"),
    ("enum", "no"),
]


@pytest.mark.parametrize(
    ("field_type", "default", "from_html"),
    # From HTML an absent boolean is an unchecked checkbox (False), not a missing value.
    [(t, d, html) for t, d in DEFAULTS for html in (True, False) if not (t == "boolean" and html)],
)
@pytest.mark.parametrize("submitted", [{}, {"f": None}, {"f": ""}])
def test_optional_empty_takes_the_default(
    field_type: str, default: Any, from_html: bool, submitted: dict[str, Any]
) -> None:
    spec = spec_of(type=field_type, default=default)
    assert typed(validate(spec, submitted, from_html=from_html)) == typed({"f": default})


def test_blank_text_is_empty_not_too_short() -> None:
    assert validate(spec_of(type="string", minlength=3), {"f": "  "}) == {}


@pytest.mark.parametrize("field_type", ["string", "long", "boolean", "date", "enum"])
@pytest.mark.parametrize("submitted", [{}, {"f": None}, {"f": ""}])
def test_optional_empty_without_default_is_left_out(field_type: str, submitted: dict[str, Any]) -> None:
    assert validate(spec_of(type=field_type), submitted) == {}


@pytest.mark.parametrize(
    ("field_type", "default", "submitted"),
    [
        ("string", "fixed", "changed"),
        ("long", 3, 99),
        ("boolean", False, True),
        ("date", "2024-01-01", "2030-01-01"),
        ("enum", "no", "yes"),
        ("long", 3, "not even a number"),
    ],
)
@pytest.mark.parametrize("from_html", [True, False])
def test_readonly_fields_keep_their_default(
    field_type: str, default: Any, submitted: Any, from_html: bool
) -> None:
    spec = spec_of(type=field_type, readonly=True, default=default)
    assert typed(validate(spec, {"f": submitted}, from_html=from_html)) == typed({"f": default})


@pytest.mark.parametrize("from_html", [True, False])
def test_readonly_without_default_is_left_out_even_if_required(from_html: bool) -> None:
    spec = spec_of(type="boolean", readonly=True, required=True)
    assert validate(spec, {"f": True}, from_html=from_html) == {}


def test_unknown_keys_are_ignored() -> None:
    spec = spec_of(type="string")
    assert validate(spec, {"f": "a", "admin": True, "__class__": "x"}) == {"f": "a"}


def test_every_bad_field_is_reported_at_once() -> None:
    spec = FormSpec(
        fields=(
            Field("name", "Name", "string", required=True),
            Field("amount", "Amount", "long", minimum=1),
            Field("answer", "Answer", "enum", options=YES_NO),
            Field("due", "Due", "date"),
            Field("note", "Note", "string"),
        )
    )
    with pytest.raises(FormInvalid) as caught:
        validate(spec, {"amount": "0", "answer": "maybe", "due": "tomorrow", "note": "fine"}, from_html=True)
    assert caught.value.fields == {
        "name": "This field is required.",
        "amount": "Must be at least 1.",
        "answer": "Choose one of: Yes, No.",
        "due": "Use the format YYYY-MM-DD.",
    }


def test_a_whole_html_submission() -> None:
    spec = FormSpec(
        fields=(
            Field("amount", "Amount", "long", required=True, minimum=1),
            Field("urgent", "Urgent", "boolean"),
            Field("approved", "Approved", "boolean"),
            Field("due", "Due", "date"),
            Field("answer", "Answer", "enum", options=YES_NO, default="no"),
            Field("comment", "Comment", "string"),
            Field("status", "Status", "string", readonly=True, default="new"),
        )
    )
    form = {
        "amount": "250",
        "urgent": "on",
        "due": "2024-06-01",
        "answer": "",
        "comment": "",
        "csrf_token": "t",
    }
    assert typed(validate(spec, form, from_html=True)) == typed(
        {
            "amount": 250,
            "urgent": True,
            "approved": False,
            "due": "2024-06-01",
            "answer": "no",
            "status": "new",
        }
    )


def test_html_lists_take_the_last_value() -> None:
    assert validate(spec_of(type="long"), {"f": ["1", "2"]}, from_html=True) == {"f": 2}
    assert validate(spec_of(type="long"), {"f": []}, from_html=True) == {}


def test_validate_does_not_mutate_the_submission() -> None:
    values = {"f": "5", "other": 1}
    validate(spec_of(type="long"), values, from_html=True)
    assert values == {"f": "5", "other": 1}


def test_form_invalid_carries_fields_and_pickles() -> None:
    error = FormInvalid({"f": "This field is required."})
    copy = pickle.loads(pickle.dumps(error))
    assert copy.fields == {"f": "This field is required."}
    assert "f: This field is required." in str(copy)
