"""Messages instances throw are routed durably: retried when the receiver does not wait yet or its
delivery fails, and fired by a worker's poller when the throwing process died before routing them.

One SQLite database, the suite's Redis and a real `flask --app wsgi worker` serve the module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.server.timer_cluster import ADMIN, Cluster, new_app

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Cluster]:
    from server.db import db

    folder = tmp_path_factory.mktemp("routing")
    app, db_url = new_app(folder, redis_url)
    cluster = Cluster(app, db_url, redis_url, folder)
    cluster.redis.flushdb()
    cluster.deploy("message_parcel.bpmn")
    cluster.start_workers(1)
    try:
        yield cluster
    finally:
        cluster.stop_workers()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        cluster.redis.flushdb()


def _complete(cluster: Cluster, instance_id: int, element_id: str) -> None:
    from server import runtime
    from server.db import db
    from server.models import User

    [task] = cluster.open_tasks(instance_id, element_id)
    with cluster.app.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        runtime.complete_task(task.id, admin, {})
        db.session.remove()


def _waiting_receiver(cluster: Cluster) -> int:
    receiver = cluster.start("parcel_receiver")
    _complete(cluster, receiver, "get_ready")
    return receiver


def _send(cluster: Cluster) -> int:
    sender = cluster.start("parcel_sender")
    _complete(cluster, sender, "pack")
    assert cluster.instance(sender).status == "completed"
    return sender


def _routes(cluster: Cluster, source: int) -> list[Any]:
    return [r for r in cluster.timers(kind="route") if r.payload.get("source") == source]


def _unpacking(cluster: Cluster, instance_id: int) -> bool:
    return len(cluster.open_tasks(instance_id, "unpack")) == 1


def test_a_message_thrown_before_its_receiver_waits_is_retried_until_it_arrives(cluster: Cluster) -> None:
    receiver = cluster.start("parcel_receiver")  # busy getting ready: not waiting for the parcel yet
    sender = _send(cluster)
    [first, retry] = _routes(cluster, sender)
    assert first.status == "fired" and retry.status == "pending" and retry.payload["attempt"] == 1
    _complete(cluster, receiver, "get_ready")  # now it waits
    cluster.wait_for(lambda: _unpacking(cluster, receiver), 20, "the retried message to arrive")
    assert len(cluster.events(receiver, "message_received")) == 1
    cluster.wait_for(lambda: all(r.status == "fired" for r in _routes(cluster, sender)), 10,
                     "the route rows to be marked fired")


def test_a_failed_delivery_is_retried_for_that_receiver_only(cluster: Cluster) -> None:
    from server.db import db
    from server.models import Instance

    healthy, broken = _waiting_receiver(cluster), _waiting_receiver(cluster)
    state = cluster.query(lambda: db.session.scalar(select(Instance.state).where(Instance.id == broken)))

    def store(text: str) -> None:
        db.session.execute(update(Instance).where(Instance.id == broken).values(state=text))
        db.session.commit()

    cluster.query(lambda: store("{not json"))  # its delivery now fails, as a database error would
    sender = _send(cluster)
    assert _unpacking(cluster, healthy) and not _unpacking(cluster, broken)
    cluster.query(lambda: store(state))
    cluster.wait_for(lambda: _unpacking(cluster, broken), 20, "the retry to reach the repaired receiver")
    retries = [r for r in _routes(cluster, sender) if r.payload.get("attempt")]
    assert retries and all(r.payload["targets"] == [broken] for r in retries)
    assert len(cluster.events(healthy, "message_received")) == 1  # not delivered twice
    assert len(cluster.events(broken, "message_received")) == 1
    assert json.loads(state)  # (the stored state was a real one)


def test_a_route_left_behind_by_a_dead_process_is_fired_by_the_poller(cluster: Cluster) -> None:
    from server import message_routing
    from server.clock import utcnow
    from server.db import db

    receiver = _waiting_receiver(cluster)

    def leave_route() -> int:  # what a throwing change commits before its process dies
        timer_id = message_routing._arm(utcnow(), {
            "kind": "message", "name": "parcel", "payload": {"note": "late"}, "correlation": {},
            "source": None, "starter_id": None, "hop": 1, "attempt": 0})
        db.session.commit()
        return timer_id

    timer_id = cluster.query(leave_route)
    cluster.wait_for(lambda: _unpacking(cluster, receiver), 20, "the poller to route the message")
    cluster.wait_for(lambda: [t.status for t in cluster.timers(id=timer_id)] == ["fired"], 10,
                     "the route row to be marked fired")
    assert cluster.instance(receiver).data["note"] == "late"
