"""Event constructs tested in one dialect and now in the other: each test mirrors one the other
dialect already has (tests/bpmn/test_event_depth.py, test_messages.py, test_timers.py), on a small
*_camunda.bpmn or *_spiff.bpmn model, parsed inside the test so docs/element-coverage.md credits it.

Camunda 7: interrupting message and signal boundary events on a user task, message and signal end
events and the intermediate catch events that receive them, an event-based gateway with a message
and a timer. SpiffArena: error end events and error boundary events with SpiffArena's payload and
variable, signal throw, catch, end and interrupting boundary events, an event-based gateway, a
non-interrupting timer boundary event with a time cycle.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bpmn
from tests.bpmn.test_event_depth import (
    cancelled,
    complete,
    due,
    open_tasks,
    ran,
    reload,
    start,
    task_data,
    waits,
)


def timer_due(inst: bpmn.Instance) -> datetime:
    """The due time of the one timer an event-based gateway waits for (its waits carry its id)."""
    [wait] = [w for w in inst.waiting() if w.kind == "timer"]
    assert wait.due_at is not None
    return wait.due_at

# --- Camunda 7 -------------------------------------------------------------------------------------------


def test_camunda_interrupting_message_boundary_cancels_the_user_task() -> None:
    inst = start("boundary_interrupting_camunda.bpmn", "boundary_interrupting_camunda", {"claim": 7})
    assert [(w.kind, w.element_id, w.message) for w in inst.waiting()] == [
        ("message", "i_withdrawn", "claim_withdrawn"), ("signal", "i_fraud", "fraud_suspected")]
    inst = reload(inst)
    assert inst.deliver_message("claim_withdrawn", {"reason": "settled privately"}) is True
    assert open_tasks(inst) == ["Close the file"]
    assert inst.waiting() == []  # the other boundary event went with the task
    assert inst.deliver_message("claim_withdrawn", {}) is False
    assert inst.deliver_signal("fraud_suspected") is False
    assert task_data(inst, "Close the file") == [{"claim": 7, "reason": "settled privately"}]
    complete(inst, "Close the file")
    assert inst.status == "completed"
    assert "i_handle" in cancelled(inst) and {"i_withdrawn", "i_closed"} <= ran(inst)
    assert not {"i_handled", "i_fraud"} & ran(inst)


def test_camunda_interrupting_signal_boundary_cancels_the_user_task() -> None:
    inst = start("boundary_interrupting_camunda.bpmn", "boundary_interrupting_camunda")
    assert inst.deliver_signal("fraud_suspected", {"source": "bank"}) is True
    assert open_tasks(inst) == ["Investigate"] and inst.waiting() == []
    inst = reload(inst)
    complete(inst, "Investigate")
    assert inst.status == "completed"
    assert inst.data["source"] == "bank"
    assert "i_handle" in cancelled(inst) and {"i_fraud", "i_investigated"} <= ran(inst)
    assert not {"i_handled", "i_withdrawn"} & ran(inst)


def test_camunda_completing_the_task_stops_its_interrupting_boundary_events() -> None:
    inst = start("boundary_interrupting_camunda.bpmn", "boundary_interrupting_camunda")
    complete(inst, "Handle the claim")
    assert inst.status == "completed" and inst.waiting() == []
    assert inst.deliver_signal("fraud_suspected") is False
    assert {"i_withdrawn", "i_fraud"} <= cancelled(inst) and "i_handled" in ran(inst)


def test_camunda_message_end_event_reaches_the_intermediate_message_catch_event() -> None:
    waiter = start("end_event_throws_camunda.bpmn", "await_order_camunda", {"order": "A-1"})
    assert [(w.kind, w.element_id, w.message) for w in waiter.waiting()] == [
        ("message", "w_shipped", "order_shipped")]
    dispatch = start("end_event_throws_camunda.bpmn", "dispatch_camunda")
    complete(dispatch, "Pack", {"outOfStock": False})
    assert dispatch.status == "completed" and "d_shipped" in ran(dispatch)
    [thrown] = dispatch.take_thrown()
    assert thrown == bpmn.ThrownMessage("order_shipped", {}, {}, kind="message")
    waiter = reload(waiter)
    assert waiter.deliver_signal(thrown.name) is False  # a message is not a signal
    assert waiter.deliver_message(thrown.name, thrown.payload, thrown.correlation) is True
    assert open_tasks(waiter) == ["Confirm delivery"] and waiter.waiting() == []
    complete(waiter, "Confirm delivery")
    assert waiter.status == "completed" and "w_shipped" in ran(waiter)
    assert waiter.data == {"order": "A-1"}


def test_camunda_signal_end_event_reaches_the_intermediate_signal_catch_event() -> None:
    restock = start("end_event_throws_camunda.bpmn", "restock_camunda")
    assert [(w.kind, w.element_id, w.message) for w in restock.waiting()] == [
        ("signal", "r_out", "stock_ran_out")]
    dispatch = start("end_event_throws_camunda.bpmn", "dispatch_camunda")
    complete(dispatch, "Pack", {"outOfStock": True})
    assert dispatch.status == "completed"
    assert "d_out" in ran(dispatch) and "d_shipped" not in ran(dispatch)
    assert [(t.kind, t.name) for t in dispatch.take_thrown()] == [("signal", "stock_ran_out")]
    restock = reload(restock)
    assert restock.deliver_message("stock_ran_out", {}) is False  # a signal is not a message
    assert restock.deliver_signal("stock_ran_out") is True
    assert open_tasks(restock) == ["Reorder stock"]
    complete(restock, "Reorder stock")
    assert restock.status == "completed" and "r_out" in ran(restock)


def test_camunda_event_based_gateway_takes_the_message_when_it_comes_first() -> None:
    inst = start("event_gateway_camunda.bpmn", "event_gateway_camunda")
    complete(inst, "Ask for a quote")
    # the gateway waits for both: one wait per event, under the gateway's id
    assert sorted((w.element_id, w.kind, w.message) for w in inst.waiting()) == [
        ("g_gate", "message", "quote_received"), ("g_gate", "timer", None)]
    timeout = timer_due(inst)
    assert timedelta(days=2) - timedelta(minutes=1) < timeout - datetime.now(UTC) <= timedelta(days=2)
    inst = reload(inst)
    assert inst.deliver_message("quote_received", {"price": 120}) is True
    assert open_tasks(inst) == ["Compare the quote"]
    assert inst.waiting() == []  # the timer lost the race
    inst.fire_due_timers(timeout + timedelta(days=1))
    assert open_tasks(inst) == ["Compare the quote"]
    complete(inst, "Compare the quote")
    assert inst.status == "completed" and inst.data["price"] == 120
    assert {"g_gate", "g_quote", "g_compared"} <= ran(inst)
    assert not {"g_timeout", "g_chase"} & ran(inst)


def test_camunda_event_based_gateway_takes_the_timer_when_no_message_came() -> None:
    inst = start("event_gateway_camunda.bpmn", "event_gateway_camunda")
    complete(inst, "Ask for a quote")
    timeout = timer_due(inst)
    inst.fire_due_timers(timeout - timedelta(seconds=1))
    assert open_tasks(inst) == []
    inst.fire_due_timers(timeout)
    assert open_tasks(inst) == ["Chase the supplier"] and inst.waiting() == []
    assert inst.deliver_message("quote_received", {"price": 99}) is False
    complete(inst, "Chase the supplier")
    assert inst.status == "completed"
    assert {"g_timeout", "g_chased"} <= ran(inst) and not {"g_quote", "g_compare"} & ran(inst)


# --- SpiffArena ------------------------------------------------------------------------------------------


def test_spiff_error_end_event_takes_the_boundary_naming_its_code_with_the_payload() -> None:
    inst = start("error_events_spiff.bpmn", "error_events_spiff", {"sku": "BOLT-6"})
    assert open_tasks(inst) == ["Check the shelf", "Print the label"]
    assert inst.waiting() == []  # error listeners are no waits
    complete(inst, "Check the shelf", {"shelf": "empty", "missing": 4})
    assert open_tasks(inst) == ["Tell the customer"]  # the subprocess and its parallel work are over
    assert task_data(inst, "Tell the customer")[0]["stock_error"] == {"sku": "BOLT-6", "missing": 4}
    inst = reload(inst)
    complete(inst, "Tell the customer")
    assert inst.status == "completed" and inst.failures() == []
    assert inst.data["stock_error"] == {"sku": "BOLT-6", "missing": 4}
    assert {"out_of_stock", "on_no_stock", "customer_told"} <= ran(inst)
    assert {"print_label", "on_any_error"} <= cancelled(inst)
    assert not {"ship", "call_warehouse"} & ran(inst)


def test_spiff_error_boundary_without_an_error_catches_any_other_code() -> None:
    inst = start("error_events_spiff.bpmn", "error_events_spiff", {"sku": "NUT-2"})
    complete(inst, "Print the label")
    complete(inst, "Check the shelf", {"shelf": "damaged"})
    assert open_tasks(inst) == ["Call the warehouse"]
    complete(inst, "Call the warehouse")
    assert inst.status == "completed"
    assert {"damaged", "on_any_error", "warehouse_called"} <= ran(inst)
    assert "on_no_stock" in cancelled(inst) and "stock_error" not in inst.data


def test_spiff_no_error_no_boundary() -> None:
    inst = start("error_events_spiff.bpmn", "error_events_spiff", {"sku": "NUT-2"})
    complete(inst, "Check the shelf", {"shelf": "full"})
    assert open_tasks(inst) == ["Print the label"]
    complete(inst, "Print the label")
    assert open_tasks(inst) == ["Ship"]
    assert {"on_no_stock", "on_any_error"} <= cancelled(inst)
    complete(inst, "Ship")
    assert inst.status == "completed" and "picked" in ran(inst)


def test_spiff_signal_throw_and_end_events_reach_the_catch_and_boundary_events() -> None:
    quote = start("signal_events_spiff.bpmn", "quote_spiff")
    assert [(w.kind, w.element_id, w.message) for w in quote.waiting()] == [
        ("signal", "await_prices", "prices_changed")]
    publisher = start("signal_events_spiff.bpmn", "publish_prices_spiff")
    complete(publisher, "Set the prices", {"increase": 0.05})
    [prices] = publisher.take_thrown()
    assert (prices.kind, prices.name, prices.payload) == ("signal", "prices_changed", {"increase": 0.05})
    assert "announce_prices" in ran(publisher) and open_tasks(publisher) == ["Close the catalog"]

    assert quote.deliver_signal(prices.name, prices.payload) is True
    assert open_tasks(quote) == ["Requote"]
    assert task_data(quote, "Requote")[0]["price_change"] == {"increase": 0.05}
    assert waits(quote) == ["on_catalog_closed", "on_declined"]
    quote = reload(quote)

    publisher = reload(publisher)
    complete(publisher, "Close the catalog")
    assert publisher.status == "completed" and "catalog_closed_end" in ran(publisher)
    [closed] = publisher.take_thrown()
    assert (closed.kind, closed.name) == ("signal", "catalog_closed")
    assert quote.deliver_signal(closed.name, closed.payload) is True
    assert open_tasks(quote) == ["Withdraw the quote"] and quote.waiting() == []
    complete(quote, "Withdraw the quote")
    assert quote.status == "completed"
    assert "requote" in cancelled(quote) and {"await_prices", "on_catalog_closed", "withdrawn"} <= ran(quote)
    assert not {"requoted", "on_declined"} & ran(quote)


def test_spiff_interrupting_message_boundary_puts_the_message_in_its_variable() -> None:
    quote = start("signal_events_spiff.bpmn", "quote_spiff")
    assert quote.deliver_signal("prices_changed", {"increase": 0.1}) is True
    assert quote.deliver_message("quote_declined", {"reason": "too dear"}) is True
    assert quote.status == "completed" and open_tasks(quote) == []
    assert quote.data["declined_because"] == "too dear"
    assert "requote" in cancelled(quote) and {"on_declined", "declined"} <= ran(quote)


def test_spiff_event_based_gateway_takes_the_message_path() -> None:
    inst = start("event_gateway_spiff.bpmn", "event_gateway_spiff")
    complete(inst, "Send the invoice")
    assert sorted((w.element_id, w.kind, w.message) for w in inst.waiting()) == [
        ("what_next", "message", "payment_received"), ("what_next", "signal", "account_frozen"),
        ("what_next", "timer", None)]
    inst = reload(inst)
    assert inst.deliver_message("payment_received", {"amount": 250}) is True
    assert inst.status == "completed" and inst.waiting() == []
    assert inst.data["booked"] == 250 and inst.data["payment"] == {"amount": 250}
    assert {"what_next", "paid", "booked_end"} <= ran(inst)
    assert not {"frozen", "fourteen_days", "call_bank", "send_reminder"} & ran(inst)


def test_spiff_event_based_gateway_takes_the_signal_path() -> None:
    inst = start("event_gateway_spiff.bpmn", "event_gateway_spiff")
    complete(inst, "Send the invoice")
    assert inst.deliver_signal("account_frozen") is True
    assert open_tasks(inst) == ["Call the bank"] and inst.waiting() == []
    assert inst.deliver_message("payment_received", {"amount": 1}) is False
    complete(inst, "Call the bank")
    assert inst.status == "completed"
    assert {"frozen", "bank_called"} <= ran(inst)
    assert not {"paid", "fourteen_days", "book_payment"} & ran(inst)


def test_spiff_event_based_gateway_takes_the_timer_path() -> None:
    inst = start("event_gateway_spiff.bpmn", "event_gateway_spiff")
    complete(inst, "Send the invoice")
    deadline = timer_due(inst)
    assert timedelta(days=14) - timedelta(minutes=1) < deadline - datetime.now(UTC) <= timedelta(days=14)
    inst.fire_due_timers(deadline - timedelta(seconds=1))
    assert open_tasks(inst) == []
    inst = reload(inst)
    inst.fire_due_timers(deadline)
    assert open_tasks(inst) == ["Send a reminder"] and inst.waiting() == []
    complete(inst, "Send a reminder")
    assert inst.status == "completed"
    assert {"fourteen_days", "reminded"} <= ran(inst) and not {"paid", "frozen"} & ran(inst)


def test_spiff_non_interrupting_timer_boundary_cycle_runs_its_branch_each_time_then_stops() -> None:
    before = datetime.now(UTC)
    inst = start("timer_boundary_spiff.bpmn", "timer_boundary_spiff")
    first = due(inst, "hourly_nudge")
    assert before + timedelta(hours=1) <= first <= datetime.now(UTC) + timedelta(hours=1)
    inst.fire_due_timers(first - timedelta(seconds=1))
    assert open_tasks(inst) == ["Review the application"]
    inst.fire_due_timers(first)
    assert open_tasks(inst) == ["Nudge the reviewer", "Review the application"]  # the review stays open
    inst = reload(inst)
    second = due(inst, "hourly_nudge")
    assert second - first == timedelta(hours=1)
    inst.fire_due_timers(second)
    assert open_tasks(inst) == ["Nudge the reviewer", "Nudge the reviewer", "Review the application"]
    assert waits(inst) == []  # R2: twice only
    inst.fire_due_timers(second + timedelta(hours=5))
    assert open_tasks(inst).count("Nudge the reviewer") == 2
    complete(inst, "Review the application")
    assert inst.status == "running"
    while inst.human_tasks():
        complete(inst, open_tasks(inst)[0])
    assert inst.status == "completed"
    assert {"hourly_nudge", "reviewed", "nudged"} <= ran(inst)
