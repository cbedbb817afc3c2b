"""camunda:calledElementBinding on call activities that call a process of another deployment.

Baton binds when the caller is deployed (bpmn/called.py): "latest" (the default) takes the latest
deployed version, "version" the pinned one, "deployment" insists on the same deployment; what a
deploy-time binding cannot honour is a problem naming file, line and element.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
BPMN_FIXTURES = Path(__file__).parents[1] / "bpmn" / "fixtures"
CALLER = (BPMN_FIXTURES / "caller.bpmn").read_text()
CALLEE = (BPMN_FIXTURES / "callee.bpmn").read_text()


def caller(binding: str) -> bytes:
    return CALLER.replace('calledElement="callee"', f'calledElement="callee" {binding}').encode()


def deploy_callee_versions(api: Api, count: int) -> None:
    for n in range(1, count + 1):
        files = {"callee.bpmn": CALLEE.replace("Inner task", f"Inner task v{n}").encode()}
        assert api.deploy(ADMIN, files=files).status_code == 201


def open_names(api: Api, body: dict[str, Any]) -> list[str]:
    shown = api.call("GET", f"/api/v1/instances/{body['id']}", ADMIN).get_json()
    return sorted(t["name"] for t in shown["open_tasks"])


def finish(api: Api, body: dict[str, Any]) -> None:
    """Complete the called process's task: the call activity, then the caller, complete."""
    shown = api.call("GET", f"/api/v1/instances/{body['id']}", ADMIN).get_json()
    [task] = shown["open_tasks"]
    done = api.complete(task["id"], ADMIN, {})
    assert done.status_code == 200 and done.get_json()["status"] == "completed", done.get_json()


def test_a_pinned_version_is_called_not_the_latest(api: Api) -> None:
    deploy_callee_versions(api, 3)
    pinned = caller('camunda:calledElementBinding="version" camunda:calledElementVersion="2"')
    deployed = api.deploy(ADMIN, files={"caller.bpmn": pinned})
    assert deployed.status_code == 201, deployed.get_json()
    assert any("its version 2" in w["message"] for w in deployed.get_json()["warnings"])
    started = api.start("caller", ADMIN).get_json()
    assert open_names(api, started) == ["Inner task v2"]
    deploy_callee_versions(api, 1)  # a newer version (4) does not move the pin
    pinned_later = api.start("caller", ADMIN).get_json()
    assert open_names(api, pinned_later) == ["Inner task v2"]
    finish(api, started)
    finish(api, pinned_later)


def test_latest_is_the_default_binding(api: Api) -> None:
    deploy_callee_versions(api, 2)
    assert api.deploy(ADMIN, files={"caller.bpmn": caller('camunda:calledElementBinding="latest"')}
                      ).status_code == 201
    started = api.start("caller", ADMIN).get_json()
    assert open_names(api, started) == ["Inner task v2"]
    finish(api, started)


def problem_of(api: Api, binding: str) -> dict[str, Any]:
    response = api.deploy(ADMIN, files={"caller.bpmn": caller(binding)})
    assert response.status_code == 422, response.get_json()
    [problem] = response.get_json()["problems"]
    assert (problem["file"], problem["line"], problem["element_id"]) == ("caller.bpmn", 6, "Call")
    return problem  # type: ignore[no-any-return]


def test_bindings_a_deploy_time_binding_cannot_honour_are_problems_by_element(api: Api) -> None:
    deploy_callee_versions(api, 2)
    missing = problem_of(api, 'camunda:calledElementBinding="version" camunda:calledElementVersion="7"')
    assert "version 7 of process 'callee' is not deployed" in missing["message"]
    no_number = problem_of(api, 'camunda:calledElementBinding="version" camunda:calledElementVersion="${v}"')
    assert "whole number" in no_number["message"]
    tag = problem_of(api, 'camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="1.0"')
    assert "version tags" in tag["message"]
    other_deployment = problem_of(api, 'camunda:calledElementBinding="deployment"')
    assert "deploy the two files together" in other_deployment["message"]
    # ... while "deployment" is right when both are deployed together
    together = {"caller.bpmn": caller('camunda:calledElementBinding="deployment"'),
                "callee.bpmn": CALLEE.encode()}
    assert api.deploy(ADMIN, files=together).status_code == 201
    started = api.start("caller", ADMIN).get_json()
    assert open_names(api, started) == ["Inner task"]
    finish(api, started)
