"""The `file` field type: its value is the id of an uploaded document; required means one was uploaded."""

from __future__ import annotations

from typing import Any

import pytest

import forms


def file_form(required: bool = True, **extra: Any) -> forms.FormSpec:
    constraints = [{"name": "required", "config": None}] if required else []
    return forms.form_from_fields(
        [{"id": "contract", "label": "Signed contract", "type": "file", "constraints": constraints, **extra}]
    )


def test_file_is_a_known_type() -> None:
    spec = file_form()
    field = spec.field("contract")
    assert field is not None and field.type == "file" and field.required
    assert spec.to_dict()["fields"][0]["type"] == "file"
    assert forms.FormSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize("value", [7, "7", " 7 "])
def test_a_document_id_is_the_value(value: Any) -> None:
    assert forms.validate(file_form(), {"contract": value}, from_html=True) == {"contract": 7}


def test_required_file_missing_asks_for_an_upload() -> None:
    with pytest.raises(forms.FormInvalid) as caught:
        forms.validate(file_form(), {}, from_html=True)
    assert caught.value.fields == {"contract": "Upload a file."}


def test_optional_file_may_be_left_out() -> None:
    assert forms.validate(file_form(required=False), {"contract": ""}, from_html=True) == {}


@pytest.mark.parametrize("value", ["contract.pdf", 0, -3, 2.5, True, {"id": 1}])
def test_anything_but_a_document_id_is_refused(value: Any) -> None:
    with pytest.raises(forms.FormInvalid) as caught:
        forms.validate(file_form(), {"contract": value})
    assert "upload" in caught.value.fields["contract"].lower()


def test_a_file_field_takes_no_default_or_length_limits() -> None:
    problems = forms.check_fields(
        [
            {"id": "a", "type": "file", "default": "x.pdf"},
            {"id": "b", "type": "file", "constraints": [{"name": "maxlength", "config": "3"}]},
        ]
    )
    assert [p.field_id for p in problems] == ["a", "b"]
    assert "cannot have a default" in problems[0].message
    assert "string fields" in problems[1].message
