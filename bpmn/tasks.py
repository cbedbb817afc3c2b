"""What an instance shows the outside: human tasks with their metadata, waits, and failures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import sla
from .metadata import split_list
from .spiff_forms import INSTRUCTIONS, SCHEMA_PROPERTY, UI_SCHEMA_PROPERTY, open_form
from .stepping import FAILURE_KEY

Evaluate = Callable[[str, Mapping[str, Any]], Any]
_SHOWN_ELSEWHERE = frozenset((SCHEMA_PROPERTY, UI_SCHEMA_PROPERTY, INSTRUCTIONS))


def interpreted_property(name: str) -> bool:
    """Whether Baton reads this task property itself (an `sla.*` setting, a SpiffArena form file or
    its instructions): the task shows what it means (due date, ladder, form, instructions) instead."""
    return name.startswith(sla.PREFIX) or name in _SHOWN_ELSEWHERE


@dataclass(frozen=True)
class HumanTask:
    """A READY task waiting for a person, with everything the task list and the form need."""

    id: str
    element_id: str
    name: str
    process_id: str
    lane: str | None
    documentation: str
    assignee: str | None
    candidate_users: tuple[str, ...]
    candidate_groups: tuple[str, ...]
    form_fields: list[dict[str, Any]]
    due_date: str | None
    priority: str | None
    properties: dict[str, str]
    problems: tuple[str, ...] = field(default=(), compare=False)
    """Expressions (assignee, candidates, defaults) that could not be evaluated, one message each."""
    follow_up_date: str | None = None
    """Raw camunda:followUpDate."""
    sla: dict[str, str] = field(default_factory=dict, compare=False)
    """The SLA settings that apply (`due`, `followUp`, `calendar`, `nudge`, `escalate`, `reassign`),
    from the task, its lane's or its process's defaults, `${...}` evaluated (see bpmn.sla)."""

    @property
    def details(self) -> dict[str, str]:
        """The properties for the people and systems working the task, as the model wrote them: all
        but those Baton interprets itself, which would otherwise show twice."""
        return {name: value for name, value in self.properties.items() if not interpreted_property(name)}


@dataclass(frozen=True)
class Wait:
    """Something the instance waits for that is not a person: a timer, a message or a service result."""

    kind: Literal["timer", "message", "signal", "service"]
    element_id: str
    name: str
    due_at: datetime | None
    task_id: str = ""
    message: str | None = None
    """For kinds "message" and "signal": the message (signal) name to route deliveries by."""
    correlation: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """For kind "message": the SpiffArena correlation values the instance holds, `{key: {prop: value}}`."""


@dataclass(frozen=True)
class Failure:
    """A task stuck in ERROR: where, and what went wrong (with the script line when there is one)."""

    element_id: str
    name: str
    message: str
    line: int | None
    task_id: str = ""


def _is_expression(text: str) -> bool:
    return "${" in text or "#{" in text


class _Evaluator:
    """Evaluates `${...}` metadata over task data, collecting failures instead of raising."""

    def __init__(self, evaluate: Evaluate, data: Mapping[str, Any]) -> None:
        self.evaluate = evaluate
        self.data = data
        self.problems: list[str] = []

    def value(self, raw: str | None, what: str) -> Any:
        if raw is None or not _is_expression(raw):
            return raw
        try:
            return self.evaluate(raw, self.data)
        except Exception as exc:  # any expression error becomes a note on the task
            self.problems.append(f"{what} {raw!r}: {exc}")
            return None

    def text(self, raw: str | None, what: str) -> str | None:
        result = self.value(raw, what)
        return None if result is None or result == "" else str(result)

    def names(self, raw: str | None, what: str) -> tuple[str, ...]:
        """A comma list whose items may be expressions giving a name, a comma list or a list."""
        found: list[str] = []
        for part in split_list(raw or ""):
            if not _is_expression(part):
                found.append(part)
                continue
            result = self.value(part, what)
            if isinstance(result, list | tuple | set | frozenset):
                found.extend(str(item).strip() for item in result)
            elif isinstance(result, str):
                found.extend(split_list(result))
            elif result is not None:
                found.append(str(result))
        return tuple(dict.fromkeys(name for name in found if name))

    def setting(self, raw: str, what: str) -> str | None:
        """An SLA setting as text, `${...}` evaluated (a date becomes ISO 8601, a timedelta a duration)."""
        return sla.as_text(self.value(raw, what))

    def default(self, raw: str | None, what: str) -> str | None:
        if raw is None or not _is_expression(raw):
            return raw
        try:
            result = self.evaluate(raw, self.data)
        except Exception:  # defaults are best effort: keep the text the modeller wrote
            return raw
        if isinstance(result, bool):
            return "true" if result else "false"
        return None if result is None else str(result)


def human_task(task: Any, evaluate: Evaluate) -> HumanTask:
    """The HumanTask view of a READY manual Spiff task."""
    spec = task.task_spec
    extensions = getattr(spec, "extensions", None) or {}
    meta: dict[str, Any] = extensions.get("baton", {})
    evaluator = _Evaluator(evaluate, task.data)
    fields = []
    for raw in meta.get("form_fields", []):
        default = evaluator.default(raw.get("default"), f"default of {raw.get('id')}")
        fields.append({**raw, "default": default})
    if "spiff_form" in meta:  # a SpiffArena JSON Schema form and/or instructions (bpmn.spiff_forms)
        record, unresolved = open_form(meta["spiff_form"], task.data)
        fields = [record]
        evaluator.problems.extend(unresolved)
    properties = {str(k): str(v) for k, v in (extensions.get("properties") or {}).items() if v is not None}
    properties.update({k: str(v) for k, v in meta.get("properties", {}).items()})
    raw_sla = sla.settings_for(properties, meta.get("process_sla", {}), spec.lane,
                               meta.get("due_date"), meta.get("follow_up_date"))
    settings = {name: text for name, raw in raw_sla.items()
                if (text := evaluator.setting(raw, f"SLA setting {name}")) is not None}
    return HumanTask(
        id=str(task.id),
        element_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        process_id=task.workflow.spec.name,
        lane=spec.lane,
        documentation=spec.documentation or "",
        assignee=evaluator.text(meta.get("assignee"), "assignee"),
        candidate_users=evaluator.names(meta.get("candidate_users"), "candidateUsers"),
        candidate_groups=evaluator.names(meta.get("candidate_groups"), "candidateGroups"),
        form_fields=fields,
        due_date=meta.get("due_date"),
        priority=meta.get("priority"),
        properties=properties,
        problems=tuple(evaluator.problems),
        follow_up_date=meta.get("follow_up_date"),
        sla=settings,
    )


def _as_utc(value: datetime) -> datetime:
    # SpiffWorkflow reads naive times as server-local time; make that explicit.
    return value.astimezone(UTC) if value.tzinfo else value.astimezone().astimezone(UTC)


def due_at(event_value: Any) -> datetime | None:
    """The due time of an armed timer from task.internal_data['event_value'], when it can be read."""
    if isinstance(event_value, dict):
        event_value = event_value.get("next")
    if isinstance(event_value, datetime):
        return _as_utc(event_value)
    if isinstance(event_value, date):
        return _as_utc(datetime(event_value.year, event_value.month, event_value.day))
    if isinstance(event_value, str):
        try:
            return _as_utc(TimerEventDefinition.get_datetime(event_value.strip()))
        except (ValueError, TypeError):
            return None
    return None


def waits_of(task: Any) -> list[Wait]:
    """The timer, message and signal waits of a WAITING catching event."""
    spec = task.task_spec
    definition = spec.event_definition
    multiple = isinstance(definition, MultipleEventDefinition)
    definitions = definition.event_definitions if multiple else [definition]
    name = spec.bpmn_name or spec.bpmn_id
    waits = []
    for item in definitions:
        if isinstance(item, TimerEventDefinition):
            waits.append(Wait("timer", spec.bpmn_id, name, due_at(task.internal_data.get("event_value")),
                              str(task.id)))
        elif isinstance(item, MessageEventDefinition):
            waits.append(Wait("message", spec.bpmn_id, name, None, str(task.id), item.name,
                              correlation=dict(task.workflow.correlations)))
        elif isinstance(item, SignalEventDefinition):
            waits.append(Wait("signal", spec.bpmn_id, name, None, str(task.id), item.name))
    return waits


def failure_of(task: Any) -> Failure:
    """The Failure view of a task in ERROR."""
    spec = task.task_spec
    recorded = task.internal_data.get(FAILURE_KEY) or {}
    return Failure(
        element_id=spec.bpmn_id or spec.name,
        name=spec.bpmn_name or spec.bpmn_id or spec.name,
        message=recorded.get("message") or "the task failed",
        line=recorded.get("line"),
        task_id=str(task.id),
    )
