"""Events in depth, in the Camunda 7 and the SpiffArena dialect: escalations, terminate end events,
non-interrupting message and signal boundary events, timer event subprocesses, timer start events,
time cycles on catch events, time dates on boundary events, message throw events and receive tasks.

Each test drives a small model to its end and checks the path it took (the elements that completed
or were cancelled) and the end state. Models are parsed inside each test, so the element coverage
table (docs/element-coverage.md) credits the test with what it runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState

import bpmn
from tests.bpmn.helpers import bundle_of


def start(fixture: str, process_id: str, data: dict[str, Any] | None = None, **kwargs: Any) -> bpmn.Instance:
    # Through the stored form of the definition, as the server keeps it.
    definition = bpmn.Definition.from_dict(bundle_of(fixture).definition(process_id).to_dict())
    return bpmn.Instance.start(definition, data or {}, **kwargs)


def reload(inst: bpmn.Instance) -> bpmn.Instance:
    return bpmn.Instance.load(inst.definition, inst.dump())


def open_tasks(inst: bpmn.Instance) -> list[str]:
    return sorted(task.name for task in inst.human_tasks())


def complete(inst: bpmn.Instance, name: str, data: dict[str, Any] | None = None) -> None:
    task = next(t for t in inst.human_tasks() if t.name == name)
    inst.complete(task.id, data or {})


def task_data(inst: bpmn.Instance, name: str) -> list[dict[str, Any]]:
    """The variables each open human task called `name` sees."""
    tasks = inst.workflow.get_tasks(state=TaskState.READY, manual=True)
    return [dict(t.data) for t in tasks if t.task_spec.bpmn_name == name]


def _ids(inst: bpmn.Instance, state: TaskState) -> set[str]:
    return {t.task_spec.bpmn_id for t in inst.workflow.get_tasks()
            if t.has_state(state) and t.task_spec.bpmn_id}


def ran(inst: bpmn.Instance) -> set[str]:
    """The elements that completed (in subprocesses too)."""
    return _ids(inst, TaskState.COMPLETED)


def cancelled(inst: bpmn.Instance) -> set[str]:
    return _ids(inst, TaskState.CANCELLED)


def waits(inst: bpmn.Instance) -> list[str]:
    return sorted(w.element_id for w in inst.waiting())


# --- escalations ---------------------------------------------------------------------------------------


def test_camunda_intermediate_escalation_runs_the_non_interrupting_boundary_beside_the_subprocess() -> None:
    inst = start("escalation_camunda.bpmn", "escalation_boundaries")
    complete(inst, "Check stock", {"stock": "late"})
    assert open_tasks(inst) == ["Tell the customer", "Wait for the supplier"]
    inst = reload(inst)
    complete(inst, "Wait for the supplier")
    assert open_tasks(inst) == ["Ship", "Tell the customer"]  # the subprocess went on to its end
    complete(inst, "Ship")
    assert inst.status == "running"
    complete(inst, "Tell the customer")
    assert inst.status == "completed"
    assert {"b_throw_late", "b_on_late", "b_tell", "b_told", "b_wait", "b_ship"} <= ran(inst)
    assert "b_on_gone" in cancelled(inst) and "b_refund" not in ran(inst)


def test_camunda_escalation_end_event_takes_the_interrupting_boundary_with_the_subprocess_variables() -> None:
    inst = start("escalation_camunda.bpmn", "escalation_boundaries")
    complete(inst, "Check stock", {"stock": "gone"})
    assert open_tasks(inst) == ["Refund"]
    assert task_data(inst, "Refund") == [{"stock": "gone"}]  # set inside the subprocess, seen outside
    complete(inst, "Refund")
    assert inst.status == "completed"
    assert {"b_end_gone", "b_on_gone", "b_refund", "b_refunded"} <= ran(inst)
    assert {"b_ship", "b_on_late"} <= cancelled(inst)
    assert "b_shipped" not in ran(inst)


def test_camunda_no_escalation_no_boundary() -> None:
    inst = start("escalation_camunda.bpmn", "escalation_boundaries")
    complete(inst, "Check stock", {"stock": "ok"})
    assert open_tasks(inst) == ["Ship"]
    assert {"b_on_late", "b_on_gone"} <= cancelled(inst)
    complete(inst, "Ship")
    assert inst.status == "completed"


def test_spiff_escalation_end_event_runs_the_non_interrupting_boundary_with_the_payload() -> None:
    inst = start("escalation_spiff.bpmn", "escalation_spiff_boundaries", {"delay": 3})
    assert open_tasks(inst) == ["Check stock", "Pack"]
    complete(inst, "Check stock", {"stock": "late"})
    assert open_tasks(inst) == ["Pack", "Tell the customer"]  # the parallel "Pack" goes on
    assert task_data(inst, "Tell the customer")[0]["late_info"] == {"days": 3}
    inst = reload(inst)
    complete(inst, "Pack")
    assert open_tasks(inst) == ["Ship", "Tell the customer"]
    complete(inst, "Ship")
    complete(inst, "Tell the customer")
    assert inst.status == "completed"
    assert {"b_end_late", "b_on_late", "b_tell", "b_pack", "b_ship"} <= ran(inst)
    assert inst.data["late_info"] == {"days": 3}


def test_spiff_intermediate_escalation_interrupts_the_subprocess_and_its_parallel_work() -> None:
    inst = start("escalation_spiff.bpmn", "escalation_spiff_boundaries", {"delay": 3})
    complete(inst, "Check stock", {"stock": "gone"})
    assert open_tasks(inst) == ["Refund"]
    assert {"b_pack", "b_keep_looking", "b_prepare", "b_on_late"} <= cancelled(inst)
    complete(inst, "Refund")
    assert inst.status == "completed"
    assert {"b_throw_gone", "b_on_gone", "b_refund"} <= ran(inst)
    assert inst.data["stock"] == "gone" and "b_ship" not in ran(inst)


@pytest.mark.parametrize(("fixture", "process_id", "late", "gone"), [
    ("escalation_camunda.bpmn", "escalation_event_subprocesses",
     ["Ship", "Tell the customer"], ["Refund"]),
    ("escalation_spiff.bpmn", "escalation_spiff_event_subprocesses",
     ["Tell the customer", "Wait for the supplier"], ["Close the order"]),
])
def test_escalation_event_subprocesses(
    fixture: str, process_id: str, late: list[str], gone: list[str]
) -> None:
    """Camunda: at the process level; SpiffArena: inside an embedded subprocess, which an interrupting
    one ends (the process then goes on after the subprocess)."""
    inst = start(fixture, process_id, {"delay": 1})
    assert sorted(w.element_id for w in inst.waiting()) == []  # escalation listeners are no waits
    complete(inst, "Check stock", {"stock": "late"})
    assert open_tasks(inst) == late  # non-interrupting: the work goes on beside it
    while inst.human_tasks():
        complete(inst, open_tasks(inst)[0])
    assert inst.status == "completed"
    assert {"s_throw_late", "s_late_start", "s_tell"} <= ran(inst)

    inst = start(fixture, process_id, {"delay": 1})
    complete(inst, "Check stock", {"stock": "gone"})
    assert open_tasks(inst) == gone  # interrupting: the scope's other work is over
    assert "s_late_start" in cancelled(inst)
    while inst.human_tasks():
        complete(inst, open_tasks(inst)[0])
    assert inst.status == "completed"
    assert {"s_end_gone", "s_gone_start"} <= ran(inst)
    assert not {"s_ship", "s_wait"} & ran(inst)


def test_an_uncaught_escalation_does_not_fail_the_instance() -> None:
    inst = start("escalation_camunda.bpmn", "escalation_uncaught")
    assert open_tasks(inst) == ["Go on", "Other work"]  # past the intermediate throw nobody catches
    complete(inst, "Go on")  # to an escalation end event nobody catches
    assert inst.status == "running" and inst.failures() == []
    assert open_tasks(inst) == ["Other work"]
    complete(inst, "Other work")
    assert inst.status == "completed"
    assert {"u_throw", "u_end_shout", "u_end"} <= ran(inst)
    assert inst.take_thrown() == []  # an escalation does not leave the instance


def test_an_escalation_reaches_only_the_boundary_events_of_the_subprocess_it_is_thrown_in() -> None:
    inst = start("escalation_camunda.bpmn", "escalation_side_by_side")
    complete(inst, "A works")  # A throws LATE: B's interrupting LATE boundary must not fire
    assert open_tasks(inst) == ["A works more", "B works", "Chase team A"]
    complete(inst, "A works more")  # A throws GONE, which only B's boundary catches: nothing happens
    assert open_tasks(inst) == ["B works", "Chase team A"]
    assert inst.failures() == []
    complete(inst, "B works")
    complete(inst, "Chase team A")
    assert inst.status == "completed"
    assert not {"p_b_late", "p_b_gone", "p_b_chase", "p_b_replace"} & ran(inst)
    assert {"p_a_late", "p_a_chase", "pa_gone", "pb_end"} <= ran(inst)


# --- terminate end events ------------------------------------------------------------------------------


def test_camunda_terminate_end_event_ends_every_branch_task_and_wait() -> None:
    inst = start("terminate_camunda.bpmn", "terminate_process")
    assert open_tasks(inst) == ["Review the references", "Screen the application"]
    assert waits(inst) == ["p_docs", "p_wait"]
    complete(inst, "Screen the application", {"acceptable": False})
    assert inst.status == "completed"
    assert open_tasks(inst) == [] and inst.waiting() == []
    assert {"p_review", "p_wait", "p_docs"} <= cancelled(inst)
    assert "p_rejected" in ran(inst) and not {"p_reviewed", "p_waited", "p_filed"} & ran(inst)
    inst = reload(inst)
    assert inst.status == "completed"
    assert inst.deliver_message("documents_received", {}) is False
    assert inst.data["acceptable"] is False


def test_camunda_without_the_terminate_end_event_the_other_branches_go_on() -> None:
    inst = start("terminate_camunda.bpmn", "terminate_process")
    complete(inst, "Screen the application", {"acceptable": True})
    assert open_tasks(inst) == ["Review the references"]
    assert waits(inst) == ["p_docs", "p_wait"]
    assert inst.status == "running"


def test_camunda_terminate_end_event_in_a_subprocess_ends_only_the_subprocess() -> None:
    inst = start("terminate_camunda.bpmn", "terminate_subprocess")
    assert open_tasks(inst) == ["Check credit", "Check sanctions", "Paperwork"]
    complete(inst, "Check sanctions", {"listed": True})
    assert open_tasks(inst) == ["Decide", "Paperwork"]  # the subprocess ended and the process goes on
    assert "s_credit" in cancelled(inst)
    inst = reload(inst)
    complete(inst, "Decide")
    assert inst.status == "running"
    complete(inst, "Paperwork")
    assert inst.status == "completed"
    assert {"s_stop_vetting", "s_vet", "s_decided", "s_filed"} <= ran(inst)


def test_spiff_terminate_end_events_in_a_subprocess_and_at_the_top() -> None:
    inst = start("terminate_spiff.bpmn", "terminate_spiff")
    assert open_tasks(inst) == ["Approve the budget", "Ask supplier A", "Ask supplier B"]
    complete(inst, "Ask supplier A", {"price": 80})
    assert open_tasks(inst) == ["Approve the budget", "Place the order"]
    assert "quote_b" in cancelled(inst)
    complete(inst, "Place the order")
    assert inst.status == "completed" and open_tasks(inst) == []
    assert "approve_budget" in cancelled(inst)
    assert {"stop_asking", "collect_quotes", "ordered"} <= ran(inst)
    assert "budget_approved" not in ran(inst)


# --- non-interrupting message and signal boundary events --------------------------------------------------


def test_camunda_non_interrupting_boundary_events_keep_the_task_open_and_fire_each_time() -> None:
    inst = start("boundary_non_interrupting_camunda.bpmn", "boundary_non_interrupting_camunda")
    assert [(w.kind, w.element_id, w.message) for w in inst.waiting()] == [
        ("message", "c_called", "customer_called"), ("signal", "c_rates", "rates_changed")]
    assert inst.deliver_message("customer_called", {"topic": "when"}) is True
    inst = reload(inst)
    assert inst.deliver_message("customer_called", {"topic": "again"}) is True
    assert inst.deliver_signal("rates_changed", {"rate": 2}) is True
    assert open_tasks(inst) == ["Handle the claim", "Note the call", "Note the call", "Recheck the rates"]
    assert sorted(d["topic"] for d in task_data(inst, "Note the call")) == ["again", "when"]
    assert waits(inst) == ["c_called", "c_rates"]  # still listening while the task is open
    complete(inst, "Note the call")
    complete(inst, "Handle the claim", {"amount": 5})
    assert inst.waiting() == []  # the task is done: its boundary events stop listening
    assert inst.deliver_message("customer_called", {}) is False
    assert open_tasks(inst) == ["Note the call", "Pay out", "Recheck the rates"]
    while inst.human_tasks():
        complete(inst, open_tasks(inst)[0])
    assert inst.status == "completed"
    assert {"c_called", "c_rates", "c_noted", "c_rechecked", "c_paid"} <= ran(inst)


def test_spiff_non_interrupting_boundary_events_put_each_message_in_its_variable() -> None:
    inst = start("boundary_non_interrupting_spiff.bpmn", "boundary_non_interrupting_spiff")
    assert inst.deliver_message("comment_added", {"text": "typo on page 2"}) is True
    assert inst.deliver_message("comment_added", {"text": "figure 3"}) is True
    assert inst.deliver_signal("deadline_moved") is True
    inst = reload(inst)
    assert inst.deliver_signal("deadline_moved") is True
    assert open_tasks(inst) == ["Adjust the plan", "Adjust the plan", "Read the comment",
                                "Read the comment", "Review the draft"]
    comments = sorted(d["comment"]["text"] for d in task_data(inst, "Read the comment"))
    assert comments == ["figure 3", "typo on page 2"]
    complete(inst, "Review the draft")
    assert inst.waiting() == [] and inst.data["published"] is True
    while inst.human_tasks():
        complete(inst, open_tasks(inst)[0])
    assert inst.status == "completed"


# --- timers ----------------------------------------------------------------------------------------------


def due(inst: bpmn.Instance, element_id: str) -> datetime:
    [wait] = [w for w in inst.waiting() if w.element_id == element_id]
    assert wait.kind == "timer" and wait.due_at is not None
    return wait.due_at


def test_camunda_timer_event_subprocesses_remind_once_then_take_over() -> None:
    inst = start("timer_depth_camunda.bpmn", "timer_event_subprocesses_camunda")
    remind, deadline = due(inst, "es_remind_start"), due(inst, "es_deadline_start")
    assert abs(deadline - remind - timedelta(minutes=90)) < timedelta(seconds=1)  # each armed at its own now
    inst.fire_due_timers(remind - timedelta(seconds=1))
    assert open_tasks(inst) == ["Work"]
    inst.fire_due_timers(remind)
    assert open_tasks(inst) == ["Remind the clerk", "Work"]  # non-interrupting: the work stays
    inst = reload(inst)
    inst.fire_due_timers(remind + timedelta(minutes=30))
    assert open_tasks(inst) == ["Remind the clerk", "Work"]  # a duration fires once
    assert waits(inst) == ["es_deadline_start"]
    inst.fire_due_timers(deadline)
    assert open_tasks(inst) == ["Take over"]  # interrupting: the work and the reminder are cancelled
    assert {"es_work", "es_remind"} <= cancelled(inst)
    complete(inst, "Take over")
    assert inst.status == "completed"
    assert {"es_remind_start", "es_deadline_start", "es_taken_over"} <= ran(inst)


def test_spiff_timer_event_subprocesses_nudge_on_the_cycle_then_give_up() -> None:
    inst = start("timer_depth_spiff.bpmn", "spiff_timer_event_subprocesses")
    first, deadline = due(inst, "every_half_hour"), due(inst, "two_hours")
    inst.fire_due_timers(first)
    inst = reload(inst)
    inst.fire_due_timers(first + timedelta(minutes=30))
    assert open_tasks(inst) == ["Nudge the worker", "Nudge the worker", "Work"]
    inst.fire_due_timers(first + timedelta(minutes=60))
    assert open_tasks(inst) == ["Nudge the worker", "Nudge the worker", "Work"]  # R2: twice only
    inst.fire_due_timers(deadline)
    assert inst.status == "completed"
    assert inst.data["gave_up"] is True
    assert open_tasks(inst) == [] and "work" in cancelled(inst)
    assert {"every_half_hour", "two_hours", "give_up"} <= ran(inst)


@pytest.mark.parametrize(("fixture", "process_id", "element", "expected"), [
    ("timer_depth_camunda.bpmn", "timer_cycle_catch", "cc_wait", "Follow up"),
    ("timer_depth_spiff.bpmn", "spiff_timer_cycle_catch", "every_five_minutes", "Check the queue"),
])
def test_a_time_cycle_on_a_catch_event_fires_once_at_its_first_occurrence(
    fixture: str, process_id: str, element: str, expected: str
) -> None:
    """Camunda's reading: the path passes the event once, when the cycle first comes round."""
    before = datetime.now(UTC)
    inst = start(fixture, process_id)
    first = due(inst, element)
    interval = timedelta(minutes=10 if process_id == "timer_cycle_catch" else 5)
    assert before + interval <= first <= datetime.now(UTC) + interval
    inst.fire_due_timers(first - timedelta(seconds=1))
    assert open_tasks(inst) == []
    inst = reload(inst)
    inst.fire_due_timers(first)
    assert open_tasks(inst) == [expected]
    assert inst.waiting() == []
    inst.fire_due_timers(first + 5 * interval)
    assert open_tasks(inst) == [expected]  # never again
    complete(inst, expected)
    assert inst.status == "completed"
    assert element in ran(inst)


def test_camunda_time_dates_on_boundary_events() -> None:
    inst = start("timer_depth_camunda.bpmn", "timer_date_boundary", {"deadline": "2030-01-05T17:00:00+01:00"})
    assert due(inst, "db_remind") == datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    assert due(inst, "db_deadline") == datetime(2030, 1, 5, 16, 0, tzinfo=UTC)
    inst.fire_due_timers(datetime(2030, 1, 1, 8, 59, 59, tzinfo=UTC))
    assert open_tasks(inst) == ["Approve"]
    inst.fire_due_timers(datetime(2030, 1, 1, 9, 0, tzinfo=UTC))
    assert open_tasks(inst) == ["Approve", "Send a reminder"]  # non-interrupting
    inst = reload(inst)
    inst.fire_due_timers(datetime(2030, 1, 5, 16, 0, tzinfo=UTC))
    assert open_tasks(inst) == ["Escalate", "Send a reminder"]  # interrupting: Approve is cancelled
    assert "db_approve" in cancelled(inst) and inst.waiting() == []
    complete(inst, "Escalate")
    complete(inst, "Send a reminder")
    assert inst.status == "completed"
    assert {"db_remind", "db_deadline", "db_escalated", "db_reminded"} <= ran(inst)
    assert "db_approved" not in ran(inst)


def test_spiff_time_date_on_a_boundary_event_from_a_variable() -> None:
    inst = start("timer_depth_spiff.bpmn", "spiff_timer_date_boundary",
                 {"expires_at": "2030-03-01T12:00:00+00:00"})
    assert due(inst, "offer_expired") == datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
    inst.fire_due_timers(datetime(2030, 3, 1, 11, 59, tzinfo=UTC))
    assert open_tasks(inst) == ["Sign the contract"]
    inst.fire_due_timers(datetime(2030, 3, 1, 12, 0, tzinfo=UTC))
    assert inst.status == "completed" and inst.data["expired"] is True
    assert "sign_contract" in cancelled(inst) and "signed" not in ran(inst)


@pytest.mark.parametrize(("fixture", "process_id", "date_start", "duration_start", "after", "task"), [
    ("timer_depth_camunda.bpmn", "timer_start_once_camunda", "so_date", "so_duration", timedelta(days=1),
     "Write the report"),
    ("timer_depth_spiff.bpmn", "spiff_timer_start_once", "on_audit_day", "soon_after_deploy",
     timedelta(minutes=15), "Audit the books"),
])
def test_timer_start_events_with_a_date_and_a_duration_start_one_instance(
    fixture: str, process_id: str, date_start: str, duration_start: str, after: timedelta, task: str
) -> None:
    info = next(p for p in bundle_of(fixture).processes if p.id == process_id)
    assert not info.startable_by_hand
    starts = {s.element_id: s for s in info.timer_starts}
    assert (starts[date_start].kind, starts[duration_start].kind) == ("date", "duration")
    deployed = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    on_date = bpmn.first_start(starts[date_start], deployed)
    assert on_date == datetime(2030, 6, 1, 8, 0, tzinfo=UTC)
    assert bpmn.next_start(starts[date_start], on_date, 1, on_date) is None  # once
    late = datetime(2031, 1, 1, tzinfo=UTC)
    assert bpmn.first_start(starts[date_start], late) == late  # deployed after the date: at once
    after_deploy = bpmn.first_start(starts[duration_start], deployed)
    assert after_deploy == deployed + after
    assert bpmn.next_start(starts[duration_start], after_deploy, 1, after_deploy) is None
    for element, other in ((date_start, duration_start), (duration_start, date_start)):
        inst = start(fixture, process_id, start_event=element)
        assert open_tasks(inst) == [task] and inst.waiting() == []
        assert element in ran(inst) and other not in ran(inst)
        complete(inst, task)
        assert inst.status == "completed"


# --- message throw events and receive tasks ----------------------------------------------------------------


def test_camunda_receive_task_waits_for_its_message_like_a_catch_event() -> None:
    inst = start("receive_task_camunda.bpmn", "parcel_tracking_camunda", {"parcel_id": "P-1"})
    assert [(w.kind, w.element_id, w.message) for w in inst.waiting()] == [
        ("message", "t_wait", "parcel_delivered")]
    assert open_tasks(inst) == []
    assert inst.deliver_message("parcel_lost", {}) is False
    inst = reload(inst)
    assert inst.deliver_message("parcel_delivered", {"signed_by": "Ann"}) is True
    assert open_tasks(inst) == ["Confirm receipt"] and inst.waiting() == []
    complete(inst, "Confirm receipt")
    assert inst.status == "completed"
    assert inst.data == {"parcel_id": "P-1", "signed_by": "Ann"}
    assert "t_wait" in ran(inst)


def test_camunda_message_throw_event_hands_its_message_to_the_server() -> None:
    inst = start("receive_task_camunda.bpmn", "courier_camunda")
    complete(inst, "Deliver")
    assert inst.status == "completed"
    assert inst.take_thrown() == [bpmn.ThrownMessage("parcel_delivered", {}, {}, kind="message")]
    assert "c_delivered" in ran(inst)


def test_spiff_message_throw_event_reaches_the_receive_task_with_its_correlation() -> None:
    courier = start("receive_task_spiff.bpmn", "courier_spiff", {"parcel_id": "P-2", "signer": "Ann"})
    complete(courier, "Deliver")
    assert courier.status == "completed" and "parcel_handed_over" in ran(courier)
    [thrown] = courier.take_thrown()
    assert thrown == bpmn.ThrownMessage("parcel_delivered", {"parcel_id": "P-2", "signed_by": "Ann"},
                                        {"parcel": {"parcel_id": "P-2"}}, kind="message")
    other = start("receive_task_spiff.bpmn", "parcel_tracking_spiff", {"parcel_id": "P-1"})
    mine = start("receive_task_spiff.bpmn", "parcel_tracking_spiff", {"parcel_id": "P-2"})
    assert [w.correlation for w in mine.waiting()] == [{"parcel": {"parcel_id": "P-2"}}]
    assert other.deliver_message(thrown.name, thrown.payload, thrown.correlation) is False
    assert mine.deliver_message(thrown.name, thrown.payload, thrown.correlation) is True
    assert open_tasks(mine) == ["Confirm receipt"]
    assert mine.data["delivery"] == {"parcel_id": "P-2", "signed_by": "Ann"}
    assert other.waiting() != [] and open_tasks(other) == []
