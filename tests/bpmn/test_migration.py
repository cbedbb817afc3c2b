"""Moving a running instance onto another version of its process: the plan, refusals, and the moved
instance running on along the new version's flows (saved and loaded again in between)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bpmn import Definition, Instance, parse_bundle
from bpmn.migration import MigrationRefused, migrate, plan_migration
from tests.bpmn.helpers import FIXTURES

V1 = (FIXTURES / "migration_v1.bpmn").read_text()
V2 = (FIXTURES / "migration_v2_new_step.bpmn").read_text()
BOUNDARY_ON_REVIEW = """
    <bpmn:boundaryEvent id="Late" name="Late" attachedToRef="Review" cancelActivity="true">
      <bpmn:timerEventDefinition id="TED_late">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT2H</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="FL" sourceRef="Late" targetRef="TooLate" />
    <bpmn:endEvent id="TooLate" />
  </bpmn:process>"""


def definition(text: str, process_id: str = "migration_demo", name: str = "model.bpmn") -> Definition:
    return parse_bundle({name: text.encode()}).definition(process_id)


def reload(instance: Instance) -> Instance:
    """Save and load, as the server does between changes."""
    return Instance.load(instance.definition, instance.dump())


def started(wait: str = "PT1H") -> Instance:
    return Instance.start(definition(V1), {"wait": wait})


def test_a_compatible_move_keeps_task_ids_and_due_times_and_follows_the_new_flows() -> None:
    instance = started()
    [review] = instance.human_tasks()
    [timer] = instance.waiting()
    moved, plan = migrate(reload(instance), definition(V2), "version 2")
    assert plan.possible and plan.reasons() == []
    by_element = {e.element_id: e for e in plan.elements}
    assert set(by_element) == {"Review", "Pause"}
    assert by_element["Review"].kind == "user task" and by_element["Review"].task_id == review.id
    assert "It is called 'Review the claim' in version 2." in by_element["Review"].notes
    assert any("new fields remark" in n for n in by_element["Review"].notes)
    assert by_element["Pause"].kind == "timer wait"
    assert any("keeps its due time" in n for n in by_element["Pause"].notes)

    moved = reload(moved)
    [same] = moved.human_tasks()
    assert (same.id, same.name) == (review.id, "Review the claim")
    assert [f["id"] for f in same.form_fields] == ["ok", "remark"]
    assert moved.waiting() == [timer]  # same task id, same due time (v2 says PT5H: not re-armed)

    moved.complete(review.id, {"ok": True})
    moved = reload(moved)
    [check] = moved.human_tasks()
    assert check.element_id == "Check"  # the step version 2 added after the waiting task
    moved.complete(check.id, {})
    assert moved.status == "running"  # the join still waits for the timer branch
    moved.fire_due_timers(datetime.now(UTC) + timedelta(hours=2))
    assert moved.status == "completed"
    assert moved.data["booked"] is True  # version 2's script ran


def test_the_original_instance_is_left_as_it_was() -> None:
    instance = started()
    before = instance.dump()
    migrate(instance, definition(V2), "version 2")
    assert instance.dump() == before and instance.definition.spec.task_specs.get("Check") is None


def test_a_removed_waiting_task_refuses_the_move_and_names_it() -> None:
    instance = started()
    v3 = V1.replace('"Review"', '"Assess"').replace("Review claim", "Assess claim")
    plan = plan_migration(instance, definition(v3), "version 3")
    assert not plan.possible
    [missing] = [e for e in plan.elements if e.outcome != "maps"]
    assert (missing.element_id, missing.outcome) == ("Review", "missing")
    assert "Review" in missing.reason and "version 3 does not have" in missing.reason
    with pytest.raises(MigrationRefused) as caught:
        migrate(instance, definition(v3), "version 3")
    assert caught.value.plan.reasons() == plan.reasons()


def test_a_waiting_task_of_another_type_refuses_the_move() -> None:
    v2 = V1.replace('<bpmn:userTask id="Review" name="Review claim" camunda:candidateGroups="clerks">',
                    '<bpmn:manualTask id="Review" name="Review claim">').replace("</bpmn:userTask>",
                                                                                "</bpmn:manualTask>")
    plan = plan_migration(started(), definition(v2), "version 2")
    [changed] = [e for e in plan.elements if e.outcome != "maps"]
    assert changed.outcome == "changed" and "is a manual task in version 2" in changed.reason


def test_boundary_events_added_to_a_waiting_task_refuse_the_move() -> None:
    plan = plan_migration(started(), definition(V1.replace("  </bpmn:process>", BOUNDARY_ON_REVIEW)), "v2")
    [changed] = [e for e in plan.elements if e.outcome != "maps"]
    assert changed.element_id == "Review" and "boundary events" in changed.reason and "Late" in changed.reason


def test_a_join_that_would_wait_for_a_branch_already_passed_blocks_the_move() -> None:
    instance = started("PT0S")  # the timer branch has reached the join already
    assert [h.element_id for h in instance.human_tasks()] == ["Review"] and instance.waiting() == []
    detour = V1.replace('<bpmn:sequenceFlow id="F5" sourceRef="Pause" targetRef="Join" />',
                        '<bpmn:sequenceFlow id="F5" sourceRef="Pause" targetRef="Log" />'
                        '<bpmn:scriptTask id="Log" name="Log" scriptFormat="python"><bpmn:script>x = 1'
                        '</bpmn:script></bpmn:scriptTask>'
                        '<bpmn:sequenceFlow id="F5b" sourceRef="Log" targetRef="Join" />')
    plan = plan_migration(instance, definition(detour), "version 2")
    assert not plan.possible and len(plan.blocked) == 1 and "'Log'" in plan.blocked[0]
    # ... while a step added on the branch still to come is fine:
    moved, _ = migrate(instance, definition(V2), "version 2")
    [review] = moved.human_tasks()
    moved.complete(review.id, {})
    [check] = moved.human_tasks()
    moved.complete(check.id, {})
    assert moved.status == "completed"


def test_finished_steps_the_new_version_lacks_leave_the_history() -> None:
    instance = started()
    renamed = V1.replace('"Fork"', '"Split"')
    moved, plan = migrate(instance, definition(renamed), "version 2")
    assert plan.history_dropped == ("Fork",)
    moved = reload(moved)
    [review] = moved.human_tasks()
    moved.complete(review.id, {})
    moved.fire_due_timers(datetime.now(UTC) + timedelta(hours=2))
    assert moved.status == "completed"


def test_a_running_subprocess_moves_and_takes_its_new_inner_step() -> None:
    text = (FIXTURES / "migration_subprocess.bpmn").read_text()
    v2 = text.replace('<bpmn:sequenceFlow id="S2" sourceRef="Fill" targetRef="SubDone" />',
                      '<bpmn:sequenceFlow id="S2" sourceRef="Fill" targetRef="Verify" />'
                      '<bpmn:userTask id="Verify" name="Verify" />'
                      '<bpmn:sequenceFlow id="S3" sourceRef="Verify" targetRef="SubDone" />')
    instance = Instance.start(definition(text, "migration_subprocess"))
    [fill] = instance.human_tasks()
    moved, plan = migrate(instance, definition(v2, "migration_subprocess"), "version 2")
    assert {(e.element_id, e.kind) for e in plan.elements} == {("Sub", "subprocess"), ("Fill", "user task")}
    moved = reload(moved)
    moved.complete(fill.id, {})
    [verify] = reload(moved).human_tasks()
    assert verify.element_id == "Verify"
    moved.complete(verify.id, {})
    assert moved.status == "completed"


def test_a_called_process_moves_with_its_caller() -> None:
    caller = (FIXTURES / "caller.bpmn").read_bytes()
    callee = (FIXTURES / "callee.bpmn").read_text()
    v1 = parse_bundle({"caller.bpmn": caller, "callee.bpmn": callee.encode()}).definition("caller")
    callee2 = callee.replace('<bpmn:sequenceFlow id="Flow_c2" sourceRef="Inner" targetRef="EndEvent_c" />',
                             '<bpmn:sequenceFlow id="Flow_c2" sourceRef="Inner" targetRef="Extra" />'
                             '<bpmn:userTask id="Extra" name="Extra" />'
                             '<bpmn:sequenceFlow id="Flow_c3" sourceRef="Extra" targetRef="EndEvent_c" />')
    v2 = parse_bundle({"caller.bpmn": caller, "callee.bpmn": callee2.encode()}).definition("caller")
    instance = Instance.start(v1)
    [inner] = instance.human_tasks()
    moved, plan = migrate(instance, v2, "version 2")
    assert ("Call", "call activity (callee)") in {(e.element_id, e.kind) for e in plan.elements}
    moved = reload(moved)
    moved.complete(inner.id, {})
    [extra] = moved.human_tasks()
    moved.complete(extra.id, {})
    assert extra.element_id == "Extra" and moved.status == "completed"


def test_a_waiting_boundary_event_moves_and_still_fires() -> None:
    text = (FIXTURES / "message_boundary_and_catch.bpmn").read_text()
    v2 = text.replace('name="Pack order"', 'name="Pack the order"')
    instance = Instance.start(definition(text, "message_boundary"))
    moved, plan = migrate(instance, definition(v2, "message_boundary"), "version 2")
    kinds = {e.element_id: e.kind for e in plan.elements}
    assert kinds == {"pack": "user task", "cancelled": "boundary event (message)"}
    moved = reload(moved)
    assert moved.deliver_message("order_cancelled")
    assert moved.status == "completed" and moved.human_tasks() == []
    removed = text.split("<bpmn:boundaryEvent")[0] + text.split("</bpmn:boundaryEvent>")[1].replace(
        '<bpmn:endEvent id="dropped" name="Dropped"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>', ""
    ).replace('<bpmn:sequenceFlow id="f4" sourceRef="cancelled" targetRef="dropped"/>', "")
    refused = plan_migration(instance, definition(removed, "message_boundary"), "version 3")
    assert [e.element_id for e in refused.elements if e.outcome == "missing"] == ["cancelled"]


def test_moving_to_another_process_is_an_error() -> None:
    other = definition((FIXTURES / "migration_subprocess.bpmn").read_text(), "migration_subprocess")
    with pytest.raises(Exception, match="cannot move an instance"):
        plan_migration(started(), other)
