"""Conformance over the public corpus: every model deploys and reaches its first wait state, or is
rejected with a problem naming file, line and element (tests/bpmn/corpus, see its SOURCES.md)."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from bpmn import Instance, ModelInvalid, parse_bundle
from tests.bpmn.helpers import CORPUS, corpus_files

SAP = "sartography-example-process-models/examples/"
SPIFF = "spiffworkflow-tests/tests/SpiffWorkflow/"


class Rejected(NamedTuple):
    file: str
    line: int
    element_id: str
    message: str  # the start of the first problem's message


# process id -> (status, open human tasks sorted by name, waits as (kind, element id, message name))
Started = dict[str, tuple[str, list[str], list[tuple[str, str, str | None]]]]

EXPECTED: dict[str, Started | Rejected] = {
    SAP + "0-1-minimal-example/hello-world.bpmn": {
        "Process_7kik021": ("running", ["Show Example Manual Task"], [])},
    SAP + "1-basic-concepts/1-4-decisions/decision_example.bpmn": {
        "Process_5bmdbcp": ("running", ["Select a Pizza"], [])},
    SAP + "2-in-depth/2-3-sub-processes/food-ordering-process.bpmn": {
        "Food_Ordering_Process": ("running", ["Enter Name"], []),
        "Handle_Payment": ("running", ["Select Payment Method"], [])},
    SAP + "2-in-depth/2-5-loops/looping-tasks/looping-tasks.bpmn": {
        "Process_looping_tasks_ko1ubip": ("completed", [], [])},
    SAP + "2-in-depth/2-5-loops/multi-instance/multi-instance.bpmn": {
        "Process_multi_instance_f7w10zo": ("running", ["Edit Composer"], [])},
    SAP + "2-in-depth/events/timer-events/timer-events.bpmn": {
        "Process_timer_events_oh3akqq": (
            "running", ["Example manual task"], [("timer", "Event_0bzzc9k", None)])},
    SAP + "2-in-depth/events/escalation-events/escalation-events.bpmn": {
        "Process_escalation_events_iq40493": ("running", ["Select your Path"], [])},
    SAP + "2-in-depth/2-4-messages/waiter/simple-message-waiter.bpmn": {
        "Process_k6u417e": ("running", ["Take Order"], [])},
    SAP + "2-in-depth/2-4-messages/chef/simple-message-chef.bpmn": {
        "Process_c707ql0": ("running", [], [("message", "StartEvent_1", "order_accept")])},
    SAP + "2-in-depth/parallel-user-task-data/parallel-user-task-data.bpmn": {
        "Process_parallel_user_task_data_k5yzqsp": ("running", ["task B", "task\xa0\nA"], [])},
    SAP + "3-use-cases/allow-updates-until-approved/edit_till_action.bpmn": {
        "edit_till_action": ("running", ["Fill Out Request"], [])},
    SPIFF + "bpmn/data/Approvals.bpmn": {
        "Approvals": ("running", ["Manager Approval", "Supervisor Approval"], []),
        "First_Approval_Wins": ("running", ["Manager Approval", "Supervisor Approval"], []),
        "Parallel_Approvals_SP": ("running", ["Manager Approval", "Operator Approval"], [])},
    # its signal event subprocess listens while the process runs (bpmn/event_subprocesses.py)
    SPIFF + "bpmn/data/event-subprocess.bpmn": {
        "main": ("running", ["set data"], [("signal", "Event_0rfrdxr", "start_sub")])},
    SPIFF + "bpmn/data/inclusive_gateway.bpmn": {"main": ("running", ["Set Data"], [])},
    SPIFF + "bpmn/data/transaction.bpmn": {"Main_Process": ("running", ["Get Data"], [])},
    SPIFF + "bpmn/data/event-gateway.bpmn": {
        "Process_0pvx19v": ("running", [], [("message", "Gateway_1434v9l", "message_1"),
                                             ("message", "Gateway_1434v9l", "message_2"),
                                             ("timer", "Gateway_1434v9l", None)])},
    SPIFF + "bpmn/data/timer-cycle.bpmn": {
        "timer": ("running", ["Get coffee"], [("timer", "CatchMessage", None)])},
    SPIFF + "bpmn/data/correlation.bpmn": {
        "proc_1": ("running", ["Configure Data", "Configure Data"], []),
        "proc_2": ("running", [], [("message", "message_start", "init_proc_2")])},
    SPIFF + "bpmn/data/parallel_multiinstance_cardinality.bpmn": {
        "main": ("running", ["Any Task", "Any Task", "Any Task"], [])},
    SPIFF + "camunda/data/subWorkflowComplex.bpmn": {"SubWorkflow": ("running", ["FormA"], [])},
    "spiff-example-cli/bpmn/tutorial/top_level.bpmn": {
        "order_product": ("running", ["Select Product and Quantity"], []),
        "customize_product": ("running", ["Select Product and Quantity"], [])},
    "camunda-invoice/examples/invoice/src/main/resources/reviewInvoice.bpmn": {
        "ReviewInvoice": ("running", ["Assign Reviewer"], [])},
    "camunda-bpm-examples/usertask/task-camunda-forms/src/main/resources/invoiceApproval.bpmn": {
        "camundaFormsQuickstart": ("running", ["Approve Invoice"], [])},
    "camunda-bpm-examples/usertask/task-form-embedded/src/main/resources/loanApproval.bpmn": {
        "embeddedFormsQuickstart": ("running", ["Approve Request"], [])},
    # isExecutable="false" and nothing else in the file: Baton runs it anyway, with a warning.
    "miwg/Reference/A.1.0.bpmn": {"WFP-6-": ("running", ["Task 1"], [])},
    # Its data store reference is documentation (a warning); started with START_DATA, the DMN
    # (decisions requiring decisions, collectEntries) picks the approver groups (tests/server/test_invoice.py
    # runs it end to end).
    "camunda-invoice/examples/invoice/src/main/resources/invoice.v2.bpmn": {
        "invoice": ("running", ["Approve Invoice"], []),
        "ReviewInvoice": ("running", ["Assign Reviewer"], [])},
    # NEGATIVE: a gateway's outgoing flow without a condition that is not the default flow.
    "miwg/Reference/A.2.0.bpmn": Rejected(
        "A.2.0.bpmn", 40, "_f1478fb7-98c4-4c01-8c15-68bd04c91535",
        "this sequence flow leaves an exclusive or inclusive gateway without a condition"),
}


# Variables a process needs at its start (what its start form asks), by process id; else none.
START_DATA: dict[str, dict[str, Any]] = {
    "invoice": {"creditor": "Great Pizza for Everyone Inc.", "amount": "30.00",
                "invoiceCategory": "Travel Expenses", "invoiceNumber": "GPFE-23232323"},
}


# Models driven to their end: (path, process id, the forms given to the open task in turn, the
# variables the path leaves). transaction.bpmn's error and cancel paths end implicitly (a script task
# without an outgoing flow, bpmn/implicit_end.py): what that last script sets is the process's.
FinishedPath = tuple[str, str, list[dict[str, Any]], dict[str, Any]]
FINISHED: list[FinishedPath] = [
    (SPIFF + "bpmn/data/transaction.bpmn", "Main_Process", [{"value": "x"}, {"quantity": 2}],
     {"value": "x", "quantity": 2}),  # the end event, after "Print Data"
    # "Quantity == Zero" throws an error without a code: "Catch Error None" runs "Error None Action";
    # the catching path sees the transaction's variables
    (SPIFF + "bpmn/data/transaction.bpmn", "Main_Process", [{"value": "x"}, {"quantity": 0}],
     {"value": "x", "quantity": 0, "reason": "Error None"}),
    # "Empty Data" cancels the transaction: "Catch Cancel Event" runs "Cancel Action", from the
    # variables the process had before the transaction
    (SPIFF + "bpmn/data/transaction.bpmn", "Main_Process", [{"value": ""}], {"reason": "Cancel"}),
]


def test_every_listed_model_has_an_expected_outcome() -> None:
    assert sorted((CORPUS / "files.txt").read_text().split()) == sorted(EXPECTED)
    assert (CORPUS / "SOURCES.md").exists()


def _outcome(bundle: Any) -> Started:
    outcome: Started = {}
    for process in bundle.processes:
        instance = Instance.start(bundle.definition(process.id), START_DATA.get(process.id))
        outcome[process.id] = (
            instance.status,
            sorted(task.name for task in instance.human_tasks()),
            sorted(((w.kind, w.element_id, w.message) for w in instance.waiting()), key=str),
        )
        assert instance.failures() == []
    return outcome


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_corpus_model(path: str) -> None:
    expected = EXPECTED[path]
    if isinstance(expected, Rejected):
        with pytest.raises(ModelInvalid) as caught:
            parse_bundle(corpus_files(path))
        first = caught.value.problems[0]
        assert (first.file, first.line, first.element_id) == expected[:3]
        assert first.message.startswith(expected.message)
    else:
        assert _outcome(parse_bundle(corpus_files(path))) == expected


@pytest.mark.parametrize("path", sorted(p for p, e in EXPECTED.items() if not isinstance(e, Rejected)))
def test_corpus_state_survives_dump_and_load(path: str) -> None:
    bundle = parse_bundle(corpus_files(path))
    for process in bundle.processes:
        definition = bundle.definition(process.id)
        instance = Instance.start(definition, START_DATA.get(process.id))
        reloaded = Instance.load(definition, instance.dump())
        assert [t.id for t in reloaded.human_tasks()] == [t.id for t in instance.human_tasks()]
        assert reloaded.waiting() == instance.waiting()
        assert reloaded.status == instance.status


@pytest.mark.parametrize(("path", "process_id", "forms", "data"), FINISHED)
def test_corpus_model_runs_to_its_end(path: str, process_id: str, forms: list[dict[str, Any]],
                                      data: dict[str, Any]) -> None:
    definition = parse_bundle(corpus_files(path)).definition(process_id)
    instance = Instance.start(definition, START_DATA.get(process_id))
    for form in forms:
        instance = Instance.load(definition, instance.dump())
        [task] = instance.human_tasks()
        instance.complete(task.id, form)
    assert instance.failures() == []
    assert (instance.status, instance.human_tasks(), instance.data) == ("completed", [], data)
