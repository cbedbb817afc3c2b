"""In a real browser: the live diagram marks exactly the way an exclusive gateway sent the case (read
from the engine's steps), leaves the other way unmarked, and a click on the gateway shows its pass."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.browser.conftest import FIXTURES, screenshot, sign_in

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"


def _classes(page: Any, element_id: str) -> str:
    return page.get_attribute(f'#live-diagram g.djs-element[data-element-id="{element_id}"]', "class") or ""


def _passed_at(app: Flask, iid: int) -> str:
    """When the instance started: the gateway was passed in that change."""
    from sqlalchemy import select

    from server.clock import iso
    from server.db import db
    from server.models import Event

    with app.app_context():
        at = db.session.scalar(select(Event.at).where(Event.instance_id == iid, Event.kind == "engine_steps"))
        return iso(at) or ""


def test_only_the_branch_the_gateway_took_is_marked(app: Flask, api: Api, page: Any) -> None:
    model = (FIXTURES / "big_amount_route.bpmn").read_bytes()
    assert api.deploy(ADMIN, files={"big_amount_route.bpmn": model}).status_code == 201
    started = api.start("big_amount_route", ADMIN, {"amount": 500})
    assert started.status_code == 201, started.get_json()
    iid = started.get_json()["id"]

    sign_in(page, ADMIN)
    page.goto(f"/instances/{iid}")
    page.wait_for_selector("#live-diagram[data-ready=true]")
    for element in ("start", "check", "gw"):
        assert "baton-completed" in _classes(page, element), element
    for flow in ("f1", "f2", "to_approve"):
        assert "baton-taken" in _classes(page, flow), flow
    assert "baton-active" in _classes(page, "approve")
    for untaken in ("to_auto", "auto", "f4", "end_auto", "end_ok", "f3"):
        assert "baton-" not in _classes(page, untaken).replace("baton-callable", ""), untaken

    page.click('#live-diagram g.djs-element[data-element-id="gw"]', position={"x": 25, "y": 25})
    history = page.inner_text("#live-diagram .diagram-history")
    assert "Big amount?" in history and "State: completed" in history
    assert [" ".join(item.split()) for item in page.locator(".diagram-event").all_inner_texts()] == [
        f"Passed · Baton · {page.evaluate('(at) => new Date(at).toLocaleString()', _passed_at(app, iid))}"]
    screenshot(page, "live-diagram-gateway.png", ".diagram-card")
    assert page.js_errors == []
