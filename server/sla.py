"""SLA ladders: due dates and step timers armed when a user task opens, and what each step does.

`sync_ladders` runs inside every `runtime.save` (it is in runtime.SIDE_TABLES): for each task the
change opened it writes the due, follow-up and at-risk times on the task row and arms one timer
row (kind "sla") per ladder step; for each task that is no longer open it cancels the rest of its
ladder. When a step's timer fires, `fire_step` is a runtime change of its own: lock the instance,
update the task row, record an audit event, notify people. A closed task's step does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select, update

import bpmn
from bpmn.errors import SlaInvalid
from bpmn.sla import Step, plan
from server import notifications, runtime, timers
from server.audit import PendingEvent
from server.db import db
from server.models import Group, Task, TaskAccess, Timer, User
from server.runtime import Change
from server.sla_state import due_phrase

log = logging.getLogger(__name__)

KIND = "sla"


def task_link(task: Task) -> str:
    return f"/tasks/{task.id}"


# --- arming and cancelling (inside runtime.save) ---------------------------------------------------


def sync_ladders(change: Change, wf: bpmn.Instance) -> None:
    """Arm the ladders of the tasks this change opened; cancel those of tasks it closed."""
    # A task opened without SLA settings and without an assignee has nothing to arm or tell.
    opened = [event.task_id for event in change.events if event.kind == "task_opened" and event.task_id
              and (event.meta.get("sla", True) or (event.data or {}).get("assignee"))]
    if opened:
        humans = {human.id: human for human in wf.human_tasks()}
        for task_id in opened:
            task = db.session.get(Task, task_id)
            human = humans.get(task_id)
            if task is None or human is None or task.state != "open":
                continue
            if human.sla:
                arm_ladder(change, task, human)
            if task.assignee:
                _tell_assignee(change, task)
    # The tasks this change closed (completed, or cancelled by the engine); an instance that ended
    # has all its timers cancelled by the timer sync.
    closing = ("task_completed", "task_cancelled")
    # Ladder timers exist only for tasks with a due date (see bpmn.sla.plan).
    closed = [e.task_id for e in change.events if e.kind in closing and e.task_id and e.meta.get("due", True)]
    if closed:
        db.session.execute(
            update(Timer)
            .where(Timer.instance_id == change.row.id, Timer.kind == KIND, Timer.status == "pending",
                   Timer.task_id.in_(closed))
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )


def arm_ladder(change: Change, task: Task, human: bpmn.HumanTask) -> None:
    """Write the task's SLA dates and arm a timer per ladder step; a bad setting becomes an event."""
    try:
        dates = plan(human.sla, task.created_at)
    except SlaInvalid as exc:
        change.events.append(PendingEvent("sla_invalid", actor_label="engine", element_id=task.element_id,
                                          name=task.name, task_id=task.id, data={"error": str(exc)}))
        return
    db.session.execute(
        update(Task).where(Task.id == task.id)
        .values(due_at=dates.due_at, follow_up_at=dates.follow_up_at, at_risk_at=dates.at_risk_at)
        .execution_options(synchronize_session=False)
    )
    task.due_at, task.follow_up_at, task.at_risk_at = dates.due_at, dates.follow_up_at, dates.at_risk_at
    for index, (step, at) in enumerate(dates.steps):
        timers.arm(change, kind=KIND, due_at=at, instance_id=task.instance_id, task_id=task.id,
                   element_id=task.element_id, name=task.name, payload={**step.to_dict(), "index": index})


def _tell_assignee(change: Change, task: Task) -> None:
    assignee = notifications.find_user(task.assignee)
    if assignee is None or assignee.is_external:  # outside people get their case link (server.external)
        return
    due = f" It is {due_phrase(task.due_at, change.now)}." if task.due_at else ""
    notifications.notify([assignee], kind="assignment", title=f"New task for you: “{task.name}”",
                         body=f"In {change.row.title}.{due}", link=task_link(task),
                         instance_id=task.instance_id, task_id=task.id, change=change)


# --- firing ------------------------------------------------------------------------------------


def fire_step(timer_id: int) -> None:
    """Timer handler for kind "sla": run one ladder step as a runtime change (nothing if the task closed)."""
    timer = db.session.get(Timer, timer_id)
    if timer is None or not timer.task_id:
        return
    task_id, step = timer.task_id, Step.from_dict(timer.payload or {})

    def attempt() -> None:
        task = db.session.get(Task, task_id, populate_existing=True)
        if task is None or task.state != "open":
            return
        change = Change(row=task.instance)
        runtime.lock(change.row)
        timers.settle(timer_id)
        {"nudge": _nudge, "escalate": _escalate, "reassign": _reassign}[step.action](change, task, step)
        runtime.save(change, None)

    runtime.retrying(attempt)


def _event(change: Change, kind: str, task: Task, step: Step, **data: object) -> None:
    change.events.append(PendingEvent(kind, actor_label="sla", element_id=task.element_id, name=task.name,
                                      task_id=task.id, data={"step": step.describe(), **data}))


def _set(task: Task, **values: object) -> None:
    db.session.execute(update(Task).where(Task.id == task.id).values(**values)
                       .execution_options(synchronize_session=False))


def _grant(task: Task, principal: str) -> None:
    """Let a principal see the task (escalation and reassignment targets)."""
    exists = db.session.scalar(select(TaskAccess.task_id).where(TaskAccess.task_id == task.id,
                                                                  TaskAccess.principal == principal))
    if not exists:
        db.session.add(TaskAccess(task_id=task.id, principal=principal, state="open",
                                  created_at=task.created_at))


def _revoke(task: Task, principals: list[str]) -> None:
    """The old group queue no longer offers a reassigned task (its starter keeps seeing it)."""
    starter = task.instance.started_by
    keep = {f"u:{starter.email.casefold()}"} if starter is not None else set()
    gone = [p for p in principals if p not in keep]
    if gone:
        db.session.execute(
            delete(TaskAccess).where(TaskAccess.task_id == task.id, TaskAccess.principal.in_(gone))
            .execution_options(synchronize_session=False))


def _nudge(change: Change, task: Task, step: Step) -> None:
    people = notifications.recipients_for_task(task)
    count = task.nudge_count + 1
    _set(task, nudge_count=count, last_nudged_at=change.now)
    _event(change, "sla_nudged", task, step, to=[u.email for u in people], count=count)
    title = f"Reminder: “{task.name}” is {due_phrase(task.due_at, change.now)}"
    internal = [person for person in people if not person.is_external]
    notifications.notify(
        internal, kind="nudge", title=title, body=f"In {change.row.title}.", link=task_link(task),
        instance_id=task.instance_id, task_id=task.id, change=change)
    for outsider in (person for person in people if person.is_external):
        _nudge_outsider(change, task, outsider, title)


def _nudge_outsider(change: Change, task: Task, outsider: User, title: str) -> None:
    """Remind an external participant with their own link to the case (internal pages are closed to them)."""
    from server import external

    link = external.active_link(outsider, task.instance_id, "participant") or external.issue(
        change, outsider, "participant")
    notifications.notify(
        [outsider], kind="nudge", title=title, body=f"In {change.row.title}.", link=external.path_for(link),
        instance_id=task.instance_id, task_id=task.id, change=change)


def _unique(users: list[User]) -> list[User]:
    return list({user.id: user for user in users}.values())


def escalation_targets(task: Task, target: str) -> tuple[str, list[User]]:
    """Who an escalation goes to, and how to name them: `legal leads`, `legal`, `dana@...`."""
    kind, _, name = target.partition(":")
    if kind == "manager":
        manager = notifications.manager_of(notifications.find_user(task.assignee))
        if manager is not None:
            return manager.email, [manager]
        kind, name = "leads", ""  # nobody holds it, or they have no manager: the group's leads
    if kind == "leads":
        groups = [name] if name else list(task.candidate_groups or []) or ([task.lane] if task.lane else [])
        leads = _unique([lead for group in groups for lead in notifications.group_leads(group)])
        return (f"{', '.join(groups)} leads" if groups else "leads"), leads
    if kind == "group":
        return name, notifications.group_members(name)
    user = notifications.find_user(name)
    return name, [user] if user is not None else []


def _escalate(change: Change, task: Task, step: Step) -> None:
    label, people = escalation_targets(task, step.target or "leads")
    _set(task, escalated_to=label[:330], escalated_at=change.now)
    for person in people:
        _grant(task, f"u:{person.email}")
    _event(change, "sla_escalated", task, step, escalated_to=label, to=[u.email for u in people])
    holder = task.assignee or "its group"
    notifications.notify(
        people, kind="escalation",
        title=f"Escalated to you: “{task.name}” is {due_phrase(task.due_at, change.now, late=True)}",
        body=f"In {change.row.title}; waiting on {holder}.", link=task_link(task),
        instance_id=task.instance_id, task_id=task.id, change=change)


def _reassign(change: Change, task: Task, step: Step) -> None:
    kind, _, name = (step.target or "").partition(":")
    previous = task.assignee or ", ".join([*(task.candidate_groups or []), *(task.candidate_users or [])])
    if kind == "group":
        _revoke(task, [*(f"g:{Group.key_for(g)}" for g in task.candidate_groups or []),
                       *(f"u:{u.casefold()}" for u in task.candidate_users or [])])
        _set(task, assignee=None, claimed_at=None, candidate_groups=[name], candidate_users=[])
        _grant(task, f"g:{Group.key_for(name)}")
        task.assignee, task.candidate_groups, task.candidate_users = None, [name], []
        to = f"group {name}"
    else:
        holder = notifications.find_user(task.assignee)
        person = notifications.manager_of(holder) if kind == "manager" else notifications.find_user(name)
        if person is None:
            whom = f"the manager of {task.assignee or 'nobody'}" if kind == "manager" else name
            reason = f"no one to reassign to: {whom} is not a user"
            _event(change, "sla_step_skipped", task, step, reason=reason)
            return
        _set(task, assignee=person.email, claimed_at=change.now)
        _grant(task, f"u:{person.email}")
        task.assignee = person.email
        to = person.email
    _event(change, "sla_reassigned", task, step, previous=previous, to=to)
    notifications.notify(
        notifications.recipients_for_task(task), kind="reassignment",
        title=f"Reassigned to you: “{task.name}” is {due_phrase(task.due_at, change.now, late=True)}",
        body=f"In {change.row.title}; it was with {previous or 'nobody'}.", link=task_link(task),
        instance_id=task.instance_id, task_id=task.id, change=change)


def upcoming_steps(task: Task) -> list[tuple[datetime, Step]]:
    """The ladder steps still to come for a task (for its page)."""
    rows = db.session.scalars(select(Timer).where(Timer.task_id == task.id, Timer.kind == KIND,
                                                  Timer.status == "pending").order_by(Timer.due_at))
    return [(row.due_at, Step.from_dict(row.payload or {})) for row in rows]


def register() -> None:
    """Hook the ladder into every runtime save and the timer machinery (idempotent)."""
    if sync_ladders not in runtime.SIDE_TABLES:
        runtime.SIDE_TABLES.append(sync_ladders)
    timers.register_handler(KIND, fire_step)


register()
