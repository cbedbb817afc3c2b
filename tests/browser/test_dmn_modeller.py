"""In a real browser: open a deployed .dmn in the modeller (dmn-js), edit a decision-table cell, save,
see Baton's parser list a broken cell, fix it, deploy, and the business rule task decides anew."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.browser.conftest import screenshot, sign_in

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"


def _cell(page: Any, cell_id: str) -> Any:
    return page.locator(f'#modeller-canvas td[data-element-id="{cell_id}"]')


def _edit_cell(page: Any, cell_id: str, text: str) -> None:
    """Type into a decision-table cell as a person would: click, select its text, type over it."""
    _cell(page, cell_id).click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Tab")


def _cell_text(page: Any, cell_id: str) -> str:
    script = """(id) => {
      const defs = window.batonDmnModeler.getDefinitions();
      for (const decision of defs.drgElement) {
        for (const rule of (decision.decisionLogic && decision.decisionLogic.rule) || []) {
          const found = [...rule.inputEntry, ...rule.outputEntry].find((entry) => entry.id === id);
          if (found) return found.text;
        }
      }
      return null;
    }"""
    return str(page.evaluate(script, cell_id))


def _saved(page: Any, words: str) -> None:
    page.click("#modeller-save")
    page.wait_for_function(
        "(words) => document.querySelector('#modeller-status').textContent.includes(words)", arg=words
    )


def _dish(api: Api, season: str) -> Any:
    started = api.start("dish_choice", ADMIN, {"season": season})
    assert started.status_code == 201, started.get_json()
    return api.call("GET", f"/api/v1/instances/{started.get_json()['id']}", ADMIN).get_json()["data"]["dish"]


def test_edit_a_decision_table_save_fix_a_broken_cell_and_deploy(app: Flask, api: Api, page: Any) -> None:
    first = api.deploy(ADMIN, "dish_choice.bpmn", "dish_decision.dmn")
    assert first.status_code == 201, first.get_json()
    assert _dish(api, "Winter") == "Roastbeef"
    sign_in(page, ADMIN)

    # The deployment holds a .bpmn and a .dmn: the .dmn opens in the modeller, with dmn-js only.
    page.goto(f"/deployments/{first.get_json()['id']}")
    page.click("button:has-text('Open in the modeller')")
    page.wait_for_selector("#modeller[data-ready=true]")
    assert page.evaluate("typeof window.batonModeler") == "undefined"  # no bpmn-js on a DMN page
    page.wait_for_selector('#modeller-canvas .djs-element[data-element-id="dish"]')  # the DRD
    assert "Dish choice (version 1)" in page.inner_text("#modeller-deploys-with")
    screenshot(page, "dmn-drd.png")

    # Open the decision table and change what winter serves.
    page.click('#modeller-views button[data-view-id="dish"]')
    page.wait_for_selector('#modeller-canvas td[data-element-id="Out_winter"]')
    _edit_cell(page, "Out_winter", '"Stew"')
    assert _cell_text(page, "Out_winter") == '"Stew"'
    assert page.get_attribute("#modeller", "data-dirty") == "true"
    _saved(page, "No problems")
    assert page.get_attribute("#modeller", "data-dirty") == "false"

    # A broken FEEL cell: Baton's own parser names the rule and the cell, and the cell is marked.
    _edit_cell(page, "In_winter", "Winter ==")
    assert _cell_text(page, "In_winter") == "Winter =="
    _saved(page, "1 problem")
    problems = page.inner_text("#modeller-problems")
    assert "Rule_winter" in problems and "cell In_winter" in problems and "FEEL" in problems
    assert page.is_disabled("#modeller-deploy")
    page.wait_for_selector('#modeller-canvas td.baton-problem-cell[data-element-id="In_winter"]')
    screenshot(page, "dmn-problem.png")

    # Fix it, save, deploy: a new version of the process that calls the decision.
    _edit_cell(page, "In_winter", '"Winter"')
    _saved(page, "No problems")
    assert page.is_hidden("#modeller-problems")
    page.click("#modeller-deploy")
    page.wait_for_function(
        "document.querySelector('#modeller-status').textContent.includes('Deployed Dish choice (version 2)')"
    )
    screenshot(page, "dmn-deployed.png")
    assert _dish(api, "Winter") == "Stew"

    # Download XML gives the saved .dmn.
    with page.expect_download() as download:
        page.click("#modeller-download-xml")
    assert download.value.suggested_filename == "dish_decision.dmn"
    assert '"Stew"' in download.value.path().read_text()

    # Unsaved changes: leaving asks first, as for BPMN drafts.
    _edit_cell(page, "Out_summer", '"Soup"')
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.goto("/models")
    assert dialogs == ["beforeunload"]
    assert page.js_errors == []


def test_a_new_decision_table_opens_in_dmn_js(app: Flask, api: Api, page: Any) -> None:
    sign_in(page, ADMIN)
    page.goto("/models")
    page.fill("#new-name", "Discounts")
    page.click("button:has-text('Create decision table')")
    page.wait_for_selector("#modeller[data-ready=true]")
    page.wait_for_selector("#modeller-canvas .djs-element.djs-shape")
    assert "No deployed process calls these decisions yet" in page.inner_text("#modeller-deploys-with")
    assert "Discounts.dmn" in page.inner_text("#modeller-process")
    page.click('#modeller-views button[data-view-type="decisionTable"]')
    page.wait_for_selector('#modeller-canvas td[data-element-id="OutputEntry_1"]')
    _saved(page, "No problems")
    screenshot(page, "dmn-new-table.png")
    assert page.js_errors == []
