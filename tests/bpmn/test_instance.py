"""Instance: start, complete, budgets, failures, waits, status and data."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bpmn import (
    Bundle,
    Instance,
    NestingTooDeep,
    StepBudgetExceeded,
    TaskNotFound,
    TaskNotReady,
    TimeBudgetExceeded,
)
from tests.bpmn.helpers import bundle_of


def test_ten_user_tasks_run_to_completion(ten_user_tasks: Bundle) -> None:
    instance = Instance.start(ten_user_tasks.definition("ten_user_tasks"), {"amount": 5})
    names = []
    while tasks := instance.human_tasks():
        [task] = tasks
        names.append(task.name)
        instance.complete(task.id, {task.element_id: True})
    assert names == [f"Step {i}" for i in range(1, 11)]
    assert instance.status == "completed"
    assert instance.data["amount"] == 5 and instance.data["Task_10"] is True


def test_complete_checks_the_task_is_ready(ten_user_tasks: Bundle) -> None:
    instance = Instance.start(ten_user_tasks.definition("ten_user_tasks"))
    [first] = instance.human_tasks()
    instance.complete(first.id, {})
    with pytest.raises(TaskNotReady) as caught:
        instance.complete(first.id, {})
    assert caught.value.state == "COMPLETED"
    future = next(t for t in instance.workflow.get_tasks() if t.task_spec.bpmn_id == "Task_5")
    with pytest.raises(TaskNotReady):
        instance.complete(str(future.id), {})  # SpiffWorkflow alone would silently run it
    with pytest.raises(TaskNotFound):
        instance.complete("not-a-uuid", {})
    with pytest.raises(TaskNotFound):
        instance.complete("00000000-0000-0000-0000-000000000000", {})


def test_script_loop_hits_the_step_budget() -> None:
    definition = bundle_of("script_loop.bpmn").definition("script_loop")
    with pytest.raises(StepBudgetExceeded) as caught:
        Instance.start(definition, step_budget=500)
    assert caught.value.budget == 500
    assert caught.value.element_id in {"Count", "Again"}


def test_script_loop_also_stops_on_the_time_budget() -> None:
    definition = bundle_of("script_loop.bpmn").definition("script_loop")
    with pytest.raises(TimeBudgetExceeded) as caught:
        Instance.start(definition, step_budget=1_000_000, time_budget=0.2)
    assert isinstance(caught.value, StepBudgetExceeded)


def test_self_recursive_call_activity_stops_quickly() -> None:
    definition = bundle_of("recursive_call_activity.bpmn").definition("recursive")
    with pytest.raises(StepBudgetExceeded) as caught:  # NestingTooDeep, within the default budgets
        Instance.start(definition)
    assert isinstance(caught.value, NestingTooDeep)
    assert caught.value.element_id == "Again"


def test_a_long_loop_does_not_end_silently() -> None:
    """SpiffWorkflow stops looking 1000 levels down the task tree and would call this completed."""
    definition = bundle_of("long_loop.bpmn").definition("long_loop")
    instance = Instance.start(definition, {"rounds": 0}, step_budget=5_000)
    assert instance.status == "running"
    [task] = instance.human_tasks()
    assert task.element_id == "Done"
    assert instance.data["rounds"] == 600
    reloaded = Instance.load(definition, instance.dump())
    reloaded.complete(task.id, {})
    assert reloaded.status == "completed"


def test_script_error_is_recorded_not_raised() -> None:
    definition = bundle_of("script_error.bpmn").definition("script_error")
    instance = Instance.start(definition, {"a": 1})
    assert instance.status == "error"
    [failure] = instance.failures()
    assert (failure.element_id, failure.name, failure.line) == ("Compute", "Compute total", 2)
    assert "zero" in failure.message
    assert instance.human_tasks() == []
    reloaded = Instance.load(definition, instance.dump())
    assert reloaded.status == "error"
    assert reloaded.failures() == instance.failures()


def test_expressions_in_assignment_are_evaluated_over_task_data() -> None:
    definition = bundle_of("camunda_assignment.bpmn").definition("expense")
    instance = Instance.start(definition, {"owner": "dora", "extraGroup": "auditors", "amount": 42,
                                           "dueDate": "2030-01-01", "payers": ["treasury", "cfo"]})
    [task] = instance.human_tasks()
    assert (task.element_id, task.name, task.process_id) == ("Approve", "Approve claim", "expense")
    assert task.lane == "Finance"
    assert task.documentation == "Check the receipts."
    assert task.assignee == "dora"
    assert task.candidate_users == ("bob", "carol")
    assert task.candidate_groups == ("finance", "auditors")
    assert (task.due_date, task.priority) == ("${dueDate}", "70")
    assert task.properties == {"sla": "P2D"}
    assert task.form_fields == [
        {"id": "decision", "label": "Decision", "type": "enum", "default": "yes", "constraints": [],
         "values": [{"id": "yes", "name": "Approve"}, {"id": "no", "name": "Reject"}], "properties": {}},
        {"id": "approved_amount", "label": "Approved amount", "type": "long", "default": "42",
         "constraints": [], "values": [], "properties": {"unit": "EUR"}},
    ]
    assert task.problems == ()
    instance.complete(task.id, {"decision": "yes"})
    [pay] = instance.human_tasks()
    assert pay.candidate_groups == ("treasury", "cfo")
    assert pay.assignee is None and pay.lane == "Finance"


def test_unevaluable_assignee_is_reported_on_the_task_not_raised() -> None:
    instance = Instance.start(bundle_of("camunda_assignment.bpmn").definition("expense"), {})
    [task] = instance.human_tasks()
    assert task.assignee is None
    assert task.candidate_groups == ("finance",)
    assert task.form_fields[1]["default"] == "${amount}"
    assert len(task.problems) == 3  # assignee, candidateGroups, and the dueDate (an SLA setting)
    assert any(p.startswith("SLA setting due '${dueDate}'") for p in task.problems)


@pytest.mark.parametrize(("amount", "urgent", "expected"), [(500, False, "Big"), (500, True, "Small"),
                                                            (50, False, "Small")])
def test_juel_gateway_conditions(amount: int, urgent: bool, expected: str) -> None:
    instance = Instance.start(bundle_of("juel_gateway.bpmn").definition("juel_gateway"),
                              {"amount": amount, "urgent": urgent})
    assert [t.element_id for t in instance.human_tasks()] == [expected]


def test_waiting_lists_timers_messages_and_service_tasks() -> None:
    before = datetime.now(UTC)
    instance = Instance.start(bundle_of("waits.bpmn").definition("waits"))
    waits = {w.kind: w for w in instance.waiting()}
    assert sorted(waits) == ["message", "service", "timer"]
    timer = waits["timer"]
    assert (timer.element_id, timer.name) == ("Wait_hour", "One hour")
    assert timer.due_at is not None
    assert before + timedelta(hours=1) <= timer.due_at <= datetime.now(UTC) + timedelta(hours=1)
    assert (waits["message"].element_id, waits["message"].message) == ("Wait_payment", "payment_received")
    assert (waits["service"].element_id, waits["service"].name) == ("Archive", "Archive invoice")
    assert Instance.load(instance.definition, instance.dump()).waiting() == instance.waiting()


def test_settled_reads_status_and_waits_once_and_forgets_them_after(monkeypatch: pytest.MonkeyPatch) -> None:
    instance = Instance.start(bundle_of("waits.bpmn").definition("waits"))
    walks: list[str] = []
    real_status, real_waiting = Instance._status, Instance._waiting
    monkeypatch.setattr(Instance, "_status", lambda self: walks.append("status") or real_status(self))
    monkeypatch.setattr(Instance, "_waiting", lambda self: walks.append("waiting") or real_waiting(self))
    with instance.settled():
        with instance.settled():  # nested: the outer block keeps the memo
            assert instance.status == "running"
            first = instance.waiting()
        first.clear()  # a caller's list is its own
        assert instance.status == "running"
        assert [w.kind for w in instance.waiting()] == ["timer", "message", "service"]
    assert walks == ["status", "waiting"]
    assert instance.status == "running" and len(instance.waiting()) == 3  # outside: computed again
    assert walks == ["status", "waiting", "status", "waiting"]
    with instance.settled():
        assert instance.status == "running"
        instance.cancel()  # a change inside the block is not hidden by the memo
        assert instance.status == "cancelled"


def test_an_elapsed_timer_fires_in_the_same_advance() -> None:
    instance = Instance.start(bundle_of("immediate_timer.bpmn").definition("immediate_timer"))
    assert [t.element_id for t in instance.human_tasks()] == ["After"]
    assert instance.waiting() == []


def test_business_rule_task_with_camunda_decision_ref() -> None:
    definition = bundle_of("camunda_decision.bpmn", "classify_amount.dmn").definition("camunda_decision")
    instance = Instance.start(definition, {"amount": 250})
    assert [t.element_id for t in instance.human_tasks()] == ["Check"]
    assert instance.data["category"] == "big"


def test_spiffworkflow_extensions_decision_prescript_and_properties() -> None:
    definition = bundle_of("spiff_extensions.bpmn", "classify_amount.dmn").definition("spiff_extensions")
    instance = Instance.start(definition, {"amount": 5})
    [task] = instance.human_tasks()
    assert task.properties == {"formKind": "json", "formJsonSchemaFilename": "fill-schema.json"}
    instance.complete(task.id, {})
    assert instance.status == "completed"
    assert instance.data["shown"] == "SMALL"


def test_cancel() -> None:
    instance = Instance.start(bundle_of("ten_user_tasks.bpmn").definition("ten_user_tasks"))
    instance.cancel()
    assert instance.status == "cancelled"
    assert instance.human_tasks() == []


def test_data_is_plain_json_and_survives_dump_and_load(ten_user_tasks: Bundle) -> None:
    definition = ten_user_tasks.definition("ten_user_tasks")
    start = {"when": date(2030, 5, 17), "price": Decimal("9.95"), "tags": {"a"}, "nested": {"list": [1, 2]}}
    instance = Instance.start(definition, start)
    [task] = instance.human_tasks()
    instance.complete(task.id, {"at": datetime(2030, 1, 2, 3, 4, tzinfo=UTC)})
    state = instance.dump()
    text = json.dumps(state)
    reloaded = Instance.load(definition, json.loads(text))
    assert reloaded.data == instance.data == {
        "when": "2030-05-17", "price": "9.95", "tags": ["a"], "nested": {"list": [1, 2]},
        "at": "2030-01-02T03:04:00+00:00"}
    assert reloaded.workflow.last_task.data["when"] == date(2030, 5, 17)  # types come back, too


def test_load_does_not_modify_the_state_passed_in(ten_user_tasks: Bundle) -> None:
    definition = ten_user_tasks.definition("ten_user_tasks")
    state = Instance.start(definition, {"nested": {"list": [1]}}).dump()
    pristine = copy.deepcopy(state)
    instance = Instance.load(definition, state)
    [task] = instance.human_tasks()
    instance.complete(task.id, {})
    assert state == pristine
    Instance.load(definition, state)  # and it can be loaded again
    assert state == pristine


def test_input_data_is_not_shared_with_the_instance(ten_user_tasks: Bundle) -> None:
    data = {"nested": {"list": [1]}}
    instance = Instance.start(ten_user_tasks.definition("ten_user_tasks"), data)
    instance.workflow.task_tree.data["nested"]["list"].append(2)
    assert data == {"nested": {"list": [1]}}
