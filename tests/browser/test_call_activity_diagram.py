"""In a real browser: on a case's live diagram, a click on a call activity opens the process it calls,
with that process's own completed and active elements marked, and the breadcrumb leads back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.browser.conftest import screenshot, sign_in

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
CLERK = "clerk@test.example"


def _classes(page: Any, element_id: str) -> str:
    return page.get_attribute(f'#live-diagram g.djs-element[data-element-id="{element_id}"]', "class") or ""


def test_open_the_called_process_from_a_call_activity_and_come_back(app: Flask, api: Api, page: Any) -> None:
    api.user(CLERK, groups=("staff",))
    assert api.deploy(ADMIN, "order_with_call.bpmn", "packing.bpmn").status_code == 201
    iid = api.start("order", ADMIN).get_json()["id"]
    [task] = api.tasks(CLERK, instance_id=iid)
    api.claim(task["id"], CLERK)
    assert api.complete(task["id"], CLERK, {}).status_code == 200  # now inside the called process

    sign_in(page, ADMIN)
    page.goto(f"/instances/{iid}")
    page.wait_for_selector("#live-diagram[data-ready=true][data-process=order]")
    assert "baton-active" in _classes(page, "pack_call")  # the call activity is where the case is
    assert "baton-completed" in _classes(page, "take")
    assert page.is_hidden("#diagram-crumbs")
    screenshot(page, "call-activity-caller.png", ".diagram-card")

    # A click on the call activity opens the called process, with its own states.
    page.click('#live-diagram g.djs-element[data-element-id="pack_call"]', position={"x": 20, "y": 60})
    page.wait_for_selector("#live-diagram[data-ready=true][data-process=packing]")
    page.wait_for_selector('#live-diagram g.djs-element[data-element-id="pack"]')
    assert "baton-active" in _classes(page, "pack")
    assert "baton-completed" in _classes(page, "weigh")
    assert "baton-completed" in _classes(page, "StartEvent_1")
    assert "baton-taken" in _classes(page, "Flow_p2")
    assert "baton-completed" not in _classes(page, "EndEvent_1")
    assert page.locator('#live-diagram g.djs-element[data-element-id="take"]').count() == 0
    crumbs = page.inner_text("#diagram-crumbs")
    assert "Order" in crumbs and "Packing" in crumbs
    assert "Called process “Packing”" in page.inner_text(".diagram-status")
    screenshot(page, "call-activity-called.png", ".diagram-card")

    # The breadcrumb goes back to the caller's diagram.
    page.click("#diagram-crumbs button:has-text('Order')")
    page.wait_for_selector("#live-diagram[data-ready=true][data-process=order]")
    page.wait_for_selector('#live-diagram g.djs-element[data-element-id="take"]')
    assert "baton-active" in _classes(page, "pack_call")
    assert page.is_hidden("#diagram-crumbs")

    # The "Open" badge on the call activity does the same.
    page.click("#live-diagram .baton-open-called")
    page.wait_for_selector("#live-diagram[data-ready=true][data-process=packing]")
    assert page.js_errors == []
