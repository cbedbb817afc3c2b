"""The form a person fills in: FormSpec, its fields and enum options, and their JSON shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, cast

FieldType: TypeAlias = Literal["string", "long", "number", "boolean", "date", "enum", "file"]
FIELD_TYPES: tuple[FieldType, ...] = ("string", "long", "number", "boolean", "date", "enum", "file")

# A typed value: str for string/enum/date (ISO "YYYY-MM-DD"), int for long and for file (the id of
# an uploaded document: the server stores the file, the form carries its id), bool for boolean,
# int or float for number, and a list of option ids for an enum that allows several choices.
Value: TypeAlias = str | int | float | bool | list[str]
Number: TypeAlias = int | float

# Presentation hints from a JSON Schema form's UI schema (ui:widget); None = the type's usual input.
WIDGETS = ("textarea", "radio", "select", "checkboxes", "password", "email", "hidden")


@dataclass(frozen=True)
class Option:
    """One choice of an enum field: `id` is what is stored, `name` what a person sees."""

    id: str
    name: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class Field:
    """One form field with its type, constraints and typed default."""

    id: str
    label: str
    type: FieldType
    required: bool = False
    readonly: bool = False
    default: Value | None = None
    minimum: Number | None = None
    maximum: Number | None = None
    minlength: int | None = None
    maxlength: int | None = None
    options: tuple[Option, ...] = ()
    # The rest comes from JSON Schema forms (forms/jsonschema.py); to_dict shows them only when set.
    multiple: bool = False
    """An enum whose value is a list of option ids (a JSON Schema array of enum values)."""
    min_items: int | None = None
    max_items: int | None = None
    format: str | None = None
    """"email" checks the address; other JSON Schema formats only describe the text."""
    pattern: str | None = None
    """A regular expression the text must contain a match of (JSON Schema `pattern`)."""
    pattern_message: str | None = None
    widget: str | None = None
    help: str = ""
    placeholder: str = ""
    path: tuple[str, ...] = ()
    """Where the value lives in the task data when it is nested (`id` is the path joined by dots)."""

    @property
    def hidden(self) -> bool:
        return self.widget == "hidden"

    def option_names(self) -> list[str]:
        return [option.name for option in self.options]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "type": self.type,
            "required": self.required,
        }
        if self.type == "enum":
            data["options"] = [option.to_dict() for option in self.options]
        data.update(
            default=self.default,
            readonly=self.readonly,
            minimum=self.minimum,
            maximum=self.maximum,
            minlength=self.minlength,
            maxlength=self.maxlength,
        )
        extras: dict[str, Any] = {
            "multiple": self.multiple, "min_items": self.min_items, "max_items": self.max_items,
            "format": self.format, "pattern": self.pattern, "pattern_message": self.pattern_message,
            "widget": self.widget, "help": self.help, "placeholder": self.placeholder,
            "path": list(self.path) if len(self.path) > 1 else None,
        }
        data.update({key: value for key, value in extras.items() if value not in (None, False, "")})
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Field:
        type_ = str(data["type"])
        if type_ not in FIELD_TYPES:
            raise ValueError(f"unknown form field type {type_!r}")
        return cls(
            id=str(data["id"]),
            label=str(data.get("label") or data["id"]),
            type=type_,
            required=bool(data.get("required", False)),
            readonly=bool(data.get("readonly", False)),
            default=cast("Value | None", data.get("default")),
            minimum=_optional_number(data.get("minimum")),
            maximum=_optional_number(data.get("maximum")),
            minlength=_optional_int(data.get("minlength")),
            maxlength=_optional_int(data.get("maxlength")),
            options=tuple(
                Option(id=str(option["id"]), name=str(option["name"])) for option in data.get("options") or ()
            ),
            multiple=bool(data.get("multiple", False)),
            min_items=_optional_int(data.get("min_items")),
            max_items=_optional_int(data.get("max_items")),
            format=_optional_text(data.get("format")),
            pattern=_optional_text(data.get("pattern")),
            pattern_message=_optional_text(data.get("pattern_message")),
            widget=_optional_text(data.get("widget")),
            help=str(data.get("help") or ""),
            placeholder=str(data.get("placeholder") or ""),
            path=tuple(str(part) for part in data.get("path") or ()),
        )


@dataclass(frozen=True)
class FormSpec:
    """An ordered set of fields: the form of a start event or a user task."""

    fields: tuple[Field, ...] = ()
    description: str = ""
    """What the whole form is about (a JSON Schema's description), shown above its fields."""
    keeps_other_values: bool = False
    """Submitted keys that are not fields are kept as they are (a SpiffArena task with no schema)."""

    def __bool__(self) -> bool:
        return bool(self.fields)

    def field(self, field_id: str) -> Field | None:
        return next((field for field in self.fields if field.id == field_id), None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"fields": [field.to_dict() for field in self.fields]}
        if self.description:
            data["description"] = self.description
        if self.keeps_other_values:
            data["keeps_other_values"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FormSpec:
        """Rebuild a FormSpec from `to_dict()` output (for example a stored task projection)."""
        return cls(fields=tuple(Field.from_dict(field) for field in data.get("fields") or ()),
                   description=str(data.get("description") or ""),
                   keeps_other_values=bool(data.get("keeps_other_values", False)))


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _optional_number(value: Any) -> Number | None:
    if value is None:
        return None
    return value if isinstance(value, float) and not value.is_integer() else int(value)


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
