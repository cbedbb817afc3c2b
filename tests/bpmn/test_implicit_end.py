"""Implicit ends (bpmn/implicit_end.py): a last activity or event without an outgoing sequence flow
ends its path, and the process, subprocess or called process completes with the variables its paths
produced (they came back `{}` before), recording only the model's own elements in its engine steps and
road ahead. A gateway without an outgoing flow is a deploy problem naming it.

Models are parsed inside each test, so the element coverage table credits the test with what it runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

import bpmn
from bpmn.ahead import ahead
from tests.bpmn.helpers import FIXTURES, bundle_of

FIXTURE = "implicit_end.bpmn"


def start(process_id: str, data: dict[str, Any] | None = None, *fixtures: str) -> bpmn.Instance:
    # Through the stored form of the definition, as the server keeps it.
    bundle = bundle_of(*(fixtures or (FIXTURE,)))
    definition = bpmn.Definition.from_dict(bundle.definition(process_id).to_dict())
    return bpmn.Instance.start(definition, data or {})


def reload(inst: bpmn.Instance) -> bpmn.Instance:
    return bpmn.Instance.load(inst.definition, inst.dump())


def complete(inst: bpmn.Instance, name: str, data: dict[str, Any] | None = None) -> bpmn.Instance:
    """Complete the open human task called `name` in a freshly loaded copy, as a request would."""
    inst = reload(inst)
    task = next(t for t in inst.human_tasks() if t.name == name)
    inst.complete(task.id, data or {})
    return inst


def model_ids(fixture: str = FIXTURE) -> set[str]:
    root = etree.parse(str(FIXTURES / fixture)).getroot()
    return {element.get("id") for element in root.iter()
            if isinstance(element.tag, str) and element.get("id")}


def steps_of(inst: bpmn.Instance) -> tuple[list[str], list[tuple[str, ...]]]:
    """The elements the engine completed or began waiting at, and the flows it took, in this change;
    every id among them must be one of the model's (nothing the engine adds itself)."""
    steps = inst.engine_steps()
    elements = [s.element_id for s in steps.completed + steps.reached]
    ids = model_ids()
    assert set(elements) <= ids
    assert {end for flow in steps.flows for end in flow[:2]} <= ids
    return elements, list(steps.flows)


def test_a_last_script_task_hands_its_variables_to_the_process() -> None:
    inst = start("ie_script_last")
    inst = complete(inst, "Enter the amount", {"amount": 4})
    assert inst.status == "completed"
    assert inst.data == {"amount": 4, "total": 8}
    elements, flows = steps_of(inst)
    assert elements == ["a_price"]
    assert flows == [("a_enter", "a_price")]
    assert reload(inst).data == {"amount": 4, "total": 8}


def test_a_last_user_task_hands_its_form_to_the_process() -> None:
    inst = start("ie_user_last")
    assert inst.status == "running"
    inst = complete(inst, "Confirm", {"ok": True})
    assert inst.status == "completed"
    assert inst.data == {"greeting": "hello", "ok": True}
    assert steps_of(inst) == ([], [])  # the user task's own events say it; nothing else ran


def test_a_parallel_branch_ending_implicitly_merges_with_one_ending_at_an_end_event() -> None:
    inst = start("ie_parallel")
    assert inst.status == "running"  # the left branch is done; the right one waits for Check
    inst = complete(inst, "Check", {"checked": 1})
    assert inst.status == "completed"
    assert inst.data == {"left": 1, "checked": 1, "right": 2}
    elements, flows = steps_of(inst)
    assert elements == ["c_right"] and flows == [("c_check", "c_right")]


def test_an_implicit_end_reached_first_waits_for_the_other_branch() -> None:
    inst = start("ie_parallel_first")
    assert inst.status == "running"
    assert [t.name for t in inst.human_tasks()] == ["Sign"]
    assert "l_note" in steps_of(inst)[0]
    inst = complete(inst, "Sign", {"signed_by": "ann"})
    assert inst.status == "completed"
    assert inst.data == {"noted": "yes", "signed_by": "ann"}


def test_an_embedded_subprocess_without_an_end_event_returns_its_variables() -> None:
    inst = start("ie_embedded", {"size": 3})
    assert [t.name for t in inst.human_tasks()] == ["Review"]
    inst = complete(inst, "Review", {"reviewed": True})
    assert inst.failures() == []
    assert inst.status == "completed"
    assert inst.data == {"size": 3, "reviewed": True, "label": "box 3", "shown": "BOX 3"}
    steps = inst.engine_steps()
    assert [(s.element_id, s.process) for s in steps.completed] == [
        ("d_sub", None), ("d_after", None), ("d_end", None), ("d_inner", "d_sub")]
    assert sorted(steps.flows) == [
        ("d_after", "d_end"), ("d_review", "d_inner", "d_sub"), ("d_sub", "d_after")]
    steps_of(inst)


@pytest.mark.parametrize(("size", "data"), [
    (3, {"size": 3, "kind": "small", "summary": "small/3"}),  # the implicit end
    (30, {"size": 30, "kind": "unknown", "summary": "unknown/30"}),  # the end event
])
def test_an_embedded_subprocess_with_both_kinds_of_end(size: int, data: dict[str, Any]) -> None:
    inst = start("ie_embedded_choice", {"size": size, "kind": "unknown"})
    assert inst.status == "completed"
    assert inst.data == data
    steps_of(inst)


def test_a_called_process_ending_implicitly_returns_its_variables_to_the_caller() -> None:
    inst = start("ie_caller")
    assert [t.name for t in inst.human_tasks()] == ["Approve the price"]
    inst = complete(inst, "Approve the price", {"ok": True})
    assert inst.status == "completed"
    # the caller ends implicitly too, after its own script
    assert inst.data == {"ok": True, "price": 41, "gross": 42}
    steps = inst.engine_steps()
    assert [(s.element_id, s.process) for s in steps.completed] == [
        ("f_call", None), ("f_after", None), ("g_price", "ie_called")]
    steps_of(inst)


def test_camunda_out_takes_back_a_variable_of_a_called_process_ending_implicitly() -> None:
    inst = complete(start("ie_caller_out"), "Approve the price", {"ok": True})
    assert inst.status == "completed"
    assert inst.data == {"quoted": 41}  # camunda:out takes back only what it names


def test_the_normal_path_of_an_activity_with_boundary_events_ends_implicitly() -> None:
    inst = complete(start("ie_boundary"), "Approve", {"ok": True})
    assert inst.status == "completed"
    assert inst.data == {"ok": True, "outcome": "approved"}


def test_the_path_behind_an_interrupting_boundary_timer_ends_implicitly() -> None:
    inst = start("ie_boundary", {"asked": "ann"})
    inst = reload(inst)
    inst.fire_due_timers(datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=11))
    assert inst.status == "completed"
    assert inst.data == {"asked": "ann", "outcome": "expired"}
    elements, flows = steps_of(inst)
    assert elements == ["i_late", "i_expired"]
    assert ("i_late", "i_expired") in flows


def test_a_boundary_event_without_an_outgoing_flow_ends_its_path_with_its_variables() -> None:
    inst = reload(start("ie_boundary", {"asked": "ann"}))
    assert inst.deliver_message("withdraw", {"why": "changed mind"})
    assert inst.status == "completed"
    assert inst.human_tasks() == [] and inst.waiting() == []
    assert inst.data == {"asked": "ann", "why": "changed mind"}
    assert steps_of(inst)[0] == ["i_withdrawn"]


def test_an_event_subprocess_ending_implicitly_ends_the_process_with_its_variables() -> None:
    inst = reload(start("ie_event_subprocess", {"order": 7}))
    assert inst.deliver_message("withdraw", {"why": "changed mind"})
    assert inst.status == "completed"
    assert inst.human_tasks() == []
    assert inst.data == {"order": 7, "why": "changed mind", "refunded": True}
    steps = inst.engine_steps()
    assert [(s.element_id, s.process) for s in steps.completed] == [
        ("j_withdraw", None), ("j_withdraw_start", "j_withdraw"), ("j_refund", "j_withdraw")]
    steps_of(inst)


def test_an_event_subprocess_that_never_fires_does_not_end_the_process_early() -> None:
    inst = start("ie_event_subprocess", {"order": 7})
    assert inst.status == "running"
    assert [w.kind for w in inst.waiting()] == ["message"]
    inst = complete(inst, "Pack", {"packed": True})
    assert inst.status == "completed"
    assert inst.data == {"order": 7, "packed": True}
    assert inst.waiting() == []


def test_an_intermediate_event_as_the_last_element() -> None:
    inst = start("ie_event_last")
    assert inst.status == "completed"
    assert inst.data == {"flag": True}
    assert steps_of(inst)[0] == ["k_start", "k_set", "k_reached"]


def test_spiffarena_service_and_business_rule_tasks_ending_implicitly() -> None:
    inst = start("ie_spiff", {"amount": 7}, "implicit_end_spiff.bpmn", "classify_amount.dmn")
    assert inst.status == "running"
    [service] = inst.service_tasks()
    inst = reload(inst)
    assert inst.complete_service(service.task_id, {"statusCode": 200, "body": {"name": "pen"}})
    assert inst.status == "completed"
    assert inst.data == {"amount": 7, "category": "small",
                         "fetched": {"statusCode": 200, "body": {"name": "pen"}}}


@pytest.mark.parametrize(("process_id", "here", "road"), [
    # an implicit end inside an embedded subprocess goes on after the subprocess
    ("ie_embedded", ["d_review"], ["d_inner", "d_after", "d_end"]),
    # and one in a called process after the call activity
    ("ie_caller", ["g_approve"], ["g_price", "f_after"]),
    ("ie_script_last", ["a_enter"], ["a_price"]),
    ("ie_parallel", ["c_check"], ["c_right"]),
])
def test_the_road_ahead_passes_implicit_ends_silently(process_id: str, here: list[str],
                                                       road: list[str]) -> None:
    steps = ahead(bundle_of(FIXTURE).definition(process_id), here)
    assert [s.element_id for s in steps] == road
    assert all(s.likely for s in steps)


def _gateway_model(gateway: str, *, nested: bool) -> bytes:
    inner = f"""
      <bpmn:startEvent id="s" />
      <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
      <bpmn:userTask id="t" name="T" />
      <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="g" />
      <bpmn:{gateway} id="g" name="Where now?" />"""
    if nested:
        inner = f"""
      <bpmn:startEvent id="top" />
      <bpmn:sequenceFlow id="f0" sourceRef="top" targetRef="sub" />
      <bpmn:subProcess id="sub">{inner}
      </bpmn:subProcess>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="http://t">
  <bpmn:process id="gw" isExecutable="true">{inner}
  </bpmn:process>
</bpmn:definitions>
""".encode()


@pytest.mark.parametrize("nested", [False, True])
@pytest.mark.parametrize("gateway", ["exclusiveGateway", "inclusiveGateway", "parallelGateway",
                                     "eventBasedGateway"])
def test_a_gateway_without_an_outgoing_flow_is_a_deploy_problem(gateway: str, nested: bool) -> None:
    model = _gateway_model(gateway, nested=nested)
    with pytest.raises(bpmn.ModelInvalid) as caught:
        bpmn.parse_bundle({"gw.bpmn": model})
    [problem] = caught.value.problems
    gateway_line = model[:model.index(b'id="g"')].count(b"\n") + 1
    assert (problem.file, problem.line, problem.element_id) == ("gw.bpmn", gateway_line, "g")
    assert problem.message.startswith(f"this <{gateway}> has no outgoing sequence flow")


def test_a_subprocess_still_needs_exactly_one_start_event() -> None:
    model = _gateway_model("exclusiveGateway", nested=True)
    for element in (b'<bpmn:startEvent id="s" />',
                    b'<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />',
                    b'<bpmn:exclusiveGateway id="g" name="Where now?" />',
                    b'<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="g" />'):
        model = model.replace(element, b"")
    with pytest.raises(bpmn.ModelInvalid) as caught:
        bpmn.parse_bundle({"sub.bpmn": model})
    [problem] = caught.value.problems
    assert problem.element_id == "sub"
    assert "Exactly one start event is required" in problem.message
