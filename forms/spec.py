"""The form a person fills in: FormSpec, its fields and enum options, and their JSON shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, cast

FieldType: TypeAlias = Literal["string", "long", "boolean", "date", "enum", "file"]
FIELD_TYPES: tuple[FieldType, ...] = ("string", "long", "boolean", "date", "enum", "file")

# A typed value: str for string/enum/date (ISO "YYYY-MM-DD"), int for long and for file (the id of
# an uploaded document: the server stores the file, the form carries its id), bool for boolean.
Value: TypeAlias = str | int | bool


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
    minimum: int | None = None
    maximum: int | None = None
    minlength: int | None = None
    maxlength: int | None = None
    options: tuple[Option, ...] = ()

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
            minimum=_optional_int(data.get("minimum")),
            maximum=_optional_int(data.get("maximum")),
            minlength=_optional_int(data.get("minlength")),
            maxlength=_optional_int(data.get("maxlength")),
            options=tuple(
                Option(id=str(option["id"]), name=str(option["name"])) for option in data.get("options") or ()
            ),
        )


@dataclass(frozen=True)
class FormSpec:
    """An ordered set of fields: the form of a start event or a user task."""

    fields: tuple[Field, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fields)

    def field(self, field_id: str) -> Field | None:
        return next((field for field in self.fields if field.id == field_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {"fields": [field.to_dict() for field in self.fields]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FormSpec:
        """Rebuild a FormSpec from `to_dict()` output (for example a stored task projection)."""
        return cls(fields=tuple(Field.from_dict(field) for field in data.get("fields") or ()))


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
