"""In a real browser: the case page's progress view redraws itself when a task is completed elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser.conftest import sign_in

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
BOSS = "boss@test.example"
SERVER_FIXTURES = Path(__file__).resolve().parents[1] / "server" / "fixtures"


def test_the_progress_section_follows_a_task_completed_through_the_api(api: Api, page: Any) -> None:
    api.user(BOSS)
    api.user("lena@test.example", groups=("legal",))
    files = {"progress_purchase.bpmn": (SERVER_FIXTURES / "progress_purchase.bpmn").read_bytes()}
    assert api.deploy(ADMIN, files=files).status_code == 201
    instance_id = api.start("progress_purchase", ADMIN, {"approver": BOSS}).get_json()["id"]
    sign_in(page, BOSS)
    page.goto(f"/instances/{instance_id}")
    next_text = page.locator("#progress .progress-next-text")
    assert next_text.inner_text().startswith("You: complete “Approve purchase”")
    assert "Approve purchase" in page.inner_text('#progress [data-part="current"]')

    [task] = api.tasks(BOSS, mine=1)
    assert api.complete(task["id"], BOSS, {"reason": "needed", "approved": True}).status_code == 200

    page.wait_for_function(
        "document.querySelector('#progress .progress-next-text').textContent.startsWith('Waiting on legal')"
    )
    current = page.inner_text('#progress [data-part="current"]')
    assert "Order goods" in current and "Approve purchase" not in current
    assert "Ordered" in page.inner_text('#progress [data-part="ahead"]')
    assert page.locator("#progress .ahead-step--alternative").count() == 0
    assert page.js_errors == []
    # A reload (no script needed) shows the same.
    page.goto(f"/instances/{instance_id}")
    assert page.locator("#progress .progress-next-text").inner_text().startswith("Waiting on legal")
