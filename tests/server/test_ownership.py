"""Ownership on live tasks: delegate and resolve (Camunda semantics), reassign by admins and group leads
only, priority; each audited and notified, and shown on the task page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import select

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
BOSS = "boss@test.example"
DEPUTY = "dana@test.example"
LEAD = "lead@test.example"
LEGAL = "lena@test.example"
OTHER = "otto@test.example"


def setup(api: Api) -> tuple[int, str]:
    api.user(BOSS)
    api.user(DEPUTY)
    api.user(LEGAL, groups=("legal",))
    api.user(OTHER, groups=("legal",))
    api.user(LEAD)
    from server.db import db
    from server.models import Group, Membership, User

    with api.app.app_context():
        lead = db.session.scalar(select(User).where(User.email == LEAD))
        group = db.session.scalar(select(Group).where(Group.key == "legal"))
        assert lead is not None and group is not None
        db.session.add(Membership(user_id=lead.id, group_id=group.id, is_lead=True))
        db.session.commit()
    assert api.deploy(ADMIN, "progress_purchase.bpmn").status_code == 201
    instance_id = api.start("progress_purchase", ADMIN, {"approver": BOSS}).get_json()["id"]
    [task] = api.tasks(BOSS, mine=1)
    return instance_id, task["id"]


def post(api: Api, path: str, as_user: str, body: dict[str, Any] | None = None) -> Any:
    return api.call("POST", path, as_user, json=body or {})


def events(app: Flask, instance_id: int) -> list[tuple[str, str | None, dict[str, Any] | None]]:
    from server.db import db
    from server.models import Event

    with app.app_context():
        rows = db.session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq))
        return [(e.kind, e.actor, e.data) for e in rows]


def notified(app: Flask, email: str) -> list[tuple[str, str]]:
    from server.db import db
    from server.models import Notification, User

    with app.app_context():
        query = (select(Notification.kind, Notification.title).join(User, User.id == Notification.user_id)
                 .where(User.email == email).order_by(Notification.id))
        return [(k, t) for k, t in db.session.execute(query)]


def test_delegate_then_resolve_returns_the_task_to_its_owner(app: Flask, api: Api) -> None:
    instance_id, task_id = setup(api)
    response = post(api, f"/api/v1/tasks/{task_id}/delegate", BOSS, {"to": DEPUTY})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["assignee"] == DEPUTY and body["owner"] == BOSS and body["delegation_state"] == "pending"
    assert notified(app, DEPUTY)[-1][0] == "assignment" and "delegated" in notified(app, DEPUTY)[-1][1]
    # The delegate cannot complete; they resolve. Nobody else may resolve.
    refused = api.complete(task_id, DEPUTY, {"reason": "x"})
    assert refused.status_code == 403 and "delegated" in refused.get_json()["message"]
    assert post(api, f"/api/v1/tasks/{task_id}/resolve", BOSS).status_code == 403
    view = api.call("GET", f"/api/v1/instances/{instance_id}/progress", DEPUTY).get_json()
    assert view["next_action"]["text"].startswith(f"You: resolve “Approve purchase” for {BOSS}")
    resolved = post(api, f"/api/v1/tasks/{task_id}/resolve", DEPUTY)
    assert resolved.status_code == 200, resolved.get_json()
    assert resolved.get_json()["assignee"] == BOSS and resolved.get_json()["delegation_state"] == "resolved"
    assert "resolved" in notified(app, BOSS)[-1][1]
    assert api.complete(task_id, BOSS, {"reason": "fine", "approved": True}).status_code == 200
    kinds = [k for k, _, _ in events(app, instance_id)]
    assert kinds.index("task_delegated") < kinds.index("task_resolved") < kinds.index("task_completed")
    delegated = next(d for k, _, d in events(app, instance_id) if k == "task_delegated")
    assert delegated == {"owner": BOSS, "to": DEPUTY, "previous": BOSS}


def test_delegating_to_nobody_or_by_someone_else_is_refused(api: Api) -> None:
    _, task_id = setup(api)
    ghost = {"to": "ghost@test.example"}
    assert post(api, f"/api/v1/tasks/{task_id}/delegate", BOSS, ghost).status_code == 400
    assert post(api, f"/api/v1/tasks/{task_id}/delegate", BOSS, {}).status_code == 400
    assert post(api, f"/api/v1/tasks/{task_id}/delegate", ADMIN, {"to": DEPUTY}).status_code == 200


def test_reassign_by_a_lead_of_the_candidate_group_and_refused_for_others(app: Flask, api: Api) -> None:
    instance_id, task_id = setup(api)
    assert api.complete(task_id, BOSS, {"reason": "r", "approved": True}).status_code == 200
    [order] = api.tasks(LEGAL)
    path = f"/api/v1/tasks/{order['id']}/reassign"
    refused = post(api, path, OTHER, {"to": f"user:{LEGAL}"})
    assert refused.status_code == 403 and "lead" in refused.get_json()["message"]
    assert post(api, path, LEAD, {"to": "nobody"}).status_code == 400
    moved = post(api, path, LEAD, {"to": f"user:{LEGAL}"})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["assignee"] == LEGAL
    assert notified(app, LEGAL)[-1][0] == "reassignment"
    to_group = post(api, path, ADMIN, {"to": "group:legal"})
    assert to_group.get_json()["assignee"] is None and to_group.get_json()["candidate_groups"] == ["legal"]
    assert [k for k, _, _ in events(app, instance_id)].count("task_reassigned") == 2


def test_priority_change(app: Flask, api: Api) -> None:
    instance_id, task_id = setup(api)
    path = f"/api/v1/tasks/{task_id}/priority"
    assert post(api, path, BOSS, {"priority": 101}).status_code == 400
    assert post(api, path, BOSS, {"priority": "high"}).status_code == 400
    assert post(api, path, DEPUTY, {"priority": 80}).status_code == 404  # cannot even see it
    changed = post(api, path, ADMIN, {"priority": 80})
    assert changed.status_code == 200 and changed.get_json()["priority"] == 80
    assert "priority" in notified(app, BOSS)[-1][1]
    data = next(d for k, _, d in events(app, instance_id) if k == "task_priority_changed")
    assert data == {"before": 50, "after": 80}


def test_the_task_page_offers_delegate_and_the_delegate_gets_resolve(app: Flask, api: Api,
                                                                     browser: Browser) -> None:
    _, task_id = setup(api)
    browser.login(BOSS)
    html = browser.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Delegate to (e-mail)" in html and "Reassign to" not in html
    done = browser.post(f"/tasks/{task_id}/delegate", {"to": DEPUTY}, follow_redirects=True)
    assert "is delegated to" in done.get_data(as_text=True)
    deputy = type(browser)(app.test_client())
    deputy.login(DEPUTY)
    html = deputy.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f"Resolve and hand back to {BOSS}" in html
    back = deputy.post(f"/tasks/{task_id}/resolve", follow_redirects=True).get_data(as_text=True)
    assert "is back with" in back


def test_giving_a_task_back_tells_the_candidates_and_a_takeover_tells_the_holder(api: Any, app: Any) -> None:
    from sqlalchemy import select

    from server.db import db
    from server.models import Notification, User

    api.user("c1@test.example", groups=("clerks",))
    api.user("c2@test.example", groups=("clerks",))
    assert api.deploy("admin@test.example", "expense.bpmn").status_code == 201
    iid = api.start("expense_claim", "c1@test.example").get_json()["id"]
    [task] = api.tasks("c1@test.example", instance_id=iid)

    def titles(email: str) -> list[str]:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            assert user is not None
            rows = db.session.scalars(select(Notification).where(Notification.user_id == user.id))
            return [n.title for n in rows]

    assert api.claim(task["id"], "c1@test.example").status_code == 200
    back = api.call("POST", f"/api/v1/tasks/{task['id']}/unclaim", "c1@test.example")
    assert back.status_code == 200
    assert titles("c2@test.example") == ["“Enter expense” is free to take again"]
    assert titles("c1@test.example") == []  # the one who gave it back is not told
    assert api.claim(task["id"], "c2@test.example").status_code == 200
    assert api.claim(task["id"], "admin@test.example").status_code == 200  # an admin takes it over
    assert titles("c2@test.example")[-1].endswith("took over “Enter expense”")
