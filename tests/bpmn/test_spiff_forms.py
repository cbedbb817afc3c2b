"""SpiffArena user-task forms in the engine layer: form files deployed beside the model, choices and
instructions resolved when the task opens, pre- and post-scripts with their failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bpmn import Definition, Instance, ModelInvalid, parse_bundle
from bpmn.spiff_forms import render_instructions
from tests.bpmn.helpers import FIXTURES, corpus_files, fixture_files

FRUIT = ("spiff_fruit_order.bpmn", "fruit-schema.json", "fruit-uischema.json")


def fruit_files(**replace: bytes | None) -> dict[str, bytes]:
    files = fixture_files(*FRUIT)
    for name, content in replace.items():
        name = name.replace("_", "-") + ".json"
        if content is None:
            del files[name]
        else:
            files[name] = content
    return files


def start(files: dict[str, bytes] | None = None, **data: Any) -> Instance:
    bundle = parse_bundle(files or fruit_files())
    return Instance.start(bundle.definition("fruit_order"), {"customer": "Ada", "price_each": 2, **data})


def test_the_form_files_are_stored_in_the_spec_and_listed_with_their_place() -> None:
    bundle = parse_bundle(fruit_files())
    [form] = bundle.forms
    assert (form.file, form.line, form.element_id, form.schema_file) == (
        "spiff_fruit_order.bpmn",
        8,
        "choose",
        "fruit-schema.json",
    )
    assert form.schema["required"] == ["fruit", "quantity"] and form.ui_schema is not None
    assert bundle.warnings == []


def test_the_opened_task_carries_its_schema_with_choices_from_task_data() -> None:
    [task] = start().human_tasks()
    [record] = task.form_fields
    assert record["kind"] == "spiffarena" and record["schema_file"] == "fruit-schema.json"
    assert record["schema"]["properties"]["fruit"]["anyOf"] == [
        {"const": "apple", "title": "Apple"},
        {"const": "pear", "title": "Pear"},
    ]
    assert record["ui_schema"]["ui:order"] == ["quantity", "*"]
    assert task.problems == ()


def test_instructions_are_rendered_with_the_task_data_after_the_pre_script() -> None:
    [task] = start().human_tasks()
    assert task.form_fields[0]["instructions"] == (
        "## Hello Ada\n\nPick one of our **2** fruits. <b>No HTML</b> here."
    )


def test_post_script_runs_on_completion_and_the_next_instructions_see_its_result() -> None:
    instance = start()
    [task] = instance.human_tasks()
    instance.complete(
        task.id, {"fruit": "pear", "quantity": 3, "delivery": {"day": "2024-05-01", "notes": ["Ring twice"]}}
    )
    [receipt] = instance.human_tasks()
    assert receipt.form_fields == [
        {
            "kind": "spiffarena",
            "schema": None,
            "ui_schema": None,
            "schema_file": None,
            "instructions": "You ordered 3 x pear for 6.\n\n* Ring twice\n",
        }
    ]
    assert instance.data["total"] == 6


def test_the_record_survives_the_definition_round_trip() -> None:
    bundle = parse_bundle(fruit_files())
    stored = json.loads(json.dumps(bundle.definition("fruit_order").to_dict()))
    instance = Instance.start(Definition.from_dict(stored), {"customer": "Bo"})
    [task] = instance.human_tasks()
    assert task.form_fields[0]["instructions"].startswith("## Hello Bo")


def test_choices_from_a_missing_variable_are_a_problem_on_the_task() -> None:
    source = (FIXTURES / "spiff_fruit_order.bpmn").read_bytes().replace(b"fruits = [", b"other = [")
    [task] = start({**fruit_files(), "spiff_fruit_order.bpmn": source}).human_tasks()
    assert task.form_fields[0]["schema"]["properties"]["fruit"]["anyOf"] == [
        "options_from_task_data_var:fruits"
    ]
    assert task.problems == ("choices of fruit: the task data has no list named 'fruits'",)


def test_a_missing_schema_file_is_a_problem_at_the_task() -> None:
    with pytest.raises(ModelInvalid) as caught:
        parse_bundle(fruit_files(fruit_schema=None))
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("spiff_fruit_order.bpmn", 8, "choose")
    assert (
        "formJsonSchemaFilename names 'fruit-schema.json', which is not among the uploaded files"
        in problem.message
    )


def test_a_missing_ui_schema_file_is_a_problem_too() -> None:
    with pytest.raises(ModelInvalid) as caught:
        parse_bundle(fruit_files(fruit_uischema=None))
    assert "formUiSchemaFilename names 'fruit-uischema.json'" in caught.value.problems[0].message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"type": "object",',
            "fruit-schema.json is not valid JSON: Expecting property name enclosed in double "
            "quotes at line 1, column 19",
        ),
        (b"[1, 2]", "fruit-schema.json must hold a JSON object"),
        (b"\xff\xfe{}", "fruit-schema.json is not UTF-8 text"),
    ],
)
def test_an_unreadable_schema_file_is_a_problem_naming_it(content: bytes, message: str) -> None:
    with pytest.raises(ModelInvalid) as caught:
        parse_bundle(fruit_files(fruit_schema=content))
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element_id) == ("spiff_fruit_order.bpmn", 8, "choose")
    assert problem.message == f"formJsonSchemaFilename: {message}"


def test_json_files_no_task_names_are_a_warning() -> None:
    bundle = parse_bundle({**fruit_files(), "process_model.json": b"{}"})
    [warning] = bundle.warnings
    assert warning.file == "process_model.json" and "not a form any task names" in warning.message


def test_a_corpus_model_without_its_forms_is_rejected_at_the_task() -> None:
    path = "sartography-example-process-models/examples/1-basic-concepts/1-4-decisions/decision_example.bpmn"
    with pytest.raises(ModelInvalid) as caught:
        parse_bundle(corpus_files(path, with_forms=False))
    first = caught.value.problems[0]
    assert (first.file, first.line, first.element_id) == ("decision_example.bpmn", 24, "Activity_1vwj16k")
    assert "select-a-pizza-schema.json" in first.message


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ a ", "line 1: unexpected end of template"),
        ("{% for x in %}", "line 1:"),
        ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
        ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
        ("{{ missing.attribute }}", "'missing' is undefined"),
    ],
)
def test_jinja_errors_become_readable_messages(template: str, message: str) -> None:
    text, error = render_instructions(template, {})
    assert text == template and error is not None
    assert error.startswith("The instructions could not be shown") and message in error


def test_jinja_formats_values_like_spiffarena_models_do() -> None:
    text, error = render_instructions(
        '{{ "${:,.2f}".format(cost) }} for {{ name }}{{ nothing }}.', {"cost": 1234.5, "name": "Ada"}
    )
    assert (text, error) == ("$1,234.50 for Ada.", None)


def test_a_failing_instructions_template_keeps_the_task_usable() -> None:
    source = (
        (FIXTURES / "spiff_fruit_order.bpmn").read_bytes().replace(b"{{ customer }}", b"{{ customer.x.y }}")
    )
    [task] = start({**fruit_files(), "spiff_fruit_order.bpmn": source}).human_tasks()
    record = task.form_fields[0]
    assert "'str object' has no attribute 'x'" in record["instructions_error"]
    assert record["instructions"].startswith("## Hello {{ customer.x.y }}")


def test_a_failing_pre_script_fails_its_own_task_with_the_line() -> None:
    source = (
        (FIXTURES / "spiff_fruit_order.bpmn")
        .read_bytes()
        .replace(
            b"<spiffworkflow:preScript>fruits = [", b"<spiffworkflow:preScript>x = 1\nfruits = nothing + ["
        )
    )
    instance = start({**fruit_files(), "spiff_fruit_order.bpmn": source})
    [failure] = instance.failures()
    assert (failure.element_id, failure.line, instance.status) == ("choose", 2, "error")
    assert "name 'nothing' is not defined" in failure.message and "Pre-Script" in failure.message
    assert instance.human_tasks() == []


def test_a_failing_post_script_fails_the_completed_task_with_the_line() -> None:
    instance = start(price_each=None)
    [task] = instance.human_tasks()
    instance.complete(task.id, {"fruit": "apple", "quantity": 2, "delivery": {"day": "2024-05-01"}})
    [failure] = instance.failures()
    assert (failure.element_id, failure.line, instance.status) == ("choose", 1, "error")
    assert "Post-Script" in failure.message


def test_corpus_pre_script_computes_what_the_instructions_show() -> None:
    path = "sartography-example-process-models/examples/1-basic-concepts/1-4-decisions/decision_example.bpmn"
    bundle = parse_bundle(corpus_files(path))
    instance = Instance.start(bundle.definition("Process_5bmdbcp"))
    [task] = instance.human_tasks()
    instance.complete(task.id, {"size": "Large", "toppings": ["Ham", "Olives"]})
    [receipt] = instance.human_tasks()
    instructions = receipt.form_fields[0]["instructions"]
    assert "The base price for your Large Pizza is $16.00." in instructions
    assert "The total cost of your pizza is $20.00." in instructions


def test_current_task_data_fills_the_form_when_it_fits_the_field() -> None:
    [task] = start(
        quantity=5, fruit="pear", delivery={"day": "2024-01-02", "notes": ["Ring twice", "Sing"]}
    ).human_tasks()
    properties = task.form_fields[0]["schema"]["properties"]
    assert (properties["quantity"]["default"], properties["fruit"]["default"]) == (5, "pear")
    assert properties["delivery"]["properties"]["day"]["default"] == "2024-01-02"
    assert "default" not in properties["delivery"]["properties"]["notes"]  # "Sing" is not a choice


@pytest.mark.parametrize(
    "data",
    [{"quantity": "five"}, {"quantity": True}, {"fruit": "banana"}, {"delivery": {"day": "02/01/2024"}}],
)
def test_values_that_do_not_fit_leave_the_schema_default(data: dict[str, Any]) -> None:
    [task] = start(**data).human_tasks()
    properties = task.form_fields[0]["schema"]["properties"]
    assert properties["quantity"]["default"] == 1
    assert (
        "default" not in properties["fruit"] and "default" not in properties["delivery"]["properties"]["day"]
    )
