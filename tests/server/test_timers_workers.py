"""BPMN timers fired by real workers: never early, within 2 s, exactly once — also with two workers,
duplicate and early deliveries, a FLUSHALL of Redis and a worker killed in the middle of firing.

One SQLite database, Redis and pair of `flask --app wsgi worker` processes serve the module (a
worker takes ~1 s to start); each test works on its own process models and instances.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pytest

from tests.server.timer_cluster import Cluster, lateness, new_app

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Cluster]:
    from server import people
    from server.db import db

    folder = tmp_path_factory.mktemp("timers")
    app, db_url = new_app(folder, redis_url)
    with app.app_context():
        people.save_user("clerk@test.example", password="password-123", groups=("staff",))
        db.session.commit()
    cluster = Cluster(app, db_url, redis_url, folder)
    cluster.redis.flushdb()
    cluster.start_workers(2)
    try:
        yield cluster
    finally:
        cluster.stop_workers()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        cluster.redis.flushdb()


def _fired_once_on_time(cluster: Cluster, instance_ids: list[int], *, max_late: float = 2.0) -> None:
    """Each instance's timer fired once, not before its due time and at most `max_late` after."""
    for instance_id in instance_ids:
        rows = cluster.timers(instance_id=instance_id, kind="bpmn")
        assert [row.status for row in rows] == ["fired"], rows
        assert 0 <= lateness(rows[0]) <= max_late, (rows[0].due_at, rows[0].fired_at)
        assert len(cluster.events(instance_id, "timer_fired")) == 1
        assert len(cluster.open_tasks(instance_id, "Review")) == 1


def test_catch_timers_fire_once_never_early_within_two_seconds_despite_duplicate_deliveries(
    cluster: Cluster,
) -> None:
    from server import timers

    cluster.deploy("timer_catch_variable_seconds.bpmn")
    ids = [cluster.start("timer_catch_variable_seconds", {"wait": f"PT{1.5 + (n % 4) * 0.5}S"})
           for n in range(12)]
    rows = [cluster.timers(instance_id=i, kind="bpmn")[0] for i in ids]
    assert all(row.status == "pending" for row in rows)
    with cluster.app.app_context():  # early, duplicate deliveries on top of the scheduled job
        for row in rows:
            timers.enqueue_now([row.id, row.id, row.id])
    cluster.wait_for(lambda: all(cluster.open_tasks(i, "Review") for i in ids), 10, "every timer to fire")
    time.sleep(1.2)  # let the rescheduled early and duplicate jobs come round too
    _fired_once_on_time(cluster, ids)


def test_a_camunda_bare_duration_moves_the_instance_on_after_it(cluster: Cluster) -> None:
    cluster.deploy("timer_catch_bare_iso.bpmn")
    started = time.monotonic()
    instance_id = cluster.start("timer_catch_bare_iso")
    assert cluster.instance(instance_id).waiting[0]["kind"] == "timer"
    assert not cluster.open_tasks(instance_id)
    cluster.wait_for(lambda: cluster.open_tasks(instance_id, "Review"), 10, "the PT2S timer")
    assert time.monotonic() - started >= 2.0
    assert cluster.instance(instance_id).waiting == []
    _fired_once_on_time(cluster, [instance_id])


def test_completing_a_task_cancels_its_boundary_timer_for_good(cluster: Cluster) -> None:
    from server import runtime
    from server.db import db
    from server.models import User

    cluster.deploy("timer_boundary_cancelled_by_completion.bpmn")
    done = cluster.start("timer_boundary_cancelled_by_completion", {"wait": "PT2S"})
    late = cluster.start("timer_boundary_cancelled_by_completion", {"wait": "PT2S"})
    approve = cluster.open_tasks(done, "Approve")[0]
    with cluster.app.app_context():
        clerk = db.session.scalar(db.select(User).where(User.email == "clerk@test.example"))
        runtime.complete_task(approve.id, clerk, {})
    assert [row.status for row in cluster.timers(instance_id=done)] == ["cancelled"]
    cluster.wait_for(lambda: cluster.open_tasks(late, "Escalate"), 10, "the boundary timer of the open task")
    time.sleep(1.0)
    assert cluster.instance(done).status == "completed"
    assert [row.status for row in cluster.timers(instance_id=done)] == ["cancelled"]
    assert cluster.events(done, "timer_fired") == []
    assert not cluster.open_tasks(late, "Approve")  # interrupted
    assert len(cluster.events(late, "timer_fired")) == 1


def test_a_non_interrupting_cycle_runs_its_branch_three_times(cluster: Cluster) -> None:
    cluster.deploy("timer_boundary_cycle_reminders.bpmn")
    instance_id = cluster.start("timer_boundary_cycle_reminders")
    cluster.wait_for(lambda: len(cluster.open_tasks(instance_id, "FollowUp")) >= 3, 10, "three follow-ups")
    time.sleep(1.0)
    assert len(cluster.open_tasks(instance_id, "FollowUp")) == 3
    assert len(cluster.open_tasks(instance_id, "Approve")) == 1
    rows = cluster.timers(instance_id=instance_id)
    assert [row.status for row in rows] == ["fired"] * 3
    assert all(0 <= lateness(row) <= 2.0 for row in rows)
    assert len(cluster.events(instance_id, "timer_fired")) == 3


def test_a_timer_start_event_creates_instances_on_schedule(cluster: Cluster) -> None:
    deployed_at = time.monotonic()
    cluster.deploy("timer_start_every_second.bpmn")
    cluster.wait_for(lambda: cluster.instance_count("timer_start_every_second") >= 3, 10, "three instances")
    assert time.monotonic() - deployed_at >= 3.0  # R3/PT1S: one, two and three seconds after deployment
    time.sleep(1.0)
    assert cluster.instance_count("timer_start_every_second") == 3
    rows = cluster.timers(kind="start")
    assert [row.status for row in rows] == ["fired"] * 3
    assert all(0 <= lateness(row) <= 2.0 for row in rows)


def test_timers_handed_to_redis_survive_a_flushall(cluster: Cluster) -> None:
    from server import timer_poller

    cluster.deploy("timer_catch_variable_seconds.bpmn")
    cluster.stop_workers()
    ids = [cluster.start("timer_catch_variable_seconds", {"wait": "PT0.5S"}) for _ in range(5)]
    time.sleep(0.7)
    with cluster.app.app_context():  # the jobs are in Redis, their leases taken ...
        assert timer_poller.poll_once() == 5
    cluster.redis.flushall()  # ... and gone
    flushed = time.monotonic()
    cluster.start_workers(2)
    cluster.wait_for(lambda: all(cluster.open_tasks(i, "Review") for i in ids), 15, "the reconciler")
    assert time.monotonic() - flushed <= 10
    _fired_once_on_time(cluster, ids, max_late=12)


def test_a_worker_killed_while_firing_loses_nothing_and_fires_once(cluster: Cluster) -> None:
    cluster.deploy("timer_then_slow_scripts.bpmn")
    instance_id = cluster.start("timer_then_slow_scripts", {"wait": "PT0.5S", "spin": 300_000})
    timer_id = cluster.timers(instance_id=instance_id)[0].id
    cluster.wait_for(lambda: cluster.timers(instance_id=instance_id)[0].status == "firing", 10, "the claim")
    victim = cluster.wait_for(lambda: cluster.worker_running(timer_id), 5, "the worker firing it")
    time.sleep(0.3)
    cluster.kill(victim, signal.SIGKILL)
    assert cluster.timers(instance_id=instance_id)[0].status == "firing"
    assert not cluster.open_tasks(instance_id)  # its change never committed
    # the other worker takes the timer over once the firing lease (2 s here) has run out
    cluster.wait_for(lambda: cluster.open_tasks(instance_id, "Review"), 15, "the timer to fire again")
    time.sleep(0.5)
    rows = cluster.timers(instance_id=instance_id)
    assert [row.status for row in rows] == ["fired"]
    assert len(cluster.events(instance_id, "timer_fired")) == 1
    assert len(cluster.open_tasks(instance_id, "Review")) == 1
