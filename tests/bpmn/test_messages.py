"""Messages and signals: catch and boundary events, message starts, correlation, thrown messages."""

from __future__ import annotations

import pytest

from bpmn import BpmnError, Definition, Instance, ThrownMessage, parse_bundle
from tests.bpmn.helpers import bundle_of, corpus_files

SAP = "sartography-example-process-models/examples/2-in-depth/2-4-messages/"
ORDER = {"table_number": 3, "drink": "tea", "meal": "soup"}


def _corpus(path: str, process_id: str) -> Definition:
    return parse_bundle(corpus_files(SAP + path)).definition(process_id)


def _order_process() -> Instance:
    return Instance.start(bundle_of("message_boundary_and_catch.bpmn").definition("message_boundary"),
                          {"order": 1})


def test_a_catch_event_takes_its_message_and_the_data_is_merged() -> None:
    inst = _order_process()
    [task] = inst.human_tasks()
    inst.complete(task.id, {})
    [wait] = inst.waiting()
    assert (wait.kind, wait.element_id, wait.message) == ("message", "paid", "payment_received")
    assert inst.deliver_message("payment_received", {"amount": 5}) is True
    assert inst.status == "completed"
    assert inst.data == {"order": 1, "amount": 5}


def test_a_message_nobody_waits_for_changes_nothing() -> None:
    inst = _order_process()
    before = inst.dump()
    assert inst.deliver_message("payment_received", {"amount": 5}) is False
    assert inst.deliver_message("unknown", {}) is False
    assert inst.dump() == before


def test_an_interrupting_boundary_message_cancels_the_task() -> None:
    inst = _order_process()
    assert inst.deliver_message("order_cancelled", {"reason": "changed mind"}) is True
    assert inst.status == "completed"
    assert inst.human_tasks() == []
    assert inst.data["reason"] == "changed mind"


def test_a_message_start_event_starts_the_instance_with_the_message() -> None:
    bundle = bundle_of("message_start.bpmn")
    [info] = bundle.processes
    assert info.message_starts == ("order_placed",) and info.startable_by_hand is False
    inst = Instance.start(bundle.definition("starts_by_message"), {"order": 7}, start_message="order_placed")
    assert [t.name for t in inst.human_tasks()] == ["Handle order"]
    assert inst.data == {"order": 7}
    assert inst.waiting() == []


def test_starting_by_a_message_the_process_does_not_start_with_fails() -> None:
    definition = bundle_of("message_start.bpmn").definition("starts_by_message")
    with pytest.raises(BpmnError, match="no message start event"):
        Instance.start(definition, {}, start_message="nope")


def test_waiter_and_chef_talk_by_messages_with_correlation_keys() -> None:
    waiter = _corpus("waiter/simple-message-waiter.bpmn", "Process_k6u417e")
    chef = _corpus("chef/simple-message-chef.bpmn", "Process_c707ql0")
    table3 = Instance.start(waiter, {})
    table4 = Instance.start(waiter, {})
    for inst, number in ((table3, 3), (table4, 4)):
        [task] = inst.human_tasks()
        inst.complete(task.id, {"order": {**ORDER, "table_number": number}})
    [order] = table3.take_thrown()
    assert order == ThrownMessage("order_accept", ORDER, kind="message")
    assert order.correlation == {"MainCorrelationKey": {"table_number": 3}}
    assert table3.take_thrown() == []  # taking empties the queue
    [wait] = table3.waiting()
    assert wait.message == "order_dispatch" and wait.correlation == order.correlation

    cook = Instance.start(chef, {}, start_message=order.name, message_data=order.payload)
    assert cook.data["order_to_cook"] == ORDER
    [confirm] = cook.human_tasks()
    cook.complete(confirm.id, {})
    [dispatch] = cook.take_thrown()
    assert cook.status == "completed" and dispatch.name == "order_dispatch"

    assert table4.deliver_message(dispatch.name, dispatch.payload, dispatch.correlation) is False
    assert table4.status == "running"
    assert table3.deliver_message(dispatch.name, dispatch.payload, dispatch.correlation) is True
    assert table3.status == "completed"
    assert table3.data["order"] == ORDER


def test_signals_reach_waiting_events_and_thrown_signals_are_collected() -> None:
    bundle = bundle_of("signal_catch_and_throw.bpmn")
    waiting = Instance.start(bundle.definition("waits_for_signal"), {})
    [wait] = waiting.waiting()
    assert (wait.kind, wait.message) == ("signal", "go")
    thrower = Instance.start(bundle.definition("throws_signal"), {})
    [thrown] = thrower.take_thrown()
    assert (thrown.kind, thrown.name) == ("signal", "go")
    assert waiting.deliver_message("go", {}) is False  # a signal is not a message
    assert waiting.deliver_signal("go", {"colour": "green"}) is True
    assert waiting.status == "completed" and waiting.data == {"colour": "green"}


def test_thrown_messages_survive_dump_and_load_until_taken() -> None:
    waiter = _corpus("waiter/simple-message-waiter.bpmn", "Process_k6u417e")
    inst = Instance.start(waiter, {})
    [task] = inst.human_tasks()
    inst.complete(task.id, {"order": ORDER})
    again = Instance.load(waiter, inst.dump())
    assert [m.name for m in again.take_thrown()] == ["order_accept"]
    assert Instance.load(waiter, again.dump()).take_thrown() == []
