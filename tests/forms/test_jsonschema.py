"""SpiffArena JSON Schema forms: conversion to a FormSpec, definition problems, and validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from forms import (
    SPIFFARENA,
    FormDefinitionError,
    FormInvalid,
    FormSpec,
    check_schema,
    form_from_fields,
    form_from_schema,
    validate,
)


def obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or [], **extra}


def one(field: dict[str, Any], ui: dict[str, Any] | None = None, required: bool = False) -> Any:
    spec = form_from_schema(obj({"f": field}, ["f"] if required else []), {"f": ui} if ui else None)
    [only] = spec.fields
    return only


def problems(schema: Any, ui: Any = None) -> list[str]:
    return [str(p) for p in check_schema(schema, ui)]


# --- conversion -------------------------------------------------------------------------------


def test_text_field_with_title_default_lengths_and_required() -> None:
    field = one(
        {"type": "string", "title": "Name", "default": "Ada", "minLength": 2, "maxLength": 9}, required=True
    )
    assert (field.id, field.label, field.type, field.required, field.default) == (
        "f",
        "Name",
        "string",
        True,
        "Ada",
    )
    assert (field.minlength, field.maxlength) == (2, 9)


def test_label_falls_back_to_the_property_name_and_ui_title_wins() -> None:
    assert one({"type": "string"}).label == "f"
    assert one({"type": "string", "title": "T"}, {"ui:title": "Shown"}).label == "Shown"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "format": "date"}, "date"),
        ({"type": "string", "format": "data-url"}, "file"),
        ({"type": "integer"}, "long"),
        ({"type": "number"}, "number"),
        ({"type": "boolean"}, "boolean"),
        ({"type": "string", "enum": ["a", "b"]}, "enum"),
        ({"enum": ["a", "b"]}, "enum"),
        ({"type": ["string", "null"]}, "string"),
    ],
)
def test_types_map_to_field_types(schema: dict[str, Any], expected: str) -> None:
    assert one(schema).type == expected


def test_email_format_is_kept_for_validation() -> None:
    assert one({"type": "string", "format": "email"}).format == "email"
    assert one({"type": "string"}, {"ui:widget": "email"}).format == "email"


def test_enum_values_are_their_own_labels() -> None:
    field = one({"type": "string", "enum": ["Personal", "Large"]})
    assert [(o.id, o.name) for o in field.options] == [("Personal", "Personal"), ("Large", "Large")]


@pytest.mark.parametrize("key", ["oneOf", "anyOf"])
def test_one_of_with_titles_gives_labelled_choices(key: str) -> None:
    field = one(
        {"type": "string", key: [{"const": "a", "title": "Apple"}, {"enum": ["b"], "title": "Banana"}]}
    )
    assert [(o.id, o.name) for o in field.options] == [("a", "Apple"), ("b", "Banana")]


def test_array_of_enum_is_a_multiple_choice_with_item_limits() -> None:
    field = one(
        {
            "type": "array",
            "uniqueItems": True,
            "minItems": 1,
            "maxItems": 2,
            "items": {"type": "string", "enum": ["x", "y", "z"]},
        }
    )
    assert (field.type, field.multiple, field.widget, field.min_items, field.max_items) == (
        "enum",
        True,
        "checkboxes",
        1,
        2,
    )


def test_integer_and_number_limits() -> None:
    assert (one({"type": "integer", "minimum": 1, "maximum": 5}).minimum, 5) == (1, 5)
    number = one({"type": "number", "minimum": 0.5, "maximum": 9.75})
    assert (number.minimum, number.maximum) == (0.5, 9.75)


def test_ui_schema_widgets_help_placeholder_readonly() -> None:
    field = one(
        {"type": "string", "description": "Say why."},
        {"ui:widget": "textarea", "ui:help": "Two lines.", "ui:placeholder": "Because", "ui:readonly": True},
    )
    assert (field.widget, field.help, field.placeholder, field.readonly) == (
        "textarea",
        "Say why. Two lines.",
        "Because",
        True,
    )
    assert one({"type": "string", "readOnly": True}).readonly
    assert one({"type": "string"}, {"ui:widget": "hidden"}).hidden


@pytest.mark.parametrize(
    ("schema", "widget", "kept"),
    [
        ({"type": "string", "enum": ["a"]}, "radio", "radio"),
        ({"type": "boolean"}, "radio", "radio"),
        ({"type": "string"}, "radio", None),  # a radio group needs choices: the usual input instead
        ({"type": "integer"}, "updown", None),
        ({"type": "string"}, "some-custom-widget", None),
        ({"type": "string"}, "password", "password"),
    ],
)
def test_widgets_apply_only_where_they_fit(schema: dict[str, Any], widget: str, kept: str | None) -> None:
    assert one(schema, {"ui:widget": widget}).widget == kept


def test_ui_order_with_and_without_a_star() -> None:
    schema = obj({name: {"type": "string"} for name in ("a", "b", "c", "d")})
    assert [f.id for f in form_from_schema(schema, {"ui:order": ["c", "*", "a"]}).fields] == [
        "c",
        "b",
        "d",
        "a",
    ]
    assert [f.id for f in form_from_schema(schema, {"ui:order": ["d", "b"]}).fields] == ["d", "b", "a", "c"]
    assert [f.id for f in form_from_schema(schema, {"ui:order": ["zz", "b", "*"]}).fields] == [
        "b",
        "a",
        "c",
        "d",
    ]


def test_nested_objects_are_flattened_with_dotted_ids_and_their_own_required_list() -> None:
    schema = obj(
        {
            "who": obj(
                {"name": {"type": "string", "title": "Name"}, "age": {"type": "integer"}},
                ["name"],
                title="Person",
            )
        }
    )
    spec = form_from_schema(schema, {"who": {"ui:order": ["age", "*"], "age": {"ui:help": "Years"}}})
    assert [(f.id, f.path, f.label, f.required) for f in spec.fields] == [
        ("who.age", ("who", "age"), "Person: age", False),
        ("who.name", ("who", "name"), "Person: Name", True),
    ]
    assert spec.fields[0].help == "Years"


def test_form_description_and_null_fields() -> None:
    spec = form_from_schema(
        obj({"note": {"type": "null", "title": "Just a heading"}}, description=" Read me ")
    )
    assert spec.description == "Read me" and spec.fields == ()


def test_choices_from_task_data_are_accepted_before_the_task_opens() -> None:
    field = one({"type": "string", "anyOf": ["options_from_task_data_var:fruits"]})
    assert field.type == "enum" and field.options == ()


def test_defaults_of_each_type() -> None:
    assert one({"type": "integer", "default": 83}).default == 83
    assert one({"type": "number", "default": 2.5}).default == 2.5
    assert one({"type": "boolean", "default": False}).default is False
    assert one({"type": "string", "format": "date", "default": "2024-02-29"}).default == "2024-02-29"
    assert one({"type": "array", "items": {"enum": ["a", "b"]}, "default": ["b"]}).default == ["b"]


def test_spec_round_trips_through_json() -> None:
    schema = obj(
        {
            "a": {"type": "array", "items": {"enum": ["x", "y"]}, "minItems": 1},
            "b": obj({"c": {"type": "number", "minimum": 0.5}}),
            "d": {"type": "string", "format": "email", "pattern": "^a", "validationErrorMessage": "A!"},
        },
        description="D",
    )
    spec = form_from_schema(schema, {"d": {"ui:widget": "textarea", "ui:placeholder": "p"}})
    assert FormSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_camunda_forms_stay_as_they_were() -> None:
    data = form_from_fields([{"id": "n", "type": "long"}]).to_dict()["fields"][0]
    assert set(data) == {
        "id",
        "label",
        "type",
        "required",
        "default",
        "readonly",
        "minimum",
        "maximum",
        "minlength",
        "maxlength",
    }
    with pytest.raises(FormDefinitionError, match="Unknown type 'number'"):
        form_from_fields([{"id": "n", "type": "number"}])


def test_stored_record_dispatch() -> None:
    record = {"kind": SPIFFARENA, "schema": obj({"a": {"type": "string"}}), "ui_schema": None}
    assert [f.id for f in form_from_fields([record]).fields] == ["a"]
    bare = form_from_fields([{"kind": SPIFFARENA, "schema": None, "instructions": "Hi"}])
    assert bare.keeps_other_values and not bare.fields


# --- definition problems ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "array"}, 'type must be "object"'),
        (
            obj({"a": {"type": "array", "items": {"type": "object"}}}),
            "Lists are supported as multiple choices only",
        ),
        (
            obj({"a": {"type": "array", "items": {"type": "string"}}}),
            "Lists are supported as multiple choices only",
        ),
        (obj({"a": {"type": "string"}}, allOf=[{"if": {}}]), "'allOf' is not supported"),
        (obj({"a": {"$ref": "#/definitions/x"}}), "'$ref' is not supported"),
        (obj({"a": {"title": "no type"}}), "has no type"),
        (obj({"a": {"type": "money"}}), "Unknown type 'money'"),
        (obj({"a": {"type": ["string", "integer"]}}), "one type"),
        (obj({"a": {"type": "integer", "enum": [1, 2]}}), "Choices must be text values"),
        (obj({"a": {"type": "string", "enum": []}}), "at least one value"),
        (obj({"a": {"type": "string", "enum": ["x", "x"]}}), "listed twice"),
        (obj({"a": {"type": "string", "oneOf": [{"title": "no const"}]}}), 'needs a text "const"'),
        (obj({"a": {"type": "integer", "minimum": 5, "maximum": 1}}), "greater than 'maximum'"),
        (obj({"a": {"type": "integer", "minimum": 1.5}}), "whole number"),
        (obj({"a": {"type": "string", "minimum": 1}}), "applies to integer and number"),
        (
            obj({"a": {"type": "integer", "exclusiveMinimum": 0}}),
            "'exclusiveMinimum' is not supported; use 'minimum'",
        ),
        (obj({"a": {"type": "string", "minLength": -1}}), "'minLength' must be a whole number"),
        (obj({"a": {"type": "string", "pattern": "("}}), "'pattern' is not a regular expression"),
        (obj({"a": {"type": "integer", "default": "ten"}}), "does not fit this integer field"),
        (obj({"a": {"type": "string", "enum": ["x"], "default": "y"}}), "does not fit this choice field"),
        (
            obj({"a": {"type": "string", "format": "date", "default": "29/02/2024"}}),
            "not a date written YYYY-MM-DD",
        ),
        (obj({"a": {"type": "string", "format": "data-url", "default": "x"}}), "cannot have a default"),
        (obj({"a.b": {"type": "string"}}), "must not be empty or contain dots"),
        (obj({"a": "string"}), "must be a JSON object"),
        ({"type": "object", "properties": [], "required": []}, "'properties' must be an object"),
        ({"type": "object", "properties": {}, "required": "a"}, "'required' must be a list"),
        ([1, 2], "The form schema must be a JSON object"),
    ],
)
def test_definition_problems_name_the_field(schema: Any, message: str) -> None:
    found = problems(schema)
    assert any(message in p for p in found), found


def test_problems_of_nested_fields_use_the_dotted_id() -> None:
    [problem] = check_schema(obj({"addr": obj({"zip": {"type": "integer", "maximum": "x"}})}))
    assert problem.field_id == "addr.zip"


def test_ui_schema_must_be_an_object() -> None:
    assert problems(obj({}), ["x"]) == ["Form field: The UI schema must be a JSON object."]


def test_a_usable_form_has_no_problems() -> None:
    assert problems(obj({"a": {"type": "string"}}), {"a": {"ui:widget": "textarea"}}) == []


def test_form_from_schema_raises_the_first_problem() -> None:
    with pytest.raises(FormDefinitionError, match="no type"):
        form_from_schema(obj({"a": {}}))


# --- validation ---------------------------------------------------------------------------------

PIZZA = form_from_schema(
    obj(
        {
            "size": {"type": "string", "enum": ["Personal", "Medium", "Large"]},
            "toppings": {
                "type": "array",
                "minItems": 1,
                "maxItems": 3,
                "items": {"enum": ["Ham", "Olives", "Onions", "Feta"]},
            },
            "slices": {"type": "integer", "minimum": 4, "maximum": 12, "default": 8},
            "tip": {"type": "number", "minimum": 0},
            "email": {"type": "string", "format": "email"},
            "phone": {
                "type": "string",
                "pattern": "^[0-9 ]+$",
                "validationErrorMessage": "Digits and spaces only.",
            },
            "when": {"type": "string", "format": "date"},
            "extra_cheese": {"type": "boolean"},
            "address": obj({"street": {"type": "string"}, "city": {"type": "string"}}, ["city"]),
        },
        ["size", "toppings"],
    )
)


def errors_of(values: dict[str, Any], *, from_html: bool = False) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        validate(PIZZA, values, from_html=from_html)
    return caught.value.fields


GOOD = {"size": "Large", "toppings": ["Olives", "Ham"], "address": {"city": "Ghent"}}


def test_valid_json_submission_is_typed_and_nested() -> None:
    result = validate(PIZZA, {**GOOD, "tip": 2.5, "email": "a@b.org", "when": "2024-05-01", "other": 1})
    assert result == {
        "size": "Large",
        "toppings": ["Ham", "Olives"],
        "slices": 8,
        "tip": 2.5,
        "email": "a@b.org",
        "when": "2024-05-01",
        "address": {"city": "Ghent"},
    }


def test_nested_values_may_come_as_dotted_keys() -> None:
    result = validate(
        PIZZA, {"size": "Medium", "toppings": ["Feta"], "address.city": "Bruges", "address.street": "Markt 1"}
    )
    assert result["address"] == {"city": "Bruges", "street": "Markt 1"} and "address.city" not in result


def test_html_submission_with_check_boxes_and_text_numbers() -> None:
    result = validate(
        PIZZA,
        {
            "size": ["Large"],
            "toppings": ["Ham", "Onions"],
            "slices": "6",
            "tip": "1.25",
            "address.city": "Ghent",
            "extra_cheese": "true",
        },
        from_html=True,
    )
    assert (result["toppings"], result["slices"], result["tip"], result["extra_cheese"]) == (
        ["Ham", "Onions"],
        6,
        1.25,
        True,
    )
    one_box = validate(PIZZA, {"size": "Large", "toppings": "Ham", "address.city": "x"}, from_html=True)
    assert one_box["toppings"] == ["Ham"] and one_box["extra_cheese"] is False


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"size": "Huge"}, "size", "Choose one of: Personal, Medium, Large."),
        ({"toppings": []}, "toppings", "This field is required."),
        ({"toppings": ["Pineapple"]}, "toppings", "Choose from: Ham, Olives, Onions, Feta."),
        ({"toppings": ["Ham", "Olives", "Onions", "Feta"]}, "toppings", "Choose at most 3."),
        ({"toppings": "Ham,Olives"}, "toppings", "Choose from"),
        ({"toppings": {"a": 1}}, "toppings", "Choose from"),
        ({"slices": 2}, "slices", "Must be at least 4."),
        ({"slices": 13}, "slices", "Must be at most 12."),
        ({"slices": 4.5}, "slices", "Enter a whole number."),
        ({"tip": -1}, "tip", "Must be at least 0."),
        ({"tip": "1"}, "tip", "Enter a number."),
        ({"tip": True}, "tip", "Enter a number."),
        ({"email": "not-an-address"}, "email", "Enter an e-mail address"),
        ({"phone": "call me"}, "phone", "Digits and spaces only."),
        ({"when": "01/05/2024"}, "when", "Use the format YYYY-MM-DD."),
        ({"extra_cheese": "yes"}, "extra_cheese", "Choose true or false."),
        ({"address": {"street": "Markt"}}, "address.city", "This field is required."),
        ({"address": {"city": 5}}, "address.city", "Enter text."),
    ],
)
def test_wrong_values_get_field_errors(values: dict[str, Any], field: str, message: str) -> None:
    assert message in errors_of({**GOOD, **values})[field]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "Enter a number."),
        ("nan", "Enter a number."),
        ("inf", "Enter a number."),
        ("-3", "Must be at least 0."),
    ],
)
def test_html_numbers(text: str, message: str) -> None:
    assert errors_of({**GOOD, "address.city": "x", "tip": text}, from_html=True)["tip"] == message


def test_minimum_number_of_choices() -> None:
    spec = form_from_schema(obj({"t": {"type": "array", "minItems": 2, "items": {"enum": ["a", "b", "c"]}}}))
    with pytest.raises(FormInvalid) as caught:
        validate(spec, {"t": ["a", "a"]})
    assert caught.value.fields == {"t": "Choose at least 2."}


def test_every_bad_field_is_reported_at_once() -> None:
    assert set(errors_of({"size": None, "toppings": None, "address": {}})) == {
        "size",
        "toppings",
        "address.city",
    }


def test_readonly_and_hidden_fields_keep_their_default() -> None:
    spec = form_from_schema(
        obj(
            {
                "a": {"type": "string", "default": "fixed", "readOnly": True},
                "b": {"type": "integer", "default": 3},
                "c": {"type": "string"},
            },
            ["c"],
        ),
        {"b": {"ui:widget": "hidden"}},
    )
    assert validate(spec, {"a": "changed", "b": 9, "c": "x"}) == {"a": "fixed", "b": 3, "c": "x"}


def test_record_without_schema_keeps_what_an_api_client_sends() -> None:
    bare = form_from_fields([{"kind": SPIFFARENA, "schema": None}])
    assert validate(bare, {"anything": [1, 2]}) == {"anything": [1, 2]}
    assert validate(bare, {"csrf": "x"}, from_html=True) == {}
