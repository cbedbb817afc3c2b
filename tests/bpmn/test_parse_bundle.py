"""parse_bundle: problems a modeller can act on, SpiffWorkflow's silent defects guarded, warnings kept."""

from __future__ import annotations

import pytest

from bpmn import Instance, ModelInvalid, Problem, parse_bundle
from tests.bpmn.helpers import bundle_of, corpus_files, fixture_files


def rejected(*names: str) -> list[Problem]:
    with pytest.raises(ModelInvalid) as caught:
        bundle_of(*names)
    return caught.value.problems


def test_idless_sequence_flow_gets_an_id_and_the_model_really_runs() -> None:
    bundle = bundle_of("idless_sequence_flow.bpmn")
    assert [(w.line, w.element_id) for w in bundle.warnings] == [
        (5, "StartEvent_1__Review"), (7, "Review__EndEvent_1")]
    instance = Instance.start(bundle.definition("idless_flow"), {})
    # Without the ids SpiffWorkflow drops both flows and the instance "completes" at once.
    assert instance.status == "running"
    assert [t.element_id for t in instance.human_tasks()] == ["Review"]


def test_dangling_target_ref_names_the_flow_and_the_missing_target() -> None:
    [problem] = rejected("dangling_target_ref.bpmn")
    assert problem == Problem("dangling_target_ref.bpmn", 7, "Flow_lost",
                              "sequence flow Flow_lost points at 'nowhere', which does not exist")


def test_every_problem_of_a_model_is_reported() -> None:
    problems = rejected("unexecuted_constructs.bpmn")
    assert [(p.line, p.element_id) for p in problems] == [
        (5, "Flow_1"), (11, "Undo_booking"), (14, "Cancel_booking"), (15, "Jump")]


def test_non_executable_process_runs_with_a_warning() -> None:
    """When no process is marked executable, Baton runs them anyway (MIWG files are like that)."""
    bundle = bundle_of("non_executable.bpmn")
    assert [p.id for p in bundle.processes] == ["sketch"]
    [warning] = bundle.warnings
    assert (warning.line, warning.element_id, warning.severity) == (3, "sketch", "warning")
    assert "Baton runs it anyway" in warning.message
    assert [t.name for t in Instance.start(bundle.definition("sketch")).human_tasks()] == ["Do it"]


def test_non_executable_pool_beside_an_executable_one_is_documentation() -> None:
    bundle = bundle_of("executable_beside_documentation_pool.bpmn")
    assert [p.id for p in bundle.processes] == ["ours"]
    assert [w.element_id for w in bundle.warnings] == ["Decide", "customer"]
    # its gateway leading nowhere is only a warning there (bpmn/implicit_end.py)
    assert "its process is not marked executable" in bundle.warnings[0].message
    assert "does not offer it for starting" in bundle.warnings[1].message


def test_reserved_element_id_is_rejected() -> None:
    [problem] = rejected("reserved_start_id.bpmn")
    assert (problem.line, problem.element_id) == (4, "Start")
    assert "reserved" in problem.message


def test_javascript_script_task_is_rejected() -> None:
    [problem] = rejected("javascript_script.bpmn")
    assert (problem.line, problem.element_id) == (6, "Js")
    assert "Python scripts only" in problem.message


def test_business_rule_task_without_decision_is_a_problem_not_a_key_error() -> None:
    [problem] = rejected("business_rule_without_decision.bpmn")
    assert (problem.file, problem.line, problem.element_id) == (
        "business_rule_without_decision.bpmn", 6, "Decide")
    assert "camunda:decisionRef" in problem.message


def test_decision_missing_from_the_deployment_names_the_task() -> None:
    [problem] = rejected("camunda_decision.bpmn")
    assert (problem.file, problem.line, problem.element_id) == ("camunda_decision.bpmn", 6, "Classify")
    assert "classify_amount" in problem.message


def test_call_activity_to_a_process_not_deployed() -> None:
    [problem] = rejected("caller.bpmn")
    assert (problem.file, problem.line, problem.element_id) == ("caller.bpmn", 6, "Call")
    assert "'callee'" in problem.message


def test_call_activity_across_files() -> None:
    bundle = bundle_of("caller.bpmn", "callee.bpmn")
    assert sorted(p.id for p in bundle.processes) == ["callee", "caller"]
    instance = Instance.start(bundle.definition("caller"))
    [task] = instance.human_tasks()
    assert (task.element_id, task.process_id) == ("Inner", "callee")
    instance.complete(task.id, {})
    assert instance.status == "completed"


def test_schema_findings_are_warnings_and_the_model_deploys() -> None:
    bundle = bundle_of("schema_invalid_but_runs.bpmn")
    [warning] = bundle.warnings
    assert (warning.file, warning.line, warning.element_id) == ("schema_invalid_but_runs.bpmn", 9, "Odd_1")
    assert warning.severity == "warning" and "bpmn:madeUpElement" in warning.message


def test_same_process_id_in_two_files_is_a_problem() -> None:
    files = fixture_files("callee.bpmn")
    files["copy.bpmn"] = files["callee.bpmn"]
    with pytest.raises(ModelInvalid) as caught:
        parse_bundle(files)
    [problem] = caught.value.problems
    assert (problem.file, problem.element_id) == ("copy.bpmn", "callee")


def test_checksum_depends_on_names_and_contents_not_order() -> None:
    files = fixture_files("caller.bpmn", "callee.bpmn")
    reordered = dict(reversed(list(files.items())))
    assert parse_bundle(files).checksum == parse_bundle(reordered).checksum
    renamed = {"other.bpmn" if k == "caller.bpmn" else k: v for k, v in files.items()}
    assert parse_bundle(renamed).checksum != parse_bundle(files).checksum


def test_process_info_from_camunda_attributes() -> None:
    [info] = bundle_of("camunda_assignment.bpmn").processes
    assert (info.id, info.name, info.file) == ("expense", "Expense claim", "camunda_assignment.bpmn")
    assert info.documentation == "Claim back what you spent."
    assert info.candidate_starter_groups == ("staff", "contractors")
    assert info.candidate_starter_users == ("alice",)
    assert info.startable_by_hand is True
    assert info.lanes == ("Finance", "Staff")
    assert info.start_form == [{
        "id": "amount", "label": "Amount", "type": "long", "default": None,
        "constraints": [{"name": "required", "config": None}, {"name": "min", "config": "1"}],
        "values": [], "properties": {}}]


def test_message_start_process_is_not_startable_by_hand() -> None:
    bundle = parse_bundle(corpus_files(
        "sartography-example-process-models/examples/2-in-depth/2-4-messages/chef/simple-message-chef.bpmn"))
    assert [p.startable_by_hand for p in bundle.processes] == [False]
