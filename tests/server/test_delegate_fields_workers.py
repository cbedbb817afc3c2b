"""camunda:field injections reach the connector a Java delegate is bound to, through a real worker and a
real local HTTP server: a `camunda:class` task and a `camunda:delegateExpression` task, bound in
BATON_CONNECTOR_BINDINGS to the http connector. The binding's parameters come first, the fields
override them (strings as written, expressions over the task's variables), the task's own input
parameters override both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.idempotent_http import IdempotentServer
from tests.server.timer_cluster import ADMIN, Cluster

pytestmark = pytest.mark.timeout(120)

MODEL = Path(__file__).resolve().parents[1] / "bpmn" / "fixtures" / "camunda_field_injection.bpmn"
BINDINGS = {
    "org.example.NotifyDelegate": {"connector": "http", "params": {
        "method": "POST", "url": "http://binding.invalid/unused", "headers": {"X-Bound": "yes"}}},
    "archiveService": {"connector": "http", "params": {"method": "POST"}},
}


class Fields(Cluster):
    """The cluster and the HTTP server the bound delegates call."""

    def __init__(self, app: Flask, db_url: str, redis_url: str, folder: Any) -> None:
        super().__init__(app, db_url, redis_url, folder)
        self.http = IdempotentServer().start()

    def call_params(self, instance_id: int) -> dict[str, dict[str, Any]]:
        from server.db import db
        from server.models import ServiceCall

        def run() -> dict[str, dict[str, Any]]:
            calls = db.session.scalars(select(ServiceCall).where(ServiceCall.instance_id == instance_id))
            return {call.element_id: dict(call.params) for call in calls}

        return dict(self.query(run))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Fields]:
    from server import create_app, db_setup, people
    from server.db import db

    folder = tmp_path_factory.mktemp("fields")
    db_url = f"sqlite:///{folder / 'baton.sqlite3'}"
    fields = Fields(Flask("placeholder"), db_url, redis_url, folder)
    app: Flask = create_app({
        "DATABASE_URL": db_url, "REDIS_URL": redis_url, "INSTANCE_DIR": str(folder / "instance"),
        "SECRET_KEY": "test-secret", "TESTING": True, "BATON_PASSWORD_HASH": "pbkdf2:sha256:1000",
        "BATON_CONNECTOR_BINDINGS": BINDINGS,
    })
    fields.app = app
    db_setup.upgrade(app)
    with app.app_context():
        people.save_user(ADMIN, password="password-123", roles=("admin",))
        db.session.commit()
    fields.redis.flushdb()
    fields.deploy(files={MODEL.name: MODEL.read_bytes()})
    fields.start_workers(1, BATON_CONNECTOR_BINDINGS=json.dumps(BINDINGS))
    try:
        yield fields
    finally:
        fields.stop_workers()
        fields.http.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        fields.redis.flushdb()


def test_fields_reach_the_bound_connectors_with_the_inputs_winning(cluster: Fields) -> None:
    order = {"id": 7, "items": ["tea", "cups"]}
    instance_id = cluster.start("camunda_field_injection",
                                {"baseUrl": cluster.http.url, "orderId": 7, "amount": 3, "order": order})
    cluster.wait_for(lambda: cluster.instance(instance_id).status == "completed", 30, "both calls")

    [notify] = cluster.http.seen("/notify/7")  # the input parameter `url`, not the field's /overridden
    assert notify.method == "PUT"  # the field, over the binding's POST
    assert notify.headers["x-bound"] == "yes"  # what the binding gives and nothing overrides
    assert notify.body == order  # an expression field keeps the variable's type
    assert cluster.http.seen("/overridden") == []

    [archive] = cluster.http.seen("/archive/7")  # a camunda:expression child over the variables
    assert archive.method == "POST"
    assert archive.body == {"archived": True}  # a camunda:string child, sent as written

    params = cluster.call_params(instance_id)
    assert params["Notify"]["note"] == "Total ${amount}, as written"  # a string field is never evaluated
    assert params["Notify"]["url"] == f"{cluster.http.url}/notify/7"
    data = cluster.instance(instance_id).data
    assert data["notified"] == 200  # the task's output mapping over the connector's result
