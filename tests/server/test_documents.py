"""Documents: file fields on the task page, size and content checks, required uploads, who may download."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.server.conftest import Api, Browser

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
Filing = tuple[Api, Browser, int, str]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


@pytest.fixture
def filing(api: Api, browser: Browser) -> tuple[Api, Browser, int, str]:
    """A case whose open task (owned by its starter, ann) asks for a signed contract."""
    api.user("ann@test.example")
    assert api.deploy("admin@test.example", "document_required.bpmn").status_code == 201
    case = api.start("document_required", "ann@test.example").get_json()
    task_id = api.tasks("ann@test.example", instance_id=case["id"])[0]["id"]
    browser.login("ann@test.example")
    browser.get(f"/tasks/{task_id}")
    return api, browser, case["id"], task_id


def submit(browser: Browser, task_id: str, files: dict[str, tuple[bytes, str]], *,
           follow_redirects: bool = False) -> Any:
    data: dict[str, Any] = {k: (io.BytesIO(v[0]), v[1]) for k, v in files.items()}
    return browser.post(f"/tasks/{task_id}/complete", data, content_type="multipart/form-data",
                        follow_redirects=follow_redirects)


def missing(app: Flask, task_id: str) -> list[dict[str, str]]:
    from server import documents
    from server.db import db
    from server.models import Task

    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task is not None
        return documents.missing_documents(task)


def test_the_task_page_renders_file_inputs(filing: Filing) -> None:
    _, browser, _, _ = filing
    page = browser.last_html
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<input type="file" id="field-contract" name="contract"[^>]* required', page)
    assert re.search(r'<input type="file" id="field-annex" name="annex"', page)


def test_a_required_document_is_a_required_input(app: Flask, filing: Filing) -> None:
    api, browser, case_id, task_id = filing
    assert missing(app, task_id) == [{"id": "contract", "label": "Signed contract"}]
    refused = submit(browser, task_id, {})
    assert refused.status_code == 422 and "Upload a file." in browser.last_html
    api_refused = api.complete(task_id, "ann@test.example", {})
    assert api_refused.status_code == 422
    assert api_refused.get_json()["fields"] == {"contract": "Upload a file."}

    files = {"contract": (PDF, "contract.pdf"), "annex": (office("docx"), "annex.docx")}
    done = submit(browser, task_id, files, follow_redirects=True)
    assert done.status_code == 200
    assert missing(app, task_id) == []
    listed = api.call("GET", f"/api/v1/instances/{case_id}/documents", "ann@test.example").get_json()
    assert [(d["file_name"], d["field_id"], d["uploaded_by"]) for d in listed] == [
        ("contract.pdf", "contract", "ann@test.example"),
        ("annex.docx", "annex", "ann@test.example"),
    ]
    assert listed[0]["sha256"] == hashlib.sha256(PDF).hexdigest() and listed[0]["size"] == len(PDF)
    stored = Path(app.config["INSTANCE_DIR"]) / "documents" / listed[0]["sha256"]
    assert stored.read_bytes() == PDF
    case = api.call("GET", f"/api/v1/instances/{case_id}", "ann@test.example").get_json()
    assert case["status"] == "completed" and case["data"]["contract"] == listed[0]["id"]


def test_a_failed_submit_keeps_the_accepted_upload(app: Flask, filing: Filing) -> None:
    api, browser, case_id, task_id = filing
    files = {"contract": (PDF, "contract.pdf"), "annex": (b"MZ\x90\x00", "annex.pdf")}
    response = submit(browser, task_id, files)
    assert response.status_code == 422
    assert "Uploaded: contract.pdf" in browser.last_html and "its content is" in browser.last_html
    kept = re.search(r'<input type="hidden" name="contract" value="(\d+)">', browser.last_html)
    assert kept
    done = browser.post(f"/tasks/{task_id}/complete", {"contract": kept[1]},
                        content_type="multipart/form-data")
    assert done.status_code == 302
    case = api.call("GET", f"/api/v1/instances/{case_id}", "ann@test.example").get_json()
    assert case["status"] == "completed"


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"MZ\x90\x00binary", "contract.pdf", "named like a PDF but its content is something else"),
        (PNG, "contract.pdf", "named like a PDF but its content is a PNG image"),
        (office("xlsx"), "contract.docx", "named like a Word document but its content is an Excel workbook"),
        (b"%PDF-1.4 but called a picture", "contract.png", "named like a PNG image"),
        (PDF, "contract.exe", "not a kind of file Baton accepts"),
        (b"", "contract.pdf", "is empty"),
    ],
)
def test_content_must_match_the_kind_of_file(app: Flask, filing: Filing, content: bytes, name: str,
                                             words: str) -> None:
    _, browser, _, task_id = filing
    response = submit(browser, task_id, {"contract": (content, name)})
    assert response.status_code == 422
    assert words in browser.last_html.replace("&#34;", '"')
    assert missing(app, task_id) != []


@pytest.mark.parametrize(("content", "name"), [
    (PNG, "scan.png"), (b"\xff\xd8\xff\xe0JFIF", "scan.jpg"), (office("xlsx"), "prices.xlsx"),
    (b"a,b\n1,2\n", "prices.csv"), ("Grüße\n".encode(), "note.txt"),
])
def test_common_kinds_are_accepted(app: Flask, filing: Filing, content: bytes,
                                   name: str) -> None:
    _, browser, _, task_id = filing
    assert submit(browser, task_id, {"contract": (content, name)}).status_code == 302


def test_the_size_limit(app: Flask, filing: Filing) -> None:
    _, browser, _, task_id = filing
    app.config["BATON_MAX_DOCUMENT_MB"] = 0.001  # about 1 KB
    big = PDF + b"0" * 2048
    response = submit(browser, task_id, {"contract": (big, "contract.pdf")})
    assert response.status_code == 422 and "larger than the limit" in browser.last_html
    assert missing(app, task_id) != []
    assert submit(browser, task_id, {"contract": (PDF, "contract.pdf")}).status_code == 302


def test_downloads_only_for_those_who_may_see_the_case(app: Flask, filing: Filing) -> None:
    api, browser, case_id, task_id = filing
    submit(browser, task_id, {"contract": (PDF, "contract.pdf")})
    listed = api.call("GET", f"/api/v1/instances/{case_id}/documents", "ann@test.example").get_json()
    document_id = listed[0]["id"]

    page = browser.client.get(f"/documents/{document_id}")
    assert page.status_code == 200 and page.data == PDF
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in page.headers["Content-Disposition"]
    assert api.call("GET", f"/api/v1/documents/{document_id}", "admin@test.example").data == PDF

    api.user("stranger@test.example")
    assert api.call("GET", f"/api/v1/documents/{document_id}", "stranger@test.example").status_code == 404
    listing = api.call("GET", f"/api/v1/instances/{case_id}/documents", "stranger@test.example")
    assert listing.status_code == 404
    stranger = Browser(app.test_client())
    stranger.login("stranger@test.example")
    assert stranger.get(f"/documents/{document_id}").status_code == 404
    assert app.test_client().get(f"/documents/{document_id}").status_code == 302  # not signed in


def test_a_document_of_another_case_cannot_be_submitted(app: Flask, filing: Filing) -> None:
    api, browser, case_id, task_id = filing
    other = api.start("document_required", "ann@test.example").get_json()
    other_task = api.tasks("ann@test.example", instance_id=other["id"])[0]["id"]
    browser.get(f"/tasks/{other_task}")
    submit(browser, other_task, {"contract": (PDF, "other.pdf")})
    listed = api.call("GET", f"/api/v1/instances/{other['id']}/documents", "ann@test.example").get_json()
    foreign = listed[0]["id"]
    response = api.complete(task_id, "ann@test.example", {"contract": foreign})
    assert response.status_code == 422
    assert "does not belong to this case" in response.get_json()["fields"]["contract"]
    assert case_id != other["id"]


def test_missing_documents_show_in_the_progress_view(filing: Filing) -> None:
    api, browser, case_id, task_id = filing
    view = api.call("GET", f"/api/v1/instances/{case_id}/progress", "ann@test.example").get_json()
    [step] = view["current"]
    assert step["required_inputs"] == [{"id": "contract", "label": "Signed contract", "kind": "document"}]
    submit(browser, task_id, {"annex": (PDF, "annex.pdf")})  # refused: the contract is still missing
    view = api.call("GET", f"/api/v1/instances/{case_id}/progress", "ann@test.example").get_json()
    assert view["current"][0]["required_inputs"] == [
        {"id": "contract", "label": "Signed contract", "kind": "document"}
    ]
