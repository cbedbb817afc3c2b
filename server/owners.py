"""Who owns a task: assignee, candidate users and groups, lane, or the instance's starter."""

from __future__ import annotations

from dataclasses import dataclass

import bpmn
from server.models import Group, Task, User

EXTERNAL_PREFIX = "external:"
"""A candidate user written `external:someone@example.com` is an outside person (see server.external)."""


def plain_user(name: str) -> str:
    """A candidate user's address without the `external:` marker."""
    text = name.strip()
    return text[len(EXTERNAL_PREFIX):].strip() if text.casefold().startswith(EXTERNAL_PREFIX) else text


@dataclass(frozen=True)
class Owners:
    """The owner fields of a task, resolved by the assignment rules."""

    assignee: str | None
    candidate_users: list[str]
    candidate_groups: list[str]


def resolve(task: bpmn.HumanTask, starter: User | None) -> Owners:
    """Model attributes win; else the lane's name is the candidate group; else the starter owns it."""
    assignee = (task.assignee or "").strip().casefold() or None
    users = [plain_user(u) for u in task.candidate_users if u and plain_user(u)]
    groups = [g.strip() for g in task.candidate_groups if g and g.strip()]
    if not (assignee or users or groups):
        if task.lane:
            groups = [task.lane]
        elif starter is not None:
            assignee = starter.email
    return Owners(assignee, users, groups)


def principals(owners: Owners, starter: User | None) -> set[str]:
    """The visibility index entries of a task: 'u:<email>' and 'g:<group key>'."""
    keys = {f"u:{u.casefold()}" for u in owners.candidate_users}
    keys |= {f"g:{Group.key_for(g)}" for g in owners.candidate_groups}
    if owners.assignee:
        keys.add(f"u:{owners.assignee.casefold()}")
    if starter is not None:
        keys.add(f"u:{starter.email.casefold()}")
    return keys


def user_principals(user: User) -> list[str]:
    return [f"u:{user.email.casefold()}", *sorted(f"g:{k}" for k in user.group_keys)]


def is_candidate(user: User, task: Task) -> bool:
    """May this user take the task (named as candidate user, or member of a candidate group)?"""
    email = user.email.casefold()
    if any(u.casefold() == email for u in task.candidate_users):
        return True
    keys = user.group_keys
    return any(Group.key_for(g) in keys for g in task.candidate_groups)


def is_assignee(user: User, task: Task) -> bool:
    return bool(task.assignee) and task.assignee.casefold() == user.email.casefold()  # type: ignore[union-attr]


def may_complete(user: User, task: Task) -> bool:
    """The assignee, or any candidate while the task is unclaimed, or an admin."""
    if user.is_admin:
        return True
    if not user.has_role("admin", "analyst", "participant") and not user.is_external:
        return False
    if task.delegation_state == "pending":
        return False  # the delegate resolves it (server.ownership); then its owner completes it
    if task.assignee:
        return is_assignee(user, task)
    return is_candidate(user, task)


def may_claim(user: User, task: Task) -> bool:
    if user.is_admin:
        return True
    return is_assignee(user, task) or (not task.assignee and is_candidate(user, task))
