"""Ownership changes on live tasks: delegate, resolve, reassign, priority — audited and notified.

Each is a runtime change (lock the instance, update the task row and its visibility index, append an
audit event, notify the people concerned) and never suspends the case. Delegation follows Camunda: the
holder delegates to someone, who becomes the assignee while the holder stays the task's `owner`; the
delegate resolves it (instead of completing), and the task is back with the owner to complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, exists, select, update

from server import notifications, owners, runtime
from server.audit import PendingEvent
from server.db import db
from server.errors import BadRequest, Forbidden, NotFound, TaskNotOpen
from server.models import Group, Membership, Task, TaskAccess, User
from server.runtime import Change

MIN_PRIORITY, MAX_PRIORITY = 0, 100
PRIORITY_RULE = f"priority is a whole number from {MIN_PRIORITY} to {MAX_PRIORITY}."


def _open_task(task_id: str) -> Task:
    task = db.session.get(Task, task_id, populate_existing=True)
    if task is None:
        raise NotFound(f"Task {task_id} does not exist.")
    if task.state != "open":
        raise TaskNotOpen(f"Task {task.name!r} is already {task.state}.", task_id=task_id, state=task.state)
    return task


def _person(email: str, field: str = "to") -> User:
    user = notifications.find_user(email)
    if user is None or not user.active:
        raise BadRequest(f"Nobody called {email!r} works in Baton.", field=field)
    return user


def is_lead_for(user: User, task: Task) -> bool:
    """Does the user lead one of the task's candidate groups?"""
    keys = [Group.key_for(g) for g in task.candidate_groups or []]
    if not keys:
        return False
    query = select(exists().where(Membership.user_id == user.id, Membership.is_lead.is_(True),
                                  Membership.group_id == Group.id, Group.key.in_(keys)))
    return bool(db.session.scalar(query))


def may_reassign(user: User, task: Task) -> bool:
    return user.is_admin or is_lead_for(user, task)


def may_delegate(user: User, task: Task) -> bool:
    """The holder (or, while unclaimed, a candidate, who then owns it) and admins."""
    return task.state == "open" and (owners.is_assignee(user, task) or user.is_admin
                                     or (not task.assignee and owners.is_candidate(user, task)))


def may_resolve(user: User, task: Task) -> bool:
    return task.state == "open" and task.delegation_state == "pending" and (
        owners.is_assignee(user, task) or user.is_admin)


def may_prioritise(user: User, task: Task) -> bool:
    return task.state == "open" and (owners.is_assignee(user, task) or may_reassign(user, task))


def _grant(task: Task, email: str) -> None:
    principal = f"u:{email.casefold()}"
    found = db.session.scalar(select(TaskAccess.task_id).where(TaskAccess.task_id == task.id,
                                                              TaskAccess.principal == principal))
    if not found:
        db.session.add(TaskAccess(task_id=task.id, principal=principal, state="open",
                                  created_at=task.created_at))


def _write(task: Task, **values: Any) -> None:
    db.session.execute(update(Task).where(Task.id == task.id).values(**values)
                       .execution_options(synchronize_session=False))


def _event(kind: str, actor: User, task: Task, **data: Any) -> PendingEvent:
    return PendingEvent(kind, actor=actor, element_id=task.element_id, name=task.name, task_id=task.id,
                        data=data)


def _tell(change: Change, people: Sequence[User | None], actor: User, kind: str, title: str,
          task: Task) -> None:
    audience = [u for u in people if u is not None and u.id != actor.id]
    notifications.notify(audience, kind=kind, title=title, link=f"/tasks/{task.id}",
                         instance_id=task.instance_id, task_id=task.id, change=change)


def _run(task_id: str, change_fn: Any) -> Task:
    def attempt() -> None:
        task = _open_task(task_id)
        change = Change(row=task.instance)
        if change_fn(task, change) is False:
            return
        runtime.save(change, None)

    runtime.retrying(attempt)
    db.session.expire_all()
    found = db.session.get(Task, task_id)
    assert found is not None
    return found


def delegate(task_id: str, actor: User, to: str) -> Task:
    """Hand a task to someone to work on; it comes back to its owner once they resolve it."""
    def change_fn(task: Task, change: Change) -> bool:
        if not may_delegate(actor, task):
            raise Forbidden(f"Only whoever holds “{task.name}”, or an admin, can delegate it.")
        delegate_to = _person(to)
        if task.assignee and delegate_to.email == task.assignee.casefold():
            raise BadRequest(f"{delegate_to.email} already holds “{task.name}”.", field="to")
        owner = task.owner if task.delegation_state == "pending" else (task.assignee or actor.email)
        runtime.lock(change.row)
        _write(task, assignee=delegate_to.email, owner=owner, delegation_state="pending",
               delegated_at=change.now, claimed_at=change.now)
        _grant(task, delegate_to.email)
        change.events.append(_event("task_delegated", actor, task, owner=owner, to=delegate_to.email,
                                    previous=task.assignee))
        _tell(change, [delegate_to], actor, "assignment",
              f"{actor.display_name} delegated “{task.name}” to you ({change.row.title})", task)
        return True

    return _run(task_id, change_fn)


def resolve(task_id: str, actor: User) -> Task:
    """The delegate is done: the task goes back to its owner, who completes it."""
    def change_fn(task: Task, change: Change) -> bool:
        if not may_resolve(actor, task):
            if task.delegation_state != "pending":
                raise TaskNotOpen(f"“{task.name}” is not delegated, so there is nothing to resolve.",
                                  task_id=task.id, state=task.state)
            raise Forbidden(f"Only {task.assignee}, to whom “{task.name}” is delegated, or an admin "
                            "can resolve it.")
        runtime.lock(change.row)
        owner = task.owner or actor.email
        _write(task, assignee=owner, delegation_state="resolved", claimed_at=change.now)
        change.events.append(_event("task_resolved", actor, task, owner=owner, delegate=task.assignee))
        _tell(change, [notifications.find_user(owner)], actor, "assignment",
              f"{actor.display_name} resolved “{task.name}”; it is back with you to complete", task)
        return True

    return _run(task_id, change_fn)


def parse_target(target: str) -> tuple[str, str]:
    """`user:x@example.com` or `group:legal` -> ("user" | "group", name)."""
    kind, _, name = (target or "").partition(":")
    if kind not in ("user", "group") or not name.strip():
        raise BadRequest('Say who: "user:<email>" or "group:<name>".', field="to")
    return kind, name.strip()


def reassign(task_id: str, actor: User, target: str) -> Task:
    """Give a task to another person or group (admins and the leads of its candidate groups)."""
    kind, name = parse_target(target)

    def change_fn(task: Task, change: Change) -> bool:
        if not may_reassign(actor, task):
            raise Forbidden(f"Only an admin or a lead of {', '.join(task.candidate_groups) or 'its groups'} "
                            f"can reassign “{task.name}”.")
        before = {"assignee": task.assignee, "candidate_groups": list(task.candidate_groups or []),
                  "candidate_users": list(task.candidate_users or [])}
        clear = {"owner": None, "delegation_state": None, "delegated_at": None}
        if kind == "user":
            person = _person(name)
            runtime.lock(change.row)
            _write(task, assignee=person.email, claimed_at=change.now, **clear)
            _grant(task, person.email)
            people: list[User | None] = [person, notifications.find_user(task.assignee)]
            title = f"“{task.name}” was reassigned to {person.display_name} by {actor.display_name}"
            after: dict[str, Any] = {"assignee": person.email}
        else:
            group = db.session.scalar(select(Group).where(Group.key == Group.key_for(name)))
            if group is None:
                raise BadRequest(f"There is no group called {name!r}.", field="to")
            runtime.lock(change.row)
            _write(task, assignee=None, claimed_at=None, candidate_groups=[group.name], candidate_users=[],
                   **clear)
            _reindex(task, group)
            people = [*notifications.group_members(group.name), notifications.find_user(task.assignee)]
            title = f"“{task.name}” was reassigned to the group {group.name} by {actor.display_name}"
            after = {"candidate_groups": [group.name]}
        change.events.append(_event("task_reassigned", actor, task, before=before, after=after))
        _tell(change, people, actor, "reassignment", f"{title} ({change.row.title})", task)
        return True

    return _run(task_id, change_fn)


def _reindex(task: Task, group: Group) -> None:
    """The task is offered to `group` alone now: the old group queues and candidates no longer see it."""
    starter = task.instance.started_by
    db.session.execute(delete(TaskAccess).where(TaskAccess.task_id == task.id))
    keys = {f"g:{group.key}"}
    if starter is not None:
        keys.add(f"u:{starter.email.casefold()}")
    db.session.add_all(TaskAccess(task_id=task.id, principal=k, state="open", created_at=task.created_at)
                       for k in sorted(keys))


def set_priority(task_id: str, actor: User, priority: Any) -> Task:
    """Change how urgent a task is (its holder, its groups' leads, admins)."""
    if isinstance(priority, bool) or not isinstance(priority, int | str):
        raise BadRequest(PRIORITY_RULE, field="priority")
    try:
        value = int(priority)
    except ValueError as exc:
        raise BadRequest(PRIORITY_RULE, field="priority") from exc
    if not MIN_PRIORITY <= value <= MAX_PRIORITY:
        raise BadRequest(PRIORITY_RULE, field="priority")

    def change_fn(task: Task, change: Change) -> bool:
        if not may_prioritise(actor, task):
            raise Forbidden(f"Only whoever holds “{task.name}”, a lead of its groups or an admin can change "
                            "its priority.")
        if task.priority == value:
            return False
        runtime.lock(change.row)
        _write(task, priority=value)
        change.events.append(_event("task_priority_changed", actor, task, before=task.priority, after=value))
        _tell(change, notifications.recipients_for_task(task), actor, "info",
              f"{actor.display_name} set the priority of “{task.name}” to {value}", task)
        return True

    return _run(task_id, change_fn)
