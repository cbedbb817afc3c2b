"""Camunda 7 message and signal end events over the API: what the end event throws reaches the
waiting instance of another process (an intermediate message or signal catch event), through the
durable route row, and nothing else moves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server.test_event_depth_api import complete, deploy, instance, open_names, start, subscriptions

if TYPE_CHECKING:
    from tests.server.conftest import Api

FIXTURE = "end_event_throws_camunda.bpmn"


def test_a_message_end_event_reaches_the_instance_waiting_at_a_message_catch_event(api: Api) -> None:
    deploy(api, FIXTURE)
    waiter = start(api, "await_order_camunda")
    restock = start(api, "restock_camunda")
    assert open_names(api, waiter) == []
    assert (waiter, "message", "order_shipped", None) in subscriptions(api)
    dispatch = start(api, "dispatch_camunda")
    complete(api, dispatch, "Pack", {"outOfStock": False})
    assert instance(api, dispatch)["status"] == "completed"
    assert open_names(api, waiter) == ["Confirm delivery"]
    assert [s for s in subscriptions(api) if s[0] == waiter] == []
    assert open_names(api, restock) == []  # the signal catch event heard nothing
    complete(api, waiter, "Confirm delivery")
    assert instance(api, waiter)["status"] == "completed"


def test_a_signal_end_event_reaches_the_instance_waiting_at_a_signal_catch_event(api: Api) -> None:
    deploy(api, FIXTURE)
    restock = start(api, "restock_camunda")
    other = start(api, "restock_camunda")
    waiter = start(api, "await_order_camunda")
    assert (restock, "signal", "stock_ran_out", None) in subscriptions(api)
    dispatch = start(api, "dispatch_camunda")
    complete(api, dispatch, "Pack", {"outOfStock": True})
    assert instance(api, dispatch)["status"] == "completed"
    assert open_names(api, restock) == open_names(api, other) == ["Reorder stock"]  # a broadcast
    assert open_names(api, waiter) == []  # the message catch event got nothing
    complete(api, restock, "Reorder stock")
    assert instance(api, restock)["status"] == "completed"
