"""In a real browser: an admin erases a person's data from an audit trail, reviewing it first, and the
chain still verifies; an auditor sees no way to erase."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.browser.conftest import screenshot, sign_in
from tests.server.pages_helpers import make_user

if TYPE_CHECKING:
    from flask import Flask

    from tests.server.conftest import Api

ADMIN = "admin@test.example"
CLERK = "clara@test.example"


def test_an_admin_reviews_then_erases_and_the_chain_still_verifies(app: Flask, api: Api, page: Any) -> None:
    api.user(CLERK, groups=("clerks",), name="Clara Clerk")
    api.deploy(ADMIN, "expense.bpmn")
    iid = api.start("expense_claim", CLERK).get_json()["id"]
    [task] = api.tasks(CLERK, instance_id=iid)
    api.complete(task["id"], CLERK, {"amount": 42, "purpose": "Train to Clara's aunt"})

    sign_in(page, ADMIN)
    page.goto(f"/instances/{iid}/audit")
    page.click("text=Erase personal data…")
    page.wait_for_selector("#erase-email")
    page.check("#scope-person_here")
    page.fill("#erase-email", CLERK)
    page.click("text=Review what will be erased")
    page.wait_for_selector("#erase-reason-error")  # the reason is required
    assert "Say why" in page.inner_text("#erase")
    page.fill("#erase-reason", "DPO request 2026-014")
    screenshot(page, "audit-erase-form.png")
    page.click("text=Review what will be erased")
    page.wait_for_selector("text=Erase this for good?")
    review = page.inner_text("#erase")
    assert "Erase this for good?" in review and "the actor of 3 events" in review
    screenshot(page, "audit-erase-review.png")

    page.click("text=Erase for good")
    page.wait_for_selector("#chain-report")
    assert "The chain is intact." in page.inner_text("#chain-report")
    table = page.inner_text("#audit-events")
    assert CLERK not in table and "Train to Clara" not in table and "by admin@test.example (record #" in table
    screenshot(page, "audit-erased.png")
    assert page.js_errors == []

    make_user(app, "audrey@test.example", roles=("auditor",))
    page.context.clear_cookies()
    sign_in(page, "audrey@test.example")
    page.goto(f"/instances/{iid}/audit")
    assert page.locator("text=Erase personal data").count() == 0
    page.click("text=Verify chain")
    assert "The chain is intact." in page.inner_text("#chain-report")
