"""Messages and signals over the API: the subscription index, delivery, message starts, routing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.bpmn.helpers import corpus_files

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
PAT = "pat@test.example"
AUDREY = "audrey@test.example"
BPMN_FIXTURES = Path(__file__).parents[1] / "bpmn" / "fixtures"
SERVER_FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).parents[1] / "bpmn" / "corpus"
SAP = CORPUS / "sartography-example-process-models/examples/2-in-depth/2-4-messages"
ORDER = {"table_number": 3, "drink": "tea", "meal": "soup"}


def deploy(api: Api, path: Path) -> None:
    response = api.deploy(ADMIN, files={path.name: path.read_bytes()})
    assert response.status_code == 201, response.get_json()


def send(api: Api, body: dict[str, Any], as_user: str = ADMIN, what: str = "messages") -> Any:
    return api.call("POST", f"/api/v1/{what}", as_user, json=body)


def instance(api: Api, instance_id: int) -> dict[str, Any]:
    response = api.call("GET", f"/api/v1/instances/{instance_id}", ADMIN)
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def start(api: Api, process_id: str, data: dict[str, Any] | None = None, **extra: Any) -> int:
    response = api.start(process_id, ADMIN, data, **extra)
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def subscriptions(api: Api) -> list[tuple[int, str, str, str | None]]:
    from sqlalchemy import select

    from server.db import db
    from server.models import MessageSubscription

    with api.app.app_context():
        rows = db.session.scalars(select(MessageSubscription).order_by(MessageSubscription.id))
        return [(r.instance_id, r.kind, r.name, r.business_key) for r in rows]


def test_a_catch_event_receives_its_message_by_business_key(api: Api) -> None:
    deploy(api, SERVER_FIXTURES / "waits_for_a_message.bpmn")
    first = start(api, "waits_for_a_message", {"order": 1}, business_key="A-1")
    second = start(api, "waits_for_a_message", {"order": 2}, business_key="A-2")
    assert subscriptions(api) == [(first, "message", "payment_received", "A-1"),
                                  (second, "message", "payment_received", "A-2")]
    response = send(api, {"name": "payment_received", "business_key": "A-2", "data": {"amount": 12}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"delivered": [second], "started": []}
    done = instance(api, second)
    assert done["status"] == "completed"
    assert done["data"] == {"order": 2, "amount": 12}
    assert instance(api, first)["status"] == "running"
    assert subscriptions(api) == [(first, "message", "payment_received", "A-1")]


def test_correlation_matches_the_instance_variables(api: Api) -> None:
    deploy(api, SERVER_FIXTURES / "waits_for_a_message.bpmn")
    first = start(api, "waits_for_a_message", {"order_id": "X-1", "region": "north"})
    second = start(api, "waits_for_a_message", {"order_id": "X-2", "region": "north"})
    response = send(api, {"name": "payment_received", "correlation": {"order_id": "X-1", "region": "north"},
                          "data": {"paid": True}})
    assert response.get_json() == {"delivered": [first], "started": []}
    assert instance(api, first)["data"]["paid"] is True
    assert instance(api, second)["status"] == "running"


def test_nothing_waiting_is_a_404_no_match(api: Api) -> None:
    deploy(api, SERVER_FIXTURES / "waits_for_a_message.bpmn")
    start(api, "waits_for_a_message", business_key="B-1")
    for body in ({"name": "payment_received", "business_key": "nope"},
                 {"name": "payment_received", "correlation": {"order_id": "missing"}},
                 {"name": "unknown_message"}):
        response = send(api, body)
        assert response.status_code == 404
        assert response.get_json()["error"] == "no_match"
    assert send(api, {"business_key": "B-1"}).status_code == 400
    assert send(api, {"name": "go"}, what="signals").status_code == 404


def test_a_boundary_message_interrupts_a_task(api: Api) -> None:
    deploy(api, BPMN_FIXTURES / "message_boundary_and_catch.bpmn")
    instance_id = start(api, "message_boundary", business_key="O-9")
    assert len(instance(api, instance_id)["open_tasks"]) == 1
    response = send(api, {"name": "order_cancelled", "business_key": "O-9", "data": {"reason": "late"}})
    assert response.get_json() == {"delivered": [instance_id], "started": []}
    row = instance(api, instance_id)
    assert row["status"] == "completed" and row["open_tasks"] == []
    assert row["data"]["reason"] == "late"
    assert subscriptions(api) == []


def test_a_message_start_event_creates_an_instance(api: Api) -> None:
    api.user(PAT)
    deploy(api, BPMN_FIXTURES / "message_start.bpmn")
    response = send(api, {"name": "order_placed", "business_key": "S-1", "data": {"item": "lamp"}}, PAT)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["delivered"] == [] and len(body["started"]) == 1
    row = instance(api, body["started"][0])
    assert row["business_key"] == "S-1" and row["started_by"] == PAT
    assert row["data"] == {"item": "lamp"}
    assert [t["name"] for t in row["open_tasks"]] == ["Handle order"]


def test_only_participants_and_above_may_send(api: Api) -> None:
    api.user(AUDREY, roles=("auditor",))
    deploy(api, BPMN_FIXTURES / "message_start.bpmn")
    assert send(api, {"name": "order_placed"}, AUDREY).status_code == 403
    assert send(api, {"name": "go"}, AUDREY, what="signals").status_code == 403


def test_a_signal_reaches_every_waiting_instance(api: Api) -> None:
    deploy(api, BPMN_FIXTURES / "signal_catch_and_throw.bpmn")
    waiting = [start(api, "waits_for_signal", {"n": n}) for n in range(3)]
    assert {kind for _, kind, _, _ in subscriptions(api)} == {"signal"}
    response = send(api, {"name": "go", "data": {"colour": "green"}}, what="signals")
    assert response.get_json() == {"delivered": waiting, "started": []}
    assert all(instance(api, i)["data"]["colour"] == "green" for i in waiting)
    assert all(instance(api, i)["status"] == "completed" for i in waiting)


def test_a_thrown_signal_reaches_other_instances(api: Api) -> None:
    deploy(api, BPMN_FIXTURES / "signal_catch_and_throw.bpmn")
    waiting = start(api, "waits_for_signal")
    start(api, "throws_signal")
    assert instance(api, waiting)["status"] == "completed"


def test_waiter_and_chef_run_end_to_end(api: Api) -> None:
    for model in ("waiter/simple-message-waiter.bpmn", "chef/simple-message-chef.bpmn"):  # + their forms
        files = corpus_files(str((SAP / model).relative_to(CORPUS)))
        assert api.deploy(ADMIN, files=files).status_code == 201
    tables = {number: start(api, "Process_k6u417e") for number in (3, 4)}
    orders = {}
    for number, waiter in tables.items():
        [take] = instance(api, waiter)["open_tasks"]
        orders[number] = {**ORDER, "table_number": number}
        done = api.complete(take["id"], ADMIN, {"order": orders[number]})
        assert done.status_code == 200, done.get_json()
    chefs = api.call("GET", "/api/v1/instances", ADMIN, query_string={"process_id": "Process_c707ql0"})
    cooks = {row["data"]["order_to_cook"]["table_number"]: row for row in chefs.get_json()}
    assert set(cooks) == {3, 4}
    assert all(instance(api, w)["status"] == "running" for w in tables.values())

    [confirm] = cooks[4]["open_tasks"]
    assert api.complete(confirm["id"], ADMIN, {}).status_code == 200
    assert instance(api, cooks[4]["id"])["status"] == "completed"
    served = instance(api, tables[4])
    assert served["status"] == "completed" and served["data"]["order"] == orders[4]
    assert instance(api, tables[3])["status"] == "running"  # correlation: table 3 still waits


def test_the_progress_view_still_shows_the_message_blocker(api: Api) -> None:
    deploy(api, SERVER_FIXTURES / "waits_for_a_message.bpmn")
    instance_id = start(api, "waits_for_a_message")
    view = api.call("GET", f"/api/v1/instances/{instance_id}/progress", ADMIN).get_json()
    assert [b["kind"] for b in view["blockers"]] == ["message"]
