"""Versions: redeploying a changed model makes a new version, running instances finish on their own,
an identical redeploy is a no-op; an admin moves a running instance to a newer version (API, page,
CLI), with a dry run first. On every database."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
CLERK = "clerk@test.example"
MODELS = Path(__file__).parents[1] / "bpmn" / "fixtures"
V1 = (MODELS / "migration_v1.bpmn").read_bytes()
V2 = (MODELS / "migration_v2_new_step.bpmn").read_bytes()
V3_REVIEW_GONE = V1.replace(b'"Review"', b'"Assess"').replace(b"Review claim", b"Assess claim")


def deploy(api: Api, content: bytes) -> dict[str, Any]:
    response = api.deploy(ADMIN, files={"migration.bpmn": content})
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def start(api: Api, wait: str = "PT1H") -> dict[str, Any]:
    response = api.start("migration_demo", ADMIN, {"wait": wait})
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def migrate(api: Api, instance_id: int, as_user: str = ADMIN, **body: Any) -> Any:
    return api.call("POST", f"/api/v1/instances/{instance_id}/migrate", as_user, json=body)


def instance(api: Api, instance_id: int) -> dict[str, Any]:
    return api.call("GET", f"/api/v1/instances/{instance_id}", ADMIN).get_json()  # type: ignore[no-any-return]


def snapshot(app: Flask, instance_id: int) -> dict[str, Any]:
    """Everything a move writes: the instance row, its task rows, timers and audit events."""
    from server.db import db
    from server.models import Event, Instance, Task, Timer

    with app.app_context():
        db.session.expire_all()
        row = db.session.get(Instance, instance_id)
        assert row is not None
        return {
            "row": (row.process_version_id, row.version, row.state, row.status, row.updated_at,
                    row.event_seq),
            "tasks": [(t.id, t.name, t.state, t.assignee, json.dumps(t.form)) for t in db.session.scalars(
                select(Task).where(Task.instance_id == instance_id).order_by(Task.id))],
            "timers": [(t.id, t.task_id, t.due_at, t.status) for t in db.session.scalars(
                select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id))],
            "events": [e.kind for e in db.session.scalars(
                select(Event).where(Event.instance_id == instance_id).order_by(Event.seq))],
        }


# --- versions ------------------------------------------------------------------------------------


def test_a_changed_model_is_a_new_version_and_running_instances_finish_on_their_own(api: Api) -> None:
    first = deploy(api, V1)
    old = start(api)
    second = deploy(api, V2)
    assert (first["version"], second["version"]) == (1, 2) and not second["unchanged"]
    again = deploy(api, V2)
    assert again["unchanged"] and again["id"] == second["id"] and again["version"] == 2
    new = start(api)
    assert (old["version"], new["version"]) == (1, 2)

    [old_review] = old["open_tasks"]
    done = api.complete(old_review["id"], ADMIN, {"ok": True}).get_json()
    assert done["version"] == 1 and done["open_tasks"] == []  # version 1 has no "Double-check"
    [new_review] = new["open_tasks"]
    after = api.complete(new_review["id"], ADMIN, {"ok": True}).get_json()
    assert [t["element_id"] for t in after["open_tasks"]] == ["Check"]


# --- moving an instance ----------------------------------------------------------------------------


def test_a_compatible_move_keeps_ids_claims_and_timers_and_continues_on_the_new_path(
    app: Flask, api: Api
) -> None:
    from server import audit, timers

    api.user(CLERK, roles=("participant",), groups=("clerks",))
    deploy(api, V1)
    due = time.monotonic() + 3
    started = start(api, "PT3S")
    iid = started["id"]
    [review] = started["open_tasks"]
    assert api.claim(review["id"], CLERK).status_code == 200
    deploy(api, V2)
    before = snapshot(app, iid)

    dry = migrate(api, iid, dry_run=True)
    assert dry.status_code == 200, dry.get_json()
    plan = dry.get_json()
    assert plan["possible"] and plan["dry_run"] and (plan["from_version"], plan["to_version"]) == (1, 2)
    outcomes = {e["element_id"]: e["outcome"] for e in plan["plan"]["elements"]}
    assert outcomes == {"Review": "maps", "Pause": "maps"}
    assert snapshot(app, iid) == before

    moved = migrate(api, iid)
    assert moved.status_code == 200, moved.get_json()
    body = moved.get_json()
    assert body["possible"] and not body["dry_run"] and body["instance"]["version"] == 2
    after = snapshot(app, iid)
    assert after["timers"] == before["timers"]  # the same row, task id and due time, still pending
    [(task_id, name, state, assignee, form)] = after["tasks"]
    assert (task_id, name, state, assignee) == (review["id"], "Review the claim", "open", CLERK)
    assert [f["id"] for f in json.loads(form)] == ["ok", "remark"]
    assert after["events"][-1] == "instance_migrated"
    assert [w["element_id"] for w in body["instance"]["waiting"]] == ["Pause"]
    assert body["instance"]["waiting"] == instance(api, iid)["waiting"]

    reviewed = api.complete(review["id"], CLERK, {"ok": True, "remark": "fine"}).get_json()
    [check] = reviewed["open_tasks"]
    assert check["element_id"] == "Check" and reviewed["status"] == "running"
    time.sleep(max(0.0, due + 0.3 - time.monotonic()))  # let the timer fall due; fire it as a worker would
    with app.app_context():
        [timer_id] = [t[0] for t in after["timers"]]
        assert timers.fire(timer_id) == "fired"
    finished = api.complete(check["id"], CLERK, {}).get_json()
    assert finished["status"] == "completed" and finished["version"] == 2
    assert finished["data"]["booked"] is True  # version 2's script step ran
    with app.app_context():
        from server.db import db
        from server.models import Event

        event = db.session.scalar(
            select(Event).where(Event.instance_id == iid, Event.kind == "instance_migrated"))
        assert event is not None and event.actor == ADMIN
        assert (event.data["from_version"], event.data["to_version"]) == (1, 2)
        assert {e["element_id"] for e in event.data["plan"]["elements"]} == {"Review", "Pause"}
        assert audit.verify(iid).intact


def test_a_removed_waiting_task_refuses_the_move_naming_it_and_changes_nothing(app: Flask, api: Api) -> None:
    deploy(api, V1)
    iid = start(api)["id"]
    deploy(api, V3_REVIEW_GONE)
    before = snapshot(app, iid)
    dry = migrate(api, iid, dry_run=True, to_version=2)
    assert dry.status_code == 200 and not dry.get_json()["possible"]
    refused = migrate(api, iid, to_version=2)
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "migration_refused" and "Review" in body["message"]
    [reason] = body["reasons"]
    assert "'Review claim' (Review)" in reason and "version 2 does not have" in reason
    missing = [e for e in body["plan"]["plan"]["elements"] if e["outcome"] != "maps"]
    assert [(e["element_id"], e["outcome"]) for e in missing] == [("Review", "missing")]
    assert snapshot(app, iid) == before


def test_the_dry_run_changes_nothing(app: Flask, api: Api) -> None:
    deploy(api, V1)
    iid = start(api)["id"]
    deploy(api, V2)
    before = snapshot(app, iid)
    for _ in range(2):
        assert migrate(api, iid, dry_run=True).status_code == 200
    assert snapshot(app, iid) == before and instance(api, iid)["version"] == 1


def test_only_admins_move_instances(app: Flask, api: Api, browser: Browser) -> None:
    deploy(api, V1)
    iid = start(api)["id"]
    deploy(api, V2)
    api.user("pat@test.example", roles=("participant",))
    api.user("ana@test.example", roles=("analyst",), password="password-123")
    for who in ("pat@test.example", "ana@test.example"):
        assert migrate(api, iid, who, dry_run=True).status_code == 403
        assert migrate(api, iid, who).status_code == 403
    browser.login("ana@test.example")
    assert browser.get(f"/instances/{iid}/migrate").status_code == 403
    assert instance(api, iid)["version"] == 1


def test_bad_targets_and_ended_instances_are_refused_with_reasons(api: Api) -> None:
    deploy(api, V1)
    iid = start(api)["id"]
    same = migrate(api, iid)
    assert same.status_code == 422 and "already runs on version 1" in same.get_json()["fields"]["to_version"]
    deploy(api, V2)
    nowhere = migrate(api, iid, to_version=7)
    assert nowhere.status_code == 422 and "no version 7" in nowhere.get_json()["fields"]["to_version"]
    assert migrate(api, iid, to_version="2").status_code == 400
    api.call("POST", f"/api/v1/instances/{iid}/cancel", ADMIN)
    ended = migrate(api, iid, dry_run=True)
    assert ended.status_code == 409 and "is cancelled" in ended.get_json()["reasons"][0]
    assert migrate(api, 999999).status_code == 404


def test_the_instance_page_offers_the_move_shows_the_plan_and_moves_with_csrf(
    app: Flask, api: Api, browser: Browser
) -> None:
    deploy(api, V1)
    iid = start(api)["id"]
    browser.login(ADMIN)
    assert "Migrate to version" not in browser.get(f"/instances/{iid}").get_data(as_text=True)
    deploy(api, V2)
    page = browser.get(f"/instances/{iid}").get_data(as_text=True)
    assert f'href="/instances/{iid}/migrate?to_version=2"' in page and "Migrate to version 2" in page
    plan = browser.get(f"/instances/{iid}/migrate?to_version=2")
    html = plan.get_data(as_text=True)
    assert plan.status_code == 200 and "can move to version 2" in html
    assert "Review claim" in html and "keeps its due time" in html and "Move to version 2" in html
    assert instance(api, iid)["version"] == 1  # showing the plan moved nothing
    no_token = browser.client.post(f"/instances/{iid}/migrate", data={"to_version": "2"})
    assert no_token.status_code == 400 and instance(api, iid)["version"] == 1
    done = browser.post(f"/instances/{iid}/migrate", {"to_version": "2"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "Moved to version 2" in text
    assert instance(api, iid)["version"] == 2


def test_the_page_explains_a_refusal_without_a_confirm_button(api: Api, browser: Browser) -> None:
    deploy(api, V1)
    iid = start(api)["id"]
    deploy(api, V3_REVIEW_GONE)
    browser.login(ADMIN)
    html = browser.get(f"/instances/{iid}/migrate").get_data(as_text=True)
    assert "cannot move to version 2" in html and "does not have" in html
    assert "Move to version 2</button>" not in html


def test_the_cli_dry_runs_and_moves_one_instance_or_every_running_one_of_a_version(
    app: Flask, api: Api
) -> None:
    deploy(api, V1)
    ids = [start(api)["id"] for _ in range(2)]
    deploy(api, V2)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["migrate-instance", "--process", "migration_demo", "--from-version", "1",
                              "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert all(f"Instance {i}: version 1 -> 2: can move (dry run)" in dry.output for i in ids)
    assert "2 of 2 instances can move." in dry.output
    assert [instance(api, i)["version"] for i in ids] == [1, 1]
    one = runner.invoke(args=["migrate-instance", str(ids[0]), "--to-version", "2"])
    assert one.exit_code == 0 and f"Instance {ids[0]}: version 1 -> 2: moved" in one.output, one.output
    assert [instance(api, i)["version"] for i in ids] == [2, 1]
    rest = runner.invoke(args=["migrate-instance", "--process", "migration_demo", "--from-version", "1"])
    assert rest.exit_code == 0 and f"Instance {ids[1]}: version 1 -> 2: moved" in rest.output
    assert [instance(api, i)["version"] for i in ids] == [2, 2]
    deploy(api, V3_REVIEW_GONE)
    refused = runner.invoke(args=["migrate-instance", str(ids[0])])
    assert refused.exit_code == 1 and "cannot move" in refused.output and "Review" in refused.output
    usage = runner.invoke(args=["migrate-instance"])
    assert usage.exit_code == 2 and "give an INSTANCE_ID" in usage.output
