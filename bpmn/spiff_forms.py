"""SpiffArena user-task forms: JSON Schema / UI schema files deployed beside the model, and instructions.

At deployment the files a task names (`formJsonSchemaFilename`, `formUiSchemaFilename` properties) are
read from the same upload and stored in the task spec's extensions (serialized with the spec, once per
deployment), with the task's `instructionsForEndUser`. When the task opens, `open_form` fills in
choices SpiffArena takes from task data and renders the instructions' Jinja with the task data.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree

from .errors import Problem
from .problems import line_of

SCHEMA_PROPERTY = "formJsonSchemaFilename"
UI_SCHEMA_PROPERTY = "formUiSchemaFilename"
INSTRUCTIONS = "instructionsForEndUser"
OPTIONS_FROM_DATA = "options_from_task_data_var:"
RECORD_KIND = "spiffarena"
MAX_INSTRUCTIONS = 100_000
"""Characters of rendered instructions kept (a runaway template loop must not fill the database)."""

_jinja = ImmutableSandboxedEnvironment(autoescape=False)


@dataclass(frozen=True)
class FormFile:
    """A JSON Schema form a task of the deployment uses, with where the task is (for problems)."""

    file: str
    line: int | None
    element_id: str
    schema_file: str
    schema: dict[str, Any]
    ui_schema: dict[str, Any] | None


def _task_specs(definitions: Iterable[Any]) -> Iterable[Any]:
    seen: set[int] = set()
    for definition in definitions:
        for process in (definition.spec, *definition.subprocess_specs.values()):
            for task_spec in process.task_specs.values():
                if id(task_spec) not in seen:
                    seen.add(id(task_spec))
                    yield process, task_spec


def attach_forms(definitions: Iterable[Any], roots: Mapping[str, etree._Element],
                 json_files: Mapping[str, bytes]) -> tuple[list[FormFile], list[Problem], list[Problem]]:
    """Store each SpiffArena task's form files and instructions in its spec; (forms, problems, warnings).

    A named file missing from the upload, or not a JSON object, is a problem at the task's element.
    """
    found: list[FormFile] = []
    problems: list[Problem] = []
    parsed: dict[str, Any] = {}
    used: set[str] = set()
    for process, task_spec in _task_specs(definitions):
        extensions = getattr(task_spec, "extensions", None)
        if not isinstance(extensions, dict):
            continue
        properties = extensions.get("properties") or {}
        names = {key: str(properties.get(key) or "").strip() for key in (SCHEMA_PROPERTY, UI_SCHEMA_PROPERTY)}
        instructions = str(extensions.get(INSTRUCTIONS) or "")
        if not any(names.values()) and not instructions.strip():
            continue
        file = str(getattr(process, "file", "") or "")
        element_id = str(task_spec.bpmn_id or task_spec.name)
        where = (file, line_of(roots.get(file), element_id), element_id)
        loaded: dict[str, Any] = {}
        for key, name in names.items():
            if not name:
                continue
            used.add(name)
            content = _load(name, json_files, parsed, key, where, problems)
            if content is not None:
                loaded[key] = content
        record: dict[str, Any] = {
            "kind": RECORD_KIND,
            "schema": loaded.get(SCHEMA_PROPERTY),
            "ui_schema": loaded.get(UI_SCHEMA_PROPERTY),
            "schema_file": names[SCHEMA_PROPERTY] or None,
            "instructions": instructions,
        }
        extensions.setdefault("baton", {})["spiff_form"] = record
        if record["schema"] is not None:
            found.append(FormFile(file, where[1], element_id, names[SCHEMA_PROPERTY], record["schema"],
                                  record["ui_schema"]))
    warnings = [Problem(name, None, None, f"{name} is not a form any task names ({SCHEMA_PROPERTY} or "
                                          f"{UI_SCHEMA_PROPERTY}); it is stored but not used",
                        severity="warning")
                for name in json_files if name not in used]
    return found, problems, warnings


def _load(name: str, json_files: Mapping[str, bytes], parsed: dict[str, Any], key: str,
          where: tuple[str, int | None, str], problems: list[Problem]) -> Any:
    if name not in json_files:
        problems.append(Problem(*where, f"{key} names {name!r}, which is not among the uploaded files: "
                                        "deploy it together with the model"))
        return None
    if name not in parsed:
        try:
            parsed[name] = json.loads(json_files[name].decode("utf-8-sig"))
        except UnicodeDecodeError:
            parsed[name] = ValueError(f"{name} is not UTF-8 text")
        except json.JSONDecodeError as exc:
            parsed[name] = ValueError(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                                      f"column {exc.colno}")
    content = parsed[name]
    if isinstance(content, ValueError):
        problems.append(Problem(*where, f"{key}: {content}"))
        return None
    if not isinstance(content, dict):
        problems.append(Problem(*where, f"{key}: {name} must hold a JSON object"))
        return None
    return content


def open_form(record: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The record for a task that just opened: choices from task data filled in, instructions rendered.

    Returns the record and a message per thing that could not be resolved (shown on the task).
    """
    problems: list[str] = []
    opened = dict(record)
    schema = record.get("schema")
    if isinstance(schema, Mapping):
        opened["schema"] = _prefill(_fill_options(copy.deepcopy(dict(schema)), data, problems), data)
    raw = str(record.get("instructions") or "")
    opened["instructions"] = raw
    if raw.strip():
        text, error = render_instructions(raw, data)
        opened["instructions"] = text
        if error:
            opened["instructions_error"] = error
    return opened, problems


def render_instructions(template: str, data: Mapping[str, Any]) -> tuple[str, str | None]:
    """Jinja over task data in a sandbox: (rendered Markdown, None), or (the raw text, a readable error)."""
    try:
        text = _jinja.from_string(template).render(dict(data))
    except TemplateSyntaxError as exc:
        return template, f"The instructions could not be shown: line {exc.lineno}: {exc.message}"
    except TemplateError as exc:
        return template, f"The instructions could not be shown: {exc.message or exc.__class__.__name__}"
    except Exception as exc:  # a value's own code failed while rendering (e.g. division by zero)
        return template, f"The instructions could not be shown: {exc.__class__.__name__}: {exc}"
    return text[:MAX_INSTRUCTIONS], None


def _fill_options(schema: dict[str, Any], data: Mapping[str, Any], problems: list[str],
                  path: str = "") -> dict[str, Any]:
    """Replace SpiffArena's `options_from_task_data_var:NAME` placeholders by the choices in data[NAME]."""
    for key in ("anyOf", "oneOf"):
        entries = schema.get(key)
        if not isinstance(entries, list):
            continue
        filled: list[Any] = []
        for entry in entries:
            if isinstance(entry, str) and entry.startswith(OPTIONS_FROM_DATA):
                choices = _choices(entry.removeprefix(OPTIONS_FROM_DATA).strip(), data, path, problems)
                # Without the variable the placeholder stays: the form still shows, with nothing to choose.
                filled.extend(choices if choices is not None else [entry])
            else:
                filled.append(entry)
        schema[key] = filled
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, child in properties.items():
            if isinstance(child, dict):
                _fill_options(child, data, problems, f"{path}{name}.")
    items = schema.get("items")
    if isinstance(items, dict):
        _fill_options(items, data, problems, path)
    return schema


def _prefill(schema: dict[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """Make the task data's current values the fields' defaults, as SpiffArena fills its forms.

    The form then shows what the data holds (also inside a multi-instance task, whose item the case
    variables do not show) and a field left out of a submission keeps its value instead of losing it.
    A value that does not fit its field is left alone (the schema's own default stays).
    """
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return schema
    for name, child in properties.items():
        if not isinstance(child, dict) or name not in data:
            continue
        value = data[name]
        if isinstance(value, Mapping) and (child.get("type") == "object" or "properties" in child):
            _prefill(child, value)
        elif _fits(child, value):
            child["default"] = copy.deepcopy(value)
    return schema


def _fits(field: Mapping[str, Any], value: Any) -> bool:
    kind = field.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if value is None or (kind in ("object", None) and not _choice_values(field)):
        return False
    if kind == "array":
        items = field.get("items")
        allowed = _choice_values(items) if isinstance(items, Mapping) else set()
        return isinstance(value, list) and all(isinstance(v, str) and v in allowed for v in value)
    if _choice_values(field):
        return isinstance(value, str) and value in _choice_values(field)
    if kind == "string":
        if not isinstance(value, str) or field.get("format") == "data-url":
            return False
        return field.get("format") != "date" or _is_iso_date(value)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return kind == "boolean" and isinstance(value, bool)


def _choice_values(field: Mapping[str, Any]) -> set[str]:
    values = {v for v in field.get("enum") or [] if isinstance(v, str)}
    for key in ("oneOf", "anyOf"):
        for entry in field.get(key) or []:
            if not isinstance(entry, Mapping):
                continue
            if isinstance(entry.get("const"), str):
                values.add(entry["const"])
            elif isinstance(entry.get("enum"), list) and len(entry["enum"]) == 1:
                values.add(str(entry["enum"][0]))
    return values


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _choices(variable: str, data: Mapping[str, Any], path: str,
             problems: list[str]) -> list[dict[str, str]] | None:
    """data[variable] ([{"value", "label"}] or plain values) as const + title entries, each value once."""
    values = data.get(variable)
    field = path.rstrip(".") or "the form"
    if not isinstance(values, list):
        problems.append(f"choices of {field}: the task data has no list named {variable!r}")
        return None
    choices: dict[str, dict[str, str]] = {}
    for item in values:
        if isinstance(item, Mapping) and "value" in item:
            value, label = str(item["value"]), str(item.get("label", item["value"]))
        else:
            value = label = str(item)
        choices.setdefault(value, {"const": value, "title": label})
    return list(choices.values())
