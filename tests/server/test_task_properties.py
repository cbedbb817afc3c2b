"""camunda:properties of a user task reach its people and systems: kept on the task row, in the API's
task JSON and as "Details" on the task page; the `sla.*` ones Baton interprets itself show only as
what they mean (the due date and the ladder), not a second time as raw properties."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.server.pages_helpers import make_user, text

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"
WORKER = "pat@test.example"
SHOWN = {"checklist": "https://wiki.example/pallet-checklist", "dock": "Gate 4 & 5"}


def _start(api: Api) -> dict[str, object]:
    api.user(WORKER, groups=("warehouse",))
    assert api.deploy(ADMIN, "task_properties.bpmn").status_code == 201
    response = api.start("task_properties", ADMIN)
    assert response.status_code == 201, response.get_json()
    [task] = response.get_json()["open_tasks"]
    return dict(task)


def test_the_api_gives_the_task_its_properties_without_the_ones_baton_interprets(api: Api) -> None:
    task = _start(api)
    assert task["properties"] == SHOWN
    assert list(task["properties"]) == ["checklist", "dock"]  # in the model's order
    assert task["due_at"] is not None and task["sla"]  # sla.due / sla.nudge are read, not repeated
    [listed] = api.tasks(WORKER)
    assert listed["properties"] == SHOWN
    one = api.call("GET", f"/api/v1/tasks/{task['id']}", WORKER)
    assert one.status_code == 200 and one.get_json()["properties"] == SHOWN


def test_the_task_row_keeps_them_and_a_task_without_any_has_none(api: Api) -> None:
    from server.db import db
    from server.models import Task

    task = _start(api)
    with api.app.app_context():
        row = db.session.get(Task, task["id"])
        assert row is not None and row.properties == SHOWN
    done = api.complete(str(task["id"]), WORKER, {})
    assert done.status_code == 200, done.get_json()
    [sign] = api.tasks(WORKER, state="open")
    assert (sign["element_id"], sign["properties"]) == ("Sign", {})


def test_the_task_page_shows_them_as_details_only_when_there_are_some(api: Api, browser: Browser) -> None:
    task = _start(api)
    make_user(api.app, "viewer@test.example", groups=("warehouse",))
    browser.login("viewer@test.example")
    page = browser.get(f"/tasks/{task['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    details = re.search(r'<section class="card" aria-labelledby="details-h">(.*?)</section>', html, re.S)
    assert details, "no Details section"
    assert text(details.group(1)) == "Details checklist https://wiki.example/pallet-checklist dock Gate 4 & 5"
    assert "sla.due" not in html and "sla.nudge" not in html
    assert api.complete(str(task["id"]), WORKER, {}).status_code == 200
    [sign] = api.tasks(WORKER, state="open")
    assert "details-h" not in browser.get(f"/tasks/{sign['id']}").get_data(as_text=True)
