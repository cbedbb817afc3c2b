"""Comments with @mentions that notify, watchers told when steps complete, and My work's sections for
what I wait on others for and the cases I watch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import select

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
BOSS = "boss@test.example"
LEGAL = "lena@test.example"
WATCHER = "wanda@test.example"
STRANGER = "sam@test.example"


def purchase(api: Api) -> tuple[int, str]:
    for email, groups in ((BOSS, ()), (LEGAL, ("legal",)), (WATCHER, ()), (STRANGER, ())):
        api.user(email, groups=groups)
    assert api.deploy(ADMIN, "progress_purchase.bpmn").status_code == 201
    instance_id = api.start("progress_purchase", WATCHER, {"approver": BOSS}).get_json()["id"]
    [task] = api.tasks(BOSS, mine=1)
    return instance_id, task["id"]


def notified(app: Flask, email: str) -> list[tuple[str, str]]:
    from server.db import db
    from server.models import Notification, User

    with app.app_context():
        query = (select(Notification.kind, Notification.title).join(User, User.id == Notification.user_id)
                 .where(User.email == email).order_by(Notification.id))
        return [(k, t) for k, t in db.session.execute(query)]


def comment(api: Api, instance_id: int, as_user: str, body: str) -> Any:
    return api.call("POST", f"/api/v1/instances/{instance_id}/comments", as_user, json={"body": body})


def test_a_comment_with_mentions_notifies_those_who_may_see_the_case(app: Flask, api: Api) -> None:
    instance_id, _ = purchase(api)
    posted = comment(api, instance_id, WATCHER, f"@boss please look. cc @{STRANGER} and @nobody")
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["mentions"] == [BOSS]  # the stranger cannot see the case; nobody is nobody
    assert notified(app, BOSS) and notified(app, BOSS)[-1] == ("mention", f"{WATCHER.split('@')[0]} "
                                                                          "mentioned you on Purchase #1")
    assert notified(app, STRANGER) == []
    listed = api.call("GET", f"/api/v1/instances/{instance_id}/comments", BOSS).get_json()
    assert [c["body"] for c in listed] == [f"@boss please look. cc @{STRANGER} and @nobody"]
    assert comment(api, instance_id, BOSS, "   ").status_code == 400
    assert comment(api, instance_id, STRANGER, "hi").status_code == 404


def test_watchers_hear_when_steps_complete(app: Flask, api: Api) -> None:
    instance_id, task_id = purchase(api)
    assert api.call("POST", f"/api/v1/instances/{instance_id}/watch", LEGAL).status_code == 404  # not yet
    assert api.call("POST", f"/api/v1/instances/{instance_id}/watch", ADMIN).status_code == 200
    assert api.call("POST", f"/api/v1/instances/{instance_id}/watch", WATCHER).status_code == 200
    assert api.complete(task_id, BOSS, {"reason": "r", "approved": True}).status_code == 200
    assert notified(app, WATCHER) == [("info", "“Approve purchase” was completed by boss in Purchase #1")]
    assert api.call("POST", f"/api/v1/instances/{instance_id}/unwatch", WATCHER).status_code == 200
    [order] = api.tasks(LEGAL)
    assert api.complete(order["id"], LEGAL, {}).status_code == 200
    assert len(notified(app, WATCHER)) == 1  # no longer watching
    assert [t for _, t in notified(app, ADMIN)][-2:] == ["“Order goods” was completed by lena in Purchase #1",
                                                         "Purchase #1 is completed"]


def test_my_work_lists_what_i_wait_on_others_for_and_the_cases_i_watch(app: Flask, api: Api,
                                                                      browser: Browser) -> None:
    instance_id, _ = purchase(api)
    assert api.call("POST", f"/api/v1/instances/{instance_id}/watch", ADMIN).status_code == 200
    browser.login(WATCHER)
    html = browser.get("/").get_data(as_text=True)
    others = html.split('id="others"')[1].split("</section>")[0]
    assert "Purchase #1" in others and "for “Approve purchase”" in others and BOSS in others
    assert "You watch no cases." in html
    boss = type(browser)(app.test_client())
    boss.login(BOSS)  # BOSS holds the step: nothing waits on others for him
    boss_html = boss.get("/").get_data(as_text=True)
    assert "Nothing you started or watch is waiting on someone else." in boss_html
    admin = type(browser)(app.test_client())
    admin.login(ADMIN)
    watched = admin.get("/").get_data(as_text=True).split('id="watched"')[1]
    assert "Purchase #1" in watched


def test_comment_and_watch_from_the_case_page(app: Flask, api: Api, browser: Browser) -> None:
    instance_id, _ = purchase(api)
    browser.login(WATCHER)
    page = browser.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert "Watch this case" in page and "Add a comment" in page
    done = browser.post(f"/instances/{instance_id}/comments", {"body": "Any news, @boss?"},
                        follow_redirects=True)
    assert f"{BOSS} will be told" in done.get_data(as_text=True)
    watched = browser.post(f"/instances/{instance_id}/watch", {"watch": "1"}, follow_redirects=True)
    assert "Stop watching" in watched.get_data(as_text=True)
    assert "Any news, @boss?" in watched.get_data(as_text=True)
