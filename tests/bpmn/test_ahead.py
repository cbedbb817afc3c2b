"""The road ahead: a walk forward over the diagram, the default flow likely, alternatives marked."""

from __future__ import annotations

from bpmn.ahead import ahead, attachments
from tests.bpmn.helpers import bundle_of


def test_the_default_flow_is_likely_and_the_rest_are_alternatives() -> None:
    definition = bundle_of("ahead_gateway_and_boundary.bpmn").definition("ahead_gateway_and_boundary")
    steps = {s.element_id: s for s in ahead(definition, {"approve"})}
    assert [k for k, s in steps.items() if s.likely] == ["order", "ordered"]
    assert {k for k, s in steps.items() if not s.likely} == {"late", "tell", "chase", "refused", "chased"}
    assert steps["order"].lane == "Legal" and steps["order"].name == "Order goods"
    assert "gw" not in steps and "approve" not in steps  # gateways pass silently; current is not ahead


def test_from_the_start_the_whole_likely_road_shows_and_each_element_once() -> None:
    definition = bundle_of("ahead_gateway_and_boundary.bpmn").definition("ahead_gateway_and_boundary")
    steps = ahead(definition, {"start"})
    ids = [s.element_id for s in steps]
    assert ids[0] == "approve" and len(ids) == len(set(ids))
    assert ahead(definition, {"ordered"}) == []  # an end event: nothing more
    assert ahead(definition, set()) == []


def test_boundary_events_know_their_activity() -> None:
    definition = bundle_of("ahead_gateway_and_boundary.bpmn").definition("ahead_gateway_and_boundary")
    [late] = attachments(definition).values()
    assert (late.element_id, late.attached_to, late.interrupting) == ("late", "approve", False)


def test_a_called_process_goes_on_after_the_call_activity() -> None:
    definition = bundle_of("caller.bpmn", "callee.bpmn").definition("caller")
    ids = [s.element_id for s in ahead(definition, {"Inner"})]
    assert ids == ["EndEvent_c", "EndEvent_1"]
