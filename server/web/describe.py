"""Words for people: who owns a task, what an audit event means, how a submitted value reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.models import Event, Task, User

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


def _quoted(name: str | None, element_id: str | None) -> str:
    return f"“{name or element_id or 'task'}”"


def _offered_to(data: dict[str, Any]) -> str:
    if data.get("assignee"):
        return f"assigned to {data['assignee']}"
    who = [*(data.get("candidate_groups") or []), *(data.get("candidate_users") or [])]
    return f"offered to {', '.join(who)}" if who else ""


def happening(event: Event) -> Happening:
    """What an event says, for the instance timeline."""
    data = event.data or {}
    actor = "Baton" if event.actor in ENGINE_ACTORS else str(event.actor)
    task = _quoted(event.name, event.element_id)
    kind = event.kind
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
    """(label, value) pairs of a completed task's submission; enum ids read as their option names."""
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
