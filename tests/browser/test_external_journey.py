"""In a real browser: an outside vendor opens the e-mailed link, sees only their case, uploads the signed
quote, completes the task, and the case moves on; a revoked link then shows a clear page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.browser.conftest import screenshot

if TYPE_CHECKING:
    from tests.server.conftest import Api

VENDOR = "quotes@vendor.example"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _link(app: Flask, instance_id: int) -> tuple[str, int]:
    from sqlalchemy import select

    from server.db import db
    from server.models import ExternalLink, Notification, User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == VENDOR))
        assert user is not None
        mail = db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                             Notification.instance_id == instance_id)).first()
        link = db.session.scalar(select(ExternalLink).where(ExternalLink.user_id == user.id))
        assert mail is not None and mail.link and link is not None
        return mail.link, link.id


def test_the_vendor_completes_their_task_through_the_link(app: Flask, api: Api, page: Any,
                                                          tmp_path: Path) -> None:
    api.user("buyer@test.example", groups=("buyers",))
    assert api.deploy("admin@test.example", "external_vendor_quote.bpmn").status_code == 201
    case = api.start("vendor_quote", "buyer@test.example", {"vendor_email": VENDOR}).get_json()
    path, link_id = _link(app, case["id"])

    page.goto(path)
    page.wait_for_url("**/x/case")
    assert page.locator("nav.mainnav").count() == 0  # no navigation into Baton
    form = page.locator("form[data-task='Send the signed quote']")
    form.locator("input[name=amount]").fill("1200")
    quote = tmp_path / "signed-quote.pdf"
    quote.write_bytes(PDF)
    form.locator("input[type=file][name=quote]").set_input_files(str(quote))
    screenshot(page, "external-portal.png")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash--success")
    assert "is done" in page.inner_text(".flash--success")
    assert page.locator("form[data-task]").count() == 0
    assert "signed-quote.pdf" in page.inner_text("#docs-h + ul")
    with page.expect_download() as download:
        page.click("a:has-text('signed-quote.pdf')")
    assert Path(download.value.path()).read_bytes() == PDF

    review = [t for t in api.tasks("buyer@test.example") if t["instance_id"] == case["id"]]
    assert [t["name"] for t in review] == ["Review the quote"]

    page.goto("/instances")  # an internal page: the link's session does not open it
    assert "/login" in page.url

    assert api.call("POST", f"/api/v1/links/{link_id}/revoke", "buyer@test.example").status_code == 200
    response = page.goto("/x/case")
    assert response is not None and response.status == 410
    assert "withdrawn" in page.inner_text("main")
