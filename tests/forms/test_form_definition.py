"""form_from_fields and check_fields: raw camunda:formData fields -> FormSpec, or the modeller's mistakes."""

from __future__ import annotations

from typing import Any

import pytest

from forms import Field, FormDefinitionError, FormSpec, Option, check_fields, form_from_fields

YES_NO = [("yes", "Yes"), ("no", "No")]


def raw_field(
    field_id: str,
    field_type: str | None = "string",
    *,
    label: str | None = None,
    default: Any = None,
    constraints: dict[str, str | None] | None = None,
    values: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """One field as bpmn/ hands it over from camunda:formData; `constraints` maps name -> config."""
    return {
        "id": field_id,
        "label": label,
        "type": field_type,
        "default": default,
        "constraints": [{"name": name, "config": config} for name, config in (constraints or {}).items()],
        "values": [{"id": option_id, "name": name} for option_id, name in values or []],
        "properties": {},
    }


def only_field(raw: dict[str, Any]) -> Field:
    spec = form_from_fields([raw])
    assert len(spec.fields) == 1
    return spec.fields[0]


def test_builds_every_type_in_order() -> None:
    spec = form_from_fields(
        [
            raw_field("name", "string", label="Your name"),
            raw_field("amount", "long"),
            raw_field("urgent", "boolean"),
            raw_field("due", "date"),
            raw_field("answer", "enum", values=YES_NO),
        ]
    )
    assert [(f.id, f.type) for f in spec.fields] == [
        ("name", "string"),
        ("amount", "long"),
        ("urgent", "boolean"),
        ("due", "date"),
        ("answer", "enum"),
    ]
    assert spec.fields[0].label == "Your name"
    assert spec.fields[4].options == (Option("yes", "Yes"), Option("no", "No"))


def test_empty_form() -> None:
    assert form_from_fields([]) == FormSpec()
    assert not form_from_fields([])


@pytest.mark.parametrize("label", [None, "", "   "])
def test_label_defaults_to_the_id(label: str | None) -> None:
    assert only_field(raw_field("amount", "long", label=label)).label == "amount"


@pytest.mark.parametrize("field_type", [None, ""])
def test_missing_type_is_a_text_field(field_type: str | None) -> None:
    assert only_field(raw_field("note", field_type)).type == "string"


def test_enum_option_name_defaults_to_its_id() -> None:
    raw = raw_field("answer", "enum")
    raw["values"] = [{"id": "a", "name": None}, {"id": "b"}]
    assert only_field(raw).options == (Option("a", "a"), Option("b", "b"))


@pytest.mark.parametrize(
    ("field_type", "constraints", "expected"),
    [
        ("string", {"required": None}, {"required": True}),
        ("string", {"required": ""}, {"required": True}),
        ("string", {"required": "true"}, {"required": True}),
        ("string", {"required": "false"}, {"required": False}),
        ("string", {"readonly": None}, {"readonly": True}),
        ("long", {"min": "1", "max": "10"}, {"minimum": 1, "maximum": 10}),
        ("long", {"min": "-5"}, {"minimum": -5, "maximum": None}),
        ("long", {"max": " 7 "}, {"maximum": 7}),
        ("string", {"minlength": "2", "maxlength": "20"}, {"minlength": 2, "maxlength": 20}),
        ("string", {"maxlength": "0"}, {"maxlength": 0}),
        ("boolean", {"required": None, "readonly": None}, {"required": True, "readonly": True}),
    ],
)
def test_constraints(field_type: str, constraints: dict[str, str | None], expected: dict[str, Any]) -> None:
    raw = raw_field("f", field_type, constraints=constraints)
    if field_type == "enum":
        raw["values"] = [{"id": "a", "name": "A"}]
    field = only_field(raw)
    assert {key: getattr(field, key) for key in expected} == expected


def test_no_constraints_means_optional_and_editable() -> None:
    field = only_field(raw_field("f", "long"))
    assert (field.required, field.readonly, field.minimum, field.maximum) == (False, False, None, None)


@pytest.mark.parametrize(
    ("field_type", "default", "expected"),
    [
        ("string", "hello", "hello"),
        ("string", 42, "42"),
        ("long", "5", 5),
        ("long", "-12", -12),
        ("long", 7, 7),
        ("long", 3.0, 3),
        ("boolean", "true", True),
        ("boolean", "false", False),
        ("boolean", "TRUE", True),
        ("boolean", True, True),
        ("date", "2024-12-25", "2024-12-25"),
        ("date", "25/12/2024", "2024-12-25"),
        ("date", "1/2/2024", "2024-02-01"),
        ("enum", "no", "no"),
        ("string", "", None),
        ("long", None, None),
        ("long", "${amount}", None),
        ("date", "#{today}", None),
    ],
)
def test_defaults_are_typed(field_type: str, default: Any, expected: Any) -> None:
    raw = raw_field("f", field_type, default=default, values=YES_NO if field_type == "enum" else None)
    assert only_field(raw).default == expected


def test_date_default_from_a_date_object() -> None:
    import datetime

    assert only_field(raw_field("d", "date", default=datetime.date(2024, 3, 1))).default == "2024-03-01"


@pytest.mark.parametrize(
    ("raw", "field_id", "words"),
    [
        (raw_field("f", "double"), "f", ["Unknown type 'double'", "string, long, boolean, date, enum"]),
        (raw_field("f", "long", constraints={"min": "abc"}), "f", ["min", "whole number", "'abc'"]),
        (raw_field("f", "long", constraints={"max": "1.5"}), "f", ["max", "whole number"]),
        (raw_field("f", "long", constraints={"min": None}), "f", ["min", "not nothing"]),
        (raw_field("f", "long", constraints={"min": "10", "max": "1"}), "f", ["min", "greater than max"]),
        (raw_field("f", "string", constraints={"minlength": "-1"}), "f", ["minlength", "0 or more"]),
        (raw_field("f", "string", constraints={"minlength": "5", "maxlength": "2"}), "f", ["greater than"]),
        (raw_field("f", "string", constraints={"min": "1"}), "f", ["min", "long fields", "not string"]),
        (raw_field("f", "date", constraints={"max": "1"}), "f", ["max", "long fields"]),
        (raw_field("f", "long", constraints={"maxlength": "3"}), "f", ["maxlength", "string fields"]),
        (raw_field("f", "string", constraints={"validator": "x.Y"}), "f", ["Unknown constraint 'validator'"]),
        (raw_field("f", "string", constraints={"required": "maybe"}), "f", ["required", "'maybe'"]),
        (raw_field("f", "long", default="abc"), "f", ["default 'abc'", "whole number"]),
        (raw_field("f", "long", default="5.5"), "f", ["default '5.5'"]),
        (raw_field("f", "boolean", default="perhaps"), "f", ["true or false"]),
        (raw_field("f", "date", default="2024-02-30"), "f", ["not a date", "YYYY-MM-DD"]),
        (raw_field("f", "date", default="12-25-2024"), "f", ["not a date"]),
        (raw_field("f", "enum", values=YES_NO, default="maybe"), "f", ["'maybe'", "yes, no"]),
        (raw_field("f", "enum"), "f", ["at least one value"]),
        (raw_field("", "string"), None, ["no id"]),
        (raw_field("   ", "string"), None, ["no id"]),
    ],
)
def test_bad_definitions_name_the_field(raw: dict[str, Any], field_id: str | None, words: list[str]) -> None:
    with pytest.raises(FormDefinitionError) as caught:
        form_from_fields([raw_field("fine", "string"), raw])
    assert caught.value.field_id == field_id
    for word in words:
        assert word in caught.value.message
    if field_id:
        assert f"'{field_id}'" in str(caught.value)


def test_enum_value_problems() -> None:
    raw = raw_field("pick", "enum")
    raw["values"] = [{"id": "a", "name": "A"}, {"id": "a", "name": "Again"}, {"id": "", "name": "Blank"}]
    messages = [problem.message for problem in check_fields([raw])]
    assert len(messages) == 2
    assert "'a' is listed twice" in messages[0]
    assert "no id" in messages[1]


def test_duplicate_field_ids() -> None:
    problems = check_fields([raw_field("amount", "long"), raw_field("amount", "string")])
    assert [(p.field_id, "Two fields" in p.message) for p in problems] == [("amount", True)]


def test_check_fields_reports_every_problem_at_once() -> None:
    problems = check_fields(
        [
            raw_field("ok", "string"),
            raw_field("a", "money"),
            raw_field("b", "long", constraints={"min": "x", "max": "y"}, default="z"),
            raw_field("c", "enum"),
        ]
    )
    assert [p.field_id for p in problems] == ["a", "b", "b", "b", "c"]


def test_check_fields_is_empty_for_a_good_form() -> None:
    assert check_fields([raw_field("a", "long", constraints={"min": "1"}, default="${x}")]) == []


def test_form_from_fields_does_not_mutate_its_input() -> None:
    raw = raw_field("d", "date", default="25/12/2024", constraints={"required": None})
    before = repr(raw)
    form_from_fields([raw])
    assert repr(raw) == before


def test_definition_error_round_trips_through_pickle() -> None:
    import pickle

    error = FormDefinitionError("f", "Bad.")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.field_id, copy.message, str(copy)) == ("f", "Bad.", "Form field 'f': Bad.")
    assert error.to_dict() == {"field": "f", "message": "Bad."}
