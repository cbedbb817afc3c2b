"""BPMN timers in the timers table: kept in step with each instance's waits, fired by the runtime.

- `sync_bpmn_timers` (registered in runtime.SIDE_TABLES) runs inside every save: a timer the
  instance newly waits on gets a pending row (kind "bpmn", keyed by the engine task id and due
  time); a pending row whose wait vanished is closed — "fired" when it was due (the engine fired it
  during this change), else "cancelled" (a task completed, the instance ended). Once an instance
  has ended, its pending timers of every kind are cancelled.
- Handler "bpmn": a runtime change that loads the workflow, fires the timers due now and saves;
  the row is settled in the same transaction, so the effect lands exactly once.
- Handler "start": creates an instance of the process version at its timer start event and arms
  the next occurrence of a cycle, in one transaction.
- `on_deployed`: arms the timer start events of newly deployed versions and cancels the pending
  start timers of the versions they replace.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

import bpmn
from server import projection, runtime, timers
from server.audit import PendingEvent
from server.clock import iso, to_utc_naive, utcnow
from server.db import db
from server.definitions import definition_for
from server.models import Deployment, Instance, ProcessVersion, Timer, User, UserRole

log = logging.getLogger(__name__)

HANDLER_KINDS = ("bpmn", "start")


# --- keeping rows in step with the instance's waits ----------------------------------------------


def sync_bpmn_timers(change: runtime.Change, wf: bpmn.Instance) -> None:
    """Insert rows for new timer waits and close the rows of waits that are gone (same transaction)."""
    row = change.row
    ended = wf.status in ("completed", "cancelled")
    waits = {} if ended else {
        w.task_id: w for w in wf.waiting() if w.kind == "timer" and w.due_at is not None and w.task_id
    }
    had_timers = any(w.get("kind") == "timer" for w in (row.waiting or []))
    if not waits and not had_timers and not ended:
        return  # no timer before or after this change: nothing to keep in step (the common case)
    pending = db.session.execute(
        select(Timer.id, Timer.task_id, Timer.due_at).where(
            Timer.instance_id == row.id, Timer.kind == "bpmn", Timer.status == "pending"
        )
    ).all()
    kept: set[str] = set()
    fired: list[int] = []
    gone: list[int] = []
    for timer_id, task_id, due_at in pending:
        wait = waits.get(task_id or "")
        if wait is not None and wait.due_at is not None and task_id not in kept \
                and to_utc_naive(wait.due_at) == due_at:
            kept.add(wait.task_id)
            continue
        (fired if due_at <= change.now else gone).append(timer_id)
    if fired:
        db.session.execute(
            update(Timer).where(Timer.id.in_(fired), Timer.status == "pending")
            .values(status="fired", fired_at=change.now).execution_options(synchronize_session=False)
        )
    timers.cancel_ids(gone)
    if ended:  # nothing fires for an instance that is over, whatever armed it (SLA steps, retries)
        timers.cancel_instance(row.id)
    for task_id, wait in waits.items():
        if task_id in kept or wait.due_at is None:
            continue
        timers.arm(change, kind="bpmn", due_at=wait.due_at, instance_id=row.id, task_id=task_id,
                   element_id=wait.element_id, name=wait.name)


# --- handler "bpmn" ----------------------------------------------------------------------------


def fire_bpmn_timer(timer_id: int) -> None:
    """Fire the instance's due timers (the claimed one among them) in one runtime change."""

    def attempt() -> None:
        timer = db.session.get(Timer, timer_id, populate_existing=True)
        if timer is None or timer.instance_id is None:
            return
        row = db.session.get(Instance, timer.instance_id, populate_existing=True)
        if row is None or row.status not in ("running", "error"):
            timers.settle(timer_id)
            return
        change = runtime.Change(row=row)
        runtime.lock(row)
        timers.settle(timer_id)
        wf = runtime.load_workflow(row)
        if not any(w.task_id == timer.task_id and w.due_at is not None
                   and to_utc_naive(w.due_at) <= change.now for w in wf.waiting()):
            return  # the engine moved past this timer already (a task completed, another change fired it)
        change.events.append(PendingEvent(
            "timer_fired", actor_label="timer", element_id=timer.element_id, name=timer.name,
            task_id=timer.task_id, data={"due_at": iso(timer.due_at), "late_ms": _late_ms(timer, change.now)},
        ))
        extra = runtime.advance_safely(
            change, lambda: wf.fire_due_timers(change.now, step_budget=runtime._budget())
        )
        change.events.extend(projection.sync(row, wf, change.now))
        runtime.save(change, wf, **extra)

    runtime.retrying(attempt)


def _late_ms(timer: Timer, now: datetime) -> int:
    return int((now - timer.due_at).total_seconds() * 1000)


# --- timer start events --------------------------------------------------------------------------


def _starts(version: ProcessVersion) -> dict[str, bpmn.TimerStart]:
    definition = definition_for(version)
    return {start.element_id: start for start in bpmn.timer_starts(definition.spec)}


def _actor(version: ProcessVersion) -> User | None:
    """Who timer-started instances are started by: the deployer, else the first admin."""
    deployer_id = db.session.scalar(
        select(Deployment.created_by_id).where(Deployment.id == version.deployment_id)
    )
    user = db.session.get(User, deployer_id) if deployer_id else None
    if user is None:
        user = db.session.scalar(select(User).join(UserRole).where(UserRole.role == "admin").limit(1))
    return user


def arm_start(change: runtime.Change | None, version: ProcessVersion, start: bpmn.TimerStart,
              due_at: datetime, fired: int) -> Timer:
    """A pending "start" timer for the next instance of `version` at `start`."""
    return timers.arm(change, kind="start", due_at=due_at, process_version_id=version.id,
                      element_id=start.element_id, name=start.name,
                      payload={"fired": fired, "timer_kind": start.kind})


def fire_start_timer(timer_id: int) -> None:
    """Create an instance at the timer start event; arm a cycle's next occurrence (one transaction)."""
    timer = db.session.get(Timer, timer_id, populate_existing=True)
    if timer is None or timer.process_version_id is None or timer.element_id is None:
        return
    version = db.session.get(ProcessVersion, timer.process_version_id)
    start = _starts(version).get(timer.element_id) if version is not None else None
    actor = _actor(version) if version is not None else None
    if version is None or start is None or actor is None:
        log.error("start timer %s: no process version, start event or user to start it as", timer_id)
        return
    fired = int((timer.payload or {}).get("fired", 0)) + 1
    due_at, now = timer.due_at, utcnow()

    def in_transaction(change: runtime.Change) -> None:
        timers.settle(timer_id)
        change.events.append(PendingEvent(
            "timer_fired", actor_label="timer", element_id=start.element_id, name=start.name,
            data={"due_at": iso(due_at), "occurrence": fired, "late_ms": _late_ms(timer, change.now)},
        ))
        following = bpmn.next_start(start, due_at, fired, now)
        if following is not None:
            arm_start(change, version, start, following, fired)

    runtime.start_instance(version, actor, {}, start_event=start.element_id, in_transaction=in_transaction)


def on_deployed(versions: list[ProcessVersion], bundle: bpmn.Bundle) -> None:
    """Arm the timer start events of new versions; stop those of the versions they replace.

    Runs in the deployment's transaction (nothing scheduled after commit: the poller finds them).
    """
    infos: dict[str, Any] = {info.id: info for info in bundle.processes}
    now = utcnow()
    for version in versions:
        info = infos.get(version.process_id)
        older = select(ProcessVersion.id).where(
            ProcessVersion.process_id == version.process_id, ProcessVersion.id != version.id
        )
        db.session.execute(
            update(Timer).where(Timer.kind == "start", Timer.status == "pending",
                                Timer.process_version_id.in_(older))
            .values(status="cancelled").execution_options(synchronize_session=False)
        )
        for start in (info.timer_starts if info is not None else ()):
            try:
                first = bpmn.first_start(start, now)
            except bpmn.BpmnError as exc:
                log.error("timer start %s of %s not armed: %s", start.element_id, version.process_id, exc)
                continue
            arm_start(None, version, start, first, 0)


runtime.SIDE_TABLES.append(sync_bpmn_timers)
timers.register_handler("bpmn", fire_bpmn_timer)
timers.register_handler("start", fire_start_timer)
