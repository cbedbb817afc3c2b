"""Words for people: who owns a task, what an audit event means, how a submitted value reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from server.audit import ERASED_KIND, erased_marker
from server.audit_words import actor_words, erased_text
from server.engine_trail import Earlier, Pass
from server.model_shape import flows_taken
from server.models import Event, Task, User
from server.steps import KIND as ENGINE_STEPS

ENGINE_ACTORS = {"engine", None}


@dataclass(frozen=True)
class Owner:
    """A task's owner as shown: `label` for lists, `kind` = assignee | candidates | nobody."""

    kind: str
    label: str
    is_me: bool = False


def owner(task: Task, me: User | None = None) -> Owner:
    """The assignee, else the candidate groups and users the task is offered to."""
    if task.assignee:
        mine = me is not None and task.assignee.casefold() == me.email.casefold()
        return Owner("assignee", "you" if mine else task.assignee, mine)
    offered = [*(f"{g} (group)" for g in task.candidate_groups or []), *(task.candidate_users or [])]
    if offered:
        return Owner("candidates", ", ".join(offered))
    return Owner("nobody", "nobody yet")


@dataclass(frozen=True)
class Happening:
    """One audit event in words: a short title, a tone for its marker, optional details."""

    title: str
    tone: str
    actor: str
    details: dict[str, Any] | None = None
    note: str | None = None
    erased: str | None = None
    """"Erased on <date> by <admin> (record #N)" when the event's data was erased."""


def actor_text(actor: str | None) -> str:
    """Who did an event: "Baton" for the engine, readable words for an erased actor."""
    return "Baton" if actor in ENGINE_ACTORS else str(actor_words(actor))


def _quoted(name: str | None, element_id: str | None) -> str:
    return f"“{name or element_id or 'task'}”"


def _offered_to(data: dict[str, Any]) -> str:
    if data.get("assignee"):
        return f"assigned to {data['assignee']}"
    who = [*(data.get("candidate_groups") or []), *(data.get("candidate_users") or [])]
    return f"offered to {', '.join(who)}" if who else ""


def happening(event: Event, names: Mapping[str, str] | None = None) -> Happening:
    """What an event says, for the instance timeline and the audit page (`names`: element id -> name,
    from the deployed file, for the engine's steps). Erased data reads as who erased it and when."""
    marker = erased_marker(event.data)
    said = _happening(event, {} if marker else (event.data or {}), names or {})
    if marker is None:
        return said
    text = erased_text(marker)
    return replace(said, details=None, note=text, erased=text)


def _happening(event: Event, data: dict[str, Any], names: Mapping[str, str]) -> Happening:
    actor = actor_text(event.actor)
    task = _quoted(event.name, event.element_id)
    kind = event.kind
    if kind == ENGINE_STEPS:
        return engine_steps_happening(data, names)
    if kind == ERASED_KIND:
        return _erasure_happening(data, actor)
    if kind == "instance_started":
        key = data.get("business_key")
        note = f"Business key {key}" if key else None
        variables = data.get("variables") or None
        return Happening("Started the instance", "start", actor, variables, note)
    if kind == "task_opened":
        return Happening(f"Task {task} opened", "open", actor, None, _offered_to(data) or None)
    if kind == "task_claimed":
        return Happening(f"Claimed {task}", "claim", actor)
    if kind == "task_unclaimed":
        return Happening(f"Gave {task} back", "claim", actor, None, f"Was held by {data.get('previous')}")
    if kind == "task_completed":
        return Happening(f"Completed {task}", "done", actor, data or None)
    if kind == "task_cancelled":
        return Happening(f"Task {task} cancelled", "stop", actor)
    if kind == "instance_completed":
        return Happening("Instance completed", "end", actor)
    if kind == "instance_failed":
        return Happening("Instance failed", "error", actor, None, str(data.get("error") or ""))
    if kind == "instance_cancelled":
        return Happening("Cancelled the instance", "stop", actor)
    if kind == "instance_migrated":
        elements = (data.get("plan") or {}).get("elements", [])
        moved = [e["element_id"] for e in elements if e.get("element_id")]
        note = f"from version {data.get('from_version')}" + (f"; at {', '.join(moved)}" if moved else "")
        return Happening(f"Moved to version {data.get('to_version')}", "other", actor, None, note)
    if kind.startswith("sla_"):
        return _sla_happening(kind, task, actor, data)
    if kind == "step_budget_exceeded":
        error = str(data.get("error") or "")
        return Happening("Stopped: the model kept looping", "error", actor, None, error)
    return Happening(kind.replace("_", " ").capitalize(), "other", actor, data or None)


def _erasure_happening(data: dict[str, Any], actor: str) -> Happening:
    erased = data.get("erased")
    gone = [_counted(len(erased.get("data") or []) if isinstance(erased, dict) else 0, "event")]
    if data.get("tasks"):
        gone.append(_counted(len(data["tasks"]), "task submission"))
    if data.get("variables"):
        gone.append("the instance variables")
    note = f"Reason: {data.get('reason') or '—'}; from " + ", ".join(gone)
    return Happening("Data erased", "stop", actor, None, note)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


_MOST_NAMED = 6
"""Elements named in one engine_steps description; further ones are counted."""


def _kind_word(kind: str) -> str:
    """What kind of element, where its name alone would not say (the engine's class name in)."""
    if kind.endswith("Gateway"):
        return "gateway"
    if kind == "StartEvent":
        return "start"
    if kind == "EndEvent":
        return "end"
    return "event" if kind.endswith("Event") else ""


def _element_words(entry: Any, names: Mapping[str, str]) -> str:
    element_id = str(entry.get("id") or "?") if isinstance(entry, dict) else "?"
    word = _kind_word(str(entry.get("type") or "")) if isinstance(entry, dict) else ""
    name = names.get(element_id) or element_id
    return f"{name} ({word})" if word else name


def _listed(entries: list[Any], names: Mapping[str, str], joiner: str) -> str:
    shown = joiner.join(_element_words(e, names) for e in entries[:_MOST_NAMED])
    more = len(entries) - _MOST_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def engine_steps_happening(data: dict[str, Any], names: Mapping[str, str]) -> Happening:
    """One change's engine steps in words: "Engine passed: Check amount → Approve (gateway), 2 flows"."""
    elements = list(data.get("elements") or [])
    reached = list(data.get("reached") or [])
    left = list(data.get("left") or [])
    flows = len(data.get("flows") or [])
    if elements:
        title = "Engine passed: " + _listed(elements, names, " → ")
    elif reached:
        title = "Engine began waiting at: " + _listed(reached, names, ", ")
    elif left:
        title = "Engine cancelled " + _counted(len(left), "wait")
    else:  # only flows: from a person's task straight to the next one
        targets = list(dict.fromkeys(flow.target for flow in flows_taken(data.get("flows") or ())))
        title = "Engine moved on to: " + _listed([{"id": t} for t in targets], names, ", ")
    if flows:
        title += ", " + _counted(flows, "flow")
    notes = []
    if elements and reached:
        notes.append("Began waiting at: " + _listed(reached, names, ", "))
    if left and (elements or reached):
        notes.append("Cancelled " + _counted(len(left), "wait"))
    return Happening(title, "other", "Baton", None, "; ".join(notes) or None)


def _pass_word(kind: str, what: str, waited: bool) -> str:
    """What the engine did at one element (server/engine_trail.Pass), for the element's history."""
    if what == "left":
        return "Join cancelled" if kind.endswith("Gateway") else "Wait cancelled"
    if what == "reached":
        return {"CallActivity": "Called process started", "SubWorkflowTask": "Subprocess started",
                "EventBasedGateway": "Waiting for the first of its events"}.get(
            kind, "Waiting for the other branches" if kind.endswith("Gateway") else "Began waiting")
    if kind.endswith("Gateway"):
        return "Branches joined" if waited and kind != "EventBasedGateway" else "Passed"
    words = {"StartEvent": "Started here", "EndEvent": "Ended here", "ScriptTask": "Script ran",
             "BusinessRuleTask": "Decision made", "ServiceTask": "Service call done", "SendTask": "Sent",
             "IntermediateThrowEvent": "Event thrown", "CallActivity": "Called process finished",
             "SubWorkflowTask": "Subprocess finished"}
    if kind in words:
        return words[kind]
    return "Event caught" if waited else "Passed"


def pass_title(item: Pass | Earlier) -> str:
    """A line of an element's history on the live diagram: "Passed", "Script ran", "3 earlier passes"."""
    if isinstance(item, Earlier):
        return f"{item.count} earlier pass" + ("" if item.count == 1 else "es")
    return _pass_word(item.kind, item.what, item.waited)


def _sla_happening(kind: str, task: str, actor: str, data: dict[str, Any]) -> Happening:
    """What an SLA ladder step did (server.sla), in words."""
    actor = "Baton (SLA)" if actor == "sla" else actor
    step = str(data.get("step") or "")
    to = ", ".join(data.get("to") or []) if isinstance(data.get("to"), list) else str(data.get("to") or "")
    if kind == "sla_nudged":
        return Happening(f"Reminded about {task}", "claim", actor, None, f"{step}; told {to or 'nobody'}")
    if kind == "sla_escalated":
        note = f"{step}; to {data.get('escalated_to')}" + (f" ({to})" if to else " (nobody to tell)")
        return Happening(f"Escalated {task}", "error", actor, None, note)
    if kind == "sla_reassigned":
        return Happening(f"Reassigned {task}", "claim", actor, None, f"from {data.get('previous')} to {to}")
    if kind == "sla_invalid":
        return Happening(f"SLA of {task} could not be read", "error", actor, None, str(data.get("error")))
    return Happening(f"SLA step for {task} skipped", "other", actor, None, str(data.get("reason") or step))


def submitted_rows(form: dict[str, Any], values: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """(label, value) pairs of a completed task's submission; enum ids read as their option names.
    An erased submission is one row saying who erased it and when."""
    marker = erased_marker(values)
    if marker is not None:
        return [("Submitted values", erased_text(marker))]
    values = dict(values or {})
    rows: list[tuple[str, Any]] = []
    nested: set[str] = set()
    for field in form.get("fields", []):
        path = field.get("path")
        if path:  # a JSON Schema object's field: its value sits inside the object
            value = _inside(values, path)
            nested.add(path[0])
            if value is None:
                continue
        elif field["id"] not in values:
            continue
        else:
            value = values.pop(field["id"])
        if field.get("type") == "enum":
            names = {o["id"]: o["name"] for o in field.get("options") or []}
            value = [names.get(v, v) for v in value] if isinstance(value, list) else names.get(value, value)
            value = ", ".join(map(str, value)) if isinstance(value, list) else value
        rows.append((field.get("label") or field["id"], value))
    rows.extend(sorted((k, v) for k, v in values.items() if k not in nested))
    return rows


def _inside(values: dict[str, Any], path: list[str]) -> Any:
    here: Any = values
    for part in path:
        here = here.get(part) if isinstance(here, dict) else None
    return here
