"""Business rule tasks end to end: deploy, run, fail clearly; Camunda's and SpiffArena's decisions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bpmn import Definition, Instance, ModelInvalid, parse_bundle
from tests.bpmn.helpers import CORPUS, bundle_of, corpus_files, fixture_files

INVOICE = CORPUS / "camunda-invoice/examples/invoice/src/main/resources"


def invoice_definition() -> Definition:
    files = {**fixture_files("dmn_invoice_approver.bpmn"),
             "invoiceBusinessDecisions.dmn": (INVOICE / "invoiceBusinessDecisions.dmn").read_bytes()}
    return parse_bundle(files).definition("dmn_invoice_approver")


@pytest.mark.parametrize(
    ("amount", "category", "groups"),
    [
        (30, "Misc", ["accounting", "sales"]),  # day-to-day expense: two COLLECT rules match
        (250, "Misc", ["management"]),  # budget ([250..1000])
        (1001, "Misc", ["management"]),  # exceptional (> 1000)
        (5000, "Travel Expenses", ["accounting", "sales"]),  # empty amount cell: any amount
        (5000, "Software License Costs", ["management"]),
    ],
)
def test_camunda_invoice_decisions_with_collect_entries(amount: int, category: str,
                                                        groups: list[str]) -> None:
    instance = Instance.start(invoice_definition(), {"amount": amount, "invoiceCategory": category})
    assert instance.failures() == []
    assert instance.data["approverGroups"] == groups
    [task] = instance.human_tasks()
    assert task.candidate_groups == tuple(groups)
    assert "invoiceClassification" not in instance.data  # a required decision's result stays inside


def test_a_required_decision_without_result_fails_the_task_saying_so() -> None:
    instance = Instance.start(invoice_definition(), {"amount": 30, "invoiceCategory": "Gifts"})
    assert instance.status == "error"
    [failure] = instance.failures()
    assert failure.element_id == "assignApprover"
    assert failure.message == (
        "decision 'invoice-assign-approver': input 'Invoice Classification' (invoiceClassification): "
        "no variable 'invoiceClassification' is set (the required decision 'Invoice Classification' "
        "(invoiceClassification) gave no result)")


def test_a_missing_input_variable_fails_the_task() -> None:
    instance = Instance.start(invoice_definition(), {"invoiceCategory": "Misc"})
    [failure] = instance.failures()
    assert failure.message == ("decision 'invoiceClassification': input 'Invoice Amount' (amount): "
                               "no variable 'amount' is set")


def map_results(amount: int) -> dict[str, Any]:
    definition = bundle_of("dmn_map_decision_result.bpmn", "dmn_hit_policies.dmn").definition(
        "dmn_map_decision_result")
    instance = Instance.start(definition, {"amount": amount})
    assert instance.failures() == []
    assert [task.element_id for task in instance.human_tasks()] == ["Check"]
    return instance.data


def test_map_decision_result_variants_and_merged_results() -> None:
    data = map_results(25)
    assert data["single_entry"] == "first"
    assert data["single_result"] == {"result": "first"}
    assert data["collected"] == ["a", "b", "c"]
    assert data["result_list"] == [{"result": "a"}, {"result": "b"}, {"result": "c"}]
    assert data["size"] == "small"  # no camunda:resultVariable: the outputs are merged in
    assert data["fee"] == 5  # spiffworkflow:calledDecisionId, COLLECT SUM


def test_map_decision_result_without_a_match() -> None:
    data = map_results(0)
    assert data["collected"] == ["c"]
    assert "fee" not in data  # SUM over no match: no result, nothing merged


def test_decision_tasks_survive_definition_and_state_round_trips() -> None:
    bundle = bundle_of("dmn_map_decision_result.bpmn", "dmn_hit_policies.dmn")
    stored = json.loads(json.dumps(bundle.definition("dmn_map_decision_result").to_dict()))
    definition = Definition.from_dict(stored)
    state = json.loads(json.dumps(Instance.start(definition, {"amount": 2000}).dump()))
    instance = Instance.load(definition, state)
    assert instance.data["single_result"] == {"result": "other"}
    assert instance.data["fee"] == 35


def test_unique_violation_is_a_task_failure_naming_decision_and_rules() -> None:
    bundle = bundle_of("dmn_unique_violation.bpmn", "dmn_hit_policies.dmn")
    definition = bundle.definition("dmn_unique_violation")
    assert Instance.start(definition, {"amount": 70}).data["result"] == "a"
    instance = Instance.start(definition, {"amount": 10})
    assert instance.status == "error"
    [failure] = instance.failures()
    assert failure.element_id == "Decide"
    assert failure.message.startswith("decision 'unique_overlap': hit policy UNIQUE, but rules "
                                      "1 (unique_overlap_rule1) and 2 (unique_overlap_rule2) all match")


def test_feel_syntax_errors_at_deploy_name_file_line_and_rule() -> None:
    with pytest.raises(ModelInvalid) as caught:
        bundle_of("camunda_decision.bpmn", "dmn_feel_syntax_error.dmn")
    first, second = caught.value.problems
    assert (first.file, first.line, first.element_id) == ("dmn_feel_syntax_error.dmn", 11, "Rule_small")
    assert first.message.startswith(
        "rule 1, input 'Amount' (cell In_small) '[0..100': FEEL: the cell ends too early")
    assert "read as FEEL because it declares the camunda: namespace" in first.message
    assert (second.line, second.element_id) == (16, "Rule_big")
    assert "rule 2, output 'category' (cell Out_big)" in second.message


def test_a_decision_id_defined_twice_is_a_problem() -> None:
    with pytest.raises(ModelInvalid) as caught:
        parse_bundle({**fixture_files("camunda_decision.bpmn", "classify_amount.dmn"),
                      "copy.dmn": fixture_files("classify_amount.dmn")["classify_amount.dmn"]})
    assert any("decision id classify_amount is also defined in" in p.message for p in caught.value.problems)


def test_an_unknown_map_decision_result_is_a_problem() -> None:
    bpmn = fixture_files("dmn_unique_violation.bpmn")["dmn_unique_violation.bpmn"].replace(
        b'"singleEntry"', b'"firstEntry"')
    with pytest.raises(ModelInvalid) as caught:
        parse_bundle({"bad.bpmn": bpmn, **fixture_files("dmn_hit_policies.dmn")})
    [problem] = caught.value.problems
    assert (problem.element_id, problem.line) == ("Decide", 7)
    assert "camunda:mapDecisionResult 'firstEntry' is not one of" in problem.message


SAP_DECISIONS = ("sartography-example-process-models/examples/1-basic-concepts/1-4-decisions/"
                 "decision_example.bpmn")


@pytest.mark.parametrize(("size", "base", "per_topping"), [("Personal", 10.0, 1.0), ("Large", 16.0, 2.0)])
def test_sartography_decision_example_runs_python_cells(size: str, base: float, per_topping: float) -> None:
    bundle = parse_bundle(corpus_files(SAP_DECISIONS))
    instance = Instance.start(bundle.definition("Process_5bmdbcp"))
    [task] = instance.human_tasks()
    instance.complete(task.id, {"size": size, "toppings": []})
    assert instance.failures() == []
    assert (instance.data["base_price"], instance.data["cost_per_topping"]) == (base, per_topping)


def test_spiff_example_cli_product_prices() -> None:
    bundle = parse_bundle(corpus_files("spiff-example-cli/bpmn/tutorial/top_level.bpmn"))
    instance = Instance.start(bundle.definition("customize_product"))
    [task] = instance.human_tasks()
    instance.complete(task.id, {"product_name": "product_b", "product_quantity": 2})
    assert instance.failures() == []
    assert instance.status == "completed"
    assert instance.data["product_price"] == 15.0
