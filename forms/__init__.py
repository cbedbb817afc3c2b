"""Forms: camunda:formData definitions turned into a FormSpec, and server-side validation of submissions."""

from __future__ import annotations

from forms.camunda import check_fields, form_from_fields
from forms.errors import FormDefinitionError, FormInvalid, FormsError
from forms.spec import FIELD_TYPES, Field, FieldType, FormSpec, Option
from forms.validation import validate

__all__ = [
    "FIELD_TYPES",
    "Field",
    "FieldType",
    "FormDefinitionError",
    "FormInvalid",
    "FormSpec",
    "FormsError",
    "Option",
    "check_fields",
    "form_from_fields",
    "validate",
]
