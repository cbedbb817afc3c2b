"""Concurrent changes to one instance all land: the optimistic lock retries, nothing is lost."""

from __future__ import annotations

import threading
from typing import Any

ADMIN = "admin@test.example"


def test_two_concurrent_completions_of_one_instance_both_land(api: Any, app: Any) -> None:
    api.user("r1@test.example", groups=("reviewers",))
    api.user("r2@test.example", groups=("reviewers",))
    api.deploy(ADMIN, "parallel_review.bpmn")
    for _ in range(5):
        iid = api.start("parallel_review", "r1@test.example").get_json()["id"]
        tasks = {t["element_id"]: t for t in api.tasks("r1@test.example", instance_id=iid)}
        assert set(tasks) == {"legal", "finance"}
        barrier = threading.Barrier(2)
        results: dict[str, int] = {}

        def complete(
            element: str,
            user: str,
            field: str,
            barrier: threading.Barrier = barrier,
            tasks: dict[str, Any] = tasks,
            results: dict[str, int] = results,
        ) -> None:
            client = app.test_client()
            barrier.wait()
            response = client.post(
                f"/api/v1/tasks/{tasks[element]['id']}/complete",
                json={"data": {field: True}},
                headers={"Authorization": f"Bearer {api.tokens[user]}"},
            )
            results[element] = response.status_code

        threads = [
            threading.Thread(target=complete, args=("legal", "r1@test.example", "legal_ok")),
            threading.Thread(target=complete, args=("finance", "r2@test.example", "finance_ok")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert results == {"legal": 200, "finance": 200}
        instance = api.call("GET", f"/api/v1/instances/{iid}", ADMIN).get_json()
        assert instance["status"] == "completed", instance
        assert instance["data"]["legal_ok"] is True and instance["data"]["finance_ok"] is True
        assert instance["data"]["both_ok"] is True
        done = api.tasks(ADMIN, instance_id=iid, state="completed")
        assert sorted(t["completed_by"] for t in done) == ["r1@test.example", "r2@test.example"]
