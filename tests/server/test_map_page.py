"""The Map -> Model page: paste or upload a map, see warnings by line, open the model or deploy it."""

from __future__ import annotations

import html
import re
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.server.pages_helpers import make_user, text

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
ANALYST = "ana@test.example"
CLERK = "clerk@test.example"
MAPS = Path(__file__).parents[1] / "bpmn" / "maps" / "fixtures"
PURCHASE = """# Purchase approval

1. Request purchase (Staff, 1 day)
   - amount (number)
   - quote (document)
2. Approve purchase (Finance, 4h): approve or reject; if rejected go back to 1
"""
UNCLEAR = "1. Submit (Staff)\n2. Review (Finance, 2 dayz)\n3. Archive (Staff)\n"


def _preview(browser: Browser, **form: Any) -> Any:
    browser.get("/maps")
    return browser.post("/maps", form, content_type="multipart/form-data")


def _carried(html_text: str) -> dict[str, str]:
    """The hidden fields of the action form, as a browser would send them back."""
    form = html_text.split('class="form-actions map-actions"', 1)[1].split("</form>", 1)[0]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form, re.S)
    return {name: html.unescape(value) for name, value in fields if name != "csrf_token"}


def _preview_xml(html_text: str) -> str:
    match = re.search(r'id="map-preview" class="map-preview" data-xml="([^"]*)"', html_text)
    assert match, "no preview on the page"
    return html.unescape(match.group(1))


def _workbook(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_markdown_text_converts_to_a_preview_with_actions(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, ANALYST, roles=("analyst",))
    browser.login(ANALYST)
    page = browser.get("/maps")
    assert page.status_code == 200
    assert 'name="text"' in browser.last_html and 'name="file"' in browser.last_html
    assert "1. Request purchase (Staff, 1 day)" in html.unescape(browser.last_html)  # the placeholder

    response = _preview(browser, text=PURCHASE, format="auto", process_name="")
    assert response.status_code == 200
    xml = _preview_xml(browser.last_html)
    assert xml.startswith("<?xml") and 'id="purchase_approval"' in xml  # named by the heading
    assert "<bpmn:lane " in xml and 'camunda:candidateGroups="Finance"' in xml
    assert "<bpmn:" not in browser.last_html.replace(f'data-xml="{html.escape(xml)}"', "")  # escaped once
    page_text = text(browser.last_html)
    for label in ("Open in modeller", "Deploy now", "Download .bpmn", "None: every line was understood"):
        assert label in page_text
    assert _carried(browser.last_html) == {
        "text": PURCHASE,
        "format": "markdown",
        "process_name": "",
        "file_name": "",
    }
    download = browser.post("/maps/bpmn", _carried(browser.last_html))
    assert download.status_code == 200 and download.mimetype == "application/xml"
    assert 'filename="purchase_approval.bpmn"' in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True) == xml


def test_warnings_are_listed_by_line_with_suggestions_and_the_line_marked(
    app: Flask, api: Api, browser: Browser
) -> None:
    browser.login(ADMIN)
    response = _preview(browser, text=UNCLEAR, format="text", process_name="Review")
    assert response.status_code == 200
    page = browser.last_html
    warnings = page.split('id="warnings-h"', 1)[1]
    assert '<a href="#line-2">Line 2</a>' in warnings and "2 dayz" in warnings and "Suggestion:" in warnings
    marked = re.findall(r'<li id="line-(\d+)" value="\d+" class="map-line--noted">', page)
    assert marked == ["2"]
    assert re.search(r'<li id="line-3" value="3">\s*<span class="map-line-no"[^>]*>3</span>', page)
    assert "Review (Finance, 2 dayz)" in text(page)


def test_an_invalid_map_shows_problems_by_line_and_keeps_the_text(
    app: Flask, api: Api, browser: Browser
) -> None:
    browser.login(ADMIN)
    typed = "# Notes\n\n3 Approve the <thing>\n"
    response = _preview(browser, text=typed, format="markdown", process_name="x")
    assert response.status_code == 422
    page = browser.last_html
    problems = page.split('id="problems-h"', 1)[1].split("</table>", 1)[0]
    assert '<a href="#line-3">Line 3</a>' in problems and "whole map" in problems
    assert 'id="map-preview"' not in page and "Open in modeller" not in page
    textarea = re.search(r'<textarea[^>]*name="text"[^>]*>\n(.*?)</textarea>', page, re.S)
    assert textarea and html.unescape(textarea.group(1)) == typed
    assert "&lt;thing&gt;" in page and "<thing>" not in page
    assert re.search(r'<li id="line-3" value="3" class="map-line--noted">', page)


def test_empty_input_is_a_400_that_says_what_to_do(app: Flask, api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    assert _preview(browser, text="  ", format="auto").status_code == 400
    assert "Paste a map into the text box, or choose a file." in text(browser.last_html)
    unknown = _preview(browser, text="", file=(BytesIO(b"%PDF"), "map.pdf"))
    assert unknown.status_code == 400 and "map.pdf" in text(browser.last_html)


def test_an_uploaded_csv_takes_its_format_from_the_extension_and_fills_the_text_box(
    app: Flask, api: Api, browser: Browser
) -> None:
    browser.login(ADMIN)
    content = (MAPS / "employee_onboarding.csv").read_bytes()
    response = _preview(browser, text="", format="auto", file=(BytesIO(content), "employee_onboarding.csv"))
    assert response.status_code == 200, text(browser.last_html)
    page = browser.last_html
    assert 'id="purchase_approval"' not in page
    assert 'id="employee_onboarding"' in _preview_xml(page)
    assert '<option value="csv" selected>' in page  # the text box now holds CSV: read it as such
    assert "Sign offer letter,Candidate" in html.unescape(page.split('id="map-text"', 1)[1])
    carried = _carried(page)
    assert carried["format"] == "csv" and carried["file_name"] == "employee_onboarding.csv"
    assert "<bpmn:parallelGateway" in _preview_xml(page)


def test_an_uploaded_workbook_is_carried_and_converted_again(app: Flask, api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    book = _workbook([
        ["Step", "Owner", "SLA", "Next"],
        ["Draft", "Legal", "2 days", None],
        ["Sign", "Counterparty", "5 dayz", "signed -> end; changes -> 1"],
    ])
    response = _preview(browser, text="", format="auto", file=(BytesIO(book), "contract.xlsx"))
    assert response.status_code == 200, text(browser.last_html)
    page = browser.last_html
    assert 'id="contract"' in _preview_xml(page)
    assert "Your workbook, row by row" in page and "Sign | Counterparty" in text(page).replace("  ", " ")
    assert '<a href="#line-3">Line 3</a>' in page  # the unclear SLA, by row
    carried = _carried(page)
    assert carried["format"] == "xlsx" and carried["file_name"] == "contract.xlsx" and carried["workbook"]
    download = browser.post("/maps/bpmn", carried)
    assert download.status_code == 200 and download.get_data(as_text=True) == _preview_xml(page)
    browser.get("/maps")
    damaged = browser.post("/maps/bpmn", {**carried, "workbook": "not base64!"})
    assert damaged.status_code == 400 and "upload the file again" in text(browser.last_html)


def test_open_in_modeller_creates_a_draft_with_the_generated_xml(
    app: Flask, api: Api, browser: Browser
) -> None:
    from server.db import db
    from server.models import ProcessModel

    make_user(app, ANALYST, roles=("analyst",))
    browser.login(ANALYST)
    _preview(browser, text=PURCHASE, format="markdown", process_name="Buy things")
    xml = _preview_xml(browser.last_html)
    response = browser.post("/maps/model", _carried(browser.last_html))
    assert response.status_code == 302
    model_id = int(re.search(r"/models/(\d+)$", response.headers["Location"]).group(1))  # type: ignore[union-attr]
    with app.app_context():
        row = db.session.get(ProcessModel, model_id)
        assert row is not None
        assert row.xml == xml and row.process_id == "buy_things" and row.name == "Buy things"
    browser.get(response.headers["Location"])
    assert "Created a draft from the map" in text(browser.last_html)


def test_deploy_now_creates_a_process_version_that_can_be_started(
    app: Flask, api: Api, browser: Browser
) -> None:
    api.user(CLERK, groups=("Staff", "Finance"))
    browser.login(ADMIN)
    _preview(browser, text=PURCHASE, format="markdown", process_name="")
    forged = browser.client.post("/maps/deploy", data=_carried(browser.last_html))  # no CSRF token
    assert forged.status_code == 400
    response = browser.post("/maps/deploy", _carried(browser.last_html))
    assert response.status_code == 302 and "/deployments/" in response.headers["Location"]
    browser.get(response.headers["Location"])
    assert "Deployed Purchase approval (version 1)." in text(browser.last_html)

    started = api.start("purchase_approval", CLERK)
    assert started.status_code == 201, started.get_json()
    [task] = api.tasks(CLERK, instance_id=started.get_json()["id"])
    assert task["name"] == "Request purchase"

    again = browser.post("/maps/deploy", _carried(_preview(browser, text=PURCHASE).get_data(as_text=True)))
    browser.get(again.headers["Location"])
    assert "already deployed" in text(browser.last_html)


def test_the_models_and_deploy_pages_link_here_and_participants_get_403(
    app: Flask, api: Api, browser: Browser
) -> None:
    make_user(app, CLERK)
    browser.login(ADMIN)
    for page in ("/models", "/deploy"):
        browser.get(page)
        assert 'href="/maps">Start from a process map</a>' in browser.last_html
    browser.post("/logout")

    browser.login(CLERK)
    assert browser.get("/maps").status_code == 403
    for path in ("/maps", "/maps/model", "/maps/deploy", "/maps/bpmn"):
        browser.get("/work")  # a page with this session's CSRF token (the sign-out form)
        assert browser.post(path, {"text": PURCHASE}).status_code == 403
    browser.get("/models")
    assert 'href="/maps"' not in browser.last_html
