"""Every corpus model through the API: deployed and started to its first wait state, or rejected
with a problem naming file, line and element. No model crashes or hangs the server."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest

from tests.bpmn.helpers import corpus_files
from tests.bpmn.test_corpus import EXPECTED, START_DATA, Rejected

ADMIN = "admin@test.example"


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_corpus_model_through_the_api(api: Any, path: str) -> None:
    expected = EXPECTED[path]
    files = corpus_files(path)
    data = {"files": [(BytesIO(content), name) for name, content in files.items()]}
    response = api.call("POST", "/api/v1/deployments", ADMIN, data=data, content_type="multipart/form-data")
    body = response.get_json()
    if isinstance(expected, Rejected):
        assert response.status_code == 422, body
        first = body["problems"][0]
        assert (first["file"], first["line"], first["element_id"]) == tuple(expected[:3])
        return
    assert response.status_code == 201, body
    catalog = {p["id"]: p for p in api.call("GET", "/api/v1/processes", ADMIN).get_json()}
    assert set(catalog) == set(expected)
    for process_id, (status, task_names, waits) in expected.items():
        started = api.start(process_id, ADMIN, START_DATA.get(process_id))
        if not catalog[process_id]["startable_in_tasklist"]:  # other processes start it (call activities)
            assert started.status_code == 403, started.get_json()
            continue
        if not catalog[process_id]["startable"]:  # starts by a message or timer, not by hand
            assert started.status_code == 400 and waits, started.get_json()
            continue
        assert started.status_code == 201, started.get_json()
        instance = started.get_json()
        assert instance["status"] == status
        assert sorted(t["name"] for t in instance["open_tasks"]) == task_names
        assert sorted((w["kind"], w["element_id"]) for w in instance["waiting"]) == sorted(
            (kind, element) for kind, element, _ in waits
        )
