"""DMN drafts in the modeller: checked by Baton's decision reader, deployed with their callers."""

from __future__ import annotations

import re
from io import BytesIO
from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.server.pages_helpers import FIXTURES
from tests.server.test_modeller import _csrf_meta, _modeller_data, _save

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
DMN = (FIXTURES / "dish_decision.dmn").read_text()
BPMN = (FIXTURES / "dish_choice.bpmn").read_text()


def _json_headers(browser: Browser) -> dict[str, str]:
    return {"X-CSRFToken": _csrf_meta(browser.last_html), "Accept": "application/json"}


def _import(browser: Browser, name: str, content: str) -> str:
    browser.get("/models")
    response = browser.post("/models/import", {"file": (BytesIO(content.encode()), name)},
                            content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    location: str = response.headers["Location"]
    return location


def _dish(api: Api, season: str) -> Any:
    started = api.start("dish_choice", ADMIN, {"season": season})
    assert started.status_code == 201, started.get_json()
    body = api.call("GET", f"/api/v1/instances/{started.get_json()['id']}", ADMIN).get_json()
    return body["data"]["dish"]


def test_a_new_decision_table_opens_the_dmn_editor(app: Flask, api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    browser.get("/models")
    response = browser.post("/models", {"name": "Dish <rules>", "kind": "dmn"})
    url = response.headers["Location"]
    html = browser.get(url).get_data(as_text=True)
    data = _modeller_data(html)
    assert data["kind"] == "dmn" and data["fileName"] == "Dish_rules.dmn"
    assert "omg.org/spec/DMN/20191111/MODEL" in data["xml"] and "Dish &lt;rules&gt;" in data["xml"]
    assert data["problems"] == [] and data["deploysWith"] == []
    assert "dist/modeller.js" not in html  # bpmn-js is not loaded on a DMN page, nor dmn-js on BPMN ones
    assert re.search(r'accept="\.dmn,\.xml"', html)
    download = browser.get(f"{url}/xml")
    assert 'filename="Dish_rules.dmn"' in download.headers["Content-Disposition"]
    assert "DMN" in browser.get("/models").get_data(as_text=True)


def test_a_broken_cell_is_a_problem_on_save_and_a_dmn_alone_has_nothing_to_run_in(
    app: Flask, api: Api, browser: Browser
) -> None:
    browser.login(ADMIN)
    url = _import(browser, "dish_decision.dmn", DMN)
    broken = DMN.replace("<text>\"Winter\"</text>", "<text>\"Winter</text>")
    body = _save(browser, url, broken).get_json()
    assert [p["element_id"] for p in body["problems"]] == ["Rule_winter"]
    assert "cell In_winter" in body["problems"][0]["message"] and body["problems"][0]["line"] == 10
    assert body["deploys_with"] == []

    assert _save(browser, url, DMN).get_json()["problems"] == []
    refused = browser.client.post(f"{url}/deploy", headers=_json_headers(browser))
    assert refused.status_code == 422
    assert "no deployed process calls the decisions of dish_decision.dmn (dish)" in \
        refused.get_json()["problems"][0]["message"]
    # A BPMN draft cannot take DMN XML (nor the other way round): nothing is overwritten.
    bpmn_url = _import(browser, "dish_choice.bpmn", BPMN)
    assert _save(browser, bpmn_url, DMN).status_code == 400


def test_a_deployed_dmn_edited_and_deployed_is_what_the_business_rule_task_runs(
    app: Flask, api: Api, browser: Browser
) -> None:
    from server.db import db
    from server.models import Deployment

    api.user(ADMIN, roles=("admin",))
    first = api.deploy(ADMIN, "dish_choice.bpmn", "dish_decision.dmn")
    assert first.status_code == 201, first.get_json()
    assert _dish(api, "Winter") == "Roastbeef"

    # The deployment page offers its .dmn for editing; the draft keeps the file's name.
    browser.login(ADMIN)
    page = browser.get(f"/deployments/{first.get_json()['id']}").get_data(as_text=True)
    match = re.search(r'action="/models/from-file/(\d+)"', page)
    assert match and "dish_choice.bpmn" in page
    url = browser.post(f"/models/from-file/{match.group(1)}").headers["Location"]
    data = _modeller_data(browser.get(url).get_data(as_text=True))
    assert data["xml"] == DMN and data["fileName"] == "dish_decision.dmn"
    assert data["deploysWith"] == ["Dish choice (version 1)"]
    assert "Deployment #1" in browser.last_html  # the deployed copies of this file

    # Removing the decision the process calls is a problem of the process, found on save.
    renamed = _save(browser, url, DMN.replace('id="dish"', 'id="meal"').replace('"dish"', '"meal"'))
    problems = renamed.get_json()["problems"]
    assert problems and problems[0]["file"] == "dish_choice.bpmn" and "'dish'" in problems[0]["message"]

    assert _save(browser, url, DMN.replace("Roastbeef", "Stew")).get_json()["problems"] == []
    deployed = browser.client.post(f"{url}/deploy", headers=_json_headers(browser))
    assert deployed.status_code == 201, deployed.get_json()
    assert deployed.get_json()["processes"] == [{"id": "dish_choice", "name": "Dish choice", "version": 2}]
    assert _dish(api, "Winter") == "Stew"
    assert _dish(api, "Summer") == "Salad"
    with app.app_context():
        latest = db.session.get(Deployment, deployed.get_json()["id"])
        assert latest is not None
        assert sorted(f.name for f in latest.files) == ["dish_choice.bpmn", "dish_decision.dmn"]

    # Opening the file again goes to the same draft, showing the deployed copy.
    again = browser.post(f"/models/from-file/{match.group(1)}").headers["Location"]
    assert again == f"{url}?file={match.group(1)}"
    shown = _modeller_data(browser.get(again).get_data(as_text=True))
    assert shown["unsaved"] is True and "deployment #1" in shown["note"] and "Roastbeef" in shown["xml"]


def test_a_process_draft_takes_the_dmn_draft_it_calls_along(app: Flask, api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    dmn_url = _import(browser, "dish_decision.dmn", DMN.replace("Roastbeef", "Soup"))
    bpmn_url = _import(browser, "dish_choice.bpmn", BPMN)
    assert _modeller_data(browser.get(bpmn_url).get_data(as_text=True))["problems"] == []
    deployed = browser.client.post(f"{bpmn_url}/deploy", headers=_json_headers(browser))
    assert deployed.status_code == 201, deployed.get_json()
    api.user(ADMIN, roles=("admin",))
    assert _dish(api, "Winter") == "Soup"
    # Now the DMN draft has a caller, and deploys with it.
    assert _modeller_data(browser.get(dmn_url).get_data(as_text=True))["deploysWith"] == [
        "Dish choice (version 1)"
    ]
