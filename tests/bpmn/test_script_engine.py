"""BatonScriptEngine driving real SpiffWorkflow runs: scripts, JUEL and Python conditions, DMN cells."""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from bpmn.errors import ExpressionError
from bpmn.sandbox import Budget
from bpmn.script_engine import BatonScriptEngine, evaluate_expression, storable

FIXTURES = Path(__file__).parent / "fixtures"


def _workflow(
    data: dict[str, Any], script: str | None = None, engine: BatonScriptEngine | None = None
) -> Any:
    parser = BpmnParser()
    parser.add_bpmn_file(str(FIXTURES / "script_engine_paths.bpmn"))
    spec = parser.get_spec("script_engine_paths")
    if script is not None:
        spec.task_specs["compute"].script = script
    workflow = BpmnWorkflow(spec, script_engine=engine or BatonScriptEngine())
    workflow.task_tree.data.update(data)
    return workflow


def _error_tasks(workflow: Any) -> list[str]:
    return [task.task_spec.bpmn_id for task in workflow.get_tasks(state=TaskState.ERROR)]


@pytest.mark.parametrize(
    ("amount", "urgent", "size"),
    [
        (60, False, "big"),
        (60, True, "medium"),
        (51, False, "big"),
        (50, False, "medium"),
        (3, False, "small"),
    ],
)
def test_script_then_juel_then_python_conditions(amount: int, urgent: bool, size: str) -> None:
    workflow = _workflow({"amount": amount, "urgent": urgent, "scratch": "gone"})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.last_task.data == {
        "amount": amount,
        "urgent": urgent,
        "total": amount * 2,
        "label": f"total {amount * 2}",
        "size": size,
    }  # `helper` (a lambda) was dropped, `scratch` was deleted by the script


def test_a_failing_script_puts_the_task_in_error_with_line_and_hint() -> None:
    workflow = _workflow({"amount": 1, "urgent": False}, script="x = 1\ny = amout + 1\n")
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    error = caught.value
    assert error.line_number == 2
    assert error.error_line == "y = amout + 1"
    assert "did you mean 'amount'?" in str(error)
    assert error.error_type == "ScriptError"
    assert error.task.task_spec.bpmn_id == "compute"
    assert _error_tasks(workflow) == ["compute"]


def test_a_sandbox_violation_is_a_task_error_not_a_syntax_error() -> None:
    workflow = _workflow({"amount": 1, "urgent": False}, script="x = 1\nimport os\n")
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert caught.value.line_number == 2
    assert "imports are not allowed" in str(caught.value)
    assert _error_tasks(workflow) == ["compute"]


def test_an_endless_script_is_stopped_by_the_budget() -> None:
    workflow = _workflow({"amount": 1, "urgent": False}, script="x = 0\nwhile True:\n    x += 1\n")
    started = time.monotonic()
    with pytest.raises(WorkflowTaskException, match=r"steps|seconds"):
        workflow.do_engine_steps()
    assert time.monotonic() - started < 1.5
    assert _error_tasks(workflow) == ["compute"]


def test_the_engine_budget_is_configurable() -> None:
    engine = BatonScriptEngine(Budget(max_steps=5))
    script = "\n".join(f"v{i} = {i}" for i in range(6))
    workflow = _workflow({"amount": 1, "urgent": False}, script=script, engine=engine)
    with pytest.raises(WorkflowTaskException, match="more than 5 steps"):
        workflow.do_engine_steps()


def test_a_bad_gateway_condition_names_the_expression_and_the_variables() -> None:
    workflow = _workflow({"amount": 60, "scratch": 1})  # no `urgent`
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    message = str(caught.value)
    assert "${total > 100 && !urgent}" in message
    assert "unknown variable 'urgent'" in message
    assert caught.value.error_type == "ExpressionError"


def test_script_results_keep_only_storable_values() -> None:
    script = (
        "when = date(2024, 5, 17)\nstamp = datetime(2024, 5, 17, 8, 30)\nmoney = Decimal('1.10')\n"
        "pair = (1, (2, 3))\nnested = {'a': [1, {'b': None}]}\nbag = {1, 2}\nfn = len\n"
        "gen = (i for i in [1])\ntotal = amount * 2"
    )
    workflow = _workflow({"amount": 60, "urgent": False, "scratch": 1}, script=script)
    workflow.do_engine_steps()
    data = workflow.last_task.data
    assert data["when"] == date(2024, 5, 17)
    assert data["stamp"] == datetime(2024, 5, 17, 8, 30)
    assert data["money"] == Decimal("1.10")
    assert data["pair"] == [1, [2, 3]]
    assert data["nested"] == {"a": [1, {"b": None}]}
    assert "bag" not in data and "fn" not in data and "gen" not in data
    assert "label" not in data and "scratch" in data


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, True), (1.5, True), ("s", True), (None, True), (True, True), (Decimal(1), True),
        (date(2024, 1, 1), True), ([1, {"a": (2,)}], True), ({1: "x"}, False), ({1, 2}, False),
        (len, False), (object(), False), ([[[[len]]]], False),
    ],
)
def test_storable(value: Any, expected: bool) -> None:
    assert storable(value) is expected


def _root_task(data: dict[str, Any]) -> Any:
    workflow = _workflow(data)
    return workflow.task_tree


def test_evaluate_merges_external_context_under_task_data() -> None:
    engine = BatonScriptEngine()
    task = _root_task({"amount": 5})
    assert engine.evaluate(task, "amount + extra", external_context={"extra": 2, "amount": 100}) == 7
    assert engine.evaluate(task, "${amount + extra}", external_context={"extra": 2}) == 7


def test_execute_leaves_unchanged_external_context_out_of_task_data() -> None:
    engine = BatonScriptEngine()
    task = _root_task({"amount": 5})
    assert engine.execute(task, "doubled = amount * factor", external_context={"factor": 3}) is True
    assert task.data == {"amount": 5, "doubled": 15}


def test_validate_raises_syntax_error_for_both_languages() -> None:
    engine = BatonScriptEngine()
    engine.validate("a > 1")
    engine.validate("${a > 1}")
    with pytest.raises(SyntaxError):
        engine.validate("> 1")
    with pytest.raises(SyntaxError):
        engine.validate("${a >}")


@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        ("${assignee}", {"assignee": "ann"}, "ann"),
        ("${manager.email}", {"manager": {"email": "m@x"}}, "m@x"),
        ("group-${region}", {"region": "eu"}, "group-eu"),
        ("', '.join(users)", {"users": ["a", "b"]}, "a, b"),
        ("'PT1H'", {}, "PT1H"),
        ("due + timedelta(days=2)", {"due": date(2024, 1, 1)}, date(2024, 1, 3)),
    ],
)
def test_evaluate_expression(text: str, data: dict[str, Any], expected: Any) -> None:
    assert evaluate_expression(text, data) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${owner}", "unknown variable 'owner'"),
        ("owner", "name 'owner' is not defined"),
        ("__import__('os')", "starts with"),
        ("().__class__", "starts with"),
        ("${a ==}", "ends too early"),
    ],
)
def test_evaluate_expression_errors_are_expression_errors(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate_expression(text, {"a": 1})
    assert fragment in caught.value.message
    assert caught.value.expression == text


def _decide(data: dict[str, Any]) -> Any:
    parser = CamundaParser()
    parser.add_bpmn_file(str(FIXTURES / "dmn_python_cells.bpmn"))
    parser.add_dmn_file(str(FIXTURES / "dmn_python_cells.dmn"))
    workflow = BpmnWorkflow(parser.get_spec("dmn_python_cells"), script_engine=BatonScriptEngine())
    workflow.task_tree.data.update(data)
    workflow.do_engine_steps()
    return workflow


@pytest.mark.parametrize(
    ("amount", "topping", "band"),
    [
        (50, "pepperoni", "cheap pepperoni"),  # `< 100` and a quoted literal
        (500, "ham", "middle ham"),  # `? >= 100 and ? < 1000` (external context) and an output expression
        (500, "olive", "other"),  # empty cells match anything
        (50, "ham", "other"),
    ],
)
def test_dmn_python_cells_go_through_the_sandbox(amount: int, topping: str, band: str) -> None:
    workflow = _decide({"amount": amount, "topping": topping})
    assert workflow.is_completed()
    assert workflow.last_task.data["band"] == band


def test_dmn_cell_errors_are_task_errors() -> None:
    with pytest.raises(WorkflowTaskException, match="name 'amount' is not defined"):
        _decide({"topping": "ham"})
