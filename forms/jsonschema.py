"""Build a FormSpec from a SpiffArena form: a JSON Schema file and its UI schema (react-jsonschema-form).

SpiffArena draws these files with react-jsonschema-form; Baton renders and validates the same form
server-side, so only what a flat HTML form can show is accepted: text (date, e-mail, file and
pattern variants), integers, numbers, booleans, single and multiple choices, and nested objects,
flattened into dotted field ids whose values go back into the nested object. Anything else (lists of
objects, conditional sections, `$ref`) is a definition problem naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from forms.errors import FormDefinitionError
from forms.spec import Field, FieldType, FormSpec, Option, Value
from forms.values import LONG_MAX, LONG_MIN, parse_iso_date

OPTIONS_FROM_DATA = "options_from_task_data_var:"
"""SpiffArena's placeholder in `anyOf` for choices read from a task data variable when the task opens."""

# Keywords that make fields appear or change depending on other values: a flat form cannot follow them.
_CONDITIONAL = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependencies", "dependentSchemas",
                "dependentRequired", "patternProperties")
# ui:widget values Baton draws differently from the type's usual input; others fall back to that input.
_WIDGETS_FOR: dict[str, tuple[str, ...]] = {
    "textarea": ("string",),
    "password": ("string",),
    "email": ("string",),
    "radio": ("enum", "boolean"),
    "select": ("enum", "boolean"),
    "checkboxes": ("enum",),
    "hidden": ("string", "long", "number", "boolean", "date", "enum"),
}
_TEXT_FORMATS = {"date": "date", "data-url": "file"}


def form_from_schema(schema: Mapping[str, Any], ui_schema: Mapping[str, Any] | None = None) -> FormSpec:
    """The FormSpec for a JSON Schema form; raises the first FormDefinitionError found."""
    problems: list[FormDefinitionError] = []
    spec = _build(schema, ui_schema, problems)
    if problems:
        raise problems[0]
    return spec


def check_schema(schema: object, ui_schema: object = None) -> list[FormDefinitionError]:
    """Every definition problem of a JSON Schema form and its UI schema (empty when the form is usable)."""
    problems: list[FormDefinitionError] = []
    if not isinstance(schema, Mapping):
        return [FormDefinitionError(None, "The form schema must be a JSON object.")]
    if ui_schema is not None and not isinstance(ui_schema, Mapping):
        return [FormDefinitionError(None, "The UI schema must be a JSON object.")]
    _build(schema, ui_schema, problems)
    return problems


def _build(schema: Mapping[str, Any], ui_schema: Mapping[str, Any] | None,
           problems: list[FormDefinitionError]) -> FormSpec:
    if schema.get("type") not in (None, "object"):
        problems.append(FormDefinitionError(None, f"The form schema's type must be \"object\", not "
                                                  f"{schema.get('type')!r}."))
        return FormSpec()
    fields: list[Field] = []
    _object(schema, ui_schema or {}, (), "", fields, problems)
    description = schema.get("description")
    return FormSpec(fields=tuple(fields),
                    description=description.strip() if isinstance(description, str) else "")


def _object(schema: Mapping[str, Any], ui: Mapping[str, Any], path: tuple[str, ...], label_prefix: str,
            fields: list[Field], problems: list[FormDefinitionError]) -> None:
    where = ".".join(path) or None
    for keyword in (*_CONDITIONAL, "$ref"):
        if keyword in schema:
            problems.append(FormDefinitionError(where, f"'{keyword}' is not supported in Baton forms: list "
                                                       "every field under 'properties'."))
    properties = schema.get("properties", {})
    if properties is None:
        properties = {}
    if not isinstance(properties, Mapping):
        problems.append(FormDefinitionError(where, "'properties' must be an object of field schemas."))
        return
    required = schema.get("required") or []
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        problems.append(FormDefinitionError(where, "'required' must be a list of field names."))
        required = []
    for name in _ordered(list(properties), ui.get("ui:order")):
        field_ui = ui.get(name)
        _property(name, properties[name], field_ui if isinstance(field_ui, Mapping) else {}, path,
                  name in required, label_prefix, fields, problems)


def _ordered(names: list[str], order: object) -> list[str]:
    """Apply ui:order: the names it lists first, `*` standing for every other field in schema order."""
    if not isinstance(order, list):
        return names
    listed = [name for name in order if name in names]
    rest = [name for name in names if name not in listed]
    if "*" not in order:
        return listed + rest
    star = order.index("*")
    before = [name for name in order[:star] if name in names]
    after = [name for name in order[star + 1:] if name in names]
    return before + rest + after


def _property(name: str, raw: object, ui: Mapping[str, Any], parent: tuple[str, ...], required: bool,
              label_prefix: str, fields: list[Field], problems: list[FormDefinitionError]) -> None:
    path = (*parent, name)
    field_id = ".".join(path)

    def problem(message: str) -> None:
        problems.append(FormDefinitionError(field_id, message))

    if not name or "." in name:
        problem("Field names must not be empty or contain dots.")
        return
    if not isinstance(raw, Mapping):
        problem("The field's schema must be a JSON object.")
        return
    if "$ref" in raw:
        problem("'$ref' is not supported in Baton forms: write the field's schema in place.")
        return
    title = ui.get("ui:title") or raw.get("title") or name
    label = f"{label_prefix}{title}".strip()
    kind = _type(raw, problem)
    if kind is None or kind == "null":
        return
    if kind == "object":
        _object(raw, ui, path, f"{label}: ", fields, problems)
        return
    count = len(problems)
    field = _field(field_id, path, label, kind, raw, ui, required, problem)
    if field is not None and len(problems) == count:
        fields.append(field)


def _type(raw: Mapping[str, Any], problem: Any) -> str | None:
    kind = raw.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
        if kind is None:
            problem(f"A field may have one type (besides \"null\"), not {raw.get('type')!r}.")
            return None
    if kind is None:
        if "properties" in raw:
            return "object"
        if "enum" in raw or "oneOf" in raw or "anyOf" in raw:
            return "string"
        problem("The field has no type; give it a \"type\" (string, integer, number, boolean, array or "
                "object).")
        return None
    if kind not in ("string", "integer", "number", "boolean", "array", "object", "null"):
        problem(f"Unknown type {kind!r}; use string, integer, number, boolean, array or object.")
        return None
    return str(kind)


def _field(field_id: str, path: tuple[str, ...], label: str, kind: str, raw: Mapping[str, Any],
           ui: Mapping[str, Any], required: bool, problem: Any) -> Field | None:
    options: tuple[Option, ...] = ()
    multiple = False
    field_type: FieldType
    text_format: str | None = None
    if kind == "array":
        items = raw.get("items")
        options_source = items if isinstance(items, Mapping) else {}
        options = _options(options_source, problem)
        if not options and not _from_data(options_source):
            problem("Lists are supported as multiple choices only: give 'items' an 'enum' (or 'oneOf' "
                    "with const and title) of text values.")
            return None
        field_type, multiple = "enum", True
    elif kind == "string" and any(key in raw for key in ("enum", "oneOf", "anyOf")):
        options = _options(raw, problem)
        field_type = "enum"
        if not options and not _from_data(raw):
            problem("A choice needs at least one value to choose from.")
            return None
    elif kind == "string":
        text_format = raw.get("format") if isinstance(raw.get("format"), str) else None
        field_type = "date" if text_format == "date" else "file" if text_format == "data-url" else "string"
    elif kind == "integer":
        field_type = "long"
    elif kind == "number":
        field_type = "number"
    else:
        field_type = "boolean"
    if field_type in ("long", "number") and "enum" in raw:
        problem("Choices must be text values: use \"type\": \"string\" with the enum.")
        return None
    minimum, maximum = _limits(field_type, raw, problem)
    minlength = _count(raw, "minLength", problem) if field_type == "string" else None
    maxlength = _count(raw, "maxLength", problem) if field_type == "string" else None
    min_items = _count(raw, "minItems", problem) if multiple else None
    max_items = _count(raw, "maxItems", problem) if multiple else None
    pattern = _pattern(raw, problem) if field_type == "string" else None
    widget = ui.get("ui:widget")
    kind_key = "enum" if field_type == "enum" and not multiple else field_type
    if not isinstance(widget, str) or kind_key not in _WIDGETS_FOR.get(widget, ()):
        widget = "checkboxes" if multiple else None
    readonly = bool(raw.get("readOnly") or ui.get("ui:readonly") or ui.get("ui:disabled"))
    field = Field(
        id=field_id, label=label, type=field_type, required=required, readonly=readonly,
        minimum=minimum, maximum=maximum, minlength=minlength, maxlength=maxlength, options=options,
        multiple=multiple, min_items=min_items, max_items=max_items,
        format="email" if text_format == "email" or widget == "email" else None,
        pattern=pattern, pattern_message=_text(raw.get("validationErrorMessage")) or None,
        widget=widget, help=_help(raw, ui), placeholder=_text(ui.get("ui:placeholder")),
        path=path if len(path) > 1 else (),
    )
    if "default" in raw and raw["default"] is not None:
        default = _default(field, raw["default"], problem)
        if default is not None:
            field = replace(field, default=default)
    return field


def _from_data(raw: Mapping[str, Any]) -> bool:
    return any(isinstance(item, str) and item.startswith(OPTIONS_FROM_DATA)
               for key in ("anyOf", "oneOf") for item in (raw.get(key) or []))


def _options(raw: Mapping[str, Any], problem: Any) -> tuple[Option, ...]:
    """Choices from `enum` (value = label) or `oneOf`/`anyOf` entries of const (or one-value enum) + title."""
    found: list[Option] = []
    if "enum" in raw:
        values = raw["enum"]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problem("'enum' must be a list of text values.")
            return ()
        found = [Option(id=value, name=value) for value in values]
    for key in ("oneOf", "anyOf"):
        entries = raw.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            problem(f"'{key}' must be a list of choices.")
            return ()
        for entry in entries:
            if isinstance(entry, str) and entry.startswith(OPTIONS_FROM_DATA):
                continue  # filled in from task data when the task opens
            value = _choice_value(entry)
            if value is None:
                problem(f"Each '{key}' choice needs a text \"const\" (or a one-value \"enum\") and a "
                        "\"title\".")
                return ()
            title = entry.get("title") if isinstance(entry, Mapping) else None
            found.append(Option(id=value, name=title if isinstance(title, str) and title else value))
    ids = [option.id for option in found]
    duplicate = next((value for value in ids if ids.count(value) > 1), None)
    if duplicate is not None:
        problem(f"The choice {duplicate!r} is listed twice.")
        return ()
    return tuple(found)


def _choice_value(entry: object) -> str | None:
    if not isinstance(entry, Mapping):
        return None
    if isinstance(entry.get("const"), str):
        return str(entry["const"])
    values = entry.get("enum")
    if isinstance(values, list) and len(values) == 1 and isinstance(values[0], str):
        return values[0]
    return None


def _limits(field_type: str, raw: Mapping[str, Any], problem: Any) -> tuple[int | float | None, ...]:
    limits: list[int | float | None] = []
    for key in ("minimum", "maximum"):
        value = raw.get(key)
        if value is None:
            limits.append(None)
        elif field_type not in ("long", "number"):
            problem(f"'{key}' applies to integer and number fields.")
            limits.append(None)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problem(f"'{key}' must be a number, not {value!r}.")
            limits.append(None)
        elif field_type == "long" and not float(value).is_integer():
            problem(f"'{key}' of an integer field must be a whole number, not {value!r}.")
            limits.append(None)
        else:
            limits.append(int(value) if field_type == "long" else value)
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if key in raw:
            plain = key.removeprefix("exclusive").lower()
            problem(f"'{key}' is not supported; use '{plain}' with the closest allowed value.")
    low, high = limits
    if low is not None and high is not None and low > high:
        problem(f"'minimum' ({low}) is greater than 'maximum' ({high}).")
    return low, high


def _count(raw: Mapping[str, Any], key: str, problem: Any) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problem(f"'{key}' must be a whole number of 0 or more, not {value!r}.")
        return None
    return value


def _pattern(raw: Mapping[str, Any], problem: Any) -> str | None:
    pattern = raw.get("pattern")
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        problem("'pattern' must be a regular expression in a string.")
        return None
    try:
        re.compile(pattern)
    except re.error as exc:
        problem(f"'pattern' is not a regular expression Baton can use: {exc}.")
        return None
    return pattern


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _help(raw: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    parts = [_text(ui.get("ui:description")) or _text(raw.get("description")), _text(ui.get("ui:help"))]
    return " ".join(part for part in parts if part)


def _default(field: Field, value: object, problem: Any) -> Value | None:
    """The schema's default as a typed value, or None (with a problem) when it does not fit the field."""
    wrong = f"The default {value!r} does not fit this {_kind_words(field)} field."
    if field.type == "enum" and field.multiple:
        ids = [option.id for option in field.options]
        if isinstance(value, list) and all(isinstance(v, str) and (v in ids or not ids) for v in value):
            return [str(v) for v in value]
    elif field.type == "enum":
        if isinstance(value, str) and (not field.options or any(o.id == value for o in field.options)):
            return value
    elif field.type == "long":
        if isinstance(value, int) and not isinstance(value, bool) and LONG_MIN <= value <= LONG_MAX:
            return value
    elif field.type == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    elif field.type == "boolean":
        if isinstance(value, bool):
            return value
    elif field.type == "date":
        if isinstance(value, str) and parse_iso_date(value) is not None:
            return value.strip()
        wrong = f"The default {value!r} is not a date written YYYY-MM-DD."
    elif field.type == "file":
        wrong = "A file field cannot have a default; the person filling in the form uploads the file."
    elif isinstance(value, str):
        return value
    problem(wrong)
    return None


def _kind_words(field: Field) -> str:
    words = {"long": "integer", "enum": "choice", "string": "text"}
    return ("multiple-choice" if field.multiple else words.get(field.type, field.type))

