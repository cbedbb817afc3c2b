"""Camunda 7 constructs: data references as documentation, generated forms for embedded ones,
input/output mappings with local inputs, call activity in/out, Java delegates, and constructs Baton
does not run rejected by element."""

from __future__ import annotations

from lxml import etree

from bpmn import Instance, java_delegates, parse_bundle
from bpmn.data_refs import references
from tests.bpmn.helpers import corpus_files, fixture_files
from tests.bpmn.test_parse_bundle import rejected

INVOICE = "camunda-invoice/examples/invoice/src/main/resources/invoice.v2.bpmn"


def test_data_store_and_data_object_references_deploy_as_documentation() -> None:
    files = fixture_files("data_references.bpmn")
    bundle = parse_bundle(files)
    assert [(w.line, w.element_id, w.severity) for w in bundle.warnings] == [
        (7, "Ledger", "warning"), (8, "Receipt_ref", "warning")]
    assert "data store reference 'Ledger' is documentation" in bundle.warnings[0].message
    assert "read by Book the payment" in bundle.warnings[0].message
    assert "written by Book the payment" in bundle.warnings[1].message
    instance = Instance.start(bundle.definition("data_references"), {"x": 1})
    [task] = instance.human_tasks()
    instance.complete(task.id, {"paid": True})
    assert instance.status == "completed"
    assert instance.data == {"x": 1, "paid": True}
    documented = references(etree.fromstring(files["data_references.bpmn"]))
    assert [(r.element_id, r.name, r.kind, r.read_by, r.written_by) for r in documented] == [
        ("Ledger", "Ledger", "data store", ("Book the payment",), ()),
        ("Receipt_ref", "Receipt", "data object", (), ("Book the payment",))]


def test_constructs_baton_does_not_run_are_rejected_by_element() -> None:
    problems = {p.element_id: p.message for p in rejected("unexecuted_constructs.bpmn")}
    assert "Baton does not run compensation events" in problems["Undo_booking"]
    assert "compensation handler" in problems["Cancel_booking"]
    assert "Baton does not run link events" in problems["Jump"]


def test_listeners_are_reported_as_not_run() -> None:
    bundle = parse_bundle(corpus_files(INVOICE))
    listeners = [w for w in bundle.warnings if "taskListener" in w.message]
    assert [(w.line, w.element_id) for w in listeners] == [(33, "approveInvoice"), (38, "approveInvoice")]
    assert "(create: a javascript script) is not run by Baton" in listeners[0].message


def test_embedded_forms_are_replaced_by_generated_ones_with_a_warning() -> None:
    bundle = parse_bundle(corpus_files(INVOICE))
    replaced = {w.element_id: w for w in bundle.warnings if "camunda:formKey" in w.message}
    assert sorted(replaced) == ["StartEvent_1", "approveInvoice", "assignReviewer", "prepareBankTransfer",
                                "reviewInvoice"]
    assert "'embedded:app:forms/start-form.html'" in replaced["StartEvent_1"].message
    assert replaced["StartEvent_1"].line == 70
    [invoice] = [p for p in bundle.processes if p.id == "invoice"]
    start = {f["id"]: f for f in invoice.start_form}
    assert list(start) == ["amount", "invoiceCategory", "invoiceDocument", "creditor", "invoiceNumber"]
    assert (start["amount"]["type"], start["amount"]["label"]) == ("string", "Invoice Amount")
    assert start["invoiceCategory"]["type"] == "enum"
    assert [v["id"] for v in start["invoiceCategory"]["values"]] == ["Travel Expenses", "Misc",
                                                                     "Software License Costs"]
    assert start["creditor"]["type"] == "string"
    instance = Instance.start(bundle.definition("invoice"), {"amount": 30.0, "invoiceCategory": "Misc"})
    [approve] = instance.human_tasks()
    assert [(f["id"], f["type"]) for f in approve.form_fields] == [("approved", "boolean")]
    assert approve.candidate_groups == ("accounting", "sales")
    instance.complete(approve.id, {"approved": False})
    [assign] = instance.human_tasks()
    assert [f["id"] for f in assign.form_fields] == ["reviewer"]
    instance.complete(assign.id, {"reviewer": "demo"})
    [review] = instance.human_tasks()
    assert [(f["id"], f["type"]) for f in review.form_fields] == [("clarified", "boolean")]


def test_call_activity_in_and_out_pass_only_the_mapped_variables() -> None:
    bundle = parse_bundle(corpus_files(INVOICE))
    instance = Instance.start(bundle.definition("invoice"), {"amount": 30.0, "invoiceCategory": "Misc",
                                                             "creditor": "Acme", "secret": "kept home"})
    instance.complete(instance.human_tasks()[0].id, {"approved": False})
    [assign] = instance.human_tasks()
    instance.complete(assign.id, {"reviewer": "demo"})
    [review] = instance.human_tasks()
    instance.complete(review.id, {"clarified": True})
    [again] = instance.human_tasks()
    assert again.element_id == "approveInvoice"
    assert instance.data["clarified"] is True
    assert "reviewer" not in instance.data  # camunda:out names only clarified
    assert instance.data["secret"] == "kept home"


def test_input_output_mappings_on_user_tasks_scripts_and_events() -> None:
    bundle = parse_bundle(fixture_files("io_mappings.bpmn"))
    instance = Instance.start(bundle.definition("io_mappings"), {"orderId": 7, "amount": 10})
    [review] = instance.human_tasks()
    assert review.properties == {"checklist": "stock, price"}
    instance.complete(review.id, {"verdict": "ok"})
    data = instance.data
    # inputs were local: `amount` is 10 again after Review (it was 20 inside), `label` and `factor` gone
    assert data["reviewNote"] == "Order 7: ok"
    assert (data["amount"], data["subtotal"], data["total"]) == (10, 30, 31)
    assert "label" not in data and "factor" not in data
    assert data["announced"] is True
    [failure] = instance.failures()
    assert failure.element_id == "Broken"
    assert "input parameter 'oops'" in failure.message and "missing" in failure.message


def test_java_delegates_are_listed_with_file_line_and_element() -> None:
    [delegate] = java_delegates(corpus_files(INVOICE))
    assert (delegate.file, delegate.line, delegate.element_id, delegate.kind, delegate.name) == (
        "invoice.v2.bpmn", 79, "ServiceTask_1", "class",
        "org.camunda.bpm.example.invoice.service.ArchiveInvoiceService")
