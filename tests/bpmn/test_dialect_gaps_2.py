"""More constructs tested in one dialect and now in the other, on small *_camunda.bpmn / *_spiff.bpmn
models and .dmn files parsed inside each test (so docs/element-coverage.md credits the test).

Camunda 7: send tasks (naming code, they park as service tasks; naming a message, they throw it),
signal start events, an intermediate signal throw event that goes on, non-interrupting message and
signal event subprocesses, Java listeners reported as deploy warnings on their elements,
camunda:variableName on a (rejected) conditional event. SpiffArena: DMN tables with Python cells for
every hit policy, literal and required decisions, called by a business rule task; a message end
event, a none intermediate throw event, a timeDate catch event; signal and message start events,
and signal, message and error event subprocesses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import bpmn
from tests.bpmn.helpers import bundle_of
from tests.bpmn.test_event_depth import cancelled, complete, open_tasks, ran, reload, start, task_data
from tests.bpmn.test_parse_bundle import rejected

# --- Camunda 7 -------------------------------------------------------------------------------------------


def test_camunda_send_tasks_naming_code_park_as_service_tasks_and_one_naming_a_message_throws_it() -> None:
    inst = start("send_task_camunda.bpmn", "send_task_camunda", {"customer": "ann@example.com"})
    [mail] = inst.service_tasks()
    assert (mail.element_id, mail.implementation, mail.connector, mail.params) == (
        "s_mail", "class", "com.example.MailInvoice", {"to": "ann@example.com"})
    assert inst.status == "running" and inst.take_thrown() == []  # nothing sent before the class ran
    inst = reload(inst)
    assert inst.complete_service(mail.task_id, {"mailId": "m-1"}) is True
    [push] = inst.service_tasks()
    assert (push.element_id, push.implementation, push.connector) == ("s_push", "external", "accounting")
    assert inst.complete_service(mail.task_id, {}) is False  # a duplicate result changes nothing
    assert inst.complete_service(push.task_id, {"booked": True}) is True
    assert inst.status == "completed"
    assert inst.take_thrown() == [bpmn.ThrownMessage("invoice_sent", {}, {}, kind="message")]
    assert {"s_mail", "s_push", "s_notify", "s_end"} <= ran(inst)
    assert inst.data == {"customer": "ann@example.com", "mailId": "m-1", "booked": True}


def test_camunda_signal_start_event_starts_an_instance_with_the_signal_data() -> None:
    definition = bundle_of("events_camunda.bpmn").definition("alarm_start_camunda")
    assert bpmn.signal_starts(definition.spec) == {"alarm_camunda": "a_start"}
    inst = bpmn.Instance.start(definition, {"level": 2}, start_event="a_start")
    assert open_tasks(inst) == ["Respond to the alarm"]
    complete(inst, "Respond to the alarm", {"handled": True})
    assert inst.status == "completed" and inst.data == {"level": 2, "handled": True}
    assert {"a_start", "a_respond", "a_end"} <= ran(inst)


def test_camunda_intermediate_signal_throw_event_throws_and_goes_on() -> None:
    inst = start("events_camunda.bpmn", "raise_alarm_camunda")
    assert open_tasks(inst) == ["Log the alarm"]  # the throw event completed; the path went on
    assert [(t.kind, t.name) for t in inst.take_thrown()] == [("signal", "alarm_camunda")]
    complete(inst, "Log the alarm")
    assert inst.status == "completed" and {"r_raise", "r_log", "r_end"} <= ran(inst)


def test_camunda_non_interrupting_message_and_signal_event_subprocesses_run_beside_the_work() -> None:
    inst = start("events_camunda.bpmn", "listening_camunda", {"case": 5})
    assert sorted((w.kind, w.message) for w in inst.waiting()) == [
        ("message", "note_added_camunda"), ("signal", "ping_camunda")]
    assert inst.deliver_message("note_added_camunda", {"note": "call back"}) is True
    assert open_tasks(inst) == ["Read the note", "Work"]  # the work goes on
    inst = reload(inst)
    assert inst.deliver_signal("ping_camunda") is True
    assert inst.deliver_signal("ping_camunda") is True  # fires each time
    assert open_tasks(inst) == ["Answer the ping", "Answer the ping", "Read the note", "Work"]
    assert task_data(inst, "Read the note") == [{"case": 5, "note": "call back"}]
    complete(inst, "Read the note")
    complete(inst, "Answer the ping")
    complete(inst, "Answer the ping")
    assert inst.status == "running" and open_tasks(inst) == ["Work"]
    complete(inst, "Work")
    assert inst.status == "completed" and inst.waiting() == []
    assert {"l_note_start", "l_read", "l_ping_start", "l_answer", "l_work", "l_end"} <= ran(inst)
    assert inst.deliver_signal("ping_camunda") is False


def test_camunda_java_listeners_are_deploy_warnings_on_their_elements_and_the_model_runs() -> None:
    bundle = bundle_of("listeners_camunda.bpmn")
    assert [(w.element_id, w.line, w.severity) for w in bundle.warnings] == [
        ("j_start", 10, "warning"), ("j_review", 17, "warning")]  # the listener lines
    execution, task = (w.message for w in bundle.warnings)
    assert "camunda:executionListener (start: com.example.AuditStart) is not run by Baton" in execution
    assert "camunda:taskListener (create: com.example.NotifyReviewer) is not run by Baton" in task
    inst = start("listeners_camunda.bpmn", "listeners_camunda")
    complete(inst, "Review")
    assert inst.status == "completed" and {"j_start", "j_review", "j_end"} <= ran(inst)


def test_camunda_variable_name_of_a_conditional_event_is_named_when_it_is_rejected() -> None:
    [problem] = [p for p in rejected("unexecuted_structure_camunda.bpmn") if p.element_id == "When_stock_low"]
    assert "is a conditional event" in problem.message
    assert "camunda:variableName 'stock' is not watched either" in problem.message


# --- SpiffArena: decisions with Python cells, called by business rule tasks ------------------------------

DECISION_FILES = ("decisions_spiff.bpmn", "dmn_hit_policies_spiff.dmn")
DECISION_TASKS = {"d_first_size", "d_priority_level", "d_any_agree", "d_rule_order_tags", "d_collect_fees",
                  "d_collect_fee_sum", "d_collect_fee_min", "d_collect_fee_max", "d_collect_fee_count",
                  "d_kind_shelf", "d_shipping"}


def decide_all(amount: int, kind: str = "book") -> bpmn.Instance:
    definition = bpmn.Definition.from_dict(bundle_of(*DECISION_FILES).definition("decisions_spiff").to_dict())
    return bpmn.Instance.start(definition, {"amount": amount, "kind": kind})


def test_spiff_decisions_are_read_as_python_cells() -> None:
    bundle = bundle_of(*DECISION_FILES)
    assert bundle.warnings == []
    spec = bundle.definition("decisions_spiff").spec.task_specs["d_kind_shelf"]
    dialects = {d.id: d.dialect for d in spec.decisions.values()}
    assert dialects == {"kind_shelf": "python", "first_size": "python"}  # with the one it requires


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (15, {"size": "small", "level": "low", "agree": "yes", "tags": ["a", "c"], "fees": [5], "fee_sum": 5,
              "fee_min": 5, "fee_max": 5, "fee_count": 1, "shelf": "paper small", "shipping": 7}),
        (500, {"size": "medium", "level": "high", "agree": "yes", "tags": ["a", "b", "c"], "fees": [5, 10],
               "fee_sum": 15, "fee_min": 5, "fee_max": 10, "fee_count": 2, "shelf": "paper medium",
               "shipping": 7}),
        (2000, {"size": "large", "level": "high", "agree": "yes", "tags": ["a", "b", "c"],
                "fees": [5, 10, 20], "fee_sum": 35, "fee_min": 5, "fee_max": 20, "fee_count": 3,
                "shelf": "paper large", "shipping": 0}),
    ],
)
def test_spiff_business_rule_tasks_run_every_hit_policy_with_python_cells(amount: int,
                                                                         expected: dict[str, Any]) -> None:
    inst = decide_all(amount)
    assert inst.status == "completed" and inst.failures() == []
    assert DECISION_TASKS | {"d_end"} <= ran(inst)
    assert inst.data == {"amount": amount, "kind": "book", **expected}


def test_spiff_priority_with_no_match_and_collect_aggregations_of_nothing() -> None:
    inst = decide_all(0, kind="music")
    assert inst.status == "completed"
    # no rule but "-" takes 0: PRIORITY, ANY and the COLLECT aggregations but COUNT give no result
    assert inst.data == {"amount": 0, "kind": "music", "size": "small", "tags": ["c"], "fee_count": 0,
                         "shelf": "audio small", "shipping": 7}


def test_spiff_any_with_disagreeing_rules_stops_the_task_with_a_clear_failure() -> None:
    inst = decide_all(6000)
    assert inst.status != "completed"
    [failure] = inst.failures()
    assert failure.element_id == "d_any_agree"
    assert "hit policy ANY" in failure.message and "any_agree_rule1" in failure.message
    assert {"d_first_size", "d_priority_level"} <= ran(inst) and "d_rule_order_tags" not in ran(inst)


def test_spiff_unique_with_an_input_outside_its_input_values_matches_no_rule() -> None:
    # inputValues are the modeller's list of choices, as in Camunda, not checked at run time
    inst = decide_all(50, kind="film")
    assert inst.status == "completed" and "shelf" not in inst.data and inst.data["size"] == "small"


# --- SpiffArena: events --------------------------------------------------------------------------------


def test_spiff_signal_start_event_starts_an_instance_with_the_signal_data() -> None:
    definition = bundle_of("events_spiff.bpmn").definition("spiff_alarm_start")
    assert bpmn.signal_starts(definition.spec) == {"alarm_spiff": "a_start"}
    inst = bpmn.Instance.start(definition, {"level": 1}, start_event="a_start")
    assert open_tasks(inst) == ["Respond to the alarm"]
    complete(inst, "Respond to the alarm")
    assert inst.status == "completed" and inst.data == {"level": 1}
    assert {"a_start", "a_respond", "a_end"} <= ran(inst)


def test_spiff_none_throw_event_passes_and_the_message_end_event_throws_its_payload() -> None:
    inst = start("events_spiff.bpmn", "spiff_packing", {"order": "A-1", "boxes": 2})
    assert open_tasks(inst) == ["Pack"] and "p_noted" in ran(inst)  # a none throw event just passes
    assert inst.take_thrown() == []
    inst = reload(inst)
    complete(inst, "Pack")
    assert inst.status == "completed" and {"p_pack", "p_packed"} <= ran(inst)
    [thrown] = inst.take_thrown()
    assert thrown == bpmn.ThrownMessage("order_packed", {"order": "A-1", "boxes": 2}, {}, kind="message")
    # it reaches the non-interrupting message event subprocess of another instance
    listener = start("events_spiff.bpmn", "spiff_listening", {"part": None})
    assert listener.deliver_message(thrown.name, thrown.payload, thrown.correlation) is True
    assert open_tasks(listener) == ["Print the label", "Work"]
    assert task_data(listener, "Print the label")[0]["packing"] == {"order": "A-1", "boxes": 2}


def test_spiff_time_date_catch_event_fires_at_its_date() -> None:
    inst = start("events_spiff.bpmn", "spiff_offer", {"offer_day": "2030-06-01T08:00:00+00:00"})
    [wait] = inst.waiting()
    day = datetime(2030, 6, 1, 8, tzinfo=UTC)
    assert (wait.kind, wait.element_id, wait.due_at) == ("timer", "o_day", day)
    inst = reload(inst)
    inst.fire_due_timers(day - timedelta(seconds=1))
    assert open_tasks(inst) == [] and inst.status == "running"
    inst.fire_due_timers(day)
    assert open_tasks(inst) == ["Open the offer"] and inst.waiting() == []
    complete(inst, "Open the offer")
    assert inst.status == "completed" and {"o_day", "o_open", "o_end"} <= ran(inst)


LISTENERS = {"l_cancel_start", "l_packed_start", "l_stop_start", "l_ping_start"}


def test_spiff_event_subprocesses_wait_for_their_messages_and_signals() -> None:
    inst = start("events_spiff.bpmn", "spiff_listening", {"part": None})
    assert sorted((w.kind, w.message) for w in inst.waiting()) == [
        ("message", "order_cancelled"), ("message", "order_packed"), ("signal", "ping_spiff"),
        ("signal", "stop_spiff")]
    complete(inst, "Work")
    assert inst.status == "completed" and inst.waiting() == []
    assert cancelled(inst) >= LISTENERS and "l_end" in ran(inst)


def test_spiff_non_interrupting_message_and_signal_event_subprocesses_run_beside_the_work() -> None:
    inst = start("events_spiff.bpmn", "spiff_listening", {"part": None})
    assert inst.deliver_message("order_packed", {"boxes": 1}) is True
    assert inst.deliver_signal("ping_spiff") is True
    inst = reload(inst)
    assert inst.deliver_signal("ping_spiff") is True
    assert open_tasks(inst) == ["Answer the ping", "Answer the ping", "Print the label", "Work"]
    for name in ("Answer the ping", "Answer the ping", "Print the label"):
        complete(inst, name)
    assert inst.status == "running" and open_tasks(inst) == ["Work"]
    complete(inst, "Work")
    assert inst.status == "completed" and inst.data["packing"] == {"boxes": 1}
    assert {"l_packed_start", "l_label", "l_ping_start", "l_answer", "l_work", "l_end"} <= ran(inst)


def test_spiff_interrupting_message_event_subprocess_cancels_the_work() -> None:
    inst = start("events_spiff.bpmn", "spiff_listening", {"part": None})
    assert inst.deliver_message("order_cancelled", {"why": "late"}) is True
    assert open_tasks(inst) == ["Refund"] and inst.waiting() == []
    assert task_data(inst, "Refund")[0]["cancellation"] == {"why": "late"}
    assert inst.deliver_signal("ping_spiff") is False  # the other listeners went with the work
    complete(inst, "Refund")
    assert inst.status == "completed"
    assert "l_work" in cancelled(inst) and {"l_cancel_start", "l_refund", "l_cancel_end"} <= ran(inst)
    assert not {"l_end", "l_label", "l_wind_down"} & ran(inst)


def test_spiff_interrupting_signal_event_subprocess_cancels_the_work() -> None:
    inst = start("events_spiff.bpmn", "spiff_listening", {"part": None})
    assert inst.deliver_signal("stop_spiff") is True
    assert open_tasks(inst) == ["Wind down"] and inst.waiting() == []
    complete(inst, "Wind down")
    assert inst.status == "completed"
    assert "l_work" in cancelled(inst) and {"l_stop_start", "l_wind_down", "l_stop_end"} <= ran(inst)
    assert not {"l_end", "l_refund"} & ran(inst)


def test_spiff_error_end_event_starts_the_error_event_subprocess_with_the_payload() -> None:
    inst = start("events_spiff.bpmn", "spiff_listening", {"part": None})
    complete(inst, "Work", {"part": "axle"})
    assert open_tasks(inst) == ["Repair"] and inst.waiting() == []
    assert task_data(inst, "Repair")[0]["breakage"] == {"part": "axle"}
    inst = reload(inst)
    complete(inst, "Repair")
    assert inst.status == "completed" and inst.data == {"part": "axle", "breakage": {"part": "axle"}}
    assert {"l_broken", "l_repair_start", "l_repair", "l_repair_end"} <= ran(inst)
    assert cancelled(inst) >= LISTENERS and "l_end" not in ran(inst)
