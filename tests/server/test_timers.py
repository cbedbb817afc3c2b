"""The timers machinery without workers: arming, cancelling, claiming, failures, the poller's
leases, the rows kept in step with instances, timer start events on deployment, the API's waits."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import Flask
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

from tests.server.conftest import FIXTURES, Api

ADMIN = "admin@test.example"


def rows(**where: Any) -> list[Any]:
    from server.db import db
    from server.models import Timer

    db.session.expire_all()
    query = select(Timer).order_by(Timer.id)
    for key, value in where.items():
        query = query.where(getattr(Timer, key) == value)
    return list(db.session.scalars(query))


def arm_plain(kind: str, seconds: float, **extra: Any) -> int:
    from server import timers
    from server.clock import utcnow
    from server.db import db

    timer = timers.arm(None, kind=kind, due_at=utcnow() + timedelta(seconds=seconds), **extra)
    db.session.commit()
    return int(timer.id)


def test_a_started_instance_gets_a_row_for_its_timer_and_the_api_lists_the_wait(
    app: Flask, api: Api, redis_client: Any
) -> None:
    from server.redis_conn import get_queue

    assert api.deploy(ADMIN, "timer_catch_variable_seconds.bpmn").status_code == 201
    response = api.start("timer_catch_variable_seconds", ADMIN, {"wait": "PT1H"})
    instance = response.get_json()
    waiting = api.call("GET", f"/api/v1/instances/{instance['id']}", ADMIN).get_json()["waiting"]
    assert [(w["kind"], w["element_id"]) for w in waiting] == [("timer", "Wait")]
    with app.app_context():
        [row] = rows(instance_id=instance["id"])
        assert (row.kind, row.status, row.element_id) == ("bpmn", "pending", "Wait")
        assert waiting[0]["due_at"] == row.due_at.isoformat(timespec="seconds") + "Z"
        registry = ScheduledJobRegistry(queue=get_queue(app, "high"))
        assert len(registry.get_job_ids()) == 1  # handed to RQ's scheduler after commit


def test_admin_cancelling_the_instance_cancels_its_timers(app: Flask, api: Api, redis_client: Any) -> None:
    api.deploy(ADMIN, "timer_catch_variable_seconds.bpmn")
    instance_id = api.start("timer_catch_variable_seconds", ADMIN, {"wait": "PT1H"}).get_json()["id"]
    assert api.call("POST", f"/api/v1/instances/{instance_id}/cancel", ADMIN).status_code == 200
    with app.app_context():
        assert [row.status for row in rows(instance_id=instance_id)] == ["cancelled"]


def test_fire_claims_once_refuses_early_and_cancelled_timers(app: Flask, redis_client: Any) -> None:
    from server import timers

    seen: list[int] = []
    timers.register_handler("test-ok", seen.append)
    with app.app_context():
        due_soon = arm_plain("test-ok", 0.3)
        cancelled = arm_plain("test-ok", 0)
        timers.cancel_ids([cancelled])
        assert timers.fire(due_soon) == "early"  # and rescheduled with RQ
        assert timers.fire(cancelled) == "gone"
        time.sleep(0.35)
        assert timers.fire(due_soon) == "fired"
        assert timers.fire(due_soon) == "gone"
        assert seen == [due_soon]
        [row] = rows(id=due_soon)
        assert row.status == "fired" and row.fired_at >= row.due_at


def test_a_failing_handler_gives_the_timer_back_for_a_later_attempt(app: Flask, redis_client: Any) -> None:
    from server import timer_poller, timers

    attempts: list[int] = []

    def boom(timer_id: int) -> None:
        attempts.append(timer_id)
        raise RuntimeError("the mail server is down")

    timers.register_handler("test-boom", boom)
    with app.app_context():
        timer_id = arm_plain("test-boom", 0)
        assert timers.fire(timer_id) == "failed"
        [row] = rows(id=timer_id)
        assert row.status == "pending" and row.fired_at is None
        assert timer_poller.take_due(row.due_at + timedelta(seconds=1)) == []  # backing off
        assert timer_poller.take_due(row.due_at + timers.FAILURE_BACKOFF + timedelta(seconds=1)) == [timer_id]
        assert attempts == [timer_id]


def test_a_claim_taken_over_by_another_worker_rolls_the_handlers_change_back(
    app: Flask, redis_client: Any
) -> None:
    from server import timers
    from server.db import db
    from server.models import Timer

    def handler(timer_id: int) -> None:
        # meanwhile the lease ran out and another worker claimed the timer anew
        claimed = db.session.scalar(select(Timer.fired_at).where(Timer.id == timer_id))
        taken_over = claimed + timedelta(seconds=9)
        db.session.execute(update(Timer).where(Timer.id == timer_id).values(fired_at=taken_over))
        db.session.commit()
        db.session.execute(update(Timer).where(Timer.id == timer_id).values(name="effect of the stale claim"))
        timers.settle(timer_id)

    timers.register_handler("test-stale", handler)
    with app.app_context():
        timer_id = arm_plain("test-stale", 0, name="original")
        assert timers.fire(timer_id) == "gone"
        [row] = rows(id=timer_id)
        assert (row.status, row.name) == ("firing", "original")  # the other worker's claim stands


def test_the_poller_leases_due_timers_once_and_reaps_abandoned_claims(app: Flask, redis_client: Any) -> None:
    from server import timer_poller, timers
    from server.clock import utcnow
    from server.db import db
    from server.models import Timer

    with app.app_context():
        due = arm_plain("test-ok", 0)
        later = arm_plain("test-ok", 60)
        now = utcnow()
        assert timer_poller.take_due(now) == [due]
        db.session.commit()
        assert timer_poller.take_due(now + timedelta(seconds=1)) == []  # leased: not handed over twice
        assert timer_poller.take_due(now + timers.ENQUEUE_LEASE + timedelta(seconds=1)) == [due]  # lost job
        assert later not in timer_poller.take_due(now + timedelta(seconds=59))
        db.session.execute(update(Timer).where(Timer.id == due).values(status="firing", fired_at=now))
        db.session.commit()
        assert timer_poller.reap_abandoned(now + timedelta(seconds=1)) == 0
        assert timer_poller.reap_abandoned(now + timers.FIRING_LEASE + timedelta(seconds=1)) == 1
        [row] = rows(id=due)
        assert (row.status, row.fired_at, row.enqueued_at) == ("pending", None, None)


def test_cancel_by_task_and_kind(app: Flask, redis_client: Any) -> None:
    from server import timers
    from server.db import db

    with app.app_context():
        sla = arm_plain("sla", 60, task_id="task-1")
        retry = arm_plain("retry", 60, task_id="task-1")
        other = arm_plain("sla", 60, task_id="task-2")
        assert timers.cancel(task_id="task-1", kinds=("sla",)) == 1
        db.session.commit()
        statuses = {row.id: row.status for row in rows()}
        assert statuses == {sla: "cancelled", retry: "pending", other: "pending"}


def test_deploying_a_timer_start_event_arms_it_and_a_new_version_replaces_it(
    app: Flask, api: Api, redis_client: Any
) -> None:
    first = (FIXTURES / "timer_start_every_second.bpmn").read_bytes()
    assert api.deploy(ADMIN, files={"schedule.bpmn": first}).status_code == 201
    assert api.deploy(ADMIN, files={"schedule.bpmn": first}).status_code in (200, 201)  # unchanged: no-op
    with app.app_context():
        [armed] = rows(kind="start")
        assert (armed.status, armed.element_id, armed.payload["fired"]) == ("pending", "Schedule", 0)
    second = first.replace(b"Write the report", b"Write the weekly report")
    assert api.deploy(ADMIN, files={"schedule.bpmn": second}).status_code == 201
    with app.app_context():
        old, new = rows(kind="start")
        assert (old.status, new.status) == ("cancelled", "pending")
        assert new.process_version_id != old.process_version_id


def test_the_bpmn_handler_moves_the_instance_on_exactly_once(app: Flask, api: Api, redis_client: Any) -> None:
    from server import timers
    from server.db import db
    from server.models import Event

    api.deploy(ADMIN, "timer_catch_variable_seconds.bpmn")
    instance = api.start("timer_catch_variable_seconds", ADMIN, {"wait": "PT0.2S"}).get_json()
    time.sleep(0.25)
    with app.app_context():
        for timer in rows(instance_id=instance["id"]):
            timers.fire(timer.id)
            timers.fire(timer.id)
        [row] = rows(instance_id=instance["id"])
        assert row.status == "fired"
        fired = db.session.scalars(select(Event).where(Event.instance_id == instance["id"],
                                                       Event.kind == "timer_fired")).all()
        assert len(fired) == 1
    detail = api.call("GET", f"/api/v1/instances/{instance['id']}", ADMIN).get_json()
    assert detail["waiting"] == []
    assert [t["element_id"] for t in api.tasks(ADMIN)] == ["Review"]
