"""Incidents: what an operator must look at (a service call that kept failing or cannot run), and
the three ways out — retry, skip with given output data, cancel the instance — each a runtime change,
audited under the operator's name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

import bpmn
from server import connector_config, notifications, projection, runtime, timers
from server.audit import PendingEvent
from server.clock import iso
from server.db import db
from server.errors import Conflict, Forbidden, NotFound
from server.models import Incident, Instance, ServiceCall, User, UserRole


class IncidentClosed(Conflict):
    code = "incident_closed"


# --- opening and closing (inside a runtime change, before runtime.save) -------------------------


def admins() -> list[User]:
    """Everyone who resolves incidents: the active admins."""
    query = select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == "admin", User.active.is_(True))
    return list(db.session.scalars(query).unique())


def open_for_call(
    change: runtime.Change, call: ServiceCall, message: str, details: dict[str, Any]
) -> Incident:
    """Stop retrying `call`, open an incident saying why, tell the admins. Call before runtime.save."""
    call.status, call.next_attempt_at, call.updated_at = "incident", None, change.now
    call.error = call.error or message
    timers.cancel(task_id=call.task_id, kinds=("retry",))
    incident = Incident(
        instance_id=call.instance_id, service_call_id=call.id, task_id=call.task_id,
        element_id=call.element_id, kind="service", message=message,
        details={"connector": call.connector, "attempts": call.attempts, **details},
        status="open", created_at=change.now,
    )
    db.session.add(incident)
    db.session.flush()
    change.events.append(PendingEvent(
        "incident_opened", actor_label="engine", element_id=call.element_id, name=call.name,
        task_id=call.task_id, data={"incident_id": incident.id, "message": message},
    ))
    notifications.notify(
        admins(), kind="incident", title=f"Incident on {change.row.title}: {call.name}", body=message,
        link=f"/incidents/{incident.id}", instance_id=call.instance_id, task_id=call.task_id, change=change,
    )
    return incident


def resolve_for_call(change: runtime.Change, call: ServiceCall, resolution: str, actor: User | None) -> None:
    """Resolve the open incidents of `call` (its task moved on, or an operator acted)."""
    db.session.execute(
        update(Incident)
        .where(Incident.service_call_id == call.id, Incident.status == "open")
        .values(status="resolved", resolution=resolution, resolved_at=change.now,
                resolved_by_id=actor.id if actor else None)
        .execution_options(synchronize_session=False)
    )


# --- reading -------------------------------------------------------------------------------------


def open_for_instance(instance_id: int) -> list[Incident]:
    query = select(Incident).where(Incident.instance_id == instance_id, Incident.status == "open")
    return list(db.session.scalars(query.order_by(Incident.created_at, Incident.id)))


def incident_json(incident: Incident, call: ServiceCall | None = None) -> dict[str, Any]:
    """The API shape of an incident (with its service call, when it has one)."""
    call = call if call is not None else (
        db.session.get(ServiceCall, incident.service_call_id) if incident.service_call_id else None)
    return {
        "id": incident.id, "instance_id": incident.instance_id, "kind": incident.kind,
        "status": incident.status, "message": incident.message, "details": incident.details or {},
        "task_id": incident.task_id, "element_id": incident.element_id,
        "resolution": incident.resolution, "created_at": iso(incident.created_at),
        "resolved_at": iso(incident.resolved_at),
        "service_call": None if call is None else {
            "id": call.id, "name": call.name, "connector": call.connector, "status": call.status,
            "attempts": call.attempts, "max_attempts": call.max_attempts, "params": call.params,
            "error": call.error, "error_code": call.error_code,
            "idempotency_key": call.idempotency_key, "started_at": iso(call.started_at),
        },
    }


# --- operator actions ----------------------------------------------------------------------------


def _prepare(incident_id: int, actor: User) -> tuple[Incident, ServiceCall, runtime.Change, bpmn.Instance]:
    if not actor.is_admin:
        raise Forbidden("Only an admin can resolve incidents.")
    incident = db.session.get(Incident, incident_id, populate_existing=True)
    if incident is None:
        raise NotFound(f"Incident {incident_id} does not exist.")
    if incident.status != "open":
        raise IncidentClosed(f"Incident {incident_id} is already {incident.resolution or incident.status}.")
    call = db.session.get(ServiceCall, incident.service_call_id, populate_existing=True) \
        if incident.service_call_id else None
    if call is None:
        raise Conflict(f"Incident {incident_id} is not about a service call; only those are resolved here.")
    row = db.session.get(Instance, incident.instance_id, populate_existing=True)
    assert row is not None
    change = runtime.Change(row=row)
    runtime.lock(row)
    wf = runtime.load_workflow(row)
    if wf.service_task(call.task_id) is None:
        raise Conflict(f"The task {call.name!r} is no longer waiting: the case has moved on.")
    return incident, call, change, wf


def _resolve(change: runtime.Change, incident: Incident, call: ServiceCall, how: str, actor: User) -> None:
    incident.status, incident.resolution, incident.resolved_at = "resolved", how, change.now
    incident.resolved_by_id = actor.id
    resolve_for_call(change, call, how, actor)


def _audit(change: runtime.Change, kind: str, incident: Incident, call: ServiceCall, actor: User,
           **data: Any) -> None:
    change.events.append(PendingEvent(kind, actor=actor, element_id=call.element_id, name=call.name,
                                      task_id=call.task_id, data={"incident_id": incident.id, **data}))


def retry(incident_id: int, actor: User) -> Incident:
    """Run the call again from its first attempt (parameters evaluated afresh, bindings re-read)."""
    from server import services

    def attempt() -> Incident:
        incident, call, change, wf = _prepare(incident_id, actor)
        st = wf.service_task(call.task_id)
        assert st is not None
        connector, why_not = connector_config.resolve(st.implementation, st.connector)
        if st.problem or why_not:
            raise Conflict(f"A retry would fail the same way: {st.problem or why_not}")
        policy = st.retry or connector_config.default_retry()
        call.params, call.connector = st.params, (st.connector or "")[:255]
        call.status, call.attempts, call.next_attempt_at = "pending", 0, None
        call.max_attempts, call.retry_intervals = policy.max_attempts, services.whole_seconds(policy)
        call.error, call.error_code, call.updated_at = None, None, change.now
        _resolve(change, incident, call, "retried", actor)
        _audit(change, "incident_retried", incident, call, actor, connector=connector)
        services.arm_watchdog(change, call, change.now + connector_config.lease())
        call_id = call.id
        change.after_commit.append(lambda: services.enqueue(call_id))
        runtime.save(change, None)
        return incident

    return _fresh(runtime.retrying(attempt).id)


def skip(incident_id: int, actor: User, data: dict[str, Any]) -> Incident:
    """Complete the task without calling out: `data` becomes variables as if the call had set them."""

    def attempt() -> Incident:
        incident, call, change, wf = _prepare(incident_id, actor)
        call.status, call.result, call.updated_at = "skipped", dict(data), change.now
        _resolve(change, incident, call, "skipped", actor)
        _audit(change, "incident_skipped", incident, call, actor, variables=data)
        from server import services

        services.finish_task(change, wf, call, lambda: wf.complete_service(
            call.task_id, data, map_outputs=False, step_budget=services.step_budget()))
        return incident

    return _fresh(runtime.retrying(attempt).id)


def cancel(incident_id: int, actor: User) -> Incident:
    """Cancel the whole instance: its open tasks are withdrawn, its calls voided."""

    def attempt() -> Incident:
        incident, call, change, wf = _prepare(incident_id, actor)
        _resolve(change, incident, call, "cancelled", actor)
        _audit(change, "incident_cancelled", incident, call, actor)
        wf.cancel()
        projection.close_all(change.row, change.now)
        change.events.append(PendingEvent("instance_cancelled", actor=actor))
        runtime.save(change, wf, status="cancelled", ended_at=change.now, waiting=[])
        return incident

    return _fresh(runtime.retrying(attempt).id)


def _fresh(incident_id: int) -> Incident:
    db.session.expire_all()
    incident = db.session.get(Incident, incident_id)
    assert incident is not None
    return incident

