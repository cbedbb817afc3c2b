"""In a real browser: draw (import), set owner and due date in the panel, save, see the parser's problem
highlighted, fix it, deploy, start an instance, and watch its live diagram change as a task completes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import select

from tests.browser.conftest import FIXTURES, screenshot, sign_in

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
REVIEWER = "rita@test.example"
IMPORTED = FIXTURES / "review_with_a_javascript_script.bpmn"


def _panel_group(page: Any, title: str) -> None:
    """Open a properties-panel group (they start collapsed) by its title."""
    header = page.locator(".bio-properties-panel-group-header", has_text=re.compile(f"^{title}"))
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def _set_field(page: Any, field: str, value: str) -> None:
    box = page.locator(f"#bio-properties-panel-{field}")
    box.fill(value)
    box.press("Tab")  # inputs are debounced: leave the field so the value lands in the model


def _classes(page: Any, element_id: str) -> str:
    return page.get_attribute(f'#live-diagram g.djs-element[data-element-id="{element_id}"]', "class") or ""


def test_model_save_fix_deploy_and_follow_the_instance_live(app: Flask, api: Api, page: Any) -> None:
    from server.db import db
    from server.models import DeploymentFile, Task

    api.user(REVIEWER, groups=("reviewers",))
    sign_in(page, ADMIN)

    # A new diagram, then a file imported over it.
    page.goto("/models")
    page.fill("#new-name", "Review request")
    page.click("button:has-text('Create')")
    page.wait_for_selector("#modeller[data-ready=true]")
    page.set_input_files("#modeller-import", str(IMPORTED))
    page.wait_for_selector('#modeller-canvas [data-element-id="score"]')
    assert "Imported" in page.inner_text("#modeller-status")
    assert page.get_attribute("#modeller", "data-dirty") == "true"

    # Owner and due date of the first user task, through the Camunda 7 properties panel.
    page.click('#modeller-canvas [data-element-id="review"]', position={"x": 50, "y": 20})
    _panel_group(page, "User assignment")
    _set_field(page, "candidateGroups", "reviewers")
    _set_field(page, "dueDate", "P2D")

    # Save: Baton's parser refuses the JavaScript script task; the problem is listed and marked.
    page.click("#modeller-save")
    page.wait_for_selector('#modeller-problems:not([hidden]) [data-element-id="score"]')
    assert "Python scripts only" in page.inner_text("#modeller-problems")
    marked = page.get_attribute('#modeller-canvas g.djs-element[data-element-id="score"]', "class") or ""
    assert "baton-problem" in marked
    assert page.is_disabled("#modeller-deploy")
    assert page.get_attribute("#modeller", "data-dirty") == "false"
    screenshot(page, "modeller-problem.png")

    # A click on the problem selects its element; fix it in the panel and save again.
    page.click('#modeller-problems button[data-element-id="score"]')
    page.wait_for_selector(
        '#modeller-properties .bio-properties-panel-header-label:has-text("Score request")'
    )
    _panel_group(page, "Script")
    _set_field(page, "scriptFormat", "python")
    page.click("#modeller-save")
    page.wait_for_function("document.querySelector('#modeller-status').textContent.includes('No problems')")
    assert page.is_hidden("#modeller-problems")
    assert "baton-problem" not in (
        page.get_attribute('#modeller-canvas g.djs-element[data-element-id="score"]', "class") or ""
    )
    screenshot(page, "modeller.png")

    # Deploy from the modeller.
    page.click("#modeller-deploy")
    page.wait_for_selector("#modeller-status a.modeller-deployed")
    assert "Deployed Review request (version 1)." in page.inner_text("#modeller-status")
    with app.app_context():
        deployed = db.session.scalars(select(DeploymentFile)).one().content.decode()
    assert 'camunda:candidateGroups="reviewers"' in deployed and 'camunda:dueDate="P2D"' in deployed
    assert 'scriptFormat="python"' in deployed

    # Start an instance and watch it.
    started = api.start("review_request", ADMIN)
    assert started.status_code == 201, started.get_json()
    iid = started.get_json()["id"]
    page.goto(f"/instances/{iid}")
    page.wait_for_selector("#live-diagram[data-ready=true]")
    assert "baton-completed" in _classes(page, "start")
    assert "baton-active" in _classes(page, "review")
    assert "baton-taken" in _classes(page, "f1")
    badge = page.inner_text('#live-diagram .djs-overlays[data-container-id="review"] .baton-badge')
    assert "reviewers (group)" in badge
    with app.app_context():
        task = db.session.scalars(select(Task).where(Task.instance_id == iid)).one()
        task_id, due_at = task.id, task.due_at
    if due_at is not None:  # the SLA machinery turned camunda:dueDate into a due time
        assert "due" in badge
    screenshot(page, "live-diagram-before.png", ".diagram-card")

    # The reviewer completes the task elsewhere; the diagram follows without a reload.
    assert api.complete(task_id, REVIEWER, {}).status_code == 200
    page.wait_for_function(
        """() => {
          const g = (id) => document.querySelector(`#live-diagram g.djs-element[data-element-id="${id}"]`);
          return g('review').classList.contains('baton-completed')
            && g('approve').classList.contains('baton-active');
        }""",
        timeout=15_000,
    )
    for element in ("score", "f2", "f3"):  # passed by the engine: its engine_steps name them
        assert re.search(r"baton-(completed|taken)", _classes(page, element)), element

    # Clicking an element lists its history in this instance.
    page.click('#live-diagram g.djs-element[data-element-id="review"]', position={"x": 50, "y": 20})
    history = page.inner_text("#live-diagram .diagram-history")
    assert "Review request" in history and "Completed “Review request”" in history and REVIEWER in history
    screenshot(page, "live-diagram.png", ".diagram-card")
    assert page.js_errors == []


def test_leaving_with_unsaved_changes_warns(api: Api, page: Any) -> None:
    sign_in(page, ADMIN)
    page.goto("/models")
    page.fill("#new-name", "Unsaved")
    page.click("button:has-text('Create')")
    page.wait_for_selector("#modeller[data-ready=true]")
    page.evaluate("""() => {
      const modeling = window.batonModeler.get('modeling');
      const start = window.batonModeler.get('elementRegistry').get('StartEvent_1');
      modeling.updateProperties(start, { name: 'Changed' });
    }""")
    assert page.get_attribute("#modeller", "data-dirty") == "true"
    dialogs: list[str] = []

    def answer(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.click("a:has-text('Models')")  # the crumb
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert "/models/" in page.url
