"""Service calls: the outbox of parked service tasks, and the job that runs each one exactly once in effect.

1. `sync_service_calls` (a runtime side table): each service task newly parked in STARTED gets a
   ServiceCall row in the same transaction (idempotency key stable per instance and task), a job
   `run_service_call(call_id)` enqueued after commit, and a watchdog timer ("retry" kind) that
   runs the call should the job be lost. A call whose task the engine moved past (cancelled,
   interrupted by a boundary event) is closed.
2. `run_service_call` claims the call (pending -> running; `started_at` is a lease), runs the
   connector OUTSIDE any transaction with the call's timeout and idempotency key, then makes one
   runtime change: complete the task, throw the modelled BPMN error, schedule the next attempt
   (a "retry" timer), or open an incident.
3. A worker killed mid-call leaves the call running; once its lease runs out the watchdog timer
   runs it again with the SAME idempotency key, so a server honouring the key applies it once.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update

import bpmn
import connectors
from server import connector_config, incidents, projection, runtime, timers
from server.audit import PendingEvent
from server.clock import utcnow
from server.db import db
from server.models import Instance, ServiceCall, Timer

log = logging.getLogger(__name__)

JOB = "server.services.run_service_call"
QUEUE = "default"
OPEN = ("pending", "running", "incident")
JOB_TIMEOUT_MARGIN_S = 60  # RQ's job timeout is the call timeout plus this


def step_budget() -> int:
    """Engine steps one change may take (the runtime's budget)."""
    return int(current_app.config.get("BATON_STEP_BUDGET", bpmn.DEFAULT_STEP_BUDGET))


def whole_seconds(policy: bpmn.RetryPolicy) -> list[int]:
    """The policy's intervals as the service_calls column keeps them (whole seconds, rounded up)."""
    return [math.ceil(seconds) for seconds in policy.intervals]


def idempotency_key(instance_id: int, task_id: str) -> str:
    """The key every attempt of one service task's call carries (at most 64 characters)."""
    return f"baton-{instance_id}-{task_id}"


# --- the side table: parked service tasks -> service calls -------------------------------------

_has_services: dict[int, tuple[Any, bool]] = {}


def _may_have_services(wf: bpmn.Instance) -> bool:
    """Whether the instance's definition has any service task (cached per definition)."""
    spec = wf.definition.spec
    cached = _has_services.get(id(spec))
    if cached is None or cached[0] is not spec:
        from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask

        specs = [spec, *wf.definition.subprocess_specs.values()]
        found = any(isinstance(ts, ServiceTask) for s in specs for ts in s.task_specs.values())
        cached = _has_services[id(spec)] = (spec, found)
    return cached[1]


def sync_service_calls(change: runtime.Change, wf: bpmn.Instance) -> None:
    """Record a call for every newly parked service task; close the calls of tasks that moved on."""
    if not _may_have_services(wf):
        return
    row = change.row
    parked = {st.task_id: st for st in wf.service_tasks()} if wf.status == "running" else {}
    query = select(ServiceCall).where(ServiceCall.instance_id == row.id)
    if parked:
        query = query.where(or_(ServiceCall.status.in_(OPEN), ServiceCall.task_id.in_(list(parked))))
    else:
        query = query.where(ServiceCall.status.in_(OPEN))
    known = {call.task_id: call for call in db.session.scalars(query)}
    for task_id, call in known.items():
        if task_id not in parked and call.status in OPEN:
            _close(change, call)
    for task_id, st in parked.items():
        if task_id not in known:
            _record(change, st)


def _record(change: runtime.Change, st: bpmn.ServiceTask) -> None:
    row, now = change.row, change.now
    policy = st.retry or connector_config.default_retry()
    connector, why_not = connector_config.resolve(st.implementation, st.connector)
    params, param_problem = dict(st.params), None
    if connector is not None and st.problem is None:
        try:
            params = connector_config.params_for(st.implementation, st.connector, st)
        except bpmn.BpmnError as exc:
            param_problem = str(exc)
    call = ServiceCall(
        instance_id=row.id, task_id=st.task_id, element_id=st.element_id, name=st.name[:300],
        connector=(st.connector or "")[:255], params=params, status="pending", attempts=0,
        max_attempts=policy.max_attempts, retry_intervals=whole_seconds(policy),
        idempotency_key=idempotency_key(row.id, st.task_id), created_at=now, updated_at=now,
    )
    db.session.add(call)
    db.session.flush()
    problem = st.problem or why_not or param_problem
    if problem:
        incidents.open_for_call(change, call, f"{st.name}: {problem}",
                                {"implementation": st.implementation, "connector": st.connector})
        return
    log.debug("service call %s: %s via %s", call.id, st.element_id, connector)
    arm_watchdog(change, call, now + connector_config.lease())
    call_id = call.id
    change.after_commit.append(lambda: enqueue(call_id))


def _close(change: runtime.Change, call: ServiceCall) -> None:
    """The engine moved past this call's task (instance cancelled, boundary event): it is void."""
    call.status, call.updated_at, call.next_attempt_at = "cancelled", change.now, None
    timers.cancel(task_id=call.task_id, kinds=("retry",))
    incidents.resolve_for_call(change, call, "cancelled", None)


def arm_watchdog(change: runtime.Change | None, call: ServiceCall, due: Any) -> Timer:
    """A "retry" timer that runs the call at `due` unless it is done by then (then it does nothing)."""
    return timers.arm(change, kind="retry", due_at=due, instance_id=call.instance_id, task_id=call.task_id,
                      element_id=call.element_id, name=call.name, payload={"call_id": call.id})


def enqueue(call_id: int) -> None:
    """Hand the call to a worker now (after commit)."""
    from server.redis_conn import get_queue

    timeout = int(connector_config.timeout_s()) + JOB_TIMEOUT_MARGIN_S
    get_queue(current_app, QUEUE).enqueue(JOB, call_id, job_timeout=timeout)


# --- the job -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A snapshot of a claimed call: everything the connector needs, read before the call."""

    call_id: int
    instance_id: int
    task_id: str
    element_id: str
    name: str
    connector: str
    params: dict[str, Any]
    idempotency_key: str
    attempt: int


@dataclass(frozen=True)
class Outcome:
    """What the connector did: a result, or a failure (with whether retrying can help)."""

    result: dict[str, Any] | None = None
    error: str | None = None
    code: str = "connector_error"
    retryable: bool = False
    details: dict[str, Any] | None = None
    runnable: bool = True


def claim(call_id: int) -> Claim | None:
    """pending (and due) -> running, or take over a running call whose lease ran out; None if neither."""
    now = utcnow()
    lease = connector_config.lease()
    call = db.session.get(ServiceCall, call_id, populate_existing=True)
    if call is None:
        return None
    due = call.next_attempt_at is None or call.next_attempt_at <= now
    expired = call.status == "running" and call.started_at is not None and call.started_at + lease <= now
    if not ((call.status == "pending" and due) or expired):
        if call.status == "running" and call.started_at is not None:
            _keep_watch(call, call.started_at + lease)
        db.session.rollback()
        return None
    taken = db.session.execute(
        update(ServiceCall)
        .where(ServiceCall.id == call_id, ServiceCall.status == call.status,
               ServiceCall.attempts == call.attempts)
        .values(status="running", started_at=now, attempts=call.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    snapshot = Claim(call.id, call.instance_id, call.task_id, call.element_id, call.name, call.connector,
                     dict(call.params or {}), call.idempotency_key, call.attempts + 1)
    db.session.commit()
    if int(taken.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return None
    if expired:
        log.warning("service call %s: the worker running attempt %s was lost; running it again",
                    call_id, snapshot.attempt - 1)
    return snapshot


def _keep_watch(call: ServiceCall, due: Any) -> None:
    """Make sure a pending watchdog exists for a running call (none is left once one fired)."""
    pending = db.session.scalar(select(Timer.id).where(
        Timer.task_id == call.task_id, Timer.kind == "retry", Timer.status == "pending"))
    if pending is None:
        timer = arm_watchdog(None, call, due)
        db.session.commit()
        try:
            timers.schedule(timer.id, timer.due_at)
        except Exception:  # Redis down: the timers' poller finds it
            log.warning("could not schedule watchdog of service call %s", call.id, exc_info=True)


def invoke(claimed: Claim) -> Outcome:
    """Run the connector (no transaction is open here)."""
    connector, why_not = connector_config.resolve("", claimed.connector or None)
    if connector is None:
        return Outcome(error=why_not, code="unrunnable", runnable=False)
    context = connectors.CallContext(
        idempotency_key=claimed.idempotency_key, instance_id=claimed.instance_id,
        element_id=claimed.element_id, attempt=claimed.attempt, timeout=connector_config.timeout_s(),
        settings=connector_config.settings_for(connector),
    )
    try:
        result = connector_config.current().registry.call(connector, claimed.params, context)
    except connectors.ConnectorError as exc:
        return Outcome(error=exc.message, code=exc.code, retryable=exc.retryable, details=exc.details)
    except Exception as exc:  # a connector bug: say so in the incident, keep the worker alive
        log.exception("connector %s raised on service call %s", connector, claimed.call_id)
        return Outcome(error=f"the {connector} connector failed unexpectedly: {exc!r}", code="connector_bug")
    if not isinstance(result, dict):
        return Outcome(error=f"the {connector} connector returned {type(result).__name__}, not a map",
                       code="connector_bug")
    return Outcome(result=result)


def run_service_call(call_id: int) -> str:
    """The RQ job: claim, call, record. Returns what happened (for logs and tests)."""
    claimed = claim(call_id)
    if claimed is None:
        return "gone"
    outcome = invoke(claimed)  # the claim is committed: no transaction is open during the call
    return runtime.retrying(lambda: _record_outcome(claimed, outcome))


def _record_outcome(claimed: Claim, outcome: Outcome) -> str:
    call = db.session.get(ServiceCall, claimed.call_id, populate_existing=True)
    if call is None or call.status != "running" or call.attempts != claimed.attempt:
        return "superseded"  # cancelled meanwhile, or another worker took it over
    row = db.session.get(Instance, call.instance_id, populate_existing=True)
    assert row is not None
    change = runtime.Change(row=row)
    runtime.lock(row)
    wf = runtime.load_workflow(row)
    call.updated_at = change.now
    if wf.service_task(call.task_id) is None:
        call.status = "cancelled"
        runtime.save(change, None)
        return "moved-on"
    if outcome.result is not None:
        return _succeeded(change, wf, call, outcome.result)
    return _failed(change, wf, call, outcome)


def _event(kind: str, call: ServiceCall, **data: Any) -> PendingEvent:
    return PendingEvent(kind, actor_label="engine", element_id=call.element_id, name=call.name,
                        task_id=call.task_id, data={"connector": call.connector, **data})


def finish_task(change: runtime.Change, wf: bpmn.Instance, call: ServiceCall, action: Any) -> None:
    """Apply an engine action to the call's task, then write projection, state and events."""
    extra = runtime.advance_safely(change, action)
    timers.cancel(task_id=call.task_id, kinds=("retry",))
    change.events.extend(projection.sync(change.row, wf, change.now))
    runtime.save(change, wf, **extra)


def _succeeded(change: runtime.Change, wf: bpmn.Instance, call: ServiceCall, result: dict[str, Any]) -> str:
    call.status, call.result, call.error, call.error_code = "succeeded", result, None, None
    call.next_attempt_at = None
    change.events.append(_event("service_call_succeeded", call, attempt=call.attempts))
    finish_task(change, wf, call, lambda: wf.complete_service(call.task_id, result,
                                                              step_budget=step_budget()))
    return "succeeded"


def _failed(change: runtime.Change, wf: bpmn.Instance, call: ServiceCall, outcome: Outcome) -> str:
    call.error, call.error_code = outcome.error, outcome.code
    details = {"code": outcome.code, **(outcome.details or {})}
    if not outcome.runnable:
        incidents.open_for_call(change, call, f"{call.name}: {outcome.error}", details)
        runtime.save(change, None)
        return "incident"
    if not outcome.retryable:
        caught: list[bool] = []
        extra = runtime.advance_safely(change, lambda: caught.append(
            wf.throw_service_error(call.task_id, outcome.code, outcome.error or "",
                                   step_budget=step_budget())))
        if extra or (caught and caught[0]):
            call.status = "failed"
            change.events.append(_event("service_error_thrown", call, code=outcome.code, error=outcome.error))
            timers.cancel(task_id=call.task_id, kinds=("retry",))
            change.events.extend(projection.sync(change.row, wf, change.now))
            runtime.save(change, wf, **extra)
            return "error-thrown"
        incidents.open_for_call(change, call, f"{call.name} failed and cannot be retried: {outcome.error}",
                                details)
        runtime.save(change, None)
        return "incident"
    if call.attempts >= call.max_attempts:
        incidents.open_for_call(
            change, call, f"{call.name} failed {call.attempts} time(s); last error: {outcome.error}", details)
        runtime.save(change, None)
        return "incident"
    delay = bpmn.RetryPolicy(call.max_attempts, tuple(call.retry_intervals or ())).delay_after(call.attempts)
    call.status, call.next_attempt_at = "pending", change.now + timedelta(seconds=delay)
    timers.cancel(task_id=call.task_id, kinds=("retry",))
    arm_watchdog(change, call, call.next_attempt_at)
    change.events.append(_event("service_call_failed", call, attempt=call.attempts, error=outcome.error,
                                code=outcome.code, next_attempt_in_s=delay))
    runtime.save(change, None)
    return "retry-scheduled"


def _on_retry_timer(timer_id: int) -> None:
    """A "retry" timer fired: the next attempt is due, or a watchdog checks on a call."""
    payload = db.session.scalar(select(Timer.payload).where(Timer.id == timer_id)) or {}
    call_id = payload.get("call_id")
    db.session.commit()
    if isinstance(call_id, int):
        outcome = run_service_call(call_id)
        log.debug("retry timer %s: service call %s %s", timer_id, call_id, outcome)


runtime.SIDE_TABLES.append(sync_service_calls)
timers.register_handler("retry", _on_retry_timer)
