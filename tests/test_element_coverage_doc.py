"""scripts/element_coverage.py turns the plugin's evidence into rows with an honest status per dialect.

Fed a hand-written evidence JSON over two small models (one Camunda 7, one SpiffArena), not a test run.
"""

from __future__ import annotations

from pathlib import Path

from scripts.element_coverage import GROUPS, Row, _mentions, analyse, build, not_covered

CAMUNDA = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d1" targetNamespace="t">
  <bpmn:process id="approve" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:userTask id="review" camunda:assignee="${owner}">
      <bpmn:extensionElements>
        <camunda:formData><camunda:formField id="amount" type="long"/></camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="remind" attachedToRef="review" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

SPIFF = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d2" targetNamespace="t">
  <bpmn:process id="route" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:manualTask id="read">
      <bpmn:extensionElements>
        <spiffworkflow:instructionsForEndUser>Read it</spiffworkflow:instructionsForEndUser>
      </bpmn:extensionElements>
    </bpmn:manualTask>
    <bpmn:complexGateway id="cg"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>
"""

EVIDENCE = {
    "version": 1,
    "tests": {
        "tests/bpmn/test_a.py::test_review_runs": {
            "parses": [{"files": [{"name": "approve.bpmn", "digest": "A"}], "outcome": "deployed",
                        "problems": []}],
            "completed": ["start", "review", "end"], "decided": []},
        "tests/bpmn/test_a.py::test_assignee_warns": {
            "parses": [{"files": [{"name": "approve.bpmn", "digest": "A"}], "outcome": "deployed",
                        "problems": [{"element_id": "review", "severity": "warning",
                                      "message": "the assignee expression is evaluated late"}]}],
            "completed": [], "decided": []},
        "tests/bpmn/test_b.py::test_complex_gateway_is_rejected": {
            "parses": [{"files": [{"name": "route.bpmn", "digest": "B"}], "outcome": "rejected",
                        "problems": [{"element_id": "cg", "severity": "error",
                                      "message": "Baton does not run complex gateways"}]}],
            "completed": [], "decided": []},
    },
    "models": {"A": {"name": "approve.bpmn", "path": "approve.bpmn"},
               "B": {"name": "route.bpmn", "xml": SPIFF.decode()}},
}


def rows_of(tmp_path: Path) -> tuple[dict[tuple[str, str], Row], str]:
    (tmp_path / "approve.bpmn").write_bytes(CAMUNDA)
    return build(EVIDENCE, tmp_path, [])


def test_dialects_come_from_the_extension_namespace() -> None:
    camunda, spiff = analyse(CAMUNDA), analyse(SPIFF)
    assert camunda is not None and camunda.dialect == "Camunda 7"
    assert spiff is not None and spiff.dialect == "SpiffArena"
    assert analyse(b"<not-bpmn/>") is None


def test_completed_elements_run_and_the_others_only_deploy(tmp_path: Path) -> None:
    rows, _ = rows_of(tmp_path)
    user_task = rows[(GROUPS[0], "bpmn:userTask")]
    assert user_task.status("Camunda 7") == "runs"
    assert user_task.evidence["Camunda 7"]["runs"] == {"tests/bpmn/test_a.py::test_review_runs"}
    assert user_task.status("SpiffArena") == "not covered"  # on the checklist, in no SpiffArena test
    assert user_task.status("plain BPMN") == "—"
    assert rows[(GROUPS[0], "bpmn:boundaryEvent (timer, non-interrupting)")].status("Camunda 7") == "deploys"
    assert rows[(GROUPS[0], "bpmn:timerEventDefinition (timeDuration, on boundaryEvent)")].status(
        "Camunda 7") == "deploys"
    assert rows[(GROUPS[1], "camunda:formField (type=long)")].status("Camunda 7") == "runs"


def test_a_warning_about_the_feature_is_kept_but_running_wins(tmp_path: Path) -> None:
    rows, _ = rows_of(tmp_path)
    assignee = rows[(GROUPS[1], "camunda:assignee")]
    assert assignee.evidence["Camunda 7"]["warned"] == {"tests/bpmn/test_a.py::test_assignee_warns"}
    assert assignee.status("Camunda 7") == "runs"
    # The warning names the user task but not form fields: they are not "warned".
    assert not rows[(GROUPS[1], "camunda:formField (type=long)")].evidence["Camunda 7"].get("warned")


def test_a_rejection_counts_only_for_the_element_it_names(tmp_path: Path) -> None:
    rows, page = rows_of(tmp_path)
    gateway = rows[(GROUPS[0], "bpmn:complexGateway")]
    assert gateway.status("SpiffArena") == "rejected"
    assert gateway.status("Camunda 7") == "not covered"
    assert rows[(GROUPS[0], "bpmn:manualTask")].status("SpiffArena") == "not covered"
    assert rows[(GROUPS[2], "spiffworkflow:instructionsForEndUser")].status("SpiffArena") == "not covered"
    missing = not_covered(rows)
    assert "bpmn:complexGateway (rejected at deploy)" in missing["SpiffArena"]
    assert "spiffworkflow:instructionsForEndUser" in missing["SpiffArena"]
    assert "bpmn:userTask" not in missing["Camunda 7"]
    line = next(text for text in page.splitlines() if text.startswith("| `bpmn:complexGateway`"))
    assert "rejected at deploy (1)" in line
    assert "test_b.py::test_complex_gateway_is_rejected" in line
    assert "Baton does not run complex gateways" in line


def test_a_message_is_about_a_short_name_only_with_its_prefix() -> None:
    assert _mentions("camunda:in maps 'x' into the called process", "camunda:in")
    assert not _mentions("camunda:inputOutput is not run in Baton", "camunda:in")
    assert _mentions("data store reference 'Ledger' deploys as documentation", "bpmn:dataStoreReference")
