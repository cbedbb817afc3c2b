"""Forms: camunda:formData fields and SpiffArena JSON Schema forms turned into a FormSpec, and server-side
validation of submissions."""

from __future__ import annotations

from forms.camunda import check_fields
from forms.errors import FormDefinitionError, FormInvalid, FormsError
from forms.jsonschema import OPTIONS_FROM_DATA, check_schema, form_from_schema
from forms.spec import FIELD_TYPES, Field, FieldType, FormSpec, Option
from forms.stored import SPIFFARENA, form_from_fields, spiffarena_record
from forms.validation import validate

__all__ = [
    "FIELD_TYPES",
    "OPTIONS_FROM_DATA",
    "SPIFFARENA",
    "Field",
    "FieldType",
    "FormDefinitionError",
    "FormInvalid",
    "FormSpec",
    "FormsError",
    "Option",
    "check_fields",
    "check_schema",
    "form_from_fields",
    "form_from_schema",
    "spiffarena_record",
    "validate",
]
