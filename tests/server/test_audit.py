"""The audit trail: every change recorded in order, hash-chained, and an edited row detected."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

ADMIN = "admin@test.example"


def _run_expense(api: Any) -> int:
    api.user("clerk@test.example", groups=("clerks",))
    api.deploy(ADMIN, "expense.bpmn")
    iid: int = api.start("expense_claim", "clerk@test.example").get_json()["id"]
    [task] = api.tasks("clerk@test.example", instance_id=iid)
    api.complete(task["id"], "clerk@test.example", {"amount": 2, "purpose": "tea"})
    [approve] = api.tasks(ADMIN, instance_id=iid)
    api.complete(approve["id"], ADMIN, {"approved": True})
    return iid


def test_events_record_who_did_what_in_order(api: Any, app: Any) -> None:
    from server.db import db
    from server.models import Event

    iid = _run_expense(api)
    with app.app_context():
        events = db.session.scalars(select(Event).where(Event.instance_id == iid).order_by(Event.seq)).all()
        kinds = [(e.kind, e.element_id, e.actor) for e in events]
    assert kinds == [
        ("instance_started", None, "clerk@test.example"),
        ("task_opened", "enter", "engine"),
        ("engine_steps", None, "engine"),
        ("task_claimed", "enter", "clerk@test.example"),
        ("task_completed", "enter", "clerk@test.example"),
        ("task_opened", "approve", "engine"),
        ("engine_steps", None, "engine"),
        ("task_claimed", "approve", ADMIN),
        ("task_completed", "approve", ADMIN),
        ("instance_completed", None, "engine"),
        ("engine_steps", None, "engine"),
    ]
    assert [e.seq for e in events] == list(range(1, 12))
    assert events[4].data == {"amount": 2, "purpose": "tea"}
    # What the engine passed by itself, one event per change: the start event, then the gateway,
    # the script task and the end event after the approval.
    assert [s["id"] for s in events[2].data["elements"]] == ["start"]
    assert events[6].data == {"flows": [["enter", "approve"]]}
    assert [s["id"] for s in events[10].data["elements"]] == ["gw", "total", "done"]


def test_chain_verifies_and_detects_an_edited_row(api: Any, app: Any) -> None:
    from server import audit
    from server.db import db
    from server.models import Event

    iid = _run_expense(api)
    with app.app_context():
        report = audit.verify(iid)
        assert report.intact and report.events == 11
        db.session.execute(
            update(Event)
            .where(Event.instance_id == iid, Event.seq == 5)
            .values(data={"amount": 2000, "purpose": "tea"})
        )
        db.session.commit()
        broken = audit.verify(iid)
        assert not broken.intact and broken.broken_at_seq == 5 and "data" in (broken.reason or "")
        db.session.execute(
            update(Event)
            .where(Event.instance_id == iid, Event.seq == 5)
            .values(data={"amount": 2, "purpose": "tea"})
        )
        db.session.execute(
            update(Event).where(Event.instance_id == iid, Event.seq == 8).values(actor="mallory@x")
        )
        db.session.commit()
        again = audit.verify(iid)
        assert not again.intact and again.broken_at_seq == 8
