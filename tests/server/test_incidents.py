"""Incidents through the API and the pages, without workers: a Java delegate Baton cannot run opens
one when the task parks; operators see it on the instance and on the incidents page, and act on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.server.pages_helpers import make_user, text

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"


def event_kinds(app: Flask, instance_id: int) -> list[str]:
    from sqlalchemy import select

    from server.db import db
    from server.models import Event

    with app.app_context():
        return list(db.session.scalars(select(Event.kind).where(Event.instance_id == instance_id)
                                       .order_by(Event.seq)))


def blocked_instance(api: Api) -> tuple[int, dict[str, Any]]:
    """Deploy the delegate model and start a case that parks on the unbound delegate."""
    assert api.deploy(ADMIN, "camunda_class_service.bpmn").status_code == 201
    started = api.start("camunda_class_service", ADMIN, {"bound": False, "url": "http://x"})
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    return body["id"], body


def test_the_instance_shows_its_incident_and_the_wait(api: Api) -> None:
    instance_id, body = blocked_instance(api)
    assert body["status"] == "running"
    assert [(w["kind"], w["element_id"]) for w in body["waiting"]] == [("service", "Score_unbound")]
    [incident] = body["incidents"]
    assert incident["kind"] == "service" and incident["element_id"] == "Score_unbound"
    assert "org.example.UnboundDelegate" in incident["message"]
    detail = api.call("GET", f"/api/v1/incidents/{incident['id']}", ADMIN).get_json()
    assert detail["status"] == "open" and detail["service_call"]["status"] == "incident"
    assert detail["service_call"]["idempotency_key"].startswith(f"baton-{instance_id}-")
    listed = api.call("GET", "/api/v1/incidents", ADMIN, query_string={"status": "open"})
    assert [i["id"] for i in listed.get_json()] == [incident["id"]] and listed.headers["X-Total-Count"] == "1"
    assert api.call("GET", "/api/v1/incidents", ADMIN, query_string={"status": "resolved"}).get_json() == []


def test_only_admins_act_and_only_admins_and_auditors_look(api: Api) -> None:
    _, body = blocked_instance(api)
    incident_id = body["incidents"][0]["id"]
    api.user("clerk@test.example")
    api.user("auditor@test.example", roles=("auditor",))
    assert api.call("GET", "/api/v1/incidents", "clerk@test.example").status_code == 403
    assert api.call("GET", f"/api/v1/incidents/{incident_id}", "auditor@test.example").status_code == 200
    for action in ("retry", "skip", "cancel"):
        response = api.call("POST", f"/api/v1/incidents/{incident_id}/{action}", "auditor@test.example")
        assert response.status_code == 403, action
    assert api.call("GET", "/api/v1/incidents/999", ADMIN).status_code == 404


def test_skip_through_the_api_completes_the_case_and_is_audited(api: Api) -> None:
    instance_id, body = blocked_instance(api)
    incident_id = body["incidents"][0]["id"]
    bad = api.call("POST", f"/api/v1/incidents/{incident_id}/skip", ADMIN, json={"data": [1]})
    assert bad.status_code == 400
    done = api.call("POST", f"/api/v1/incidents/{incident_id}/skip", ADMIN, json={"data": {"score": 3}})
    assert done.status_code == 200 and done.get_json()["resolution"] == "skipped"
    shown = api.call("GET", f"/api/v1/instances/{instance_id}", ADMIN).get_json()
    assert shown["status"] == "completed" and shown["data"]["score"] == 3 and shown["incidents"] == []
    again = api.call("POST", f"/api/v1/incidents/{incident_id}/cancel", ADMIN)
    assert again.status_code == 409


def test_the_incident_pages_list_show_and_resolve(app: Flask, api: Api, browser: Browser) -> None:
    instance_id, body = blocked_instance(api)
    incident_id = body["incidents"][0]["id"]
    browser.login(ADMIN)
    assert 'href="/incidents"' in browser.get("/work").get_data(as_text=True)  # the nav link
    page = text(browser.get("/incidents").get_data(as_text=True))
    assert "org.example.UnboundDelegate" in page and "open" in page
    case = text(browser.get(f"/instances/{instance_id}").get_data(as_text=True))
    assert f"Blocked by incident #{incident_id}" in case
    detail = browser.get(f"/incidents/{incident_id}")
    assert detail.status_code == 200 and "Retry the call" in browser.last_html
    browser.post(f"/incidents/{incident_id}/retry", follow_redirects=True)
    assert "A retry would fail the same way" in browser.last_html
    browser.get(f"/incidents/{incident_id}")
    browser.post(f"/incidents/{incident_id}/skip", {"data": "not json"}, follow_redirects=True)
    assert "must be a JSON object" in browser.last_html
    browser.post(f"/incidents/{incident_id}/cancel", follow_redirects=True)
    assert "The case is cancelled" in browser.last_html
    shown = api.call("GET", f"/api/v1/instances/{instance_id}", ADMIN).get_json()
    assert shown["status"] == "cancelled" and shown["incidents"] == []
    assert "Blocked by incident" not in browser.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert {"incident_opened", "incident_cancelled"} <= set(event_kinds(app, instance_id))


def test_people_without_the_role_see_no_incident_pages(app: Flask, browser: Browser) -> None:
    make_user(app, "clerk@test.example")
    browser.login("clerk@test.example")
    assert 'href="/incidents"' not in browser.get("/work").get_data(as_text=True)
    assert browser.get("/incidents").status_code == 403


def test_completing_a_task_answers_with_the_incidents_open_after_it(api: Api) -> None:
    """The completion's answer lists an incident the change itself opened, and one already open
    before it (the answer is built from what the change knew, not re-read: both paths)."""
    assert api.deploy(ADMIN, "review_then_unbound_delegate.bpmn").status_code == 201
    started = api.start("review_then_unbound", ADMIN).get_json()
    assert started["incidents"] == []
    [review] = started["open_tasks"]
    done = api.complete(review["id"], ADMIN, {})
    assert done.status_code == 200, done.get_json()
    [incident] = done.get_json()["incidents"]  # opened by this very completion
    assert incident["element_id"] == "Score" and "org.example.UnboundDelegate" in incident["message"]
    [confirm] = done.get_json()["open_tasks"]
    assert done.get_json()["started_by"] == ADMIN
    after = api.complete(confirm["id"], ADMIN, {}).get_json()
    assert [i["id"] for i in after["incidents"]] == [incident["id"]]  # open before, still open
    assert after["status"] == "running" and after["open_tasks"] == []
