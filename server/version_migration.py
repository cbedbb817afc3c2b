"""Move a running instance to another deployed version of its process, or say what a move would do.

Instances finish on the version they started on; an admin may move one when the elements it waits
in still exist in the target version (bpmn/migration_plan.py decides). The dry run only reads. The
move itself is one runtime change — lock, the engine's move (bpmn/migration.py), the task rows of
open tasks renamed/re-formed in place (their ids, assignments and links stay), the instance row
pointed at the target version, side tables kept in step by `runtime.save`'s hooks (a timer keeps its
row: same task id, same due time), and an `instance_migrated` audit event carrying the plan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

import bpmn
from bpmn.migration import MigrationRefused, migrate, plan_migration
from server import deploying, projection, runtime
from server.audit import PendingEvent
from server.db import db
from server.definitions import definition_for
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.models import Instance, ProcessVersion, Task, User


class MigrationBlocked(Conflict):
    """The instance cannot move now; `reasons` say why and `plan` (when there is one) shows it all."""

    code = "migration_refused"

    def __init__(self, message: str, reasons: list[str], plan: dict[str, Any] | None = None) -> None:
        super().__init__(message, reasons=reasons, plan=plan)
        self.reasons = reasons
        self.plan = plan


def target_version(row: Instance, to_version: int | None) -> ProcessVersion:
    """The version to move to: `to_version` of the instance's process, else its latest."""
    if to_version is None:
        target = deploying.latest_version(row.process_id)
    else:
        target = db.session.scalar(select(ProcessVersion).where(
            ProcessVersion.process_id == row.process_id, ProcessVersion.version == to_version))
    if target is None:
        raise InvalidInput({"to_version": f"Process {row.process_id!r} has no version {to_version}."},
                           "There is no such version to move to.")
    if target.id == row.process_version_id:
        raise InvalidInput({"to_version": f"Instance {row.id} already runs on version {target.version}."},
                           "The instance already runs on that version.")
    return target


def plan(instance_id: int, actor: User, to_version: int | None = None) -> dict[str, Any]:
    """The dry run: what moving the instance would do (`possible`, `reasons`, each element); no writes."""
    row = _running(instance_id, actor)
    target = target_version(row, to_version)
    found = plan_migration(runtime.load_workflow(row), definition_for(target, row.called_versions),
                           f"version {target.version}")
    return _plan_json(row, target, found, dry_run=True)


def migrate_instance(instance_id: int, actor: User, to_version: int | None = None) -> dict[str, Any]:
    """Move the instance to the target version in one runtime change; the plan it followed.

    MigrationBlocked (409) when the instance is not running or an element it waits in does not fit;
    InvalidInput (422) when there is no such version or the instance already runs on it.
    """

    def attempt() -> dict[str, Any]:
        row = _running(instance_id, actor, fresh=True)
        source = row.process_version
        target = target_version(row, to_version)
        change = runtime.Change(row=row)
        try:
            # (the processes of other deployments it calls stay the versions bound when it started)
            moved, found = migrate(runtime.load_workflow(row), definition_for(target, row.called_versions),
                                   f"version {target.version}")
        except MigrationRefused as exc:
            refused = _plan_json(row, target, exc.plan, dry_run=False)
            raise MigrationBlocked(f"Instance {row.id} cannot move to version {target.version}: "
                                   + "; ".join(exc.plan.reasons()), exc.plan.reasons(), refused) from exc
        result = _plan_json(row, target, found, dry_run=False)
        runtime.lock(row)
        change.events.append(PendingEvent(
            "instance_migrated", actor=actor,
            data={"from_version": source.version, "to_version": target.version, "plan": result["plan"]},
        ))
        _refresh_open_tasks(row, moved)
        change.events.extend(projection.sync(row, moved, change.now))
        runtime.save(change, moved, process_version_id=target.id)
        return result

    result = runtime.retrying(attempt)
    db.session.expire_all()
    return result


def running_instances(process_id: str, version: int) -> list[int]:
    """Ids of the running instances of one version of a process (for moving them all)."""
    return list(db.session.scalars(
        select(Instance.id).join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
        .where(Instance.process_id == process_id, ProcessVersion.version == version,
               Instance.status == "running")
        .order_by(Instance.id)
    ))


def newer_version(row: Instance) -> ProcessVersion | None:
    """The latest version of the instance's process when it is newer than the instance's own."""
    latest = deploying.latest_version(row.process_id)
    if latest is None or latest.version <= row.process_version.version:
        return None
    return latest


# --- helpers ---------------------------------------------------------------------------------------


def _running(instance_id: int, actor: User, *, fresh: bool = False) -> Instance:
    if not actor.is_admin:
        raise Forbidden("Only an admin can move an instance to another version.")
    row = db.session.get(Instance, instance_id, populate_existing=fresh)
    if row is None:
        raise NotFound(f"Instance {instance_id} does not exist.")
    if row.status != "running":
        reason = (f"Instance {instance_id} is {row.status}; "
                  "only a running instance can move to another version.")
        raise MigrationBlocked(reason, [reason])
    return row


def _plan_json(row: Instance, target: ProcessVersion, found: Any, *, dry_run: bool) -> dict[str, Any]:
    body = found.to_dict()
    return {
        "instance_id": row.id,
        "process_id": row.process_id,
        "from_version": row.process_version.version,
        "to_version": target.version,
        "dry_run": dry_run,
        "possible": body["possible"],
        "reasons": body["reasons"],
        "plan": body,
    }


def _refresh_open_tasks(row: Instance, moved: bpmn.Instance) -> None:
    """Open tasks keep their rows (ids, assignee, candidates, claims); what the new version says about
    them — name, lane, documentation, form — is written in place."""
    humans = {h.id: h for h in moved.human_tasks()}
    open_rows = db.session.execute(
        select(Task.id, Task.name, Task.lane, Task.documentation, Task.form)
        .where(Task.instance_id == row.id, Task.state == "open")
    ).all()
    for task_id, name, lane, documentation, form in open_rows:
        human = humans.get(task_id)
        if human is None:
            continue
        values = {"name": (human.name or human.element_id)[:300], "lane": human.lane,
                  "documentation": human.documentation or "", "form": list(human.form_fields)}
        if values != {"name": name, "lane": lane, "documentation": documentation, "form": form}:
            db.session.execute(update(Task).where(Task.id == task_id).values(**values)
                               .execution_options(synchronize_session=False))
