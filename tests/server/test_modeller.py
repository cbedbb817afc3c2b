"""The modeller pages: drafts saved on the server, checked by Baton's parser, deployed from the editor."""

from __future__ import annotations

import json
import re
from io import BytesIO
from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.server.pages_helpers import FIXTURES, make_user, text

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
ANALYST = "ana@test.example"


def _csrf_meta(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "the modeller page has no CSRF meta tag"
    return match.group(1)


def _modeller_data(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="modeller-data">(.*?)</script>', html, re.S)
    assert match, "no modeller data on the page"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def _new_model(browser: Browser, name: str = "Leave request") -> str:
    browser.get("/models")
    response = browser.post("/models", {"name": name})
    assert response.status_code == 302
    location: str = response.headers["Location"]
    assert re.search(r"/models/\d+$", location), location
    return location


def _save(browser: Browser, model_url: str, xml: str, *, csrf: bool = True) -> Any:
    page = browser.get(model_url).get_data(as_text=True)
    headers = {"Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = _csrf_meta(page)
    return browser.client.post(f"{model_url}/draft", json={"xml": xml}, headers=headers)


def test_models_page_is_for_analysts_and_admins(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "pat@test.example")
    make_user(app, ANALYST, roles=("analyst",))
    browser.login("pat@test.example")
    assert browser.get("/models").status_code == 403
    browser.post("/logout")
    browser.login(ANALYST)
    page = browser.get("/models")
    assert page.status_code == 200
    assert "New diagram" in browser.last_html and "Import a file" in browser.last_html
    assert 'href="/models" aria-current="page"' in browser.last_html


def test_new_diagram_opens_the_modeller_on_a_blank_executable_process(
    app: Flask, api: Api, browser: Browser
) -> None:
    browser.login(ADMIN)
    url = _new_model(browser, "Leave <request>")
    html = browser.get(url).get_data(as_text=True)
    data = _modeller_data(html)
    assert 'isExecutable="true"' in data["xml"] and "Leave &lt;request&gt;" in data["xml"]
    assert data["problems"] == [] and data["saveUrl"] == f"{url}/draft"
    assert "<script" not in html.split('id="modeller-data">', 1)[1].split("</script>", 1)[0]
    assert _csrf_meta(html)
    listing = browser.get("/models").get_data(as_text=True)
    assert "Leave &lt;request&gt;" in listing and "Leave <request>" not in listing


def test_saving_a_draft_keeps_it_and_lists_every_parser_problem_by_element(
    app: Flask, api: Api, browser: Browser
) -> None:
    from server.db import db
    from server.models import ProcessModel

    browser.login(ADMIN)
    url = _new_model(browser)
    broken = (FIXTURES / "broken-ref.bpmn").read_text()
    response = _save(browser, url, broken)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [p["element_id"] for p in body["problems"]] == ["s2"]
    assert "nowhere" in body["problems"][0]["message"]
    with app.app_context():
        row = db.session.get(ProcessModel, int(url.rsplit("/", 1)[1]))
        assert row is not None and row.xml == broken  # nothing drawn is lost, problems or not
        assert row.process_id == body["process_id"] != ""
    # The page shows the saved draft's problems without JavaScript too.
    page = browser.get(url).get_data(as_text=True)
    assert _modeller_data(page)["problems"][0]["element_id"] == "s2"
    assert "Problems in the saved draft" in page


def test_saving_needs_the_csrf_header_and_valid_json(app: Flask, api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    url = _new_model(browser)
    assert _save(browser, url, "<x/>", csrf=False).status_code == 400
    page = browser.get(url).get_data(as_text=True)
    headers = {"X-CSRFToken": _csrf_meta(page), "Accept": "application/json"}
    bad = browser.client.post(f"{url}/draft", json={"svg": "no"}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_request"


def test_deploy_from_the_modeller_only_when_the_parser_finds_no_problem(
    app: Flask, api: Api, browser: Browser
) -> None:
    from server.db import db
    from server.models import ProcessModel, ProcessVersion

    browser.login(ADMIN)
    url = _new_model(browser)
    _save(browser, url, (FIXTURES / "broken-ref.bpmn").read_text())
    headers = {"X-CSRFToken": _csrf_meta(browser.last_html), "Accept": "application/json"}
    refused = browser.client.post(f"{url}/deploy", headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["problems"][0]["element_id"] == "s2"

    assert _save(browser, url, (FIXTURES / "expense.bpmn").read_text()).get_json()["problems"] == []
    deployed = browser.client.post(f"{url}/deploy", headers=headers)
    assert deployed.status_code == 201, deployed.get_json()
    body = deployed.get_json()
    assert body["processes"] == [{"id": "expense_claim", "name": "Expense claim", "version": 1}]
    assert body["url"] == f"/deployments/{body['id']}"
    with app.app_context():
        row = db.session.get(ProcessModel, int(url.rsplit("/", 1)[1]))
        assert row is not None and row.deployed_version_id is not None
        pv = db.session.get(ProcessVersion, row.deployed_version_id)
        assert pv is not None
        assert (pv.process_id, pv.version, pv.file) == ("expense_claim", 1, "expense_claim.bpmn")
    assert api.start("expense_claim", ADMIN).status_code == 201


def test_deploy_without_javascript_redirects_with_a_message(app: Flask, api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    url = _new_model(browser)
    _save(browser, url, (FIXTURES / "expense.bpmn").read_text())
    browser.get(url)
    response = browser.post(f"{url}/deploy", follow_redirects=True)
    assert response.status_code == 200
    assert "Deployed Expense claim (version 1)." in text(browser.last_html)


def test_import_a_file_and_open_deployed_versions(app: Flask, api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    api.deploy(ADMIN, "expense.bpmn")
    page = browser.get("/models").get_data(as_text=True)
    assert "Deployed processes without a draft" in page and "Expense claim" in page
    match = re.search(r'action="/models/from-version/(\d+)"', page)
    assert match
    opened = browser.post(f"/models/from-version/{match.group(1)}")
    model_url = opened.headers["Location"]
    data = _modeller_data(browser.get(model_url).get_data(as_text=True))
    assert data["xml"] == (FIXTURES / "expense.bpmn").read_text()
    assert "Version 1" in browser.last_html

    # Opening the version again goes to the existing draft (never overwritten), showing that version.
    browser.get("/models")
    again = browser.post(f"/models/from-version/{match.group(1)}")
    assert again.headers["Location"] == f"{model_url}?version={match.group(1)}"
    shown = _modeller_data(browser.get(again.headers["Location"]).get_data(as_text=True))
    assert shown["unsaved"] is True and "deployed version 1" in shown["note"]

    browser.get("/models")
    content = (FIXTURES / "parallel_review.bpmn").read_bytes()
    imported = browser.post(
        "/models/import", {"file": (BytesIO(content), "parallel_review.bpmn")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302
    download = browser.get(imported.headers["Location"] + "/xml")
    assert download.data == content
    assert "attachment" in download.headers["Content-Disposition"]


def test_modeller_page_says_when_the_front_end_is_not_built(
    app: Flask, api: Api, browser: Browser, tmp_path: Any
) -> None:
    app.static_folder = str(tmp_path)
    browser.login(ADMIN)
    url = _new_model(browser)
    page = browser.get(url).get_data(as_text=True)
    assert "The modeller is not built on this server." in page and "dist/modeller.js" not in page
