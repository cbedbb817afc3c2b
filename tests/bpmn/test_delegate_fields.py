"""camunda:field injections of Java delegates become the parameters of the connector bound to them:
strings as written, expressions evaluated over the task's variables, the task's own inputs winning;
a field without a name or value is rejected at deployment, one nothing receives is a warning."""

from __future__ import annotations

import pytest

from bpmn import Instance, ModelInvalid, parse_bundle
from tests.bpmn.helpers import bundle_of

ORDER = {"baseUrl": "http://shop.test", "orderId": 7, "amount": 3, "order": {"id": 7, "items": ["tea"]}}


def test_fields_are_parameters_with_the_inputs_winning_and_strings_taken_as_written() -> None:
    definition = bundle_of("camunda_field_injection.bpmn").definition("camunda_field_injection")
    inst = Instance.start(definition, ORDER)
    [notify] = inst.service_tasks()
    assert (notify.implementation, notify.connector) == ("class", "org.example.NotifyDelegate")
    assert notify.params == {"method": "PUT", "url": "http://shop.test/notify/7",
                             "json": {"id": 7, "items": ["tea"]}, "note": "Total ${amount}, as written"}
    assert notify.problem is None
    assert inst.complete_service(notify.task_id, {"statusCode": 200})
    inst = Instance.load(inst.definition, inst.dump())
    [archive] = inst.service_tasks()
    assert (archive.implementation, archive.connector) == ("delegateExpression", "archiveService")
    assert archive.params == {"url": "http://shop.test/archive/7", "payload": '{"archived": true}'}


def test_a_field_expression_that_fails_is_a_problem_naming_the_field() -> None:
    definition = bundle_of("camunda_field_injection.bpmn").definition("camunda_field_injection")
    inst = Instance.start(definition, {"baseUrl": "http://shop.test", "orderId": 7})  # no `order`
    [notify] = inst.service_tasks()
    assert notify.problem is not None and "camunda:field 'json'" in notify.problem


def _model(fields: str, implementation: str = 'camunda:class="org.example.X"') -> dict[str, bytes]:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="http://baton.example/test">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="Call" />
    <bpmn:serviceTask id="Call" {implementation}>
      <bpmn:extensionElements>{fields}</bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="Call" targetRef="e" />
    <bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>"""
    return {"fields.bpmn": xml.encode()}


@pytest.mark.parametrize(("fields", "says"), [
    ('<camunda:field name="url" />', "camunda:field 'url' has no value"),
    ('<camunda:field name="url" stringValue="a" expression="${b}" />', "camunda:field 'url' has more than"),
    ('<camunda:field stringValue="a" />', "this camunda:field has no name"),
])
def test_a_field_without_a_name_or_one_value_is_rejected_where_it_is(fields: str, says: str) -> None:
    with pytest.raises(ModelInvalid) as caught:
        parse_bundle(_model(fields))
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("fields.bpmn", 8, "Call")
    assert problem.message.startswith(says)


def test_a_field_on_a_task_that_is_no_java_delegate_is_a_warning() -> None:
    bundle = parse_bundle(_model('<camunda:field name="url" stringValue="a" />', 'camunda:type="external" '
                                                                               'camunda:topic="archive"'))
    [warning] = [w for w in bundle.warnings if "camunda:field" in w.message]
    assert (warning.line, warning.element_id) == (8, "Call")
    assert "nothing receives it" in warning.message
