"""Service tasks run by real workers against a real HTTP server and a real SMTP server: results map to
variables, failures retry with back-off and then open incidents an operator resolves, a modelled
error boundary catches a mapped error, and a worker killed mid-call still has the effect land once.

One SQLite database, Redis, an HTTP server honouring Idempotency-Key, an aiosmtpd server and two
`flask --app wsgi worker` processes serve the module; each test uses its own URL paths.
"""

from __future__ import annotations

import email
import itertools
import json
import signal
from collections.abc import Iterator
from typing import Any

import pytest
import rq
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from tests.idempotent_http import IdempotentServer, free_port
from tests.server.timer_cluster import ADMIN, Cluster

pytestmark = pytest.mark.timeout(120)

BINDINGS = {"org.example.ScoreDelegate": "http"}
SERVICE_ENV = {"BATON_SERVICE_TIMEOUT_S": "2", "BATON_SERVICE_LEASE_S": "1",
               "BATON_CONNECTOR_BINDINGS": json.dumps(BINDINGS)}


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"


class Services(Cluster):
    """The cluster, the HTTP and SMTP servers, and helpers to look at calls and incidents."""

    def __init__(self, app: Flask, db_url: str, redis_url: str, folder: Any) -> None:
        super().__init__(app, db_url, redis_url, folder)
        self.http = IdempotentServer().start()
        self.inbox = Inbox()
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        self.worker_env: dict[str, str] = {}

    def rows(self, model: Any, **where: Any) -> list[Any]:
        from server.db import db

        def run() -> list[Any]:
            query = select(model).order_by(model.id)
            for key, value in where.items():
                query = query.where(getattr(model, key) == value)
            found = list(db.session.scalars(query))
            db.session.expunge_all()
            return found

        return list(self.query(run))

    def calls(self, instance_id: int) -> list[Any]:
        from server.models import ServiceCall

        return self.rows(ServiceCall, instance_id=instance_id)

    def incidents(self, instance_id: int) -> list[Any]:
        from server.models import Incident

        return self.rows(Incident, instance_id=instance_id)

    def api(self, method: str, path: str, json_body: Any = None) -> Any:
        from server import people
        from server.db import db

        with self.app.app_context():
            user = people.find_user(ADMIN)
            assert user is not None
            _, token = people.create_token(user)
            db.session.commit()
        response = self.app.test_client().open(path, method=method, json=json_body,
                                               headers={"Authorization": f"Bearer {token}"})
        return response


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Services]:
    from server import create_app, db_setup, people
    from server.db import db

    folder = tmp_path_factory.mktemp("services")
    db_url = f"sqlite:///{folder / 'baton.sqlite3'}"
    placeholder = Flask("placeholder")
    services = Services(placeholder, db_url, redis_url, folder)
    smtp_settings = {"email": {"host": "127.0.0.1", "port": services.smtp.port, "from": "baton@test.example"}}
    app: Flask = create_app({
        "DATABASE_URL": db_url, "REDIS_URL": redis_url, "INSTANCE_DIR": str(folder / "instance"),
        "SECRET_KEY": "test-secret", "TESTING": True, "BATON_PASSWORD_HASH": "pbkdf2:sha256:1000",
        "BATON_CONNECTOR_BINDINGS": BINDINGS, "BATON_CONNECTOR_SETTINGS": smtp_settings,
        "BATON_SERVICE_TIMEOUT_S": 2, "BATON_SERVICE_LEASE_S": 1,
    })
    services.app = app
    db_setup.upgrade(app)
    with app.app_context():
        people.save_user(ADMIN, password="password-123", roles=("admin",))
        people.save_user("clerk@test.example", password="password-123", groups=("staff",))
        db.session.commit()
    services.redis.flushdb()
    services.deploy("http_service.bpmn", "service_error_boundary.bpmn", "camunda_class_service.bpmn",
                    "email_service.bpmn")
    services.worker_env = {**SERVICE_ENV, "BATON_CONNECTOR_SETTINGS": json.dumps(smtp_settings)}
    services.start_workers(2, **services.worker_env)
    try:
        yield services
    finally:
        services.stop_workers()
        services.http.stop()
        services.smtp.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        services.redis.flushdb()


def order(cluster: Services, path: str) -> int:
    return cluster.start("http_service", {"baseUrl": cluster.http.url, "path": path, "orderId": 7})


def test_an_http_call_maps_the_response_to_variables_and_the_instance_moves_on(cluster: Services) -> None:
    cluster.http.delay("/orders/ok", 1.0)
    instance_id = order(cluster, "/orders/ok")
    shown = cluster.api("GET", f"/api/v1/instances/{instance_id}").get_json()
    assert [(w["kind"], w["element_id"]) for w in shown["waiting"]] == [("service", "Place_order")]
    assert shown["incidents"] == []
    cluster.wait_for(lambda: cluster.open_tasks(instance_id, "Check"), 20, "the order to be placed")
    data = cluster.instance(instance_id).data
    assert (data["httpStatus"], data["orderState"], data["effect"]) == (200, "accepted", 1)
    [call] = cluster.calls(instance_id)
    assert (call.status, call.attempts) == ("succeeded", 1)
    [request] = cluster.http.seen("/orders/ok")
    assert request.method == "POST" and request.body == {"orderId": 7}
    assert request.headers["idempotency-key"] == call.idempotency_key
    assert len(cluster.events(instance_id, "service_call_succeeded")) == 1
    assert cluster.api("GET", f"/api/v1/instances/{instance_id}").get_json()["waiting"] == []


def test_a_failing_connector_retries_with_backoff_then_an_incident_whose_retry_completes_the_instance(
    cluster: Services,
) -> None:
    cluster.http.plan("/orders/flaky", 503, 503, 503)
    instance_id = order(cluster, "/orders/flaky")
    cluster.wait_for(lambda: cluster.incidents(instance_id), 20, "an incident")
    [incident] = cluster.incidents(instance_id)
    assert incident.status == "open" and "failed 3 time(s)" in incident.message and "503" in incident.message
    attempts = cluster.http.seen("/orders/flaky")
    assert len(attempts) == 3 and len({a.headers["idempotency-key"] for a in attempts}) == 1
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    assert all(gap >= 1.0 for gap in gaps), gaps  # R3/PT1S: never before the back-off
    failed = cluster.events(instance_id, "service_call_failed")
    assert [e.data["next_attempt_in_s"] for e in failed] == [1.0, 1.0]
    assert len(cluster.events(instance_id, "incident_opened")) == 1
    shown = cluster.api("GET", f"/api/v1/instances/{instance_id}").get_json()
    assert [i["id"] for i in shown["incidents"]] == [incident.id]
    from server.models import Notification

    assert [n.kind for n in cluster.rows(Notification, instance_id=instance_id)] == ["incident"]
    listed = cluster.api("GET", "/api/v1/incidents?status=open").get_json()
    assert incident.id in [i["id"] for i in listed]

    response = cluster.api("POST", f"/api/v1/incidents/{incident.id}/retry")
    assert response.status_code == 200, response.get_json()
    cluster.wait_for(lambda: cluster.open_tasks(instance_id, "Check"), 20, "the retried call")
    assert cluster.incidents(instance_id)[0].resolution == "retried"
    [retried] = cluster.events(instance_id, "incident_retried")
    assert retried.actor == ADMIN
    assert cluster.http.effect_count("/orders/flaky") == 1
    assert cluster.instance(instance_id).data["orderState"] == "accepted"


def test_skipping_an_incident_completes_the_task_with_the_given_data(cluster: Services) -> None:
    cluster.http.plan("/orders/rejected", 400)
    instance_id = order(cluster, "/orders/rejected")
    cluster.wait_for(lambda: cluster.incidents(instance_id), 20, "an incident")
    [incident] = cluster.incidents(instance_id)
    assert "cannot be retried" in incident.message and len(cluster.http.seen("/orders/rejected")) == 1
    response = cluster.api("POST", f"/api/v1/incidents/{incident.id}/skip",
                           {"data": {"orderState": "confirmed by phone"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["resolution"] == "skipped"
    assert cluster.open_tasks(instance_id, "Check")
    assert cluster.instance(instance_id).data["orderState"] == "confirmed by phone"
    assert cluster.calls(instance_id)[0].status == "skipped"
    [skipped] = cluster.events(instance_id, "incident_skipped")
    assert skipped.actor == ADMIN and skipped.data["variables"] == {"orderState": "confirmed by phone"}


def test_cancelling_from_an_incident_cancels_the_instance(cluster: Services) -> None:
    cluster.http.plan("/orders/doomed", 409)
    instance_id = order(cluster, "/orders/doomed")
    cluster.wait_for(lambda: cluster.incidents(instance_id), 20, "an incident")
    incident_id = cluster.incidents(instance_id)[0].id
    assert cluster.api("POST", f"/api/v1/incidents/{incident_id}/cancel").status_code == 200
    assert cluster.instance(instance_id).status == "cancelled"
    assert cluster.calls(instance_id)[0].status == "cancelled"
    assert cluster.incidents(instance_id)[0].resolution == "cancelled"
    again = cluster.api("POST", f"/api/v1/incidents/{incident_id}/retry")
    assert again.status_code == 409 and again.get_json()["error"] == "incident_closed"


def test_a_modelled_error_boundary_catches_the_mapped_error(cluster: Services) -> None:
    cluster.http.plan("/orders/missing", 404)
    instance_id = cluster.start("service_error_boundary", {"url": f"{cluster.http.url}/orders/missing"})
    cluster.wait_for(lambda: cluster.open_tasks(instance_id, "Tell_customer"), 20, "the error path")
    data = cluster.instance(instance_id).data
    assert data["errorCode"] == "HTTP_404" and "answered 404" in data["errorMessage"]
    assert cluster.incidents(instance_id) == []
    assert cluster.calls(instance_id)[0].status == "failed"
    assert [e.data["code"] for e in cluster.events(instance_id, "service_error_thrown")] == ["HTTP_404"]


def _busy_worker(cluster: Services) -> Any:
    for worker in rq.Worker.all(connection=cluster.redis):
        job = worker.get_current_job()
        if job is not None and job.func_name == "server.services.run_service_call":
            return next((p for p in cluster.workers if p.pid == worker.pid), None)
    return None


def test_a_worker_killed_mid_call_has_the_call_run_again_and_its_effect_land_once(cluster: Services) -> None:
    cluster.http.delay("/orders/slow", 1.5)
    instance_id = order(cluster, "/orders/slow")
    cluster.wait_for(lambda: cluster.http.seen("/orders/slow"), 10, "the call to reach the server")
    victim = cluster.wait_for(lambda: _busy_worker(cluster), 5, "the worker running the call")
    cluster.kill(victim, signal.SIGKILL)
    cluster.start_workers(1, **cluster.worker_env)
    cluster.wait_for(lambda: cluster.open_tasks(instance_id, "Check"), 30, "the call to be run again")
    attempts = cluster.http.seen("/orders/slow")
    assert len(attempts) == 2
    assert attempts[0].headers["idempotency-key"] == attempts[1].headers["idempotency-key"]
    assert cluster.http.effect_count("/orders/slow") == 1
    [call] = cluster.calls(instance_id)
    assert (call.status, call.attempts) == ("succeeded", 2)
    assert cluster.instance(instance_id).data["effect"] == 1
    assert len(cluster.events(instance_id, "service_call_succeeded")) == 1


def test_a_java_class_opens_an_incident_saying_so_unless_configuration_binds_it(cluster: Services) -> None:
    unbound = cluster.start("camunda_class_service", {"bound": False, "url": f"{cluster.http.url}/score"})
    [incident] = cluster.incidents(unbound)
    assert "org.example.UnboundDelegate" in incident.message and "camunda:class" in incident.message
    assert "BATON_CONNECTOR_BINDINGS" in incident.message
    assert cluster.instance(unbound).status == "running"
    bound = cluster.start("camunda_class_service", {"bound": True, "url": f"{cluster.http.url}/score"})
    cluster.wait_for(lambda: cluster.instance(bound).status == "completed", 20, "the bound delegate")
    assert cluster.instance(bound).data["score"] == 1
    assert cluster.incidents(bound) == []


def test_the_email_connector_sends_through_smtp(cluster: Services) -> None:
    instance_id = cluster.start("email_service", {"customer": "ann@test.example", "orderId": 42})
    cluster.wait_for(lambda: cluster.instance(instance_id).status == "completed", 20, "the e-mail")
    [call] = cluster.calls(instance_id)
    sent = [m for m in cluster.inbox.messages if m["Message-ID"] == f"<{call.idempotency_key}@baton>"]
    assert len(sent) == 1
    assert (sent[0]["Subject"], sent[0]["To"]) == ("Order 42 confirmed", "ann@test.example")
    assert cluster.instance(instance_id).data["confirmationId"] == f"<{call.idempotency_key}@baton>"


def test_retrying_an_unrunnable_task_is_refused_until_it_can_run(cluster: Services) -> None:
    instance_id = cluster.start("camunda_class_service", {"bound": False, "url": "http://x"})
    incident_id = cluster.incidents(instance_id)[0].id
    response = cluster.api("POST", f"/api/v1/incidents/{incident_id}/retry")
    assert response.status_code == 409 and "fail the same way" in response.get_json()["message"]
    assert cluster.incidents(instance_id)[0].status == "open"
