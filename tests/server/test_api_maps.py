"""Map -> Model over the API and the CLI: convert, get warnings or problems, deploy and run the result."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from server.maps_cli import map_to_bpmn_command

ADMIN = "admin@test.example"
ANALYST, CLERK = "analyst@test.example", "clerk@test.example"
MAPS = Path(__file__).parents[1] / "bpmn" / "maps" / "fixtures"
PURCHASE = """# Purchase approval

1. Request purchase (Staff, 1 day)
   - amount (number)
   - quote (document)
2. Approve purchase (Finance, 4h): approve or reject; if rejected go back to 1
"""


def _convert(api: Any, as_user: str, **body: Any) -> Any:
    return api.call("POST", "/api/v1/maps/convert", as_user, json=body)


def _upload(api: Any, as_user: str, name: str, content: bytes, **form: str) -> Any:
    data: dict[str, Any] = {"file": (io.BytesIO(content), name), **form}
    return api.call("POST", "/api/v1/maps/convert", as_user, data=data, content_type="multipart/form-data")


def test_an_analyst_converts_text_and_the_model_deploys_and_runs(api: Any) -> None:
    api.user(ANALYST, roles=("analyst",))
    api.user(CLERK, groups=("staff", "finance"))
    response = _convert(api, ANALYST, text=PURCHASE, format="markdown", process_name="Purchase approval")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["process_id"] == "purchase_approval" and body["warnings"] == []
    assert body["bpmn"].startswith("<?xml") and 'camunda:candidateGroups="Finance"' in body["bpmn"]

    deployed = api.deploy(ADMIN, files={"purchase_approval.bpmn": body["bpmn"].encode()})
    assert deployed.status_code == 201, deployed.get_json()
    started = api.start("purchase_approval", CLERK)
    assert started.status_code == 201, started.get_json()
    [task] = api.tasks(CLERK, instance_id=started.get_json()["id"])
    assert task["name"] == "Request purchase" and task["candidate_groups"] == ["Staff"]
    assert [f["id"] for f in task["form"]["fields"]] == ["amount", "quote"]
    assert api.complete(task["id"], CLERK, {"amount": 300, "quote": "Q-17"}).status_code == 200
    [approval] = api.tasks(CLERK, instance_id=started.get_json()["id"])
    decision = next(f for f in approval["form"]["fields"] if f["id"] == "approve_purchase_decision")
    assert [o["id"] for o in decision["options"]] == ["approve", "reject"]
    done = api.complete(approval["id"], CLERK, {"approve_purchase_decision": "approve"})
    assert done.status_code == 200, done.get_json()
    assert api.tasks(CLERK, instance_id=started.get_json()["id"]) == []


def test_warnings_come_back_with_line_and_suggestion(api: Any) -> None:
    text = "1. Submit (Staff)\n2. Review (Finance, 2 dayz)\n"
    response = _convert(api, ADMIN, text=text, format="text", process_name="Review")
    assert response.status_code == 200
    [warning] = response.get_json()["warnings"]
    assert warning["line"] == 2 and "2 dayz" in warning["message"] and warning["suggestion"]


def test_a_map_without_steps_is_422_with_problems(api: Any) -> None:
    response = _convert(
        api, ADMIN, text="# Notes\n\n3 Approve the thing\n", format="markdown", process_name="x"
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid_map"
    assert [p["line"] for p in body["problems"]] == [3, None]
    assert all(set(p) == {"line", "message", "suggestion"} for p in body["problems"])


def test_uploads_take_their_format_from_the_extension(api: Any) -> None:
    csv = (MAPS / "employee_onboarding.csv").read_bytes()
    response = _upload(api, ADMIN, "employee_onboarding.csv", csv)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["process_id"] == "employee_onboarding"
    markdown = _upload(api, ADMIN, "map.md", (MAPS / "vendor_onboarding.md").read_bytes())
    assert markdown.get_json()["process_id"] == "vendor_onboarding"  # named by its heading
    named = _upload(api, ADMIN, "map.tsv", (MAPS / "purchase_approval.tsv").read_bytes(), process_name="Buy")
    assert named.status_code == 200 and named.get_json()["process_id"] == "buy"


def test_an_xlsx_upload_converts(api: Any) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["Step", "Owner", "SLA", "Next"],
        ["Draft", "Legal", "2 days", None],
        ["Sign", "Counterparty", "5 days", "signed -> end; changes -> 1"],
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(api, ADMIN, "contract.xlsx", buffer.getvalue())
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["process_id"] == "contract"
    broken = _upload(api, ADMIN, "broken.xlsx", b"not a workbook")
    assert broken.status_code == 422 and "xlsx" in broken.get_json()["problems"][0]["message"]


def test_requests_the_api_cannot_read_are_400(api: Any) -> None:
    assert _convert(api, ADMIN, format="markdown").status_code == 400
    bad_format = _convert(api, ADMIN, text="1. A (B)", format="docx")
    assert bad_format.status_code == 400 and bad_format.get_json()["field"] == "format"
    assert _upload(api, ADMIN, "map.pdf", b"%PDF").status_code == 400


def test_only_analysts_and_admins_convert(api: Any) -> None:
    api.user(CLERK)
    assert _convert(api, CLERK, text=PURCHASE, format="markdown").status_code == 403
    anonymous = api.client.post("/api/v1/maps/convert", json={"text": PURCHASE})
    assert anonymous.status_code == 401


def test_the_cli_writes_the_model_and_reports_warnings(tmp_path: Path) -> None:
    source = tmp_path / "review.md"
    source.write_text("1. Submit (Staff)\n2. Review (Finance, 2 dayz)\n")
    out = tmp_path / "review.bpmn"
    result = CliRunner().invoke(map_to_bpmn_command, [str(source), "-o", str(out), "--name", "Review"])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<?xml") and 'id="review"' in out.read_text()
    assert f"Warning: {source}:2: step 2: '2 dayz'" in result.output
    to_stdout = CliRunner().invoke(map_to_bpmn_command, [str(MAPS / "purchase_approval.tsv")])
    assert to_stdout.exit_code == 0 and 'id="purchase_approval"' in to_stdout.output


def test_the_cli_fails_with_the_problems(tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("Nothing to see here.\n")
    result = CliRunner().invoke(map_to_bpmn_command, [str(source)])
    assert result.exit_code == 1 and f"Error: {source}:-: no steps were found" in result.output
    unknown = tmp_path / "map.docx"
    unknown.write_text("1. A (B)")
    assert CliRunner().invoke(map_to_bpmn_command, [str(unknown)]).exit_code == 2
