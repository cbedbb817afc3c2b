"""Events in depth over the API: the timer rows of timer start events (date, duration), timer event
subprocesses, a time cycle on a catch event and time dates on boundary events, fired by the timer
handler at their due time; message subscriptions of non-interrupting boundary events and receive
tasks, fed by POST /api/v1/messages and by another instance's message throw event; and a terminate
end event that closes every row of its instance."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tests.server.test_events_api import ADMIN, complete, deploy, instance, open_names, start

if TYPE_CHECKING:
    from tests.server.conftest import Api



def timer_rows(api: Api, **where: Any) -> list[Any]:
    from server.db import db
    from server.models import Timer

    with api.app.app_context():
        query = select(Timer).order_by(Timer.id)
        for key, value in where.items():
            query = query.where(getattr(Timer, key) == value)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def fire_at(api: Api, timer_id: int, at: datetime) -> str:
    """What a worker's job does for this timer row, with the server's clock at `at` (naive UTC)."""
    from server import timers
    from server.clock import frozen

    with api.app.app_context(), frozen(at):
        outcome = timers.fire(timer_id)
    return str(outcome)


def subscriptions(api: Api) -> list[tuple[int, str, str, str | None]]:
    from server.db import db
    from server.models import MessageSubscription

    with api.app.app_context():
        rows = db.session.scalars(select(MessageSubscription).order_by(MessageSubscription.id))
        return [(r.instance_id, r.kind, r.name, r.business_key) for r in rows]


def task_states(api: Api, instance_id: int) -> dict[str, list[str]]:
    from server.db import db
    from server.models import Task

    with api.app.app_context():
        states: dict[str, list[str]] = {}
        query = select(Task).where(Task.instance_id == instance_id).order_by(Task.created_at)
        for row in db.session.scalars(query):
            states.setdefault(row.name, []).append(row.state)
        return states


def instances_of(api: Api, process_id: str) -> list[int]:
    from server.db import db
    from server.models import Instance

    with api.app.app_context():
        query = select(Instance.id).where(Instance.process_id == process_id).order_by(Instance.id)
        return list(db.session.scalars(query))


SECOND = timedelta(seconds=1)


# --- timers ----------------------------------------------------------------------------------------------


def test_timer_start_events_with_a_date_and_a_duration_each_start_one_instance(api: Api) -> None:
    from server.clock import utcnow

    deployed = utcnow()
    deploy(api, "timer_depth_camunda.bpmn")
    starts = {row.element_id: row for row in timer_rows(api, kind="start")}
    assert set(starts) == {"so_date", "so_duration"}
    on_date, after_a_day = starts["so_date"], starts["so_duration"]
    assert on_date.due_at == datetime(2030, 6, 1, 8, 0)
    assert deployed + timedelta(days=1) <= after_a_day.due_at <= utcnow() + timedelta(days=1)
    assert fire_at(api, on_date.id, on_date.due_at - SECOND) == "early"
    assert instances_of(api, "timer_start_once_camunda") == []

    assert fire_at(api, on_date.id, on_date.due_at + SECOND) == "fired"
    [first] = instances_of(api, "timer_start_once_camunda")
    assert open_names(api, first) == ["Write the report"]
    assert fire_at(api, on_date.id, on_date.due_at + 2 * SECOND) == "gone"  # a date fires once
    assert fire_at(api, after_a_day.id, after_a_day.due_at + SECOND) == "fired"
    assert len(instances_of(api, "timer_start_once_camunda")) == 2
    assert {row.status for row in timer_rows(api, kind="start")} == {"fired"}  # nothing armed next
    complete(api, first, "Write the report")
    assert instance(api, first)["status"] == "completed"


def test_timer_event_subprocesses_fire_from_their_rows(api: Api) -> None:
    deploy(api, "timer_depth_camunda.bpmn")
    instance_id = start(api, "timer_event_subprocesses_camunda")
    rows = {row.element_id: row for row in timer_rows(api, instance_id=instance_id)}
    assert set(rows) == {"es_remind_start", "es_deadline_start"}
    remind, deadline = rows["es_remind_start"], rows["es_deadline_start"]
    assert {row.kind for row in rows.values()} == {"bpmn"}

    assert fire_at(api, remind.id, remind.due_at + SECOND) == "fired"
    assert open_names(api, instance_id) == ["Remind the clerk", "Work"]
    statuses = {row.element_id: row.status for row in timer_rows(api, instance_id=instance_id)}
    assert statuses == {"es_remind_start": "fired", "es_deadline_start": "pending"}  # a duration: once

    assert fire_at(api, deadline.id, deadline.due_at + SECOND) == "fired"
    assert open_names(api, instance_id) == ["Take over"]
    states = task_states(api, instance_id)
    assert states["Work"] == ["cancelled"] and states["Remind the clerk"] == ["cancelled"]
    complete(api, instance_id, "Take over")
    assert instance(api, instance_id)["status"] == "completed"
    assert [row.status for row in timer_rows(api, instance_id=instance_id, status="pending")] == []


def test_a_time_cycle_on_a_catch_event_has_one_row_and_fires_once(api: Api) -> None:
    deploy(api, "timer_depth_camunda.bpmn")
    instance_id = start(api, "timer_cycle_catch")
    [row] = timer_rows(api, instance_id=instance_id)
    assert (row.element_id, row.status) == ("cc_wait", "pending")
    assert fire_at(api, row.id, row.due_at + SECOND) == "fired"
    assert open_names(api, instance_id) == ["Follow up"]
    assert [r.status for r in timer_rows(api, instance_id=instance_id)] == ["fired"]  # not re-armed
    assert instance(api, instance_id)["waiting"] == []


def test_time_dates_on_boundary_events_are_rows_at_those_dates(api: Api) -> None:
    deploy(api, "timer_depth_camunda.bpmn")
    instance_id = start(api, "timer_date_boundary", {"deadline": "2030-01-05T17:00:00+01:00"})
    rows = {row.element_id: row for row in timer_rows(api, instance_id=instance_id)}
    assert rows["db_remind"].due_at == datetime(2030, 1, 1, 9, 0)
    assert rows["db_deadline"].due_at == datetime(2030, 1, 5, 16, 0)
    waiting = instance(api, instance_id)["waiting"]
    assert sorted((w["element_id"], w["due_at"]) for w in waiting) == [
        ("db_deadline", "2030-01-05T16:00:00Z"), ("db_remind", "2030-01-01T09:00:00Z")]
    assert fire_at(api, rows["db_remind"].id, datetime(2030, 1, 1, 9, 0, 1)) == "fired"
    assert open_names(api, instance_id) == ["Approve", "Send a reminder"]
    assert fire_at(api, rows["db_deadline"].id, datetime(2030, 1, 5, 16, 0, 1)) == "fired"
    assert open_names(api, instance_id) == ["Escalate", "Send a reminder"]
    assert task_states(api, instance_id)["Approve"] == ["cancelled"]


# --- messages --------------------------------------------------------------------------------------------


def send(api: Api, what: str, body: dict[str, Any]) -> Any:
    return api.call("POST", f"/api/v1/{what}", ADMIN, json=body)


def test_non_interrupting_boundary_events_take_every_message_while_the_task_is_open(api: Api) -> None:
    deploy(api, "boundary_non_interrupting_camunda.bpmn")
    instance_id = start(api, "boundary_non_interrupting_camunda", business_key="CLAIM-7")
    assert subscriptions(api) == [(instance_id, "message", "customer_called", "CLAIM-7"),
                                  (instance_id, "signal", "rates_changed", "CLAIM-7")]
    for topic in ("when", "again"):
        response = send(api, "messages", {"name": "customer_called", "business_key": "CLAIM-7",
                                          "data": {"topic": topic}})
        assert response.get_json() == {"delivered": [instance_id], "started": []}
        assert sorted(s[2] for s in subscriptions(api)) == ["customer_called", "rates_changed"]
    assert send(api, "signals", {"name": "rates_changed"}).get_json()["delivered"] == [instance_id]
    assert open_names(api, instance_id) == ["Handle the claim", "Note the call", "Note the call",
                                            "Recheck the rates"]
    complete(api, instance_id, "Handle the claim")
    assert subscriptions(api) == []  # the task is done: its boundary events no longer listen
    assert send(api, "messages", {"name": "customer_called", "business_key": "CLAIM-7"}).status_code == 404
    for name in ("Note the call", "Note the call", "Recheck the rates", "Pay out"):
        complete(api, instance_id, name)
    assert instance(api, instance_id)["status"] == "completed"


def test_a_receive_task_takes_a_message_posted_for_its_business_key(api: Api) -> None:
    deploy(api, "receive_task_camunda.bpmn")
    first = start(api, "parcel_tracking_camunda", {"parcel_id": "P-1"}, business_key="P-1")
    second = start(api, "parcel_tracking_camunda", {"parcel_id": "P-2"}, business_key="P-2")
    assert subscriptions(api) == [(first, "message", "parcel_delivered", "P-1"),
                                  (second, "message", "parcel_delivered", "P-2")]
    waiting = instance(api, second)["waiting"]
    assert [(w["kind"], w["element_id"]) for w in waiting] == [("message", "t_wait")]
    response = send(api, "messages", {"name": "parcel_delivered", "business_key": "P-2",
                                      "data": {"signed_by": "Ann"}})
    assert response.get_json() == {"delivered": [second], "started": []}
    assert open_names(api, second) == ["Confirm receipt"]
    assert instance(api, second)["data"] == {"parcel_id": "P-2", "signed_by": "Ann"}
    assert open_names(api, first) == [] and instance(api, first)["status"] == "running"
    assert subscriptions(api) == [(first, "message", "parcel_delivered", "P-1")]


def test_a_message_throw_event_reaches_the_receive_task_it_correlates_with(api: Api) -> None:
    from server import message_routing

    deploy(api, "receive_task_spiff.bpmn")
    other = start(api, "parcel_tracking_spiff", {"parcel_id": "P-1"})
    mine = start(api, "parcel_tracking_spiff", {"parcel_id": "P-2"})
    courier = start(api, "courier_spiff", {"parcel_id": "P-2", "signer": "Ann"})
    complete(api, courier, "Deliver")  # throws parcel_delivered, routed right after the commit
    assert instance(api, courier)["status"] == "completed"
    assert open_names(api, mine) == ["Confirm receipt"]
    assert instance(api, mine)["data"]["delivery"] == {"parcel_id": "P-2", "signed_by": "Ann"}
    assert open_names(api, other) == [] and instance(api, other)["status"] == "running"
    assert [s[0] for s in subscriptions(api)] == [other]
    with api.app.app_context():
        assert message_routing.pending() == []  # delivered: nothing left to retry


# --- terminate -------------------------------------------------------------------------------------------


def test_a_terminate_end_event_closes_the_tasks_timers_and_subscriptions_of_its_instance(api: Api) -> None:
    deploy(api, "terminate_camunda.bpmn")
    instance_id = start(api, "terminate_process", business_key="APP-1")
    assert [r.status for r in timer_rows(api, instance_id=instance_id)] == ["pending"]
    assert subscriptions(api) == [(instance_id, "message", "documents_received", "APP-1")]
    complete(api, instance_id, "Screen the application", {"acceptable": False})
    row = instance(api, instance_id)
    assert row["status"] == "completed" and row["open_tasks"] == [] and row["waiting"] == []
    assert [r.status for r in timer_rows(api, instance_id=instance_id)] == ["cancelled"]
    assert subscriptions(api) == []
    assert task_states(api, instance_id)["Review the references"] == ["cancelled"]
    assert send(api, "messages", {"name": "documents_received", "business_key": "APP-1"}).status_code == 404

