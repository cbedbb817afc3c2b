"""Erasing personal data from the audit trail: markers replace the values, the chain still verifies,
tampering is still caught, the erasure is itself audited, and auditors can read but never erase."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import select, update

from tests.server.pages_helpers import make_user, text

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
CLERK = "clara@test.example"
OTHER = "otto@test.example"
AUDITOR = "audrey@test.example"


def _setup(api: Api) -> None:
    api.user(CLERK, groups=("clerks",), name="Clara Clerk")
    api.user(OTHER, groups=("clerks",))
    api.deploy(ADMIN, "expense.bpmn")


def _claim(
    api: Api, as_user: str, purpose: str = "tea", *, approve: bool = True, handover: bool = False
) -> int:
    """An expense claim entered by `as_user`; with `handover`, the admin first takes the task back from
    them (a task_unclaimed event whose data names them); with `approve` the admin approves it."""
    iid: int = api.start("expense_claim", as_user).get_json()["id"]
    [task] = api.tasks(as_user, instance_id=iid)
    if handover:
        assert api.claim(task["id"], as_user).status_code == 200
        assert api.call("POST", f"/api/v1/tasks/{task['id']}/unclaim", ADMIN).status_code == 200
    assert api.complete(task["id"], as_user, {"amount": 2, "purpose": purpose}).status_code == 200
    if approve:
        [step] = api.tasks(ADMIN, instance_id=iid)
        assert api.complete(step["id"], ADMIN, {"approved": True}).status_code == 200
    return iid


def _events(app: Flask, iid: int) -> list[dict[str, Any]]:
    from server.db import db
    from server.models import Event

    with app.app_context():
        rows = db.session.scalars(select(Event).where(Event.instance_id == iid).order_by(Event.seq))
        return [
            {
                "seq": e.seq,
                "kind": e.kind,
                "actor": e.actor,
                "actor_id": e.actor_id,
                "data": e.data,
                "element_id": e.element_id,
                "actor_salt": e.actor_salt,
                "data_salt": e.data_salt,
            }
            for e in rows
        ]


def _verify(app: Flask, iid: int) -> Any:
    from server import audit

    with app.app_context():
        return audit.verify(iid)


def _erase(app: Flask, reason: str = "DPO-1", **scope: Any) -> list[Any]:
    from server import audit_erasure, people

    with app.app_context():
        admin = people.find_user(ADMIN)
        assert admin is not None
        return audit_erasure.erase(audit_erasure.Erasure(reason, **scope), admin)


def _tamper(app: Flask, iid: int, seq: int, **values: Any) -> None:
    from server.db import db
    from server.models import Event

    with app.app_context():
        db.session.execute(update(Event).where(Event.instance_id == iid, Event.seq == seq).values(**values))
        db.session.commit()


def _instance(app: Flask, iid: int) -> tuple[dict[str, Any], str, list[Any]]:
    from server.db import db
    from server.models import Instance, Task

    with app.app_context():
        row = db.session.get(Instance, iid)
        assert row is not None
        state = db.session.scalar(select(Instance.state).where(Instance.id == iid)) or ""
        submitted = list(
            db.session.scalars(
                select(Task.submitted).where(Task.instance_id == iid).order_by(Task.created_at)
            )
        )
        return dict(row.data), state, submitted


def test_erasing_an_ended_instance_keeps_its_chain_intact(app: Flask, api: Api) -> None:
    _setup(api)
    iid = _claim(api, CLERK, purpose="Dinner with Dr. Who")
    before = _events(app, iid)
    n = len(before)
    assert _verify(app, iid).intact

    [done] = _erase(app, reason="DPO request 2026-014", instance_id=iid)

    after = _events(app, iid)
    assert len(after) == n + 1 and done.record_seq == n + 1
    record = after[-1]
    assert record["kind"] == "data_erased" and record["actor"] == ADMIN
    with_data = [e["seq"] for e in before if e["data"] and e["kind"] != "engine_steps"]
    assert record["data"]["reason"] == "DPO request 2026-014" and record["data"]["scope"] == "instance"
    assert (
        record["data"]["erased"] == {"data": with_data, "actor": []} and record["data"]["variables"] is True
    )
    for ev in after[:-1]:
        if ev["seq"] in with_data:
            assert (
                ev["data"]["_erased"] is True and ev["data"]["by"] == ADMIN and ev["data"]["record"] == n + 1
            )
            assert ev["data_salt"] is None
        else:
            assert ev["data"] == before[ev["seq"] - 1]["data"]  # engine steps (and events without data) stay
        assert ev["actor"] == next(b["actor"] for b in before if b["seq"] == ev["seq"])  # staff stay
    assert "Dr. Who" not in json.dumps(after)
    variables, state, submitted = _instance(app, iid)
    assert variables == {} and "Dr. Who" not in state and "amount" not in state
    assert all(s["_erased"] for s in submitted)

    report = _verify(app, iid)
    assert report.intact and report.events == n + 1 and report.erased == len(with_data)
    again = _erase(app, instance_id=iid)
    assert [p.empty for p in again] == [True] and len(
        _events(app, iid)
    ) == n + 1  # nothing left, nothing recorded


def test_erasing_a_person_everywhere(app: Flask, api: Api) -> None:
    _setup(api)
    first = _claim(api, CLERK, handover=True)
    second = _claim(api, CLERK, purpose="taxi", approve=False)  # still running
    others = _claim(api, OTHER, purpose="Lunch with Clara Clerk")

    done = _erase(app, email="CLARA@test.example")

    assert [p.instance_id for p in done] == [first, second, others]
    events = _events(app, first)
    clara = [e for e in events if e["data"] and e["data"].get("_erased") and "actor" in e["data"]["fields"]]
    assert [e["kind"] for e in clara] == [
        "instance_started",
        "task_claimed",
        "task_claimed",
        "task_completed",
    ]
    assert all(e["actor"] == "(erased)" and e["actor_id"] is None and e["actor_salt"] is None for e in clara)
    [unclaimed] = [e for e in events if e["kind"] == "task_unclaimed"]
    assert unclaimed["actor"] == ADMIN and unclaimed["data"]["fields"] == ["data"]
    assert CLERK not in json.dumps(events[:-1]) and "Clara" not in json.dumps(events[:-1])
    assert events[-1]["data"]["scope"] == "person" and CLERK not in json.dumps(events[-1])
    # the other clerk's instance: only the event naming Clara lost its data; Otto stays the actor
    otto = _events(app, others)
    named = [e for e in otto if e["data"] and e["data"].get("_erased")]
    assert [(e["kind"], e["actor"]) for e in named] == [
        ("task_completed", OTHER),
        ("instance_completed", "engine"),
    ]
    # process variables are not the person's to take: a person scope leaves them
    assert _instance(app, second)[0] == {"amount": 2, "purpose": "taxi"}
    assert _instance(app, first)[2][0]["_erased"] is True
    for iid in (first, second, others):
        assert _verify(app, iid).intact, iid


def test_tampering_is_still_caught_after_an_erasure(app: Flask, api: Api) -> None:
    _setup(api)
    iid = _claim(api, CLERK)
    _erase(app, email=CLERK, instance_id=iid)
    events = _events(app, iid)
    assert _verify(app, iid).intact
    erased = [e["seq"] for e in events if e["data"] and e["data"].get("_erased")]
    kept = next(e for e in events if e["kind"] == "task_completed" and e["actor"] == ADMIN)

    _tamper(app, iid, kept["seq"], data={"approved": False})
    report = _verify(app, iid)
    assert (
        not report.intact and report.broken_at_seq == kept["seq"] and report.reason == "its data was changed"
    )
    _tamper(app, iid, kept["seq"], data=kept["data"])
    assert _verify(app, iid).intact

    # blanking a value without a recorded erasure: the marker alone is not enough
    fake = {"_erased": True, "by": ADMIN, "at": "2026-01-01T00:00:00Z", "fields": ["data"]}
    _tamper(app, iid, kept["seq"], data=fake)
    report = _verify(app, iid)
    assert not report.intact and report.broken_at_seq == kept["seq"]
    assert report.reason == "its data was removed without a recorded erasure"
    _tamper(app, iid, kept["seq"], data=kept["data"])

    odd = {**events[erased[0] - 1]["data"], "fields": [{"not": "a name"}]}  # unreadable: reported, no crash
    _tamper(app, iid, erased[0], data=odd)
    assert _verify(app, iid).broken_at_seq == erased[0]
    _tamper(app, iid, erased[0], data=events[erased[0] - 1]["data"])

    # changing the erasure record to cover the forgery breaks the record itself
    record = events[-1]
    forged = {**record["data"], "erased": {"data": [*erased, kept["seq"]], "actor": []}}
    _tamper(app, iid, record["seq"], data=forged)
    _tamper(app, iid, kept["seq"], data=fake)
    report = _verify(app, iid)
    assert not report.intact and report.broken_at_seq == erased[0]
    said = f"its erasure record (event {record['seq']}) was changed or is missing"
    assert report.reason == said
    _tamper(app, iid, record["seq"], data=record["data"])
    _tamper(app, iid, kept["seq"], data=kept["data"])
    assert _verify(app, iid).intact

    # an erased event's other fields, its marker and its erased actor are still covered
    first = events[erased[0] - 1]
    _tamper(app, iid, first["seq"], element_id="elsewhere")
    assert _verify(app, iid).broken_at_seq == first["seq"]
    _tamper(app, iid, first["seq"], element_id=first["element_id"])
    _tamper(app, iid, first["seq"], actor="mallory@test.example")
    report = _verify(app, iid)
    assert report.broken_at_seq == first["seq"] and report.reason == "its actor was changed"
    _tamper(app, iid, first["seq"], actor=first["actor"])
    _tamper(app, iid, first["seq"], data={**first["data"], "by": "mallory@test.example"})
    report = _verify(app, iid)
    assert report.broken_at_seq == first["seq"] and report.reason == "its erasure marker was changed"
    _tamper(app, iid, first["seq"], data=first["data"])
    assert _verify(app, iid).intact
    _tamper(app, iid, record["seq"], actor="mallory@test.example")  # the erasure's own actor is covered
    report = _verify(app, iid)
    assert (
        not report.intact
        and report.broken_at_seq == erased[0]
        and "was changed or is missing" in report.reason
    )
    _tamper(app, iid, record["seq"], actor=ADMIN)
    assert _verify(app, iid).intact
    _tamper(app, iid, record["seq"], kind="task_claimed")  # an erasure record that stops being one
    assert _verify(app, iid).broken_at_seq == erased[0]


def test_older_events_lose_their_data_but_keep_their_actor(app: Flask, api: Api) -> None:
    """Events written before salted digests (migration 0008) hash the actor itself."""
    from server import audit
    from server.db import db
    from server.models import Event, Instance

    _setup(api)
    iid = _claim(api, CLERK)
    with app.app_context():  # rewrite the chain as the previous scheme wrote it
        prev = audit.GENESIS
        for ev in db.session.scalars(select(Event).where(Event.instance_id == iid).order_by(Event.seq)):
            ev.actor_digest = ev.actor_salt = ev.data_salt = None
            ev.data_digest = audit.digest(ev.data)
            ev.prev_hash = prev
            ev.hash = prev = audit.legacy_event_hash(ev, ev.data_digest)
        db.session.execute(update(Instance).where(Instance.id == iid).values(event_hash=prev))
        db.session.commit()
    assert _verify(app, iid).intact

    [done] = _erase(app, email=CLERK)
    assert done.actor == [] and len(done.actor_kept) == 3 and "older events" in done.describe()
    assert len(done.data) == 2  # instance_started and task_completed; the claim had no data
    events = _events(app, iid)
    assert all(e["actor"] != "(erased)" for e in events)
    assert _verify(app, iid).intact
    _tamper(app, iid, done.actor_kept[0], actor="mallory@test.example")
    assert _verify(app, iid).broken_at_seq == done.actor_kept[0]


def test_erasing_a_running_instance_keeps_its_variables_and_external_actors_go(app: Flask, api: Api) -> None:
    from server.db import db
    from server.models import User

    _setup(api)
    iid = _claim(api, CLERK, approve=False)
    with app.app_context():  # Clara took part from outside (an external participant)
        db.session.execute(update(User).where(User.email == CLERK).values(is_external=True))
        db.session.commit()
    [done] = _erase(app, instance_id=iid)
    assert done.variables is False and done.variables_kept and "running" in done.variables_kept
    assert "variables kept: the instance is running" in done.describe()
    assert _instance(app, iid)[0] == {"amount": 2, "purpose": "tea"}
    actors = {e["actor"] for e in _events(app, iid)}
    assert CLERK not in actors and "(erased)" in actors and ADMIN in actors
    assert _verify(app, iid).intact


def test_erase_command(app: Flask, api: Api) -> None:
    _setup(api)
    iid = _claim(api, CLERK)
    make_user(app, AUDITOR, roles=("auditor",))
    runner = app.test_cli_runner()
    base = ["erase-audit-data", "--by", ADMIN, "--reason", "DPO-7"]

    events = _events(app, iid)
    n, hers = len(events), ", ".join(str(e["seq"]) for e in events if e["actor"] == CLERK)
    approved = next(e["seq"] for e in events if e["kind"] == "task_completed" and e["actor"] == ADMIN)
    dry = runner.invoke(args=[*base, "--person", CLERK, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert (
        f"Instance {iid}: data of 3 events ({hers}), the actor of 3 events, the submitted values of 1 task."
        in dry.output
        and "Dry run" in dry.output
    )
    assert _events(app, iid)[0]["data"].get("_erased") is None

    no_reason = runner.invoke(args=["erase-audit-data", "--by", ADMIN, "--person", CLERK])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    blank = runner.invoke(args=[*base[:3], "--reason", " ", "--person", CLERK])
    assert blank.exit_code == 2 and "Say why" in blank.output
    nobody = runner.invoke(args=base)
    assert nobody.exit_code == 2 and "Name a person (e-mail) or an instance" in nobody.output
    missing = runner.invoke(args=[*base, "--instance", "999"])
    assert missing.exit_code == 2 and "Instance 999 does not exist." in missing.output
    auditor = runner.invoke(args=["erase-audit-data", "--by", AUDITOR, "--reason", "x", "--person", CLERK])
    assert auditor.exit_code == 2 and "not an admin" in auditor.output
    declined = runner.invoke(args=[*base, "--person", CLERK], input="n\n")
    assert declined.exit_code == 1 and _events(app, iid)[0]["data"].get("_erased") is None

    result = runner.invoke(args=[*base, "--person", CLERK, "--yes"])
    assert result.exit_code == 0, result.output
    assert (
        f"recorded as event {n + 1}" in result.output
        and "Erased personal data from 1 instance;" in result.output
    )
    verified = runner.invoke(args=["verify-audit", str(iid)])
    assert verified.exit_code == 0 and verified.output.strip() == f"Instance {iid}: intact ({n + 1} events)."
    again = runner.invoke(args=[*base, "--person", CLERK, "--yes"])
    assert again.exit_code == 0 and "Nothing to erase." in again.output

    _tamper(app, iid, approved, data={"approved": False})
    broken = runner.invoke(args=["verify-audit", str(iid)])
    assert broken.exit_code == 1
    assert f"Instance {iid}: BROKEN at event {approved}: its data was changed." in broken.output


def test_erasing_on_the_page_reviews_first(app: Flask, api: Api, browser: Browser) -> None:
    _setup(api)
    iid = _claim(api, CLERK)
    browser.login(ADMIN)
    page = browser.get(f"/instances/{iid}/audit").get_data(as_text=True)
    assert "Erase personal data…" in page
    form = browser.get(f"/instances/{iid}/audit", query_string={"erase": "1"})
    assert form.status_code == 200 and "Review what will be erased" in form.get_data(as_text=True)

    missing = browser.post(
        f"/instances/{iid}/audit/erase", {"scope": "person_here", "email": "", "reason": ""}
    )
    assert missing.status_code == 422 and "Give the person&#39;s e-mail address." in missing.get_data(
        as_text=True
    )
    no_reason = browser.post(f"/instances/{iid}/audit/erase", {"scope": "person_here", "email": CLERK})
    assert no_reason.status_code == 422 and "Say why" in no_reason.get_data(as_text=True)
    assert 'aria-invalid="true"' in no_reason.get_data(as_text=True)

    hers = ", ".join(str(e["seq"]) for e in _events(app, iid) if e["actor"] == CLERK)
    review = browser.post(
        f"/instances/{iid}/audit/erase", {"scope": "person_here", "email": CLERK, "reason": "DPO-9"}
    )
    said = text(review.get_data(as_text=True))
    assert review.status_code == 200 and "Erase this for good?" in said
    assert f"Instance {iid}: data of 3 events ({hers}), the actor of 3 events" in said
    assert _events(app, iid)[0]["data"].get("_erased") is None  # the review erased nothing

    no_token = browser.client.post(
        f"/instances/{iid}/audit/erase",  # signed in, but no CSRF token
        data={"scope": "instance", "reason": "x", "confirm": "yes"},
    )
    assert no_token.status_code == 400 and _events(app, iid)[0]["data"].get("_erased") is None
    done = browser.post(
        f"/instances/{iid}/audit/erase",
        {"scope": "person_here", "email": CLERK, "reason": "DPO-9", "confirm": "yes"},
        follow_redirects=True,
    )
    said = text(done.get_data(as_text=True))
    assert "Erased personal data from 1 instance:" in said and "The chain is intact." in said
    assert "3 of them had personal data erased" in said
    assert CLERK not in done.get_data(as_text=True).split("<tbody>", 1)[1]
    assert "by admin@test.example (record #" in said and "Erased on " in said

    empty = browser.post(
        f"/instances/{iid}/audit/erase", {"scope": "person", "email": CLERK, "reason": "again"}
    )
    assert "Nothing left to erase" in text(empty.get_data(as_text=True))


def test_auditors_read_verify_and_export_but_never_erase(app: Flask, api: Api, browser: Browser) -> None:
    _setup(api)
    iid = _claim(api, CLERK)
    _erase(app, email=CLERK)
    events = _events(app, iid)
    n = len(events)
    make_user(app, AUDITOR, roles=("auditor",))
    browser.login(AUDITOR)

    page = browser.get(f"/instances/{iid}/audit")
    assert page.status_code == 200 and "Erase personal data" not in page.get_data(as_text=True)
    verified = text(
        browser.get(f"/instances/{iid}/audit", query_string={"verify": "1"}).get_data(as_text=True)
    )
    assert f"The chain is intact. All {n} events verify" in verified

    csv_rows = list(
        csv.DictReader(
            io.StringIO(
                browser.get(f"/instances/{iid}/audit", query_string={"format": "csv"}).get_data(as_text=True)
            )
        )
    )
    assert len(csv_rows) == n and CLERK not in json.dumps(csv_rows)
    first = csv_rows[0]
    assert first["actor"] == "(erased)"
    assert (
        json.loads(first["data"])["_erased"] is True and first["data_salt"] == "" and len(first["hash"]) == 64
    )
    body = json.loads(browser.get(f"/instances/{iid}/audit", query_string={"format": "json"}).get_data())
    assert body["events"][0]["data"]["fields"] == ["data", "actor"]
    assert body["events"][-1]["kind"] == "data_erased" and body["events"][-1]["actor"] == ADMIN

    assert browser.get(f"/instances/{iid}/audit", query_string={"erase": "1"}).status_code == 403
    for data in (
        {"scope": "instance", "reason": "x"},
        {"scope": "instance", "reason": "x", "confirm": "yes"},
        {"scope": "person", "email": ADMIN, "reason": "x", "confirm": "yes"},
    ):
        assert browser.post(f"/instances/{iid}/audit/erase", data).status_code == 403
    assert _events(app, iid) == events


def test_filters_and_exports_cover_erasures(app: Flask, api: Api, browser: Browser) -> None:
    _setup(api)
    iid = _claim(api, CLERK)
    _erase(app, email=CLERK, instance_id=iid)
    n = len(_events(app, iid))
    browser.login(ADMIN)
    url = f"/instances/{iid}/audit"

    def rows(**query: str) -> list[dict[str, Any]]:
        body = json.loads(browser.get(url, query_string={"format": "json", **query}).get_data())
        assert body["filters"] == query
        return body["events"]  # type: ignore[no-any-return]

    assert [e["seq"] for e in rows(kind="data_erased")] == [n]
    assert [e["kind"] for e in rows(actor="(erased)")] == [
        "instance_started",
        "task_claimed",
        "task_completed",
    ]
    assert rows(actor=CLERK) == []
    assert [e["kind"] for e in rows(actor="ADMIN@", element="approve")] == ["task_claimed", "task_completed"]
    today = datetime.now(UTC).date()
    tomorrow = today + timedelta(days=1)
    assert len(rows(since=str(today - timedelta(days=1)), until=str(tomorrow))) == n
    assert rows(since=str(tomorrow + timedelta(days=1))) == []
    erased_csv = browser.get(url, query_string={"format": "csv", "actor": "(erased)"}).get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(erased_csv)))) == 3
    page = text(browser.get(url, query_string={"kind": "data_erased"}).get_data(as_text=True))
    assert "Data erased" in page and "DPO-1" in page
