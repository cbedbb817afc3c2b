"""The pages end to end through the test client: sign-in, navigation, deploy, start, tasks, instances."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import Flask

from tests.server.pages_helpers import (
    DEMO,
    FIXTURES,
    instance_id_from,
    instance_row,
    make_user,
    open_tasks,
    text,
    upload,
)

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"


def test_login_page_signs_in_and_out(api: Api, browser: Browser) -> None:
    response = browser.login(ADMIN)
    assert response.status_code == 200
    assert "My work" in response.get_data(as_text=True)
    assert "Welcome" in browser.last_html
    response = browser.post("/logout", follow_redirects=True)
    assert "You are signed out." in browser.last_html
    assert browser.get("/").status_code == 302


def test_bad_password_shows_a_message_and_keeps_the_email(api: Api, browser: Browser) -> None:
    browser.get("/login")
    response = browser.post("/login", {"email": ADMIN, "password": "wrong-password"})
    assert response.status_code == 401
    page = browser.last_html
    assert 'role="alert"' in page
    assert "do not match" in page
    assert f'value="{ADMIN}"' in page
    assert browser.get("/").status_code == 302  # still signed out


def test_signed_out_visitor_is_sent_to_login_and_back(api: Api, browser: Browser) -> None:
    response = browser.get("/instances?status=running")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    browser.get(response.headers["Location"])
    response = browser.post(
        "/login", {"email": ADMIN, "password": "password-123", "next": "/instances?status=running"}
    )
    assert response.headers["Location"].endswith("/instances?status=running")


def test_next_is_honoured_only_for_local_paths(api: Api, browser: Browser) -> None:
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        browser.get("/login")
        response = browser.post("/login", {"email": ADMIN, "password": "password-123", "next": evil})
        assert response.status_code == 302
        assert "evil.example" not in response.headers["Location"]
        browser.get("/")
        browser.post("/logout")


def _nav(html: str) -> list[str]:
    block = re.search(r'<nav class="mainnav" aria-label="Main">(.*?)</nav>', html, re.S)
    assert block, "no main navigation"
    return re.findall(r"<a [^>]*>([^<]+)</a>", block.group(1))


def test_navigation_follows_the_roles(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "pat@test.example", roles=("participant",))
    make_user(app, "ana@test.example", roles=("analyst",))
    expected = {
        ADMIN: ["My work", "Processes", "Instances", "Deploy", "Models", "SLA", "Incidents", "Admin"],
        "ana@test.example": ["My work", "Processes", "Instances", "Deploy", "Models"],
        "pat@test.example": ["My work", "Processes", "Instances"],
    }
    for email, items in expected.items():
        browser.login(email)
        assert _nav(browser.last_html) == items, email
        assert 'href="/tokens"' in browser.last_html and "Sign out" in browser.last_html
        browser.post("/logout")
    browser.login("pat@test.example")
    assert browser.get("/deploy").status_code == 403
    assert browser.get("/admin/users").status_code == 403


def test_deploy_page_shows_the_deployed_processes(api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    response = upload(browser, FIXTURES / "expense.bpmn")
    assert response.status_code == 200
    page = text(browser.last_html)
    assert "Deployed Expense claim (version 1)" in page
    assert "expense_claim" in page and "expense.bpmn" in page
    browser.get("/processes")
    assert "Expense claim" in browser.last_html
    assert 'href="/processes/expense_claim/start"' in browser.last_html


def test_deploy_failure_lists_each_problem_with_file_line_and_element(api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    response = upload(browser, FIXTURES / "broken-ref.bpmn")
    assert response.status_code == 422
    page = browser.last_html
    assert "Nothing was deployed" in page
    assert "Traceback" not in page
    rows = re.findall(r"<tr>\s*<td data-label=\"File\">(.*?)</tr>", page, re.S)
    assert rows, "no problem rows"
    first = rows[0]
    assert "broken-ref.bpmn" in first
    assert re.search(r'data-label="Line">\d+<', first), first
    assert "<code>s2</code>" in page or "nowhere" in page
    browser.get("/processes")
    assert "broken_claim" not in browser.last_html


def test_deploy_without_files_is_a_friendly_problem(api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    browser.get("/deploy")
    response = browser.post("/deploy", {}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose at least one .bpmn or .dmn file." in browser.last_html
    assert "Traceback" not in browser.last_html


def test_start_form_rejects_bad_input_per_field_and_keeps_values(api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    upload(browser, DEMO)
    browser.get("/processes/purchase_request/start")
    assert 'name="item"' in browser.last_html and 'name="amount"' in browser.last_html
    response = browser.post(
        "/processes/purchase_request/start",
        {"item": "Standing desk", "amount": "lots", "urgency": "high", "_business_key": "PR-7"},
    )
    assert response.status_code == 422
    page = browser.last_html
    assert 'id="field-amount-error"' in page and "whole number" in page
    assert 'value="Standing desk"' in page and 'value="lots"' in page and 'value="PR-7"' in page
    assert re.search(r'<option value="high" selected>', page)
    response = browser.post(
        "/processes/purchase_request/start", {"item": "", "amount": "", "urgency": "normal"}
    )
    assert response.status_code == 422
    assert browser.last_html.count("This field is required.") == 2


def test_start_goes_to_my_first_task_or_the_instance(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "req@test.example", roles=("participant",), groups=("requesters",))
    make_user(app, "boss@test.example", roles=("participant",), groups=("approvers",))
    browser.login(ADMIN)
    upload(browser, DEMO)
    browser.post("/logout")
    browser.login("req@test.example")
    browser.get("/processes/purchase_request/start")
    response = browser.post(
        "/processes/purchase_request/start",
        {"item": "Standing desk", "amount": "420", "urgency": "high", "_business_key": "PR-7"},
    )
    assert response.status_code == 302
    iid = instance_id_from(response.headers["Location"])  # the approver's task is not the requester's
    row = instance_row(app, iid)
    assert row["data"] == {"item": "Standing desk", "amount": 420, "urgency": "high"}
    assert row["business_key"] == "PR-7"
    browser.get(f"/instances/{iid}")
    page = text(browser.last_html)
    assert "Approve purchase" in page and "approvers (group)" in page
    browser.get("/")
    assert "PR-7" in browser.last_html  # cases I started
    browser.post("/logout")
    browser.login("boss@test.example")
    assert "Approve purchase" in browser.last_html  # group tasks on My work


def test_task_claim_and_complete_through_pages(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "clerk@test.example", roles=("participant",), groups=("clerks",))
    make_user(app, "mgr@test.example", roles=("participant",), groups=("managers",))
    browser.login(ADMIN)
    upload(browser, FIXTURES / "expense.bpmn")
    browser.post("/logout")

    browser.login("clerk@test.example")
    browser.get("/processes/expense_claim/start")
    response = browser.post("/processes/expense_claim/start", {"_business_key": "EXP-1"})
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]
    task_url = response.headers["Location"]
    browser.get(task_url)
    page = browser.last_html
    assert "Type in the amount and what it was for." in page
    assert 'name="amount"' in page and ">Claim<" in page and ">Complete<" in page

    browser.post(task_url + "/claim", follow_redirects=True)
    assert "is yours now" in browser.last_html
    assert ">Give back<" in browser.last_html and ">Claim<" not in browser.last_html
    browser.get("/")
    assert "Enter expense" in text(browser.last_html.split('id="group"')[0])  # waiting on me

    response = browser.post(task_url + "/complete", {"amount": "0", "purpose": ""})
    assert response.status_code == 422
    page = browser.last_html
    assert 'id="field-amount-error"' in page and 'id="field-purpose-error"' in page
    assert 'value="0"' in page

    response = browser.post(task_url + "/complete", {"amount": "25", "purpose": "Taxi"})
    assert response.status_code == 302
    iid = instance_id_from(response.headers["Location"])  # the approval is the managers', not the clerk's
    browser.get(response.headers["Location"])
    assert "Done: “Enter expense”" in browser.last_html

    browser.post("/logout")
    browser.login("mgr@test.example")
    approve = next(t for t in open_tasks(app, iid) if t["element_id"] == "approve")
    browser.get(f"/tasks/{approve['id']}")
    response = browser.post(f"/tasks/{approve['id']}/complete", {"approved": "true"}, follow_redirects=True)
    assert response.status_code == 200
    row = instance_row(app, iid)
    assert row["status"] == "completed"
    assert row["data"]["booked"] == 50
    page = text(browser.last_html)
    assert "COMPLETED" in page.upper() and "Instance completed" in page

    browser.get(f"/tasks/{approve['id']}")
    page = text(browser.last_html)
    assert "By mgr@test.example" in page and "Approved Yes" in page


def test_completing_someone_elses_task_is_a_friendly_403(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "c1@test.example", groups=("clerks",))
    make_user(app, "c2@test.example", groups=("clerks",))
    api.deploy(ADMIN, "expense.bpmn")
    api.user("c1@test.example", groups=("clerks",))
    started = api.start("expense_claim", "c1@test.example").get_json()
    task_id = started["open_tasks"][0]["id"]
    assert api.claim(task_id, "c1@test.example").status_code == 200

    browser.login("c2@test.example")
    browser.get(f"/tasks/{task_id}")
    assert "c1@test.example holds this task" in browser.last_html
    assert ">Complete<" not in browser.last_html and ">Claim<" not in browser.last_html
    response = browser.post(f"/tasks/{task_id}/complete", {"amount": "5", "purpose": "x"})
    assert response.status_code == 403
    page = browser.last_html
    assert "Not yours to do" in page and "c1@test.example" in page and "Traceback" not in page
    assert open_tasks(app, started["id"])[0]["assignee"] == "c1@test.example"


def test_completing_a_task_twice_says_so(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "clerk@test.example", groups=("clerks",))
    api.deploy(ADMIN, "expense.bpmn")
    started = api.start("expense_claim", ADMIN).get_json()
    task_id = started["open_tasks"][0]["id"]
    browser.login("clerk@test.example")
    browser.get(f"/tasks/{task_id}")
    browser.post(f"/tasks/{task_id}/complete", {"amount": "5", "purpose": "Lunch"})
    browser.get(f"/tasks/{task_id}")
    response = browser.post(
        f"/tasks/{task_id}/complete", {"amount": "6", "purpose": "Again"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "already completed" in browser.last_html
    assert "Lunch" in browser.last_html and "Again" not in browser.last_html


def test_instance_page_shows_status_open_tasks_owner_and_history(
    app: Flask, api: Api, browser: Browser
) -> None:
    api.deploy(ADMIN, "expense.bpmn")
    started = api.start("expense_claim", ADMIN, business_key="EXP-9").get_json()
    browser.login(ADMIN)
    browser.get(f"/instances/{started['id']}")
    page = browser.last_html
    assert 'class="badge badge--running"' in page
    assert "EXP-9" in page
    assert "Enter expense" in page and "clerks (group)" in page
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    assert timeline, "no timeline"
    assert "Started the instance" in timeline.group(1)
    assert "Task “Enter expense” opened" in timeline.group(1)
    assert "<code>enter</code>" in timeline.group(1)
    assert ">Cancel instance<" in page

    browser.post(f"/instances/{started['id']}/cancel", follow_redirects=True)
    assert 'class="badge badge--cancelled"' in browser.last_html
    assert instance_row(app, started["id"])["status"] == "cancelled"


def test_instance_list_filters_and_hides_what_i_may_not_see(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "out@test.example", roles=("participant",))
    api.deploy(ADMIN, "expense.bpmn")
    first = api.start("expense_claim", ADMIN).get_json()
    browser.login(ADMIN)
    browser.get("/instances?status=running")
    assert f'href="/instances/{first["id"]}"' in browser.last_html
    browser.get("/instances?status=completed")
    assert "No instances match these filters." in browser.last_html
    browser.post("/logout")
    browser.login("out@test.example")
    browser.get("/instances")
    assert f'href="/instances/{first["id"]}"' not in browser.last_html
    assert browser.get(f"/instances/{first['id']}").status_code == 404


def test_auditor_sees_but_cannot_act(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "aud@test.example", roles=("auditor",))
    api.deploy(ADMIN, "expense.bpmn")
    started = api.start("expense_claim", ADMIN).get_json()
    task_id = started["open_tasks"][0]["id"]
    browser.login("aud@test.example")
    browser.get(f"/instances/{started['id']}")
    assert "Enter expense" in browser.last_html and ">Cancel instance<" not in browser.last_html
    browser.get(f"/tasks/{task_id}")
    page = browser.last_html
    assert ">Complete<" not in page and ">Claim<" not in page
    assert browser.post(f"/tasks/{task_id}/complete", {"amount": "5", "purpose": "x"}).status_code == 403
    browser.get(f"/tasks/{task_id}")
    assert browser.post(f"/tasks/{task_id}/claim").status_code == 403
    browser.get("/processes")
    assert 'href="/processes/expense_claim/start"' not in browser.last_html
    assert browser.get("/processes/expense_claim/start").status_code == 403
    browser.get(f"/instances/{started['id']}")
    assert browser.post(f"/instances/{started['id']}/cancel").status_code == 403
    assert instance_row(app, started["id"])["status"] == "running"


def test_post_without_csrf_is_a_friendly_400(api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    response = browser.client.post("/logout")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The form expired" in page and "Traceback" not in page and "<main" in page
    assert browser.get("/").status_code == 200  # still signed in


def test_documentation_is_text_not_html(app: Flask, api: Api, browser: Browser) -> None:
    source = (FIXTURES / "expense.bpmn").read_text()
    hostile = source.replace(
        "Type in the amount and what it was for.", "Line one\n&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    api.deploy(ADMIN, files={"expense.bpmn": hostile.encode()})
    started = api.start("expense_claim", ADMIN).get_json()
    browser.login(ADMIN)
    browser.get(f"/tasks/{started['open_tasks'][0]['id']}")
    assert "<script>alert(1)</script>" not in browser.last_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in browser.last_html


def test_unknown_pages_are_friendly_404s(api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    for path in ("/tasks/nope", "/instances/999", "/no-such-page", "/processes/nope/start"):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert "Not found" in browser.last_html and "<main" in browser.last_html
