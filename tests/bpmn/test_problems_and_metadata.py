"""Problem messages rewritten for modellers, and metadata read from camunda: attributes."""

from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from bpmn import Instance
from bpmn.metadata import split_list
from bpmn.problems import from_validation_exception
from tests.bpmn.helpers import FIXTURES, bundle_of


def test_spiffs_found_two_items_message_is_rewritten() -> None:
    root = etree.fromstring((FIXTURES / "dangling_target_ref.bpmn").read_bytes())
    [review] = root.xpath("//*[@id='Review']")
    exc = ValidationException("When looking for a task spec, we found two items, perhaps a form has the "
                              "same ID? (nowhere)", node=review, file_name="dangling_target_ref.bpmn")
    problem = from_validation_exception(exc, {"dangling_target_ref.bpmn": root}, "x.bpmn")
    assert (problem.file, problem.line, problem.element_id) == ("dangling_target_ref.bpmn", 7, "Flow_lost")
    assert problem.message == "sequence flow Flow_lost points at 'nowhere', which does not exist"


def test_line_is_looked_up_from_the_element_id_when_spiff_gives_none() -> None:
    root = etree.fromstring((FIXTURES / "dangling_target_ref.bpmn").read_bytes())
    exc = ValidationException("Something about it", id="Review", file_name="")
    problem = from_validation_exception(exc, {"f.bpmn": root}, "f.bpmn")
    assert (problem.file, problem.line, problem.element_id, problem.message) == (
        "f.bpmn", 6, "Review", "Something about it")


def test_split_list_keeps_expressions_whole() -> None:
    assert split_list(" a, b ,${x, y},#{z},, ") == ["a", "b", "${x, y}", "#{z}"]
    assert split_list("") == []


def test_camunda_collection_multi_instance_runs_one_task_per_item() -> None:
    definition = bundle_of("camunda_collection.bpmn").definition("camunda_collection")
    instance = Instance.start(definition, {"reviewers": ["ann", "ben"]})
    tasks = instance.human_tasks()  # parallel: isSequential is not set
    assert [(t.element_id, t.assignee) for t in tasks] == [("Review", "ann"), ("Review", "ben")]
    for task in tasks:
        instance.complete(task.id, {})
    assert instance.status == "completed"
