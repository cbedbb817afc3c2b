"""Implicit ends over the API (bpmn/implicit_end.py): an instance whose embedded subprocess, called
process and own last task have no outgoing flow completes with its final variables, and its road
ahead, live diagram and heatmap show only the model's own elements and flows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
MODEL = Path(__file__).parents[1] / "bpmn" / "fixtures" / "implicit_end.bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _ids(*, flows: bool) -> set[str]:
    root = etree.parse(str(MODEL)).getroot()
    return {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")
            and (e.tag == f"{{{BPMN_NS}}}sequenceFlow") == flows}


def _get(api: Api, path: str, **query: Any) -> Any:
    response = api.call("GET", path, ADMIN, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _complete_only_task(api: Api, iid: int, data: dict[str, Any]) -> None:
    [task] = api.tasks(ADMIN, instance_id=iid)
    assert api.complete(task["id"], ADMIN, data).status_code == 200


def test_an_embedded_subprocess_ending_implicitly(api: Api) -> None:
    assert api.deploy(ADMIN, files={MODEL.name: MODEL.read_bytes()}).status_code == 201
    started = api.start("ie_embedded", ADMIN, {"size": 3})
    assert started.status_code == 201, started.get_json()
    iid = started.get_json()["id"]

    ahead = _get(api, f"/api/v1/instances/{iid}/progress")["ahead"]
    assert [s["element_id"] for s in ahead] == ["d_inner", "d_after", "d_end"]

    _complete_only_task(api, iid, {"reviewed": True})
    instance = _get(api, f"/api/v1/instances/{iid}")
    assert instance["status"] == "completed"
    assert instance["data"] == {"size": 3, "reviewed": True, "label": "box 3", "shown": "BOX 3"}

    body = _get(api, f"/api/v1/instances/{iid}/diagram")
    # the subprocess is drawn inside its process: its elements are on the same diagram
    assert {k: v["state"] for k, v in body["elements"].items()} == dict.fromkeys(
        ["d_start", "d_sub", "d_sub_start", "d_review", "d_inner", "d_after", "d_end"], "completed")
    assert sorted(body["flows_taken"]) == ["d1", "d2", "d3", "d_s1", "d_s2"]

    heatmap = _get(api, "/api/v1/processes/ie_embedded/versions/1/heatmap")
    assert {e["id"] for e in heatmap["elements"]} <= _ids(flows=False)
    assert {f["id"] for f in heatmap["flows"]} <= _ids(flows=True)
    assert {e["id"] for e in heatmap["elements"]} >= {"d_sub", "d_after", "d_end"}


def test_a_called_process_and_its_caller_ending_implicitly(api: Api) -> None:
    assert api.deploy(ADMIN, files={MODEL.name: MODEL.read_bytes()}).status_code == 201
    iid = api.start("ie_caller", ADMIN).get_json()["id"]
    ahead = _get(api, f"/api/v1/instances/{iid}/progress")["ahead"]
    assert [s["element_id"] for s in ahead] == ["g_price", "f_after"]

    _complete_only_task(api, iid, {"ok": True})
    instance = _get(api, f"/api/v1/instances/{iid}")
    assert (instance["status"], instance["data"]) == ("completed", {"ok": True, "price": 41, "gross": 42})
    body = _get(api, f"/api/v1/instances/{iid}/diagram")
    states = {k: v["state"] for k, v in body["elements"].items()}
    assert set(states) <= _ids(flows=False)
    assert {k: states.get(k) for k in ("f_start", "f_call", "f_after")} == dict.fromkeys(
        ("f_start", "f_call", "f_after"), "completed")
    assert [f for f in body["flows_taken"] if f.startswith("f")] == ["f1", "f2"]
    called = _get(api, f"/api/v1/instances/{iid}/diagram", process="ie_called")
    assert {k: v["state"] for k, v in called["elements"].items()} == dict.fromkeys(
        ("g_start", "g_approve", "g_price"), "completed")
    assert called["flows_taken"] == ["g1", "g2"]
