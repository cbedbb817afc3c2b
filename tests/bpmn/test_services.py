"""Service tasks park for a worker: what each asks for, and how its result or BPMN error comes back."""

from __future__ import annotations

from typing import Any

import pytest

from bpmn import (
    DEFAULT_RETRY,
    Instance,
    RetryCycleInvalid,
    RetryPolicy,
    TaskNotReady,
    parse_retry_cycle,
)
from tests.bpmn.helpers import bundle_of

ORDER = {"baseUrl": "http://shop.test", "orderId": 7, "amount": 3, "region": "eu"}


def start(file: str, process_id: str, data: dict[str, Any]) -> Instance:
    return Instance.start(bundle_of(file).definition(process_id), data)


def reloaded(inst: Instance) -> Instance:
    """The instance after a save and load, as the server keeps it between changes."""
    return Instance.load(inst.definition, inst.dump())


def test_camunda_connector_parameters_are_evaluated_over_the_task_data() -> None:
    inst = start("camunda_http_connector.bpmn", "http_connector", ORDER)
    [service] = inst.service_tasks()
    assert (service.element_id, service.name, service.implementation) == ("Fetch_order", "Fetch order",
                                                                         "connector")
    assert service.connector == "http-connector"
    assert service.params == {
        "url": "http://shop.test/orders/7",
        "method": "POST",
        "headers": {"Accept": "application/json", "X-Order": 7},
        "payload": {"amount": 6, "tags": ["rush", "eu"]},
        "note": "order 7",
        "nothing": None,
    }
    assert service.outputs == ("httpStatus", "orderState", "firstItem")
    assert service.retry == RetryPolicy(5, (2.0,))
    assert service.problem is None
    assert [w.kind for w in inst.waiting()] == ["service"]


def test_the_result_goes_through_the_output_mappings_and_the_instance_moves_on() -> None:
    inst = reloaded(start("camunda_http_connector.bpmn", "http_connector", ORDER))
    task_id = inst.service_tasks()[0].task_id
    result = {"statusCode": 201, "body": {"state": "packed", "items": ["book", "pen"]}, "headers": {}}
    assert inst.complete_service(task_id, result) is True
    inst = reloaded(inst)
    assert [t.element_id for t in inst.human_tasks()] == ["Check"]
    assert inst.service_tasks() == []
    assert {k: inst.data[k] for k in ("httpStatus", "orderState", "firstItem")} == {
        "httpStatus": 201, "orderState": "packed", "firstItem": "book"}
    assert "body" not in inst.data  # only what the mappings name becomes a variable


def test_a_duplicate_result_changes_nothing() -> None:
    inst = start("camunda_http_connector.bpmn", "http_connector", ORDER)
    task_id = inst.service_tasks()[0].task_id
    assert inst.complete_service(task_id, {"statusCode": 200, "body": {"state": "a", "items": [1]}})
    before = inst.dump()
    assert inst.complete_service(task_id, {"statusCode": 500, "body": {"state": "b", "items": [2]}}) is False
    assert inst.dump() == before
    assert inst.service_task(task_id) is None


def test_a_failing_output_mapping_puts_the_task_in_error() -> None:
    inst = start("camunda_http_connector.bpmn", "http_connector", ORDER)
    task_id = inst.service_tasks()[0].task_id
    inst.complete_service(task_id, {"statusCode": 200, "body": "not json"})
    assert inst.status == "error"
    [failure] = inst.failures()
    assert failure.element_id == "Fetch_order" and "output" in failure.message


def test_a_parameter_that_cannot_be_evaluated_is_a_problem_not_a_crash() -> None:
    inst = start("camunda_http_connector.bpmn", "http_connector", {"orderId": 1, "amount": 1, "region": "x"})
    [service] = inst.service_tasks()
    assert service.problem is not None and "input 'url'" in service.problem and "baseUrl" in service.problem


def test_a_modelled_error_boundary_catches_its_code() -> None:
    inst = reloaded(start("service_error_boundary.bpmn", "service_error_boundary", {"url": "http://x/1"}))
    [service] = inst.service_tasks()
    assert (service.implementation, service.connector, service.params) == ("external", "http",
                                                                            {"url": "http://x/1"})
    assert inst.throw_service_error(service.task_id, "HTTP_404", "GET http://x/1 answered 404") is True
    inst = reloaded(inst)
    assert [t.element_id for t in inst.human_tasks()] == ["Tell_customer"]
    assert inst.service_tasks() == [] and inst.status == "running"
    assert inst.data["errorCode"] == "HTTP_404"
    assert inst.data["errorMessage"] == "GET http://x/1 answered 404"


def test_an_error_no_boundary_catches_changes_nothing() -> None:
    inst = start("service_error_boundary.bpmn", "service_error_boundary", {"url": "http://x/1"})
    task_id = inst.service_tasks()[0].task_id
    before = inst.dump()
    assert inst.throw_service_error(task_id, "HTTP_500", "boom") is False
    assert inst.dump() == before and inst.service_task(task_id) is not None


def test_throwing_from_a_task_that_is_not_parked_is_refused() -> None:
    inst = start("service_error_boundary.bpmn", "service_error_boundary", {"url": "http://x/1"})
    task_id = inst.service_tasks()[0].task_id
    inst.complete_service(task_id, {})
    with pytest.raises(TaskNotReady):
        inst.throw_service_error(task_id, "HTTP_404", "late")


def test_every_way_a_model_names_its_implementation() -> None:
    inst = start("service_implementations.bpmn", "service_implementations", {"item": 4})
    seen = []
    results: list[dict[str, Any]] = [{"archived": True}, {"score": 9}, {"bean": "ok"}, {"http_status": 200},
                                     {}]
    for result in results:
        [service] = inst.service_tasks()
        seen.append((service.element_id, service.implementation, service.connector, service.result_variable))
        if service.implementation == "operator":
            assert service.params == {"url": "https://example.org/items/4", "headers": {"X-Item": 4}}
        assert inst.complete_service(service.task_id, result)
        inst = reloaded(inst)
    assert seen == [
        ("By_topic", "external", "archive", None),
        ("By_class", "class", "org.example.ScoreDelegate", None),
        ("By_delegate", "delegateExpression", "scoreDelegate", None),
        ("By_operator", "operator", "http/GetRequestV2", "fetched"),
        ("No_implementation", "none", None, None),
    ]
    assert inst.status == "completed"
    assert inst.data["archived"] is True and inst.data["score"] == 9 and inst.data["bean"] == "ok"
    assert inst.data["fetched"] == {"http_status": 200}


def test_skipping_sets_the_given_variables_without_output_mappings() -> None:
    inst = start("camunda_http_connector.bpmn", "http_connector", ORDER)
    task_id = inst.service_tasks()[0].task_id
    assert inst.complete_service(task_id, {"orderState": "skipped by hand"}, map_outputs=False)
    assert inst.data["orderState"] == "skipped by hand" and "httpStatus" not in inst.data


@pytest.mark.parametrize(("cycle", "policy"), [
    ("R3/PT10S", RetryPolicy(3, (10.0,))),
    ("R1/PT1M", RetryPolicy(1, (60.0,))),
    ("PT10S,PT1M,PT5M", RetryPolicy(4, (10.0, 60.0, 300.0))),
    (" PT30S ", RetryPolicy(2, (30.0,))),
])
def test_retry_cycles_as_camunda_writes_them(cycle: str, policy: RetryPolicy) -> None:
    assert parse_retry_cycle(cycle) == policy


@pytest.mark.parametrize("cycle", ["R0/PT1S", "Rx/PT1S", "R3/10 seconds", "", "soon"])
def test_unreadable_retry_cycles_say_what_is_expected(cycle: str) -> None:
    with pytest.raises(RetryCycleInvalid, match="retry cycle"):
        parse_retry_cycle(cycle)


def test_the_default_policy_and_the_waits_between_attempts() -> None:
    assert RetryPolicy(3, (10.0, 60.0)) == DEFAULT_RETRY
    assert [DEFAULT_RETRY.delay_after(n) for n in (1, 2, 3)] == [10.0, 60.0, 60.0]
