"""The form stored with a task or start event: camunda:formData fields, or a SpiffArena form record.

A task row keeps its form as a list: the raw camunda:formData fields, or one SpiffArena record
`{"kind": "spiffarena", "schema": {...} | None, "ui_schema": {...} | None, ...}` (the JSON Schema and UI
schema files deployed beside the model, resolved when the task opened). A SpiffArena task without a
schema keeps what is submitted as it is, as SpiffArena does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from forms.camunda import form_from_fields as camunda_form
from forms.jsonschema import form_from_schema
from forms.spec import FormSpec

SPIFFARENA = "spiffarena"


def spiffarena_record(raw: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The SpiffArena form record of a stored form, if that is what it is."""
    if len(raw) == 1 and isinstance(raw[0], Mapping) and raw[0].get("kind") == SPIFFARENA:
        return raw[0]
    return None


def form_from_fields(raw: Sequence[Mapping[str, Any]]) -> FormSpec:
    """The FormSpec of a stored form; raises FormDefinitionError when it cannot be built."""
    record = spiffarena_record(raw)
    if record is None:
        return camunda_form(raw)
    schema = record.get("schema")
    if not isinstance(schema, Mapping):
        return FormSpec(keeps_other_values=True)
    ui_schema = record.get("ui_schema")
    return form_from_schema(schema, ui_schema if isinstance(ui_schema, Mapping) else None)
