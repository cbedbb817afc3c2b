"""The runtime: the one path that changes a process instance.

Every change (start, complete, claim, cancel; later timers, service results, messages) loads the
instance row and its workflow, lets the engine apply the change under a step budget, and writes the
new state, the task projection and the audit events in ONE transaction guarded by the instance's
version column. A write that loses the race rolls back and runs again on the fresh state, so
concurrent web requests and workers never overwrite each other and users never see a lock error.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import Executable, bindparam, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

import bpmn
import forms
from server import audit, documents, fastjson, live, owners, projection
from server.audit import PendingEvent
from server.clock import iso, utcnow
from server.config import DEFAULT_LIVE_INSTANCES, LOCK_RETRIES
from server.db import db, persistent
from server.definitions import definition_for, latest_called
from server.errors import Busy, Forbidden, InvalidInput, NotFound, TaskNotOpen, TaskTaken
from server.models import Incident, Instance, ProcessVersion, Task, TaskAccess, User, Watcher

log = logging.getLogger(__name__)
T = TypeVar("T")


class _LostRace(Exception):
    """Another writer changed the instance first; run the change again."""


@dataclass
class Change:
    """What one change does to an instance, collected in memory and written at the end.

    `after_commit` holds what must happen only once the transaction is committed (enqueueing RQ
    jobs for the timers, service calls and notifications it wrote): a rolled-back change enqueues
    nothing, and a lost enqueue is repaired by the reconciler.
    """

    row: Instance
    now: datetime = field(default_factory=utcnow)
    events: list[PendingEvent] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    thrown: list[bpmn.ThrownMessage] = field(default_factory=list)
    """Messages and signals the workflow threw out during this change (taken by `save`; routed
    to other instances after commit by server/messages.py)."""
    written: dict[str, Any] = field(default_factory=dict)
    """The instance columns `save` wrote."""
    watched: bool | None = None
    """Whether anyone watches the case, when the change read it already (None: not known)."""
    keep_live: bool = False
    """True when the caller is done with the workflow once `save` wrote it: after the commit it is
    kept in this process for the instance's next change (server/live.py)."""
    guard_in_save: bool = False
    """True when the change did not `lock` first: `save` then writes the instance row only if its
    version is still the one read (same guarantee, one statement less). Its earlier writes may then
    collide with a concurrent change's (the same new task, the same audit seq): `retrying` takes
    such a duplicate key as the lost race it is."""

    def __post_init__(self) -> None:
        if self.guard_in_save:
            db.session.info["baton_unguarded_writes"] = True


# Modules that keep side tables in step with the workflow (timers, service calls, ...) register a
# function here; `save` calls each with the change and the workflow, in the same transaction.
SIDE_TABLES: list[Callable[[Change, bpmn.Instance], None]] = []


def _after_commit_queue() -> list[Callable[[], None]]:
    """What the current transaction will do once committed (kept on this session, so per thread)."""
    queue: list[Callable[[], None]] = db.session.info.setdefault("baton_after_commit", [])
    return queue


def _budget() -> int:
    return int(current_app.config.get("BATON_STEP_BUDGET", bpmn.DEFAULT_STEP_BUDGET))


def retrying(fn: Callable[[], T]) -> T:
    """Run a change until it lands: a lost optimistic-lock race or a busy SQLite just runs it again."""
    for attempt in range(LOCK_RETRIES):
        _after_commit_queue().clear()
        db.session.info.pop("baton_unguarded_writes", None)
        try:
            result = fn()
            db.session.commit()
            run_after_commit()
            return result
        except _LostRace:
            db.session.rollback()
        except IntegrityError:
            db.session.rollback()
            if not db.session.info.pop("baton_unguarded_writes", False):
                raise
        except OperationalError as exc:
            db.session.rollback()
            if "locked" not in str(exc) and "deadlock" not in str(exc).lower():
                raise
        except BaseException:
            db.session.rollback()
            raise
        time.sleep(min(0.2, 0.002 * (2**attempt)) * random.random())
    raise Busy("This case is changing very often right now; please try again.")


def run_after_commit() -> None:
    """Run what the committed change scheduled (enqueue jobs); a failure here loses nothing."""
    queue = _after_commit_queue()
    callbacks = list(queue)
    queue.clear()
    for callback in callbacks:
        try:
            callback()
        except Exception:  # Redis down: the reconciler hands the work over later
            log.warning("after-commit step failed; the reconciler will repair it", exc_info=True)


def lock(row: Instance) -> None:
    """Take the instance for this transaction: bump its version only if nobody else did first."""
    result = db.session.execute(
        update(Instance)
        .where(Instance.id == row.id, Instance.version == row.version)
        .values(version=row.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _LostRace()


def save(change: Change, wf: bpmn.Instance | None, **extra: Any) -> None:
    """Write workflow state, variables, status, waits and the audit chain head (after lock)."""
    if wf is None:
        _save(change, None, extra)
        return
    with wf.settled():  # the side tables read the same status and waits: the engine computes them once
        _save(change, wf, extra)


def _save(change: Change, wf: bpmn.Instance | None, extra: dict[str, Any]) -> None:
    row = change.row
    values: dict[str, Any] = {"updated_at": change.now, **extra}
    if wf is not None:
        change.thrown.extend(wf.take_thrown())  # before the dump: the saved state keeps no queue
        status = extra.get("status") or wf.status
        dumped = wf.dump()
        state = fastjson.state_text(dumped)
        if change.keep_live and status == "running" and len(state) <= live.MAX_STATE_CHARS:
            change.after_commit.append(functools.partial(live.keep, row.id, dumped, wf, _live_size()))
        values.update(
            state=state,
            data=wf.data,
            status=status,
            waiting=[_wait_dict(w) for w in wf.waiting()] if status == "running" else [],
        )
        if status == "error" and "error" not in extra:
            failures = wf.failures()
            values["error"] = "; ".join(_failure_text(f) for f in failures) or "the process failed"
        if status in ("completed", "cancelled"):
            values["ended_at"] = change.now
    status = values.get("status", row.status)
    if status != row.status:
        if status == "completed":
            change.events.append(
                PendingEvent(
                    "instance_completed", actor_label="engine", data={"variables": values.get("data")}
                )
            )
        elif status == "error":
            change.events.append(
                PendingEvent("instance_failed", actor_label="engine", data={"error": values.get("error")})
            )
    if wf is not None:
        for sync_side_table in SIDE_TABLES:
            sync_side_table(change, wf)
    seq, head = audit.append(row.id, row.event_seq, row.event_hash, change.events, change.now)
    values.update(event_seq=seq, event_hash=head)
    _after_commit_queue().extend(change.after_commit)
    change.written = values
    if change.guard_in_save:
        values["version"] = row.version + 1
        result = db.session.connection().execute(_SAVE_GUARDED, {"b_id": row.id, "b_version": row.version,
                                                                 **values})
        if result.rowcount != 1:
            raise _LostRace()
    else:
        db.session.connection().execute(_SAVE, {"b_id": row.id, **values})


# Built once (the SET clause comes from the parameters' keys): `save` runs on every change.
_INSTANCES = Instance.__table__
_SAVE = _INSTANCES.update().where(_INSTANCES.c.id == bindparam("b_id"))
_SAVE_GUARDED = _SAVE.where(_INSTANCES.c.version == bindparam("b_version"))


def _wait_dict(w: Any) -> dict[str, Any]:
    return {"kind": w.kind, "element_id": w.element_id, "name": w.name, "due_at": iso(w.due_at)}


def _failure_text(f: Any) -> str:
    where = f.name or f.element_id
    return f"{where}: {f.message}" + (f" (line {f.line})" if getattr(f, "line", None) else "")


def load_workflow(row: Instance, state: str | None = None) -> bpmn.Instance:
    """The instance's workflow, from `state` when the caller read it with the row (same version)."""
    if state is None:
        state = db.session.scalar(select(Instance.state).where(Instance.id == row.id))
    definition = definition_for(row.process_version, row.called_versions)
    saved = json.loads(state or "{}")
    return live.take(row.id, definition, saved) or bpmn.Instance.load(definition, saved)


def _live_size() -> int:
    return int(current_app.config.get("BATON_LIVE_INSTANCES", DEFAULT_LIVE_INSTANCES))


def advance_safely(change: Change, action: Callable[[], None]) -> dict[str, Any]:
    """Run an engine action; a model that loops becomes an instance in error, not a hung request."""
    try:
        action()
    except bpmn.StepBudgetExceeded as exc:
        change.events.append(
            PendingEvent(
                "step_budget_exceeded",
                actor_label="engine",
                element_id=exc.element_id,
                data={"error": str(exc)},
            )
        )
        return {"status": "error", "error": str(exc)}
    return {}


# --- changes ---------------------------------------------------------------------------------


def start_instance(
    version: ProcessVersion,
    actor: User,
    variables: dict[str, Any],
    business_key: str | None = None,
    *,
    start_event: str | None = None,
    start_message: str | None = None,
    in_transaction: Callable[[Change], None] | None = None,
) -> Instance:
    """Create an instance of a deployed process version and run it to its first wait states.

    `start_event` names the timer start event whose timer fired (server/timer_sync.py);
    `start_message` the message of the message start event it starts at (server/messages.py);
    `in_transaction(change)` runs inside the same transaction, before the engine does.
    """
    # Call activities to processes of other deployments call their latest version as of now.
    called = latest_called(definition_for(version))
    definition = definition_for(version, called)
    if definition.initiator:  # camunda:initiator: the start event names a variable for the starter
        variables = {**variables, definition.initiator: actor.email}
    now = utcnow()
    row = Instance(
        process_version_id=version.id,
        process_id=version.process_id,
        business_key=business_key,
        status="running",
        version=1,
        state="{}",
        data=dict(variables),
        started_by_id=actor.id,
        called_versions=called,
        started_at=now,
        updated_at=now,
        event_seq=0,
        event_hash="",
    )
    db.session.add(row)
    db.session.flush()
    row.started_by = actor
    change = Change(row=row, now=now, keep_live=True)
    change.events.append(
        PendingEvent(
            "instance_started",
            actor=actor,
            data={"variables": variables, "business_key": business_key, "version": version.version},
        )
    )
    if in_transaction is not None:
        in_transaction(change)
    holder: list[bpmn.Instance] = []

    def run() -> None:
        holder.append(
            bpmn.Instance.start(definition, dict(variables), step_budget=_budget(), start_event=start_event,
                                start_message=start_message)
        )

    extra = advance_safely(change, run)
    if not holder:  # looped before its first wait state: keep the record, in error
        db.session.execute(
            update(Instance).where(Instance.id == row.id).values(status="error", error=extra.get("error"))
        )
        seq, head = audit.append(row.id, 0, "", change.events, now)
        db.session.execute(
            update(Instance).where(Instance.id == row.id).values(event_seq=seq, event_hash=head)
        )
        db.session.commit()
        return _fresh(row.id)
    wf = holder[0]
    change.events.extend(projection.sync(row, wf, now, open_rows={}))
    save(change, wf, **extra)
    db.session.commit()
    run_after_commit()
    return _fresh(row.id)


def complete_task(
    task_id: str, actor: User, submitted: dict[str, Any], *, from_html: bool = False
) -> Instance:
    """Complete a human task with validated data and advance the instance to its next wait states.

    A task with a form keeps only its validated, typed fields; a task without one (SpiffArena's JSON
    Schema forms, for now) takes the submitted object as it is.
    """

    def attempt() -> Instance:
        task, state, watched, had_incidents = _task_to_complete(task_id)
        if task.state != "open":
            raise TaskNotOpen(
                f"Task {task.name!r} is already {task.state}.", task_id=task_id, state=task.state
            )
        if not owners.may_complete(actor, task):
            raise Forbidden(_why_not(actor, task))
        data = validate_submission(task.form, submitted, from_html=from_html)
        documents.check_references(task, data)
        row = task.instance
        # The engine runs before any write, and `save` writes the instance row only if its version
        # is still the one read with the task: a writer that commits meanwhile makes the change run
        # again, and SQLite's single write lock is held only for the writes themselves.
        change = Change(row=row, watched=watched, guard_in_save=True, keep_live=True)
        wf = load_workflow(row, state)
        if not task.assignee:
            change.events.append(
                PendingEvent(
                    "task_claimed", actor=actor, element_id=task.element_id, name=task.name, task_id=task.id
                )
            )
        change.events.append(
            PendingEvent(
                "task_completed",
                actor=actor,
                element_id=task.element_id,
                name=task.name,
                task_id=task.id,
                data=data,
                meta={"due": task.due_at is not None},
            )
        )
        try:
            extra = advance_safely(change, lambda: wf.complete(task_id, data, step_budget=_budget()))
        except bpmn.TaskNotReady as exc:
            raise TaskNotOpen(
                f"Task {task.name!r} is no longer waiting for input.", task_id=task_id, state=exc.state
            ) from exc
        completion = projection.Completion(task_id, actor, data)
        with wf.settled():  # from here on the change only reads the workflow
            change.events.extend(projection.sync(row, wf, change.now, completion))
            save(change, wf, **extra)
        opened = any(event.kind == "incident_opened" for event in change.events)
        return _as_committed(row, change, no_incidents=not (had_incidents or opened))

    return retrying(attempt)


def claim_task(task_id: str, actor: User) -> Task:
    """Take a task: it becomes the actor's, and leaves the group queue."""

    def attempt() -> None:
        task = _task(task_id)
        if task.state != "open":
            raise TaskNotOpen(
                f"Task {task.name!r} is already {task.state}.", task_id=task_id, state=task.state
            )
        if owners.is_assignee(actor, task):
            return
        if task.assignee and not actor.is_admin:
            raise TaskTaken(
                f"Task {task.name!r} is already claimed by {task.assignee}.", assignee=task.assignee
            )
        if not owners.may_claim(actor, task):
            raise Forbidden(_why_not(actor, task))
        change = Change(row=task.instance)
        lock(change.row)
        previous = task.assignee
        _set_assignee(task, actor.email, change.now)
        change.events.append(
            PendingEvent(
                "task_claimed", actor=actor, element_id=task.element_id, name=task.name, task_id=task.id
            )
        )
        if previous:  # an admin took it over from someone: tell them
            title = f"{actor.display_name} took over “{task.name}”"
            _tell(change, task, [previous], title, "reassignment", actor)
        save(change, None)

    retrying(attempt)
    db.session.expire_all()
    return _task(task_id)


def unclaim_task(task_id: str, actor: User) -> Task:
    """Give a claimed task back to its candidates."""

    def attempt() -> None:
        task = _task(task_id)
        if task.state != "open":
            raise TaskNotOpen(
                f"Task {task.name!r} is already {task.state}.", task_id=task_id, state=task.state
            )
        if not task.assignee:
            return
        if not (owners.is_assignee(actor, task) or actor.is_admin):
            raise Forbidden("Only the person who holds this task, or an admin, can give it back.")
        if not (task.candidate_users or task.candidate_groups):
            raise TaskTaken("This task has no candidates to give it back to; reassign it instead.")
        change = Change(row=task.instance)
        lock(change.row)
        previous = task.assignee
        _set_assignee(task, None, change.now)
        change.events.append(
            PendingEvent(
                "task_unclaimed",
                actor=actor,
                element_id=task.element_id,
                name=task.name,
                task_id=task.id,
                data={"previous": previous},
            )
        )
        task.assignee = None  # (written above) the candidates hear that it is theirs to take again
        from server import notifications

        waiting = [u.email for u in notifications.recipients_for_task(task)]
        _tell(change, task, waiting, f"“{task.name}” is free to take again", "assignment", actor)
        save(change, None)

    retrying(attempt)
    db.session.expire_all()
    return _task(task_id)


def cancel_instance(instance_id: int, actor: User) -> Instance:
    """Stop an instance for good: its open tasks are cancelled."""
    if not actor.is_admin:
        raise Forbidden("Only an admin can cancel an instance.")

    def attempt() -> Instance:
        row = db.session.get(Instance, instance_id, populate_existing=True)
        if row is None:
            raise NotFound(f"Instance {instance_id} does not exist.")
        if row.status in ("completed", "cancelled"):
            raise TaskNotOpen(f"Instance {instance_id} is already {row.status}.", status=row.status)
        change = Change(row=row)
        lock(row)
        wf = load_workflow(row)
        wf.cancel()
        projection.close_all(row, change.now)
        change.events.append(PendingEvent("instance_cancelled", actor=actor))
        save(change, wf, status="cancelled", ended_at=change.now, waiting=[])
        return row

    row = retrying(attempt)
    return _fresh(row.id)


# --- helpers ---------------------------------------------------------------------------------


def validate_submission(
    fields: list[dict[str, Any]], submitted: dict[str, Any], *, from_html: bool
) -> dict[str, Any]:
    """Typed values of a form submission, or InvalidInput naming every bad field."""
    if not fields:
        return {} if from_html else dict(submitted)
    try:
        return forms.validate(forms.form_from_fields(fields), submitted, from_html=from_html)
    except forms.FormInvalid as exc:
        raise InvalidInput(exc.fields) from exc


def _task(task_id: str) -> Task:
    task = db.session.get(Task, task_id, populate_existing=True)
    if task is None:
        raise NotFound(f"Task {task_id} does not exist.")
    return task


def _task_to_complete(task_id: str) -> tuple[Task, str, bool, bool]:
    """The task with its instance (its version and starter), the saved state, whether anyone watches
    the case and whether it has open incidents: one read of plain columns, turned into the session's
    objects without the ORM's loading machinery (which cost more than the statement itself)."""
    found = db.session.connection().execute(_task_to_complete_statement(), {"b_task": task_id}).first()
    if found is None:
        raise NotFound(f"Task {task_id} does not exist.")
    values = found._mapping
    parts = {prefix: {key: values[f"{prefix}{key}"] for _, key in columns}
             for prefix, _, columns in _loaded_parts()}
    task = persistent(Task, parts["t_"])
    row = persistent(Instance, parts["i_"])
    set_committed_value(task, "instance", row)
    set_committed_value(row, "process_version", persistent(ProcessVersion, parts["v_"]))
    set_committed_value(row, "started_by",
                        persistent(User, parts["u_"]) if parts["u_"]["id"] is not None else None)
    return task, values["state"], bool(values["watched"]), bool(values["troubled"])


@functools.cache
def _loaded_parts() -> list[tuple[str, type[Any], list[tuple[Any, str]]]]:
    """(prefix, model, [(column, attribute)]) of the objects a completion reads: the columns the ORM
    would load (not the deferred ones; the state is read on its own)."""
    parts = []
    for prefix, model in (("t_", Task), ("i_", Instance), ("v_", ProcessVersion), ("u_", User)):
        mapper = sa_inspect(model)
        columns = [(column, mapper.get_property_by_column(column).key) for column in model.__table__.c
                   if not mapper.get_property_by_column(column).deferred]
        parts.append((prefix, model, columns))
    return parts


@functools.cache
def _task_to_complete_statement() -> Executable:
    """Built once: every completion runs it, and building it costs more than running it."""
    tasks, instances = Task.__table__, Instance.__table__
    versions, users = ProcessVersion.__table__, User.__table__
    watched = select(Watcher.user_id).where(Watcher.instance_id == tasks.c.instance_id).exists()
    open_incident = Incident.instance_id == tasks.c.instance_id, Incident.status == "open"
    troubled = select(Incident.id).where(*open_incident).exists()
    columns = [column.label(f"{prefix}{key}") for prefix, _, cols in _loaded_parts() for column, key in cols]
    return (
        select(*columns, instances.c.state.label("state"), watched.label("watched"),
               troubled.label("troubled"))
        .select_from(tasks)
        .join(instances, instances.c.id == tasks.c.instance_id)
        .join(versions, versions.c.id == instances.c.process_version_id)
        .outerjoin(users, users.c.id == instances.c.started_by_id)
        .where(tasks.c.id == bindparam("b_task"))
    )


def _as_committed(row: Instance, change: Change, *, no_incidents: bool) -> Instance:
    """The instance row as this change leaves it, kept out of the commit's expiry: the answer to the
    request needs no second read. (Detached: the caller only reads it.) What the change knew that
    the answer would otherwise read again is kept with it (see `known_facts`)."""
    db.session.flush()
    db.session.expunge(row)
    for key, value in change.written.items():
        set_committed_value(row, key, value)
    version = row.process_version  # read now: the commit expires it (it stays in the session)
    facts: dict[str, Any] = {
        "started_by_email": row.started_by.email if row.started_by else None,
        "process": (version.display_name, version.deployment_id, version.version),
    }
    if no_incidents:
        facts["open_incidents"] = []
    row.__dict__[_FACTS] = facts
    return row


_FACTS = "_baton_known"


def known_facts(row: Instance) -> dict[str, Any]:
    """What the change that returned `row` already knew about it ("started_by_email",
    "open_incidents", "process": its version's name, deployment id and number); empty for a row
    read any other way (then read the facts)."""
    facts: dict[str, Any] = row.__dict__.get(_FACTS, {})
    return facts


def _fresh(instance_id: int) -> Instance:
    """The instance as committed (with its starter, which every answer names)."""
    db.session.expire_all()
    row = db.session.execute(
        select(Instance).options(joinedload(Instance.started_by)).where(Instance.id == instance_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    return row


def _set_assignee(task: Task, email: str | None, now: datetime) -> None:
    db.session.execute(
        update(Task)
        .where(Task.id == task.id)
        .values(assignee=email, claimed_at=now if email else None)
        .execution_options(synchronize_session=False)
    )
    if email:
        principal = f"u:{email.casefold()}"
        exists = db.session.scalar(
            select(TaskAccess.task_id).where(TaskAccess.task_id == task.id, TaskAccess.principal == principal)
        )
        if not exists:
            db.session.add(
                TaskAccess(task_id=task.id, principal=principal, state="open", created_at=task.created_at)
            )


def _tell(change: Change, task: Task, emails: list[str], title: str, kind: str, actor: User) -> None:
    """Notify the people named by e-mail (never the actor) about a change of a task's owner."""
    from server import notifications

    others = [email for email in emails if email.casefold() != actor.email.casefold()]
    people = [notifications.find_user(email) for email in others]
    notifications.notify(
        [p for p in people if p is not None], kind=kind, title=title, body=f"In {change.row.title}.",
        link=f"/tasks/{task.id}", instance_id=task.instance_id, task_id=task.id, change=change,
    )


def _why_not(actor: User, task: Task) -> str:
    if task.delegation_state == "pending":
        return (f"Task {task.name!r} is delegated to {task.assignee}: they resolve it, then {task.owner} "
                "completes it.")
    if task.assignee:
        return f"Task {task.name!r} belongs to {task.assignee}; only they or an admin can complete it."
    offered = ", ".join([*task.candidate_groups, *task.candidate_users]) or "nobody"
    return f"Task {task.name!r} is offered to {offered}, and you are not one of them."
