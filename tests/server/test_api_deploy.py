"""Deploying models through the API: versions, precise problems, permissions."""

from __future__ import annotations

from typing import Any

import pytest

ADMIN = "admin@test.example"


def test_valid_model_deploys_with_its_processes(api: Any) -> None:
    response = api.deploy(ADMIN, "expense.bpmn")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["processes"] == [{"id": "expense_claim", "name": "Expense claim", "version": 1}]
    assert body["version"] == 1 and isinstance(body["id"], int) and body["warnings"] == []
    listed = api.call("GET", "/api/v1/processes", ADMIN).get_json()
    assert [(p["id"], p["version"], p["deployment_id"]) for p in listed] == [("expense_claim", 1, body["id"])]


def test_changed_model_is_a_new_version_and_identical_redeploy_is_a_no_op(api: Any) -> None:
    first = api.deploy(ADMIN, "expense.bpmn").get_json()
    again = api.deploy(ADMIN, "expense.bpmn")
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    changed = (api_fixture_text("expense.bpmn").replace("Expense claim", "Expense claim (v2)")).encode()
    second = api.deploy(ADMIN, files={"expense.bpmn": changed}).get_json()
    assert second["version"] == 2 and second["id"] != first["id"]
    listed = api.call("GET", "/api/v1/processes", ADMIN).get_json()
    assert [(p["id"], p["version"], p["name"]) for p in listed] == [
        ("expense_claim", 2, "Expense claim (v2)")
    ]


def api_fixture_text(name: str) -> str:
    from pathlib import Path

    return (Path(__file__).parent / "fixtures" / name).read_text()


@pytest.mark.parametrize(
    ("name", "line", "element_id", "words"),
    [
        ("broken-ref.bpmn", 56, "s2", "nowhere"),
        ("broken-syntax.bpmn", 5, None, ""),
    ],
)
def test_invalid_model_is_rejected_naming_file_line_and_element(
    api: Any, name: str, line: int, element_id: str | None, words: str
) -> None:
    response = api.deploy(ADMIN, name)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_model" and body["message"]
    problem = body["problems"][0]
    assert problem["file"] == name
    assert problem["line"] == line
    if element_id:
        assert problem["element_id"] == element_id
    assert words in problem["message"]
    assert "Traceback" not in str(body)
    assert api.call("GET", "/api/v1/processes", ADMIN).get_json() == []


def test_doctype_is_rejected_with_file_and_line(api: Any) -> None:
    evil = (
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p">'
        b"&e;</bpmn:process></bpmn:definitions>"
    )
    response = api.deploy(ADMIN, files={"evil.bpmn": evil})
    assert response.status_code == 422
    problem = response.get_json()["problems"][0]
    assert problem["file"] == "evil.bpmn" and problem["line"] == 2
    assert "root:" not in str(response.get_json())


def test_only_analysts_and_admins_deploy(api: Any) -> None:
    api.user("pat@test.example", roles=("participant",))
    api.user("ana@test.example", roles=("analyst",))
    assert api.deploy("pat@test.example", "expense.bpmn").status_code == 403
    assert api.deploy("ana@test.example", "expense.bpmn").status_code == 201


def test_other_file_types_and_empty_uploads_are_refused(api: Any) -> None:
    response = api.deploy(ADMIN, files={"notes.txt": b"hello"})
    assert response.status_code == 422
    assert response.get_json()["problems"][0]["file"] == "notes.txt"
    empty = api.call("POST", "/api/v1/deployments", ADMIN, data={}, content_type="multipart/form-data")
    assert empty.status_code == 400 and empty.get_json()["error"] == "bad_request"


def test_api_needs_a_valid_token(api: Any) -> None:
    assert api.client.get("/api/v1/processes").status_code == 401
    bad = api.client.get("/api/v1/processes", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.get_json()["error"] == "unauthorized"
