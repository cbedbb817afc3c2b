"""Build a FormSpec from camunda:formData fields, reporting every definition problem a modeller must fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from forms.errors import FormDefinitionError
from forms.spec import Field, FieldType, FormSpec, Option, Value
from forms.values import LONG_MAX, LONG_MIN, parse_boolean_text, parse_integer, parse_model_date

CONSTRAINTS = ("required", "readonly", "min", "max", "minlength", "maxlength")
# The types a camunda:formField may name ("number" exists only for JSON Schema forms).
CAMUNDA_TYPES: tuple[FieldType, ...] = ("string", "long", "boolean", "date", "enum", "file")
_TYPE_LIST = ", ".join(CAMUNDA_TYPES)


def form_from_fields(raw: Sequence[Mapping[str, Any]]) -> FormSpec:
    """The FormSpec for raw camunda:formData fields; raises the first FormDefinitionError found."""
    problems: list[FormDefinitionError] = []
    spec = _build(raw, problems)
    if problems:
        raise problems[0]
    return spec


def check_fields(raw: Sequence[Mapping[str, Any]]) -> list[FormDefinitionError]:
    """Every definition problem in raw camunda:formData fields (empty when the form is usable)."""
    problems: list[FormDefinitionError] = []
    _build(raw, problems)
    return problems


def _build(raw: Sequence[Mapping[str, Any]], problems: list[FormDefinitionError]) -> FormSpec:
    fields: list[Field] = []
    seen: set[str] = set()
    for raw_field in raw:
        field = _field(raw_field, seen, problems)
        if field is not None:
            fields.append(field)
    return FormSpec(fields=tuple(fields))


class _Problems:
    """Collects the problems of one field, each tagged with its id."""

    def __init__(self, field_id: str, sink: list[FormDefinitionError]) -> None:
        self.field_id = field_id
        self.sink = sink
        self.found = False

    def add(self, message: str) -> None:
        self.found = True
        self.sink.append(FormDefinitionError(self.field_id, message))


def _field(raw: Mapping[str, Any], seen: set[str], sink: list[FormDefinitionError]) -> Field | None:
    field_id = raw.get("id")
    if not isinstance(field_id, str) or not field_id.strip():
        sink.append(FormDefinitionError(None, "A form field has no id; give every field an id."))
        return None
    problems = _Problems(field_id, sink)
    if field_id in seen:
        problems.add("Two fields of this form have this id; give each field its own id.")
    seen.add(field_id)

    # A field written without a type is a text field, as Camunda treats it.
    type_name = raw.get("type") or "string"
    if type_name not in CAMUNDA_TYPES:
        problems.add(f"Unknown type '{type_name}'; use one of {_TYPE_LIST}.")
        return None
    field_type = cast(FieldType, type_name)
    label = raw.get("label")
    options = _options(raw.get("values") or (), problems) if field_type == "enum" else ()
    limits = _constraints(field_type, raw.get("constraints") or (), problems)
    default = _default(field_type, raw.get("default"), options, problems)
    if problems.found:
        return None
    return Field(
        id=field_id,
        label=label.strip() if isinstance(label, str) and label.strip() else field_id,
        type=field_type,
        required=bool(limits.get("required", False)),
        readonly=bool(limits.get("readonly", False)),
        default=default,
        minimum=limits.get("min"),
        maximum=limits.get("max"),
        minlength=limits.get("minlength"),
        maxlength=limits.get("maxlength"),
        options=options,
    )


def _options(raw: Sequence[Mapping[str, Any]], problems: _Problems) -> tuple[Option, ...]:
    options: list[Option] = []
    for value in raw:
        option_id = value.get("id")
        if not isinstance(option_id, str) or not option_id:
            problems.add("An enum value has no id; give every value an id.")
            continue
        if any(option.id == option_id for option in options):
            problems.add(f"The enum value '{option_id}' is listed twice.")
            continue
        name = value.get("name")
        options.append(Option(id=option_id, name=name if isinstance(name, str) and name else option_id))
    if not options and not problems.found:
        problems.add("An enum field needs at least one value to choose from.")
    return tuple(options)


# Which field type each limit applies to (Camunda checks min/max on numbers, lengths on text).
_LIMIT_TYPES: dict[str, FieldType] = {
    "min": "long",
    "max": "long",
    "minlength": "string",
    "maxlength": "string",
}


def _constraints(
    field_type: FieldType, raw: Sequence[Mapping[str, Any]], problems: _Problems
) -> dict[str, int]:
    """Constraint name -> value (flags as 0/1, limits as ints), after checking each fits the type."""
    limits: dict[str, int] = {}
    for constraint in raw:
        name = str(constraint.get("name") or "").strip()
        config = constraint.get("config")
        if name in ("required", "readonly"):
            flag = _flag(config)
            if flag is None:
                problems.add(f"The {name} constraint takes no value (or true/false), not '{config}'.")
            else:
                limits[name] = int(flag)
        elif name in _LIMIT_TYPES:
            applies_to = _LIMIT_TYPES[name]
            number = parse_integer(config, allow_text=True)
            lowest = 0 if applies_to == "string" else LONG_MIN
            if field_type != applies_to:
                problems.add(f"The {name} constraint applies to {applies_to} fields, not {field_type} ones.")
            elif number is None or not lowest <= number <= LONG_MAX:
                at_least = " of 0 or more" if applies_to == "string" else ""
                given = "nothing" if config is None else f"'{config}'"
                problems.add(f"The {name} constraint needs a whole number{at_least}, not {given}.")
            else:
                limits[name] = number
        else:
            problems.add(f"Unknown constraint '{name}'; Baton supports {', '.join(CONSTRAINTS)}.")
    for low, high in (("min", "max"), ("minlength", "maxlength")):
        if low in limits and high in limits and limits[low] > limits[high]:
            problems.add(f"The {low} constraint ({limits[low]}) is greater than {high} ({limits[high]}).")
    return limits


def _flag(config: object) -> bool | None:
    if config is None or config == "" or isinstance(config, bool):
        return config is not False
    return parse_boolean_text(config) if isinstance(config, str) else None


def _default(
    field_type: FieldType, raw: object, options: tuple[Option, ...], problems: _Problems
) -> Value | None:
    if raw is None or raw == "":
        return None
    if field_type == "file":
        problems.add("A file field cannot have a default; the person filling in the form uploads the file.")
        return None
    # bpmn/ evaluates ${...} defaults over instance data; before an instance exists (at deploy) they
    # are still text, and say nothing about the value the form will show.
    if isinstance(raw, str) and ("${" in raw or "#{" in raw):
        return None
    if field_type == "string":
        return raw if isinstance(raw, str) else str(raw)
    if field_type == "long":
        number = parse_integer(raw, allow_text=True)
        if number is None or not LONG_MIN <= number <= LONG_MAX:
            problems.add(f"The default '{raw}' is not a whole number.")
        return number
    if field_type == "boolean":
        flag = raw if isinstance(raw, bool) else parse_boolean_text(raw) if isinstance(raw, str) else None
        if flag is None:
            problems.add(f"The default '{raw}' is not true or false.")
        return flag
    if field_type == "date":
        iso = parse_model_date(raw)
        if iso is None:
            problems.add(f"The default '{raw}' is not a date; write it as YYYY-MM-DD or dd/MM/yyyy.")
        return iso
    if not any(option.id == raw for option in options):
        ids = ", ".join(option.id for option in options)
        problems.add(f"The default '{raw}' is not one of the enum values ({ids}).")
        return None
    return cast(str, raw)
