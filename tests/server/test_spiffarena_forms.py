"""SpiffArena user tasks through the server: JSON Schema forms deployed beside the model, validated on
completion (API and page), instructions rendered from Markdown with Jinja, pre- and post-scripts."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest

from tests.bpmn.helpers import FIXTURES as BPMN_FIXTURES
from tests.server.conftest import Api, Browser
from tests.server.pages_helpers import text

ADMIN = "admin@test.example"
ADA = "ada@test.example"
FRUIT = ("spiff_fruit_order.bpmn", "fruit-schema.json", "fruit-uischema.json")
GOOD = {"fruit": "pear", "quantity": 3, "delivery": {"day": "2024-05-01", "notes": ["Ring twice"]}}


def fruit_files(**changed: bytes | None) -> dict[str, bytes]:
    files = {name: (BPMN_FIXTURES / name).read_bytes() for name in FRUIT}
    for name, content in changed.items():
        if content is None:
            files.pop(name)
        else:
            files[name] = content
    return files


def deploy_and_start(api: Api, files: dict[str, bytes] | None = None, **data: Any) -> dict[str, Any]:
    api.user(ADA)
    deployed = api.deploy(ADMIN, files=files or fruit_files())
    assert deployed.status_code == 201, deployed.get_json()
    started = api.start("fruit_order", ADA, {"customer": "Ada <b>", "price_each": 2, **data})
    assert started.status_code == 201, started.get_json()
    return started.get_json()  # type: ignore[no-any-return]


def only_task(api: Api, instance_id: int) -> dict[str, Any]:
    [task] = api.tasks(ADA, instance_id=instance_id)
    return api.call("GET", f"/api/v1/tasks/{task['id']}", ADA).get_json()  # type: ignore[no-any-return]


# --- deploying -----------------------------------------------------------------------------------


def test_form_files_deploy_with_the_model_and_are_kept_with_the_deployment(api: Api) -> None:
    response = api.deploy(ADMIN, files=fruit_files())
    assert response.status_code == 201, response.get_json()
    [listed] = api.call("GET", "/api/v1/deployments", ADMIN).get_json()
    assert sorted(listed["files"]) == sorted(FRUIT)


def test_a_missing_form_file_is_a_problem_naming_file_line_element_and_the_form(api: Api) -> None:
    response = api.deploy(ADMIN, files=fruit_files(**{"fruit-schema.json": None}))
    assert response.status_code == 422
    [problem] = response.get_json()["problems"]
    assert (problem["file"], problem["line"], problem["element_id"]) == (
        "spiff_fruit_order.bpmn",
        8,
        "choose",
    )
    assert "'fruit-schema.json', which is not among the uploaded files" in problem["message"]
    assert api.call("GET", "/api/v1/processes", ADMIN).get_json() == []


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            b'{"type": "object", "properties": {"n": {"type": "integer", "minimum": "one"}}}',
            "Form fruit-schema.json: Form field 'n': 'minimum' must be a number, not 'one'.",
        ),
        (
            b'{"type": "object", "properties": {"l": {"type": "array", "items": {"type": "object"}}}}',
            "Form fruit-schema.json: Form field 'l': Lists are supported as multiple choices only",
        ),
        (b'{"type": "object", "properties": ', "fruit-schema.json is not valid JSON"),
    ],
)
def test_an_invalid_form_file_is_a_problem_at_the_task(api: Api, schema: bytes, message: str) -> None:
    response = api.deploy(ADMIN, files=fruit_files(**{"fruit-schema.json": schema}))
    assert response.status_code == 422
    [problem] = response.get_json()["problems"]
    assert (problem["file"], problem["line"], problem["element_id"]) == (
        "spiff_fruit_order.bpmn",
        8,
        "choose",
    )
    assert message in problem["message"]


def test_other_files_are_still_refused(api: Api) -> None:
    response = api.deploy(ADMIN, files={**fruit_files(), "notes.txt": b"hello"})
    assert response.status_code == 422
    assert response.get_json()["problems"][0]["file"] == "notes.txt"


def test_the_deploy_page_takes_the_form_files_and_shows_what_is_missing(api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    browser.get("/deploy")
    assert 'accept=".bpmn,.dmn,.xml,.json"' in browser.last_html
    files = fruit_files(**{"fruit-uischema.json": None})
    payload = {"files": [(BytesIO(content), name) for name, content in files.items()]}
    response = browser.post("/deploy", payload, content_type="multipart/form-data")
    assert response.status_code == 422
    page = text(browser.last_html)
    assert "'fruit-uischema.json', which is not among the uploaded files" in page and "Traceback" not in page
    browser.get("/deploy")
    payload = {"files": [(BytesIO(content), name) for name, content in fruit_files().items()]}
    response = browser.post("/deploy", payload, content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and "Deployed Fruit order (version 1)" in text(browser.last_html)


# --- the task through the API -----------------------------------------------------------------


def test_the_api_task_shows_the_converted_form_and_the_instructions(api: Api) -> None:
    instance = deploy_and_start(api)
    task = only_task(api, instance["id"])
    form = task["form"]
    assert form["description"] == "Fruit is delivered the next morning."
    assert [f["id"] for f in form["fields"]] == ["quantity", "fruit", "delivery.day", "delivery.notes"]
    fruit = form["fields"][1]
    assert fruit["type"] == "enum" and fruit["options"] == [
        {"id": "apple", "name": "Apple"},
        {"id": "pear", "name": "Pear"},
    ]
    assert form["fields"][3]["multiple"] is True and form["fields"][3]["path"] == ["delivery", "notes"]
    assert task["instructions"] == "## Hello Ada <b>\n\nPick one of our **2** fruits. <b>No HTML</b> here."
    assert task["instructions_html"] == (
        "<h2>Hello Ada &lt;b&gt;</h2>\n<p>Pick one of our <strong>2</strong> fruits. "
        "&lt;b&gt;No HTML&lt;/b&gt; here.</p>\n"
    )
    assert task["instructions_error"] is None


def test_wrong_values_get_field_errors_and_nothing_moves(api: Api) -> None:
    instance = deploy_and_start(api)
    task = only_task(api, instance["id"])
    bad = {"fruit": "banana", "quantity": 40, "delivery": {"notes": ["Ring twice", "Sing"]}}
    response = api.complete(task["id"], ADA, bad)
    assert response.status_code == 422
    assert response.get_json()["fields"] == {
        "quantity": "Must be at most 12.",
        "fruit": "Choose one of: Apple, Pear.",
        "delivery.day": "This field is required.",
        "delivery.notes": "Choose from: Ring twice, Leave at the door.",
    }
    assert only_task(api, instance["id"])["id"] == task["id"]


def test_completion_keeps_typed_nested_values_runs_the_post_script_and_renders_the_next_instructions(
    api: Api,
) -> None:
    instance = deploy_and_start(api)
    task = only_task(api, instance["id"])
    response = api.complete(task["id"], ADA, {**GOOD, "unknown": "dropped"})
    assert response.status_code == 200, response.get_json()
    data = api.call("GET", f"/api/v1/instances/{instance['id']}", ADA).get_json()["data"]
    assert data["delivery"] == {"day": "2024-05-01", "notes": ["Ring twice"]}
    assert data["total"] == 6 and "unknown" not in data
    receipt = only_task(api, instance["id"])
    assert receipt["form"] == {"fields": [], "keeps_other_values": True}
    assert (
        receipt["instructions_html"]
        == "<p>You ordered 3 x pear for 6.</p>\n<ul>\n<li>Ring twice</li>\n</ul>\n"
    )
    done = api.complete(receipt["id"], ADA, {"note": "kept as sent"})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    assert done.get_json()["data"]["note"] == "kept as sent"


def test_a_failing_pre_script_is_an_error_with_its_line(api: Api) -> None:
    source = fruit_files()["spiff_fruit_order.bpmn"].replace(
        b"<spiffworkflow:preScript>fruits = [", b"<spiffworkflow:preScript>x = 1\nfruits = nothing + ["
    )
    instance = deploy_and_start(api, fruit_files(**{"spiff_fruit_order.bpmn": source}))
    assert instance["status"] == "error" and instance["open_tasks"] == []
    assert "nothing" in instance["error"] and "line 2" in instance["error"]


def test_a_failing_post_script_is_an_error_with_its_line(api: Api) -> None:
    instance = deploy_and_start(api, price_each=None)
    task = only_task(api, instance["id"])
    body = api.complete(task["id"], ADA, GOOD).get_json()
    assert body["status"] == "error" and "Post-Script" in body["error"] and "line 1" in body["error"]


def test_choices_missing_from_task_data_leave_the_choice_empty(api: Api) -> None:
    source = fruit_files()["spiff_fruit_order.bpmn"].replace(b"fruits = [", b"other = [")
    instance = deploy_and_start(api, fruit_files(**{"spiff_fruit_order.bpmn": source}))
    task = only_task(api, instance["id"])
    assert task["form"]["fields"][1]["options"] == []
    assert task["form"]["fields"][1]["id"] == "fruit"
    response = api.complete(task["id"], ADA, GOOD)
    assert response.status_code == 422
    assert response.get_json()["fields"]["fruit"].startswith("There is nothing to choose from here")


# --- the task page ------------------------------------------------------------------------------


def test_the_task_page_draws_the_form_and_safe_instructions(api: Api, browser: Browser) -> None:
    instance = deploy_and_start(api)
    task = only_task(api, instance["id"])
    browser.login(ADA)
    html = browser.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "<h2>Hello Ada &lt;b&gt;</h2>" in html and "&lt;b&gt;No HTML&lt;/b&gt;" in html
    assert "<b>No HTML</b>" not in html
    assert "Fruit is delivered the next morning." in html
    assert re.search(r'<select id="field-fruit" name="fruit"', html)
    assert '<option value="pear"' in html
    assert re.search(r'<input type="date" id="field-delivery-day" name="delivery.day"', html)
    assert html.count('type="checkbox" name="delivery.notes"') == 2
    assert "A whole number from 1 to 12. At most a dozen." in text(html)


def test_the_task_page_shows_field_errors_then_completes(api: Api, browser: Browser) -> None:
    instance = deploy_and_start(api)
    task = only_task(api, instance["id"])
    browser.login(ADA)
    browser.get(f"/tasks/{task['id']}")
    response = browser.post(f"/tasks/{task['id']}/complete", {"fruit": "pear", "quantity": "zero"})
    assert response.status_code == 422
    page = text(browser.last_html)
    assert "Enter a whole number." in page and "This field is required." in page and "Traceback" not in page
    values = {
        "fruit": "apple",
        "quantity": "2",
        "delivery.day": "2024-06-01",
        "delivery.notes": ["Ring twice", "Leave at the door"],
    }
    response = browser.post(f"/tasks/{task['id']}/complete", values)
    assert response.status_code == 302, text(browser.last_html)
    data = api.call("GET", f"/api/v1/instances/{instance['id']}", ADA).get_json()["data"]
    assert data["delivery"] == {"day": "2024-06-01", "notes": ["Ring twice", "Leave at the door"]}
    assert (data["fruit"], data["quantity"], data["total"]) == ("apple", 2, 4)
    receipt = only_task(api, instance["id"])
    html = browser.get(f"/tasks/{receipt['id']}").get_data(as_text=True)
    assert "<p>Leave at the door</p>" in html and "You ordered 2 x apple for 4." in html
    browser.get(f"/tasks/{task['id']}")
    completed = text(browser.last_html)
    assert (
        "Delivery: Notes Ring twice, Leave at the door" in completed
        and "Delivery: Day 2024-06-01" in completed
    )


def test_a_jinja_error_shows_a_readable_message_not_a_traceback(api: Api, browser: Browser) -> None:
    source = fruit_files()["spiff_fruit_order.bpmn"].replace(b"{{ customer }}", b"{{ customer.x.y }}")
    instance = deploy_and_start(api, fruit_files(**{"spiff_fruit_order.bpmn": source}))
    task = only_task(api, instance["id"])
    assert "has no attribute 'x'" in task["instructions_error"] and task["instructions_html"] == ""
    browser.login(ADA)
    page = text(browser.get(f"/tasks/{task['id']}").get_data(as_text=True))
    assert "The instructions could not be shown" in page and "Traceback" not in page
    assert "Hello {{ customer.x.y }}" in page
