"""FormSpec: the JSON shape the API and the templates read, and its round trip."""

from __future__ import annotations

import json

import pytest

from forms import Field, FormSpec, Option

SPEC = FormSpec(
    fields=(
        Field("amount", "Amount", "long", required=True, minimum=1, maximum=10, default=5),
        Field("answer", "Answer", "enum", options=(Option("yes", "Yes"), Option("no", "No")), default="no"),
        Field("note", "Note", "string", readonly=True, minlength=2, maxlength=40),
        Field("urgent", "Urgent", "boolean", default=False),
        Field("due", "Due", "date", default="2024-12-25"),
    )
)


def test_to_dict_shape() -> None:
    fields = SPEC.to_dict()["fields"]
    assert fields[0] == {
        "id": "amount",
        "label": "Amount",
        "type": "long",
        "required": True,
        "default": 5,
        "readonly": False,
        "minimum": 1,
        "maximum": 10,
        "minlength": None,
        "maxlength": None,
    }
    assert fields[1]["options"] == [{"id": "yes", "name": "Yes"}, {"id": "no", "name": "No"}]
    assert fields[2]["readonly"] is True
    assert (fields[2]["minlength"], fields[2]["maxlength"]) == (2, 40)


@pytest.mark.parametrize("index", [0, 2, 3, 4])
def test_options_only_for_enum(index: int) -> None:
    assert "options" not in SPEC.to_dict()["fields"][index]


def test_to_dict_is_json_and_round_trips() -> None:
    data = json.loads(json.dumps(SPEC.to_dict()))
    assert FormSpec.from_dict(data) == SPEC


def test_field_lookup_and_truth() -> None:
    assert SPEC.field("answer") is SPEC.fields[1]
    assert SPEC.field("missing") is None
    assert SPEC
    assert not FormSpec()
    assert FormSpec().to_dict() == {"fields": []}


def test_from_dict_rejects_unknown_types() -> None:
    with pytest.raises(ValueError, match="money"):
        FormSpec.from_dict({"fields": [{"id": "x", "label": "X", "type": "money"}]})
