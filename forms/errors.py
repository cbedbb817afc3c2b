"""Exceptions raised by forms/: bad form definitions and invalid submissions."""

from __future__ import annotations

from collections.abc import Mapping


class FormsError(Exception):
    """Base class of every error forms/ raises."""


class FormDefinitionError(FormsError):
    """A form field in a model is defined in a way Baton cannot use (a modeller's mistake).

    `field_id` names the field (None when the field has no id); `message` says what to fix.
    """

    def __init__(self, field_id: str | None, message: str) -> None:
        self.field_id = field_id
        self.message = message
        where = f"Form field '{field_id}'" if field_id else "Form field"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[FormDefinitionError], tuple[str | None, str]]:
        return (type(self), (self.field_id, self.message))

    def to_dict(self) -> dict[str, str | None]:
        return {"field": self.field_id, "message": self.message}


class FormInvalid(FormsError):
    """A submission failed validation; `fields` maps each bad field id to one message for a person."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields: dict[str, str] = dict(fields)
        summary = "; ".join(f"{field_id}: {message}" for field_id, message in self.fields.items())
        super().__init__(f"Invalid form input ({summary})")

    def __reduce__(self) -> tuple[type[FormInvalid], tuple[dict[str, str]]]:
        return (type(self), (self.fields,))
